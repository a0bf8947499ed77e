# cython: language_level=3, boundscheck=False, wraparound=False
"""``Admission.admit`` compiled: the same composition of the same stages as
``_admit_py.AdmitCore.admit`` (which documents it), with the glue between them in C.

The stages stay where they are written -- the directory's status verdict, ``check_number``,
the rate table, the ledger, the router, the load -- and so do the refusals (``_refusals``);
what runs here is what joins them: the checks of the call's arguments, the route table's
router called directly, the hold (tried again on a race, as ``Admission._reserve`` does),
the first gateway slot that can be taken (as ``Admission._take``), and the answer built as
its named tuple is. The parts of an ``Admission`` are fields of this base, read from C."""

from cpython.datetime cimport datetime_tzinfo, import_datetime

from datetime import datetime, timezone

from vosengine._time import check_aware
from vosengine.errors import InvalidArgumentType
from vosengine.ledger import InsufficientFunds
from vosengine.money import ZERO
from vosengine.rating._afford import longest_call
from vosengine.routing import GatewayBusy
from vosengine.admission._outcomes import Admitted, Rejected
from vosengine.admission._refusals import (
    RACES as _RACES,
    inactive,
    no_rate,
    no_router,
    raced,
    unaffordable,
)

import_datetime()

__all__ = ["AdmitCore"]

cdef object _new_tuple = tuple.__new__


cdef class AdmitCore:
    """``admit``, on the parts and stages of ``Admission`` (compiled; see
    ``vosengine.admission._admit_py.AdmitCore``)."""

    cdef public object directory, biller, ledger, routes, load, balances, limit, first_slice

    def admit(self, account_id, callee, *, call_id, at, now, caller=""):
        """May ``account_id`` call ``callee``? The stages in order -- status, number
        sections, customer rate, balance, routing -- and the first refusal is the answer.

        Nothing is held for a refused call: the hold is taken once the balance and the
        routes both allow the call (the answer is the one the stages give in order), and a
        gateway slot last; when every gateway filled up meanwhile, the hold is released. An
        unknown account, ledger account or rate table is an error (the host's set-up is
        wrong), not a refusal."""
        cdef Py_ssize_t attempt, count
        if type(call_id) is not str or not call_id:
            raise InvalidArgumentType(f"call_id: expected a non-empty str, got {call_id!r}")
        if type(at) is not datetime or (
            type(datetime_tzinfo(at)) is not timezone and at.utcoffset() is None
        ):
            check_aware(at, "at")
        if self.biller is None:
            raise TypeError("AdmitCore: the Admission's __init__ was never called")
        verdict = self.directory._verdict(account_id, at)
        if not verdict.allowed:
            return inactive(account_id, verdict)
        number = self.check_number(account_id, callee)
        if isinstance(number, Rejected):
            return number
        table = self.biller.table_for(account_id)
        rate = table._find(number, at)[0]
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
        # the routes: RouteTable.route without its keyword-only front (Admission._routes)
        load = self.load
        routes = self.routes._router.route(
            number, account_id, at, now, caller, rate, load, self.balances, None
        )
        if not routes:
            return no_router(routes, number)
        # the hold, sized again on what is left after a race (Admission._reserve)
        for _ in range(_RACES):
            try:
                reservation = ledger.reserve(account_id, afford[1], call_id, now=at)
            except InsufficientFunds:
                afford = self._afford(account_id, table, number, at)
                if isinstance(afford, Rejected):
                    return afford
                continue
            break
        else:
            return raced(account_id)
        # the first gateway slot that can be taken (Admission._take)
        attempt = 0
        if load is not None:
            count = len(routes)
            try:
                while attempt < count:
                    try:
                        load.acquire(routes.gateway(attempt), call_id, now=now)
                    except GatewayBusy:
                        attempt += 1
                        continue
                    break
            except BaseException:
                ledger.release(reservation.id, now=at)
                raise
            if attempt == count:  # every gateway filled up since the table read the load
                ledger.release(reservation.id, now=at)
                return no_router(routes, number)
        return _new_tuple(
            Admitted,
            (call_id, account_id, number, at, routes, attempt, afford[0], reservation, rate),
        )
