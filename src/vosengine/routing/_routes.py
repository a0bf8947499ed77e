"""What routing answers: the settings it ranks by, the routes, the gateways it removed and why,
and the failover decision after a gateway failed."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, overload

import attrs

from ..errors import InvalidArgument, InvalidArgumentType
from ..money import to_decimal
from ..numbering import rewrite
from ..rating import Rate
from ..reasons import TerminationReason, check_final_status, from_sip_status
from ._filters import Detail, Source, entry_at, gateway_at, removals, show_price
from ._gateway import Filter, Gateway, instance_of, whole

__all__ = ["Failover", "Ordering", "Removed", "Route", "RouteSettings", "Routes"]

#: Busy responses that the "stop switching when busy" option never retries.
BUSY = frozenset({486, 600})


class Ordering(enum.Enum):
    """How the gateways that pass the filters are ranked.

    * ``PRIORITY``: priority (smaller first), then cost (cheaper first);
    * ``COST``: least cost first, then priority;
    * ``WEIGHTED``: priority, then a weighted random order among gateways of equal priority:
      each place goes to a gateway with probability exactly weight / (sum of the weights of
      those left), drawn with integer arithmetic from the injected ``random.Random``.

    Cost is the vendor's price per second; a gateway with no rate table (cost unknown) comes
    after every gateway with a cost. The last tie-break is the gateway id, so an order is
    reproducible.
    """

    PRIORITY = "priority"
    COST = "cost"
    WEIGHTED = "weighted"


def _min_profit(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "min_profit")


def _max_rate(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "max_rate")


@attrs.frozen(kw_only=True)
class RouteSettings:
    """How a table ranks and filters, for all clients or for one.

    * ``ordering`` (:class:`Ordering`) and ``longest_prefix_only``: only the gateways at the
      longest prefix (or pattern head) that some gateway serves are candidates -- a specific
      route overrides a general one, even when all its gateways are filtered out; otherwise
      every gateway serving the number is a candidate;
    * ``min_profit``: no-loss routing. The customer's price per second less the vendor's must
      be at least ``min_profit`` per ``per_seconds`` (negative allows a bounded loss);
    * ``max_rate``: a price cap. The vendor's price per second must not exceed ``max_rate``
      per ``per_seconds``;
    * ``max_attempts``: at most this many gateways are tried for one call (``None``: all);
    * ``stop_on_busy``: a busy answer (486, 600) ends the search even where a gateway's
      failover policy would retry it (VOS3000's "stop switching when busy").

    **How prices compare.** Each side's rate becomes an exact price per second, ``price ÷
    unit_seconds``; both are looked up for the number as dialled (normalised, before a
    gateway's rewrite: a technical prefix is not part of a vendor's deck). Billing
    increments and connect fees do not enter the comparison: on a long call they vanish; on
    a call shorter than a vendor's first increment the vendor bills the whole increment, so
    a margin of zero can still lose there. Set ``min_profit`` above zero to cover it.
    """

    ordering: Ordering = attrs.field(default=Ordering.PRIORITY, validator=instance_of(Ordering))
    longest_prefix_only: bool = attrs.field(default=False, validator=instance_of(bool))
    min_profit: Decimal | None = attrs.field(default=None, converter=_min_profit)
    max_rate: Decimal | None = attrs.field(default=None, converter=_max_rate)
    per_seconds: int = attrs.field(default=60, validator=whole("per_seconds", 1))
    max_attempts: int | None = attrs.field(
        default=None, validator=whole("max_attempts", 1, optional=True)
    )
    stop_on_busy: bool = attrs.field(default=True, validator=instance_of(bool))
    # min_profit and max_rate per second as exact (numerator, denominator > 0) pairs
    _floor: tuple[int, int] | None = attrs.field(init=False, eq=False, repr=False)
    _cap: tuple[int, int] | None = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.max_rate is not None and self.max_rate < 0:
            raise InvalidArgument(f"max_rate: {self.max_rate} is negative")
        for name, value in (("_floor", self.min_profit), ("_cap", self.max_rate)):
            pair = None
            if value is not None:
                exact = Fraction(value) / self.per_seconds
                pair = (exact.numerator, exact.denominator)
            object.__setattr__(self, name, pair)


def _written(detail: Detail) -> str:
    return detail if isinstance(detail, str) else detail()


@attrs.frozen(kw_only=True)
class Route:
    """One gateway to try: the numbers to send it, the vendor rate, and why it ranks here.

    ``prefix`` is what matched: the gateway's prefix, or a dial pattern's text.
    """

    gateway: Gateway
    prefix: str
    callee: str
    caller: str
    vendor_rate: Rate | None
    rank: str


@attrs.frozen(kw_only=True)
class Removed:
    """A gateway that serves the number but may not carry this call, and why."""

    gateway: Gateway
    filter: Filter
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.gateway.id}: {self.filter.value} ({self.detail})"


@attrs.frozen(kw_only=True)
class Failover:
    """What to do after a gateway failed: try ``next`` (a :class:`Route`), or, when it is
    ``None``, answer the caller with ``status`` and record ``reason``."""

    next: Route | None
    reason: TerminationReason
    status: int
    why: str


class Routes:
    """The ranked routes of one call, indexable and iterable like a tuple of :class:`Route`,
    with the gateways the filters removed and the settings that ranked them. Empty when no
    gateway may carry the call; :attr:`reason` then says so.

    Built on the hot path, it keeps what the ranking found and makes the :class:`Route` and
    :class:`Removed` values when they are first read."""

    __slots__ = (
        "_callee",
        "_caller",
        "_cap",
        "_client",
        "_floor",
        "_found",
        "_gone",
        "_made",
        "_rate",
        "_removed",
        "_routes",
        "_settings",
        "_source",
    )

    def __init__(
        self,
        settings: RouteSettings,
        found: Sequence[Any],
        gone: Sequence[Any],
        source: Source,
        callee: str,
        caller: str,
        client: str,
        cap: Any,
        floor: Any,
        customer_rate: Rate | None,
    ) -> None:
        # What the router recorded. ``found`` holds route entries (gateway, what matched,
        # vendor rate, price per second n, d) and ``gone`` removals (gateway, filter,
        # detail), or integers standing for them (``_filters.entries`` and ``removals``):
        # positions in ``source``, the candidates the router read. Both are kept as tuples,
        # in the fields of this one object: an open call keeps its routes, and the collector
        # walks every object an open call keeps (a tuple of integers it stops walking).
        self._settings = settings
        self._found = tuple(found)
        self._gone = tuple(gone)
        self._source = source
        self._callee = callee
        self._caller = caller
        self._client = client
        self._cap = cap
        self._floor = floor
        self._rate = customer_rate
        self._made: dict[int, Route] | None = None  # the routes read so far, by index
        self._routes: tuple[Route, ...] | None = None
        self._removed: tuple[Removed, ...] | None = None

    @property
    def settings(self) -> RouteSettings:
        """The settings that ranked these routes. Read-only, as every field of a ``Routes``
        is: what it holds and refers to never changes once it is made, so it can be in no
        reference cycle, and the compiled router keeps it out of the collector's way."""
        return self._settings

    def _route(self, index: int) -> Route:
        """Route number ``index`` (0-based, in range), made on first use."""
        made = self._made
        if made is None:
            made = self._made = {}
        route = made.get(index)
        if route is None:
            gateway, matched, rate, num, den = entry_at(self._found[index], self._source)
            callee, caller = self._callee, self._caller
            cost = "unknown" if den == 0 else show_price(num, den)
            route = made[index] = Route(
                gateway=gateway,
                prefix=matched,
                callee=rewrite(callee, gateway.callee_rules),
                caller=rewrite(caller, gateway.caller_rules) if caller else caller,
                vendor_rate=rate,
                rank=f"#{index + 1} by {self._settings.ordering.value}:"
                f" priority {gateway.priority}, cost {cost}",
            )
        return route

    def gateway(self, index: int) -> Gateway:
        """The gateway of route number ``index`` (0-based, in range), without making the
        :class:`Route`: what a host needs to take the gateway's slot before it reads the
        rest."""
        found = self._found
        if not 0 <= index < len(found):
            raise InvalidArgument(f"index: {index} is not one of the {len(found)} routes")
        return gateway_at(found[index], self._source)

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes, best first."""
        routes = self._routes
        if routes is None:
            routes = self._routes = tuple(self._route(index) for index in range(len(self)))
        return routes

    @property
    def removed(self) -> tuple[Removed, ...]:
        """The gateways that serve the number but may not carry this call, with why."""
        removed = self._removed
        if removed is None:
            context = (self._client, self._cap, self._floor, self._rate)
            removed = self._removed = tuple(
                Removed(gateway=gateway, filter=why, detail=_written(detail))
                for gateway, why, detail in removals(self._gone, self._source, context)
            )
        return removed

    def __len__(self) -> int:
        return len(self._found)

    @overload
    def __getitem__(self, index: int) -> Route: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Route, ...]: ...

    def __getitem__(self, index: int | slice) -> Route | tuple[Route, ...]:
        if type(index) is int:  # one route: made alone, the others are not read
            size = len(self._found)
            if -size <= index < size:
                return self._route(index % size)
        return self.routes[index]

    def __iter__(self) -> Iterator[Route]:
        for index in range(len(self)):  # a route is made when the iteration reaches it
            yield self._route(index)

    def __bool__(self) -> bool:
        return bool(self._found)

    def __repr__(self) -> str:
        ids = [route.gateway.id for route in self.routes]
        gone = [removed.reason for removed in self.removed]
        return f"Routes({ids}, removed={gone})"

    @property
    def reason(self) -> TerminationReason | None:
        """``NoAvailableRouter`` when there is no route, else ``None``."""
        return None if self._found else TerminationReason.NO_AVAILABLE_ROUTER

    def failover(self, attempt: int, *, status: int | None) -> Failover:
        """After route number ``attempt`` (0-based) failed with the final response
        ``status`` (``None``: no final response in time), the next route to try, or the
        answer to give the caller.

        The gateway's :class:`~vosengine.routing.FailoverPolicy` says whether ``status``
        retries; ``stop_on_busy`` stops at 486/600 whatever the gateway says; the search also
        stops after ``max_attempts`` gateways or the last route. Stopping answers the vendor's
        own status (408 for a timeout), with the reason it stands for."""
        if isinstance(attempt, bool) or not isinstance(attempt, int):
            raise InvalidArgumentType(f"attempt: expected an int, got {attempt!r}")
        if not 0 <= attempt < len(self._found):
            raise InvalidArgument(
                f"attempt: {attempt} is not the index of one of the {len(self._found)} routes"
            )
        if status is not None:
            check_final_status(status, "status")
        reason = from_sip_status(status)
        answer = 408 if status is None else status
        route = self.routes[attempt]
        heard = "no final response" if status is None else f"{status}"
        settings = self._settings
        if not route.gateway.failover.retries(status):
            why = f"{heard} from {route.gateway.id} stops the search"
        elif settings.stop_on_busy and status in BUSY:
            why = f"{heard} from {route.gateway.id}: busy, and busy stops the search"
        elif settings.max_attempts is not None and attempt + 1 >= settings.max_attempts:
            why = f"{settings.max_attempts} gateways tried, the most allowed"
        elif attempt + 1 == len(self.routes):
            why = f"{heard} from {route.gateway.id}, the last route"
        else:
            following = self.routes[attempt + 1]
            return Failover(
                next=following,
                reason=reason,
                status=answer,
                why=f"{heard} from {route.gateway.id}: trying {following.gateway.id}",
            )
        return Failover(next=None, reason=reason, status=answer, why=why)
