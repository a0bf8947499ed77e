"""``Admission.admit``: the stages composed for one call, as the base of
:class:`~vosengine.admission.Admission` (pure Python; ``_admit.pyx`` is its compiled twin,
``vosengine.admission._core`` picks one). The stages themselves, and every refusal, are
written once, in ``Admission`` and ``_refusals``; this is only their composition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal

from .._time import check_aware
from ..accounts import AccountDirectory
from ..cdr import ChainBiller
from ..errors import InvalidArgumentType
from ..ledger import Ledger, Reservation
from ..money import ZERO
from ..prefix import longest_values
from ..rating import RateTable
from ..rating._afford import longest_call
from ..rating._table import _PARAMS
from ..routing import BalanceSource, Load, Routes, RouteTable
from ._outcomes import Admitted, Rejected
from ._refusals import inactive, no_rate, no_router, unaffordable

__all__ = ["AdmitCore"]

# a named tuple made from its fields in one step, without the Python-level ``__new__`` its
# class defines (which does only this)
_make = tuple.__new__


class AdmitCore:
    """:meth:`admit`, on the parts and stages of :class:`Admission`."""

    directory: AccountDirectory
    biller: ChainBiller
    ledger: Ledger
    routes: RouteTable
    load: Load | None
    balances: BalanceSource | None
    limit: int
    first_slice: int | None
    check_number: Callable[[str, str], str | Rejected]
    _affordable: Callable[[RateTable, str, Decimal, datetime, Decimal, int], tuple[int, Decimal]]
    _reserve: Callable[
        [str, RateTable, str, str, datetime, tuple[int, Decimal]],
        tuple[Reservation, int] | Rejected,
    ]
    _take: Callable[[Routes, str, float], int | None]

    def admit(
        self,
        account_id: str,
        callee: str,
        *,
        call_id: str,
        at: datetime,
        now: float,
        caller: str = "",
    ) -> Admitted | Rejected:
        """May ``account_id`` call ``callee``? The stages in order -- status, number
        sections, customer rate, balance, routing -- and the first refusal is the answer.

        Nothing is held for a refused call: the hold is taken once the balance and the
        routes both allow the call (the answer is the one the stages give in order), and a
        gateway slot last; when every gateway filled up meanwhile, the hold is released. An
        unknown account, ledger account or rate table is an error (the host's set-up is
        wrong), not a refusal."""
        if type(call_id) is not str or not call_id:
            raise InvalidArgumentType(f"call_id: expected a non-empty str, got {call_id!r}")
        if type(at) is not datetime or (type(at.tzinfo) is not timezone and at.utcoffset() is None):
            check_aware(at, "at")
        # the stages inline, on what is checked and normalised once (see each stage)
        verdict = self.directory._verdict(account_id, at)
        if not verdict.allowed:
            return inactive(account_id, verdict)
        number = self.check_number(account_id, callee)
        if isinstance(number, Rejected):
            return number
        table = self.biller.table_for(account_id)
        # the customer's deck and the routing plan looked up at once (the compiled prefix
        # engine walks them in lock step); a deck entry the kernel prices is one undated
        # rate, anything else is the table's to read
        route_table = self.routes
        entry, stored = longest_values(number, (table._by_prefix, route_table._plan.slots))
        rate = entry.rate if type(entry) is _PARAMS else table._find(number, at)[0]
        if rate is None:
            return no_rate(account_id, number, at)
        ledger = self.ledger
        available = ledger.available(account_id)
        if self.first_slice is None:
            afford = longest_call(table, number, available, at, self.limit)
        else:
            afford = self._affordable(table, number, available, at, ZERO, 0)
        if not afford[0]:
            return unaffordable(account_id, table, number, at, available)
        routes = route_table._router.route(
            number, account_id, at, now, caller, rate, self.load, self.balances, None, stored
        )
        if not routes:
            return no_router(routes, number)
        held = self._reserve(account_id, table, number, call_id, at, afford)
        if isinstance(held, Rejected):
            return held
        reservation, seconds = held
        try:
            attempt = self._take(routes, call_id, now)
        except BaseException:
            ledger.release(reservation.id, now=at)
            raise
        if attempt is None:
            ledger.release(reservation.id, now=at)
            return no_router(routes, number)
        return _make(
            Admitted,
            (call_id, account_id, number, at, routes, attempt, seconds, reservation, rate),
        )
