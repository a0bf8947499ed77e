"""The admission pipeline: its stages, each usable alone, and :meth:`Admission.admit`, which
only composes them; then failover, extension and the end of the call."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import attrs

from .._time import check_aware
from ..accounts import AccountDirectory
from ..cdr import CDR, ChainBiller, TableSource
from ..errors import InvalidArgument, InvalidArgumentType
from ..ledger import InsufficientFunds, Ledger, Reservation
from ..money import CONTEXT, ZERO
from ..numbering import normalize_number
from ..rating import Rate, RateTable
from ..reasons import TerminationReason
from ..routing import BalanceSource, GatewayBusy, Load, Routes, RouteTable
from ..routing._load import LOADS
from ._core import AdmitCore
from ._outcomes import Admitted, Rejected, Settled
from ._refusals import RACES, inactive, no_rate, no_router, raced, rejected, unaffordable

__all__ = ["Admission"]

_R = TerminationReason


def _seconds(value: object, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentType(f"{field}: expected an int number of seconds, got {value!r}")
    if value < minimum:
        raise InvalidArgument(f"{field}: {value} is below {minimum}")
    return value


class Admission(AdmitCore):
    """Call admission: may this account call this number, through which gateways, for how
    long -- and, when the call ends, what every level of its agent chain pays.

    Built on the host's ``directory`` (account state, number sections), ``rates`` (each
    account's rate table: a mapping or a function of the account id; the customer's gives
    the price, the agents' what they pay), ``ledger`` (balances and holds) and ``routes``
    (the vendor gateways). ``load`` is where gateway slots are taken (without it capacity
    and CPS are not counted); ``balances`` where prepaid vendors' balances are read (see
    :meth:`RouteTable.route <vosengine.routing.RouteTable.route>`).

    **The hold.** Admission holds what the longest affordable call costs (at most ``limit``
    seconds), so a call can never spend money another call holds. With ``first_slice``
    (seconds) it holds only the first slice, rounded up to the rate's increment grid, and
    :meth:`extend` holds the next one while the call runs: more calls fit in one balance,
    at the price of one :meth:`extend` per slice.

    **Chain billing.** :meth:`finish` charges the customer its own price and every agent
    above it *its* price of the same call (the wholesale rate the agent buys at), all in
    one ledger step. An agent's income on the call is what the level below paid less what
    it paid; the operator's revenue is what the top agent paid
    (:class:`~vosengine.cdr.ChainCharge`). Agents' balances are charged, never checked at
    admission: a prepaid agent's calls are limited by what its customers hold.

    The two clocks: ``at`` is the business clock (an aware ``datetime``: account expiry,
    rates in force, ledger records), ``now`` the protocol clock (monotonic seconds: gateway
    CPS counts). Thread-safe as its parts are: the ledger and the load hold their own locks,
    and the directory and tables are read as snapshots. ``routes`` may be swapped for a new
    table at any time.
    """

    def __init__(
        self,
        *,
        directory: AccountDirectory,
        rates: TableSource,
        ledger: Ledger,
        routes: RouteTable,
        load: Load | None = None,
        balances: BalanceSource | None = None,
        first_slice: int | None = None,
        limit: int = 86_400,
    ) -> None:
        if not isinstance(directory, AccountDirectory):
            raise InvalidArgumentType(f"directory: expected an AccountDirectory, got {directory!r}")
        if not isinstance(routes, RouteTable):
            raise InvalidArgumentType(f"routes: expected a RouteTable, got {routes!r}")
        if load is not None and not isinstance(load, LOADS):
            raise InvalidArgumentType(f"load: expected a Load, got {load!r}")
        self.directory = directory
        self.biller = ChainBiller(directory, rates)
        self.ledger = ledger
        self.routes = routes
        self.load = load
        self.balances = balances
        self.limit = _seconds(limit, "limit", 1)
        self.first_slice = None if first_slice is None else _seconds(first_slice, "first_slice", 1)

    # -- the stages, each usable alone -----------------------------------------------------

    def check_status(self, account_id: str, *, at: datetime) -> Rejected | None:
        """Stage 1: the account and every agent above it must be active at ``at`` (not
        locked, inactive or expired). ``None`` when they are."""
        if type(at) is not datetime or (type(at.tzinfo) is not timezone and at.utcoffset() is None):
            check_aware(at, "at")
        return self._status(account_id, at)

    def _status(self, account_id: str, at: datetime) -> Rejected | None:
        """:meth:`check_status` at an ``at`` its caller checked."""
        verdict = self.directory._verdict(account_id, at)
        return None if verdict.allowed else inactive(account_id, verdict)

    def check_number(self, account_id: str, callee: str) -> str | Rejected:
        """Stage 2: ``callee`` normalised (:func:`~vosengine.numbering.normalize_number`),
        if every number section from the account up allows it. A number that cannot be
        read is refused, never passed: the sections fail closed."""
        try:
            number = normalize_number(callee, field="callee")
        except InvalidArgumentType:
            raise
        except InvalidArgument as error:
            return rejected(_R.NUMBER_RESTRICTED, str(error), "number")
        if self.directory._allows(account_id, number):
            return number
        check = self.directory.number_check(account_id, number)
        return rejected(_R.NUMBER_RESTRICTED, f"{number}: {check.reason}", "number")

    def customer_rate(self, account_id: str, number: str, *, at: datetime) -> Rate | Rejected:
        """Stage 3: the account's rate for ``number`` (normalised) in force at ``at``."""
        table = self.biller.table_for(account_id)
        return self._rate(account_id, table, normalize_number(number), at)

    def affordable(
        self, account_id: str, number: str, *, at: datetime
    ) -> tuple[int, Decimal] | Rejected:
        """Stage 4, without holding anything: how long a call to ``number`` may last on
        what the account has available now (at most ``limit`` seconds, or the first slice)
        and what that costs: ``(max_seconds, amount)``. Insufficient Balance when not even
        the first increment is affordable."""
        return self._afford(account_id, self.biller.table_for(account_id), number, at)

    def _rate(
        self, account_id: str, table: RateTable, number: str, at: datetime
    ) -> Rate | Rejected:
        rate = table._find(number, at)[0]
        return no_rate(account_id, number, at) if rate is None else rate

    def _afford(
        self, account_id: str, table: RateTable, number: str, at: datetime
    ) -> tuple[int, Decimal] | Rejected:
        available = self.ledger.available(account_id)
        afford = self._affordable(table, number, available, at, ZERO, 0)
        if afford[0]:
            return afford
        return unaffordable(account_id, table, number, at, available)

    def hold(
        self, account_id: str, number: str, call_id: str, *, at: datetime
    ) -> tuple[Reservation, int] | Rejected:
        """Stage 4: hold what the longest affordable call to ``number`` costs (or its first
        slice) and say how long it may last: ``(reservation, max_seconds)``."""
        table = self.biller.table_for(account_id)
        afford = self._afford(account_id, table, number, at)
        if isinstance(afford, Rejected):
            return afford
        return self._reserve(account_id, table, number, call_id, at, afford)

    def _reserve(
        self,
        account_id: str,
        table: RateTable,
        number: str,
        call_id: str,
        at: datetime,
        afford: tuple[int, Decimal],
    ) -> tuple[Reservation, int] | Rejected:
        """Hold ``afford``'s amount; when another call took the money since the balance was
        read, size the hold again on what is left (at most ``_RACES`` times)."""
        for _ in range(RACES):
            try:
                return self.ledger.reserve(account_id, afford[1], call_id, now=at), afford[0]
            except InsufficientFunds:
                again = self._afford(account_id, table, number, at)
                if isinstance(again, Rejected):
                    return again
                afford = again
        return raced(account_id)

    def route(
        self,
        account_id: str,
        number: str,
        rate: Rate,
        call_id: str,
        *,
        at: datetime,
        now: float,
        caller: str = "",
    ) -> tuple[Routes, int] | Rejected:
        """Stage 5: the ranked routes to ``number`` with every filter, and the index of the
        first one whose gateway slot was taken for ``call_id`` (0 without a load).
        NoAvailableRouter when no gateway may carry the call."""
        routes = self._routes(account_id, number, rate, at, now, caller)
        if isinstance(routes, Rejected):
            return routes
        attempt = self._take(routes, call_id, now)
        if attempt is None:
            return no_router(routes, number)
        return routes, attempt

    # -- the pipeline ----------------------------------------------------------------------

    # -- while the call runs ---------------------------------------------------------------

    def failover(
        self, admitted: Admitted, *, status: int | None, at: datetime, now: float
    ) -> Admitted | Rejected:
        """The gateway of ``admitted.route`` failed with the final ``status`` (``None``: no
        final response in time): its slot is given back, and the next route whose slot can
        be taken is the answer (:meth:`Routes.failover <vosengine.routing.Routes.failover>`
        decides whether to go on). When the search stops, the hold is released and the
        vendor's answer is the refusal."""
        self._check_admitted(admitted)
        load, routes, attempt = self.load, admitted.routes, admitted.attempt
        if load is not None and load.holder(admitted.call_id) is not None:
            load.release(admitted.call_id)
        decision = routes.failover(attempt, status=status)
        while decision.next is not None:
            attempt += 1
            if load is None:
                return admitted._replace(attempt=attempt)
            try:
                load.acquire(decision.next.gateway, admitted.call_id, now=now)
            except GatewayBusy:
                decision = routes.failover(attempt, status=503)  # as if it had answered busy
                continue
            return admitted._replace(attempt=attempt)
        self.ledger.release(admitted.reservation.id, now=at)
        reason, status = decision.reason, decision.status
        return Rejected(reason=reason, sip_status=status, detail=decision.why, stage="failover")

    def extend(self, admitted: Admitted, *, at: datetime) -> Admitted | Rejected:
        """Hold the next slice of a running call (admitted with ``first_slice``): the new
        ``max_seconds`` and the grown reservation, or Insufficient Balance when the balance
        pays for no more -- the call may then run to its ``max_seconds`` and no further."""
        self._check_admitted(admitted)
        table = self.biller.table_for(admitted.account_id)
        reservation = admitted.reservation
        for _ in range(RACES):
            available = self.ledger.available(admitted.account_id)
            seconds, amount = self._affordable(
                table,
                admitted.callee,
                CONTEXT.add(available, reservation.amount),
                admitted.at,
                reservation.amount,
                admitted.max_seconds,
            )
            if seconds <= admitted.max_seconds:
                return rejected(
                    _R.INSUFFICIENT_BALANCE,
                    f"account {admitted.account_id!r} has {available} available: the call"
                    f" may last {admitted.max_seconds} s and no more",
                    "balance",
                )
            more = CONTEXT.subtract(amount, reservation.amount)
            try:
                grown = self.ledger.grow(reservation.id, more, now=at) if more else reservation
            except InsufficientFunds:
                continue
            return admitted._replace(reservation=grown, max_seconds=seconds)
        return raced(admitted.account_id)

    # -- the end of the call ---------------------------------------------------------------

    def finish(
        self, admitted: Admitted, cdr: CDR, *, at: datetime, key: str | None = None
    ) -> Settled:
        """The call ended (``cdr`` says how): price it at every level of the agent chain,
        charge every level in one ledger step (:meth:`Ledger.settle_call
        <vosengine.ledger.InMemoryLedger.settle_call>`: the hold is freed, all levels are
        charged or none) and give back the gateway slot. A call that never connected only
        frees the hold and the slot.

        Idempotent: a retry with the same ``key`` (default: from the call id and the CDR's
        leg) returns the same :class:`Settled` and changes nothing. Everything is priced
        before anything is posted: a level without a rate table
        (:class:`~vosengine.cdr.MissingRateTable`) or a ledger account fails the whole
        step, and the call can be finished again once the set-up is mended."""
        self._check_admitted(admitted)
        if not isinstance(cdr, CDR):
            raise InvalidArgumentType(f"cdr: expected a CDR, got {cdr!r}")
        if cdr.call_id != admitted.call_id or cdr.account_id != admitted.account_id:
            raise InvalidArgument(
                f"cdr: call {cdr.call_id!r} of {cdr.account_id!r} is not the admitted call"
                f" {admitted.call_id!r} of {admitted.account_id!r}"
            )
        if cdr.callee != admitted.callee:  # priced on the number the tables matched
            cdr = attrs.evolve(cdr, callee=admitted.callee)
        charge = self.biller.rate(cdr)
        charges = [(level.account_id, level.amount) for level in charge.levels]
        records = self.ledger.settle_call(
            admitted.reservation.id,
            charges,
            key=f"call:{cdr.call_id}:{cdr.leg}" if key is None else key,
            now=at,
        )
        load = self.load
        if load is not None and load.holder(admitted.call_id) is not None:
            load.release(admitted.call_id)
        return Settled(charge=charge, records=records)

    # -- helpers ---------------------------------------------------------------------------

    def _routes(
        self, account_id: str, number: str, rate: Rate, at: datetime, now: float, caller: str
    ) -> Routes | Rejected:
        # RouteTable.route without its keyword-only front: the table's router, the same call
        routes = self.routes._router.route(
            number, account_id, at, now, caller, rate, self.load, self.balances, None
        )
        return routes if routes else no_router(routes, number)

    def _take(self, routes: Routes, call_id: str, now: float) -> int | None:
        """The index of the first route whose gateway slot ``call_id`` took (0 without a
        load), or ``None`` when every one filled up since the table read the load."""
        load = self.load
        if load is None:
            return 0
        for attempt in range(len(routes)):
            try:
                load.acquire(routes.gateway(attempt), call_id, now=now)
            except GatewayBusy:
                continue
            return attempt
        return None

    def _check_admitted(self, admitted: object) -> None:
        if not isinstance(admitted, Admitted):
            raise InvalidArgumentType(f"admitted: expected an Admitted call, got {admitted!r}")

    def _affordable(
        self,
        table: RateTable,
        number: str,
        available: Decimal,
        at: datetime,
        held: Decimal,
        running: int,
    ) -> tuple[int, Decimal]:
        """The hold time to ask for and its price: the longest call ``available`` pays for,
        cut to the next slice past ``running`` seconds when slices are asked for. ``(0,
        ...)`` when nothing is affordable."""
        seconds, amount = table.longest_call(number, available, at=at, limit=self.limit)
        size = self.first_slice
        if size is not None and seconds > running + size:
            rate = table.lookup(number, at=at)
            assert rate is not None
            seconds = _on_grid(rate, running + size)
            amount = table.price(number, seconds * 1000, at=at).amount
        return seconds, amount if amount >= held else held


def _on_grid(rate: Rate, seconds: int) -> int:
    """The first point of ``rate``'s increment grid at or past ``seconds``."""
    base = rate.free_seconds + rate.first_increment
    if seconds <= base:
        return base
    steps = -(-(seconds - base) // rate.next_increment)
    return base + steps * rate.next_increment
