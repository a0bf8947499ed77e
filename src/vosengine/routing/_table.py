"""The route table: which gateways may carry a call to a number, in which order."""

from __future__ import annotations

import random
import types
from collections.abc import Iterable, Mapping
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from .._checks import check_type, iterate
from ..errors import InvalidArgument, InvalidArgumentType
from ..rating import Rate
from ._filters import BalanceSource, weighted_order
from ._gateway import Gateway
from ._load import Load
from ._plan import (
    ANY_INSTANT,
    AT_TOP,
    JUDGE,
    PRICED,
    RECORD,
    build_plan,
    by_cost,
    by_priority,
    read_slot,
)
from ._routes import Routes, RouteSettings
from .walk import WALK

if TYPE_CHECKING:
    from ._walk_py import Router

__all__ = ["BalanceSource", "RouteTable", "weighted_order"]


class RouteTable:
    """Gateways by the prefixes and dial patterns they serve. Immutable: build a new table
    to change anything and swap the reference; a reader never sees half a table, and any
    number of threads may route at once.

    ``settings`` apply to every client without an entry in ``client_settings``. ``rng`` is
    the default source of randomness for weighted ordering (a ``random.Random`` of the
    table's own unless given).

    A table over large decks is millions of objects (its plan, the decks' rates). A
    long-running host that loads one should call :func:`gc.freeze` once it is built, so that
    the collector's full collections do not walk them again and again.

    >>> from vosengine.rating import Rate, RateTable
    >>> from vosengine.routing import Ordering
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

    __slots__ = ("_clients", "_gateways", "_plan", "_rng", "_router", "_settings")

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
        clients = dict(check_type(client_settings or {}, Mapping, "client_settings"))
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
        for index, gateway in enumerate(iterate(gateways, "gateways")):
            if not isinstance(gateway, Gateway):
                raise InvalidArgumentType(f"gateways[{index}]: expected a Gateway, got {gateway!r}")
            if gateway.id in seen:
                raise InvalidArgument(
                    f"gateways[{index}]: gateway id {gateway.id!r} is listed twice"
                )
            seen.add(gateway.id)
            listed.append(gateway)
        self._gateways = tuple(listed)
        self._plan = build_plan(self._gateways)
        # the seam to the compiled router (tests switch it)
        self._router: Router = WALK.Router(
            self._plan,
            self._settings,
            self._clients,
            self._rng,
            any(gateway.callee_rules for gateway in self._gateways),
        )

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
        for key, stored in self._plan.slots.items():
            slot = read_slot(self._plan, stored)
            candidates = slot.candidates
            assert list(candidates) == by_priority(candidates)
            for flag, rows in ((False, slot.by_priority), (True, slot.by_cost)):
                if not slot.fast:
                    assert not rows
                    continue
                ranked = [candidates[row[2]] for row in RECORD.iter_unpack(rows)]
                assert ranked == (by_cost(candidates) if flag else list(candidates))
                for (price, gate, _, flags), candidate in zip(
                    RECORD.iter_unpack(rows), ranked, strict=True
                ):
                    assert self._plan.gates[gate].gateway is candidate.gateway
                    assert bool(flags & AT_TOP) == (candidate.head == slot.top)
                    if flags & PRICED and not flags & JUDGE:
                        assert Fraction(price, self._plan.common) == Fraction(
                            candidate.num, candidate.den
                        )
            for candidate in candidates:
                gateway = candidate.gateway
                assert gateway in self._gateways
                if candidate.pattern is None:
                    assert candidate.matched in gateway.prefixes
                    assert key.startswith(candidate.matched)
                else:
                    assert not slot.fast
                    assert candidate.pattern in gateway.patterns
                    assert key.startswith(candidate.pattern.head)
                if not candidate.dynamic and gateway.rates is not None:
                    assert candidate.rate == gateway.rates.lookup(key, at=ANY_INSTANT)
        anywhere = self._plan.anywhere
        assert all(not c.pattern.head for c in anywhere if c.pattern is not None)

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
        return self._router.route(
            callee, client, at, now, caller, customer_rate, load, balances, rng
        )
