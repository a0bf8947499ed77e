"""The route table: which gateways may carry a call to a number, in which order."""

from __future__ import annotations

import random
import types
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from .._time import check_aware, check_seconds
from ..errors import InvalidArgument, InvalidArgumentType, NotFound
from ..numbering import DialPattern, normalize_number, rewrite
from ..prefix import PrefixTable
from ..rating import Rate
from ._gateway import Filter, Gateway
from ._load import Load
from ._routes import Ordering, Removed, Route, Routes, RouteSettings

__all__ = ["BalanceSource", "RouteTable"]

# one entry of the table: a gateway, and the pattern it serves the number by (None: prefix)
_Entry = tuple[Gateway, DialPattern | None]


class _Available(Protocol):
    @property
    def available(self) -> Decimal: ...


class BalanceSource(Protocol):
    """Where a prepaid vendor's balance is read: any
    :class:`~vosengine.ledger.Ledger` is one."""

    def balance(self, account_id: str, /) -> _Available: ...


def per_second(rate: Rate) -> Fraction:
    """A rate's exact price per second."""
    return Fraction(rate._price_n, rate._price_d)


class RouteTable:
    """Gateways by the prefixes and dial patterns they serve. Immutable: build a new table
    to change anything and swap the reference; a reader never sees half a table, and any
    number of threads may route at once.

    ``settings`` apply to every client without an entry in ``client_settings``. ``rng`` is
    the default source of randomness for weighted ordering (a ``random.Random`` of the
    table's own unless given).

    >>> from vosengine.rating import Rate, RateTable
    >>> from datetime import datetime, UTC
    >>> cheap = Gateway(id="cheap", vendor="a", prefixes={"44"}, priority=1,
    ...                 rates=RateTable([Rate(prefix="44", price="0.010")]))
    >>> dear = Gateway(id="dear", vendor="b", prefixes={"4420"}, priority=0,
    ...                rates=RateTable([Rate(prefix="44", price="0.020")]))
    >>> table = RouteTable([cheap, dear], settings=RouteSettings(ordering=Ordering.COST))
    >>> at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    >>> [r.gateway.id for r in table.route("+44 20 7946 0958", client="c1", at=at, now=0.0)]
    ['cheap', 'dear']
    """

    __slots__ = ("_anywhere", "_clients", "_gateways", "_heads", "_rng", "_settings")

    def __init__(
        self,
        gateways: Iterable[Gateway],
        *,
        settings: RouteSettings | None = None,
        client_settings: Mapping[str, RouteSettings] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = RouteSettings() if settings is None else settings
        if not isinstance(self._settings, RouteSettings):
            raise InvalidArgumentType(f"settings: expected RouteSettings, got {settings!r}")
        clients = dict(client_settings or {})
        for client, value in clients.items():
            if not isinstance(client, str) or not isinstance(value, RouteSettings):
                raise InvalidArgumentType(
                    f"client_settings: expected str -> RouteSettings, got {client!r}: {value!r}"
                )
        self._clients = types.MappingProxyType(clients)
        if rng is not None and not isinstance(rng, random.Random):
            raise InvalidArgumentType(f"rng: expected a random.Random, got {rng!r}")
        self._rng = random.Random() if rng is None else rng
        heads: dict[str, list[_Entry]] = {}
        anywhere: list[_Entry] = []
        seen: set[str] = set()
        listed = []
        for index, gateway in enumerate(gateways):
            if not isinstance(gateway, Gateway):
                raise InvalidArgumentType(f"gateways[{index}]: expected a Gateway, got {gateway!r}")
            if gateway.id in seen:
                raise InvalidArgument(
                    f"gateways[{index}]: gateway id {gateway.id!r} is listed twice"
                )
            seen.add(gateway.id)
            listed.append(gateway)
            for prefix in sorted(gateway.prefixes):
                heads.setdefault(prefix, []).append((gateway, None))
            for pattern in gateway.patterns:
                entry = (gateway, pattern)
                if pattern.head:
                    heads.setdefault(pattern.head, []).append(entry)
                else:
                    anywhere.append(entry)
        self._gateways = tuple(listed)
        self._heads: PrefixTable[tuple[_Entry, ...]] = PrefixTable(
            (head, tuple(entries)) for head, entries in heads.items()
        )
        self._anywhere = tuple(anywhere)

    @property
    def gateways(self) -> tuple[Gateway, ...]:
        """The gateways, in the order given."""
        return self._gateways

    @property
    def settings(self) -> RouteSettings:
        """The settings of every client without its own."""
        return self._settings

    @property
    def client_settings(self) -> Mapping[str, RouteSettings]:
        """Settings by client id (read-only)."""
        return self._clients

    @property
    def rng(self) -> random.Random:
        """The table's default source of randomness for weighted ordering."""
        return self._rng

    def __len__(self) -> int:
        return len(self._gateways)

    def _check(self) -> None:
        """Assert the internal invariants (for tests)."""
        ids = [gateway.id for gateway in self._gateways]
        assert len(set(ids)) == len(ids)
        for head, entries in self._heads.items():
            for gateway, pattern in entries:
                assert gateway in self._gateways
                if pattern is None:
                    assert head in gateway.prefixes
                else:
                    assert pattern.head == head
                    assert pattern in gateway.patterns
        assert all(not pattern.head for _, pattern in self._anywhere if pattern is not None)

    def serving(self, callee: str, *, longest_prefix_only: bool) -> list[tuple[Gateway, str, int]]:
        """The gateways that serve the normalised ``callee``, each once, as ``(gateway, what
        matched, its length)``: a gateway matched by several entries keeps its longest.
        Enabled flag, clients and load aside. O(len(callee) + matches)."""
        found: dict[str, tuple[Gateway, str, int]] = {}
        levels = self._heads.matches(callee)
        for head, entries in reversed(levels):  # longest head first
            size = len(head)
            for gateway, pattern in entries:
                if gateway.id in found:
                    continue
                if pattern is None:
                    found[gateway.id] = (gateway, head, size)
                elif pattern.matches(callee):
                    found[gateway.id] = (gateway, pattern.text, size)
            if found and longest_prefix_only:
                return list(found.values())
        for gateway, pattern in self._anywhere:
            if gateway.id not in found and pattern is not None and pattern.matches(callee):
                found[gateway.id] = (gateway, pattern.text, 0)
        return list(found.values())

    def route(
        self,
        callee: str,
        *,
        client: str,
        at: datetime,
        now: float,
        caller: str = "",
        customer_rate: Rate | None = None,
        load: Load | None = None,
        balances: BalanceSource | None = None,
        rng: random.Random | None = None,
    ) -> Routes:
        """The ranked routes for a call from ``client`` to ``callee``.

        ``callee`` and ``caller`` (``""``: none) are normalised first
        (:func:`~vosengine.numbering.normalize_number`); each route carries them rewritten by
        its gateway. ``at`` (an aware ``datetime``, the business clock) picks the vendor
        rates in force; ``now`` (monotonic seconds, the protocol clock) reads ``load``'s CPS
        counts. ``customer_rate`` is the client's rate for the number, which a
        ``min_profit`` setting needs; ``balances`` is where prepaid vendors' balances are
        read (without it a prepaid gateway is left out: it fails closed).

        Every gateway that serves the number and is left out is in
        :attr:`Routes.removed` with the :class:`Filter` that removed it. O(len(callee) + g
        log g) for g serving gateways.
        """
        callee = normalize_number(callee, field="callee")
        caller = "" if caller == "" else normalize_number(caller, field="caller")
        if not isinstance(client, str):
            raise InvalidArgumentType(f"client: expected a str, got {client!r}")
        check_aware(at, "at")
        now = check_seconds(now)
        if load is not None and not isinstance(load, Load):
            raise InvalidArgumentType(f"load: expected a Load, got {load!r}")
        if customer_rate is not None and not isinstance(customer_rate, Rate):
            raise InvalidArgumentType(f"customer_rate: expected a Rate, got {customer_rate!r}")
        settings = self._clients.get(client, self._settings)
        profit_floor = cap = customer = None
        if settings.min_profit is not None:
            if customer_rate is None:
                raise InvalidArgument(
                    "customer_rate: required when a minimum profit is set; it is what the"
                    " vendor's rate is compared with"
                )
            profit_floor = Fraction(settings.min_profit) / settings.per_seconds
            customer = per_second(customer_rate)
        if settings.max_rate is not None:
            cap = Fraction(settings.max_rate) / settings.per_seconds
        compare = profit_floor is not None or cap is not None
        kept: list[tuple[Gateway, str, Rate | None, Fraction | None]] = []
        removed: list[Removed] = []
        for gateway, matched, _ in self.serving(
            callee, longest_prefix_only=settings.longest_prefix_only
        ):
            why, detail, rate, cost = self._filter(
                gateway, client, callee, at, now, load, balances, compare
            )
            if why is None and cap is not None and cost is not None and cost > cap:
                why, detail = Filter.ABOVE_MAX_RATE, f"{_show(cost)} > cap {_show(cap)}"
            if why is None and profit_floor is not None and customer is not None:
                assert cost is not None
                margin = customer - cost
                if margin < profit_floor:
                    why = Filter.BELOW_MIN_PROFIT
                    detail = f"margin {_show(margin)} < {_show(profit_floor)}"
            if why is not None:
                removed.append(Removed(gateway=gateway, filter=why, detail=detail))
            else:
                kept.append((gateway, matched, rate, cost))
        ranked = _rank(kept, settings.ordering, self._rng if rng is None else rng)
        routes = []
        for position, (gateway, matched, rate, cost) in enumerate(ranked, 1):
            sent = rewrite(callee, gateway.callee_rules) if gateway.callee_rules else callee
            if not sent:
                removed.append(
                    Removed(
                        gateway=gateway,
                        filter=Filter.EMPTY_NUMBER,
                        detail=f"callee rules turn {callee!r} into nothing",
                    )
                )
                continue
            routes.append(
                Route(
                    gateway=gateway,
                    prefix=matched,
                    callee=sent,
                    caller=rewrite(caller, gateway.caller_rules) if caller else caller,
                    vendor_rate=rate,
                    rank=f"#{position} by {settings.ordering.value}: priority"
                    f" {gateway.priority}, cost {'unknown' if cost is None else _show(cost)}",
                )
            )
        return Routes(tuple(routes), tuple(removed), settings)

    @staticmethod
    def _filter(
        gateway: Gateway,
        client: str,
        callee: str,
        at: datetime,
        now: float,
        load: Load | None,
        balances: BalanceSource | None,
        compare: bool,
    ) -> tuple[Filter | None, str, Rate | None, Fraction | None]:
        if not gateway.enabled:
            return Filter.DISABLED, "the gateway is disabled", None, None
        why = gateway.admits(client)
        if why is not None:
            return why, f"client {client!r}", None, None
        if load is not None and (gateway.capacity is not None or gateway.cps is not None):
            why = load.refusal(gateway, now=now)
            if why is Filter.OVER_CAPACITY:
                return why, f"{load.concurrent(gateway.id)} of {gateway.capacity} calls", None, None
            if why is not None:
                return why, f"limit {gateway.cps} per second", None, None
        if gateway.prepaid:
            if balances is None:
                return Filter.VENDOR_EXHAUSTED, "no balances given to check", None, None
            try:
                available = balances.balance(gateway.vendor).available
            except NotFound:
                return (
                    Filter.VENDOR_EXHAUSTED,
                    f"vendor {gateway.vendor!r} has no account",
                    None,
                    None,
                )
            if available <= 0:
                return (
                    Filter.VENDOR_EXHAUSTED,
                    f"vendor {gateway.vendor!r} has {available}",
                    None,
                    None,
                )
        rate = None
        if gateway.rates is not None:
            rate = gateway.rates.lookup(callee, at=at)
            if rate is None:
                return Filter.NO_VENDOR_RATE, f"no vendor rate for {callee!r}", None, None
        elif compare:
            return Filter.NO_VENDOR_RATE, "no rate table to compare prices with", None, None
        return None, "", rate, None if rate is None else per_second(rate)


def _show(value: Fraction) -> str:
    """A per-second price as a person reads it: per minute, 6 decimals."""
    return f"{float(value * 60):.6f}/min"


_UNKNOWN = (1, Fraction(0))


def _cost_key(cost: Fraction | None) -> tuple[int, Fraction]:
    return _UNKNOWN if cost is None else (0, cost)


def _rank(
    kept: list[tuple[Gateway, str, Rate | None, Fraction | None]],
    ordering: Ordering,
    rng: random.Random,
) -> list[tuple[Gateway, str, Rate | None, Fraction | None]]:
    if ordering is Ordering.COST:
        return sorted(kept, key=lambda k: (_cost_key(k[3]), k[0].priority, k[0].id))
    if ordering is Ordering.PRIORITY:
        return sorted(kept, key=lambda k: (k[0].priority, _cost_key(k[3]), k[0].id))
    ranked: list[Any] = []
    kept = sorted(kept, key=lambda k: (k[0].priority, k[0].id))
    start = 0
    while start < len(kept):
        end = start
        priority = kept[start][0].priority
        while end < len(kept) and kept[end][0].priority == priority:
            end += 1
        ranked.extend(weighted_order(kept[start:end], [k[0].weight for k in kept[start:end]], rng))
        start = end
    return ranked


def weighted_order(items: list[Any], weights: list[int], rng: random.Random) -> list[Any]:
    """``items`` in a random order where each place goes to one of those left with
    probability exactly its weight over their total weight (integer draws: no float bias)."""
    items, weights = list(items), list(weights)
    order = []
    total = sum(weights)
    while items:
        draw = rng.randrange(total)
        index = 0
        while draw >= weights[index]:
            draw -= weights[index]
            index += 1
        order.append(items.pop(index))
        total -= weights.pop(index)
    return order
