"""The route table: which gateways may carry a call to a number, in which order."""

from __future__ import annotations

import random
import types
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, Protocol

from .._time import check_aware, check_seconds
from ..errors import InvalidArgument, InvalidArgumentType, NotFound
from ..numbering import normalize_number, rewrite
from ..rating import Rate
from ._gateway import Filter, Gateway
from ._load import Load
from ._plan import ANY_INSTANT, NO_RATE, NOTHING, Candidate, build_plan, by_cost, by_priority, ratio
from ._routes import Detail, Ordering, Routes, RouteSettings, show_price
from .walk import WALK

__all__ = ["BalanceSource", "RouteTable"]


class _Available(Protocol):
    @property
    def available(self) -> Decimal: ...


class BalanceSource(Protocol):
    """Where a prepaid vendor's balance is read: any
    :class:`~vosengine.ledger.Ledger` is one."""

    def balance(self, account_id: str, /) -> _Available: ...


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

    __slots__ = (
        "_anywhere",
        "_clients",
        "_gateways",
        "_plan",
        "_rewrites",
        "_rng",
        "_settings",
        "_walk",
    )

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
        self._gateways = tuple(listed)
        self._plan, self._anywhere = build_plan(self._gateways)
        self._rewrites = any(gateway.callee_rules for gateway in self._gateways)
        self._walk = WALK.walk  # the seam to the compiled walk (tests switch it)

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
        for key, slot in self._plan.items():
            assert set(slot.by_priority) == set(slot.by_cost)
            assert list(slot.by_priority) == by_priority(slot.by_priority)
            assert list(slot.by_cost) == by_cost(slot.by_cost)
            for candidate in slot.by_priority:
                gateway = candidate.gateway
                assert gateway in self._gateways
                if candidate.pattern is None:
                    assert candidate.matched in gateway.prefixes
                    assert key.startswith(candidate.matched)
                else:
                    assert candidate.pattern in gateway.patterns
                    assert key.startswith(candidate.pattern.head)
                if not candidate.dynamic and gateway.rates is not None:
                    assert candidate.rate == gateway.rates.lookup(key, at=ANY_INSTANT)
        assert all(not c.pattern.head for c in self._anywhere if c.pattern is not None)

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
        :attr:`Routes.removed` with the :class:`Filter` that removed it. O(len(callee) + g)
        for g gateways serving the number: the ranking was done when the table was built
        (see ``routing._plan``), unless a vendor deck has dated rates or tariff windows.
        """
        callee = normalize_number(callee, field="callee")
        if caller:
            caller = normalize_number(caller, field="caller")
        elif caller != "":
            raise InvalidArgumentType(f"caller: expected the number as a str, got {caller!r}")
        if type(client) is not str:
            raise InvalidArgumentType(f"client: expected a str, got {client!r}")
        if type(at) is not datetime or at.utcoffset() is None:
            check_aware(at, "at")
        now = check_seconds(now)
        if load is not None and type(load) is not Load:
            raise InvalidArgumentType(f"load: expected a Load, got {load!r}")
        if customer_rate is not None and type(customer_rate) is not Rate:
            raise InvalidArgumentType(f"customer_rate: expected a Rate, got {customer_rate!r}")
        settings = self._clients.get(client, self._settings)
        # one bound on the vendor's price per second, bn / bd: the cap, or the customer's
        # price less the minimum profit, whichever is lower
        bound = cap = settings._cap
        floor = settings._floor
        if floor is not None:
            if customer_rate is None:
                raise InvalidArgument(
                    "customer_rate: required when a minimum profit is set; it is what the"
                    " vendor's rate is compared with"
                )
            pn, pd = ratio(customer_rate)
            fn, fd = floor
            bound = (pn * fd - fn * pd, pd * fd)
            if cap is not None and cap[0] * bound[1] < bound[0] * cap[1]:
                bound = cap
        ordering = settings.ordering
        slot = self._plan.longest_value(callee)
        anywhere = self._anywhere
        if slot is None:
            candidates: Sequence[Candidate] = ()
            top, resort = -1, False
        else:
            candidates = slot.by_cost if ordering is Ordering.COST else slot.by_priority
            top, resort = slot.top, slot.dynamic
        if anywhere or (slot is not None and slot.patterns):
            candidates, top = _serving(candidates, anywhere, callee)
            resort = resort or bool(anywhere)
        # a count read without the lock is as fresh as a route can be: acquire() is the
        # atomic check
        concurrent = None if load is None else load._concurrent.get
        context = (client, load, now, balances, callee, at, bound, cap, floor, customer_rate)
        found, gone = self._walk(
            candidates, settings.longest_prefix_only, top, concurrent, bound, _judge, context
        )
        if resort and found:
            found = _resort(found, ordering)
        if ordering is Ordering.WEIGHTED and len(found) > 1:
            found = _weighted(found, self._rng if rng is None else rng)
        if self._rewrites and found:
            found = _keep_numbers(found, callee, gone)
        return Routes(found, gone, settings, callee, caller)


def _judge(candidate: Candidate, context: tuple[Any, ...]) -> tuple[Any, ...]:
    """Every filter, in order, on one candidate: its route entry (5 items) or its removal
    (3 items). The walk sends here every candidate that does not plainly pass."""
    client, load, now, balances, callee, at, bound, cap, floor, customer_rate = context
    gateway, matched, _, _, rate, num, den, dynamic, checks, entry = candidate
    if checks:
        why = _refusal(gateway, client, load, now, balances)
        if why is not None:
            return why
    if dynamic:
        rate = None if gateway.rates is None else gateway.rates.lookup(callee, at=at)
        num, den = (0, 0) if rate is None else ratio(rate)
        entry = (gateway, matched, rate, num, den)
    if rate is None:
        if gateway.rates is not None:
            return gateway, Filter.NO_VENDOR_RATE, NO_RATE
        if bound is not None:
            return gateway, Filter.NO_VENDOR_RATE, "no rate table to compare prices with"
    elif bound is not None and num * bound[1] > bound[0] * den:
        return _priced_out(gateway, num, den, cap, floor, customer_rate)
    return entry


def _serving(
    candidates: Sequence[Candidate], anywhere: Sequence[Candidate], callee: str
) -> tuple[list[Candidate], int]:
    """The candidates that serve ``callee`` (patterns checked against the whole number),
    each gateway once by its longest entry, in the given order; and the longest head."""
    serving = []
    seen: set[str] = set()
    for candidate in (*candidates, *anywhere):
        gateway_id = candidate.gateway.id
        if gateway_id in seen:
            continue
        pattern = candidate.pattern
        if pattern is None or pattern.matches(callee):
            seen.add(gateway_id)
            serving.append(candidate)
    return serving, max((c.head for c in serving), default=-1)


def _refusal(
    gateway: Gateway,
    client: str,
    load: Load | None,
    now: float,
    balances: BalanceSource | None,
) -> tuple[Gateway, Filter, Detail] | None:
    """Why ``gateway`` may not carry this call whatever its price, or None."""
    if not gateway.enabled:
        return gateway, Filter.DISABLED, "the gateway is disabled"
    why = gateway.admits(client)
    if why is not None:
        return gateway, why, f"client {client!r}"
    if load is not None and (gateway.capacity is not None or gateway.cps is not None):
        why = load.refusal(gateway, now=now)
        if why is not None:
            return gateway, why, _busy(load, gateway, why)
    if gateway.prepaid:
        detail = _exhausted(gateway, balances)
        if detail is not None:
            return gateway, Filter.VENDOR_EXHAUSTED, detail
    return None


def _busy(load: Load, gateway: Gateway, why: Filter) -> str:
    if why is Filter.OVER_CAPACITY:
        return f"{load.concurrent(gateway.id)} of {gateway.capacity} calls"
    return f"limit {gateway.cps} per second"


def _exhausted(gateway: Gateway, balances: BalanceSource | None) -> str | None:
    """Why a prepaid vendor cannot be used now, or None when it has funds."""
    if balances is None:
        return "no balances given to check"
    try:
        available = balances.balance(gateway.vendor).available
    except NotFound:
        return f"vendor {gateway.vendor!r} has no account"
    if available <= 0:
        return f"vendor {gateway.vendor!r} has {available}"
    return None


def _priced_out(
    gateway: Gateway,
    num: int,
    den: int,
    cap: tuple[int, int] | None,
    floor: tuple[int, int] | None,
    customer_rate: Rate | None,
) -> tuple[Gateway, Filter, Detail]:
    """The removal of a gateway whose price passes the bound; its detail is written only
    if someone reads it."""
    if cap is not None and num * cap[1] > cap[0] * den:
        return gateway, Filter.ABOVE_MAX_RATE, partial(_over_cap, num, den, cap)
    assert floor is not None
    assert customer_rate is not None
    return gateway, Filter.BELOW_MIN_PROFIT, partial(_margin, num, den, floor, customer_rate)


def _over_cap(num: int, den: int, cap: tuple[int, int]) -> str:
    return f"{show_price(num, den)} > cap {show_price(*cap)}"


def _margin(num: int, den: int, floor: tuple[int, int], customer_rate: Rate) -> str:
    margin = Fraction(*ratio(customer_rate)) - Fraction(num, den)
    return f"margin {show_price(margin.numerator, margin.denominator)} < {show_price(*floor)}"


def _resort(
    found: list[tuple[Gateway, str, Rate | None, int, int]], ordering: Ordering
) -> list[tuple[Gateway, str, Rate | None, int, int]]:
    """Rank again where a price was looked up per call (dated vendor rates, or a pattern
    that may match anything)."""
    entries = {entry[0].id: entry for entry in found}
    order = by_cost if ordering is Ordering.COST else by_priority
    return [entries[c.gateway.id] for c in order(_as_candidate(entry) for entry in found)]


def _as_candidate(entry: tuple[Gateway, str, Rate | None, int, int]) -> Candidate:
    gateway, matched, rate, num, den = entry
    return Candidate(gateway, matched, 0, None, rate, num, den, False, NOTHING, entry)


def _weighted(
    found: list[tuple[Gateway, str, Rate | None, int, int]], rng: random.Random
) -> list[tuple[Gateway, str, Rate | None, int, int]]:
    """Weighted random order within each priority (``found`` is ranked by priority)."""
    ranked: list[tuple[Gateway, str, Rate | None, int, int]] = []
    start = 0
    while start < len(found):
        priority = found[start][0].priority
        end = start + 1
        while end < len(found) and found[end][0].priority == priority:
            end += 1
        group = sorted(found[start:end], key=lambda entry: entry[0].id)
        ranked.extend(weighted_order(group, [entry[0].weight for entry in group], rng))
        start = end
    return ranked


def _keep_numbers(
    found: list[tuple[Gateway, str, Rate | None, int, int]],
    callee: str,
    gone: list[tuple[Gateway, Filter, Detail]],
) -> list[tuple[Gateway, str, Rate | None, int, int]]:
    """Drop the routes whose callee rules leave no number."""
    kept = []
    for entry in found:
        gateway = entry[0]
        if gateway.callee_rules and not rewrite(callee, gateway.callee_rules):
            gone.append(
                (gateway, Filter.EMPTY_NUMBER, f"callee rules turn {callee!r} into nothing")
            )
        else:
            kept.append(entry)
    return kept


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
