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
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM

from datetime import datetime, timezone
from decimal import Decimal, DecimalException

from vosengine._time import check_aware
from vosengine.errors import InvalidArgumentType
from vosengine.ledger import InMemoryLedger, InsufficientFunds
from vosengine.ledger import _holds as _compiled_holds
from vosengine.cdr import ChainBiller
from vosengine.ledger._hold import Holds
from vosengine.ledger._memory import _State
from vosengine.money import CONTEXT, ZERO, from_units
from vosengine.prefix import longest_values as _longest_values
from vosengine.rating import Rate, RateTable
from vosengine.rating._table import _PARAMS
from vosengine.rating._afford import longest_call
from vosengine.routing import GatewayBusy, Routes, RouteTable
from vosengine.routing._plan import Candidate, Plan
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

cdef extern from "Python.h":
    void* Py_TYPE(PyObject*)
    int PyObject_IS_GC(object)
    int PyObject_GC_IsTracked(object)
    void PyObject_GC_UnTrack(void *)

include "../_digits.pxi"
include "../_slots.pxi"
include "../_prefetch.pxi"

cdef type _Holds = Holds
cdef type _ChainBiller = ChainBiller
cdef type _Rate = Rate
cdef object _Decimal = Decimal
cdef object _CONTEXT = CONTEXT

# Where an in-memory ledger account keeps ``free``, its available amount: read there, the
# amount can be fetched without being touched (an attribute read would take a reference).
cdef type _STATE = _State
cdef Py_ssize_t _FREE = _slot_offset(_State, "free")
# The ledger whose ``available`` is the compiled ``Holds.available``, which reads ``free``
cdef object _PLAIN_LEDGER = (
    InMemoryLedger if InMemoryLedger.available is _compiled_holds.Holds.available else None
)


__all__ = ["AdmitCore"]

cdef object _new_tuple = tuple.__new__

# What the router answers, and where it keeps its routes and the candidates they index
cdef type _ROUTES = Routes
cdef Py_ssize_t _FOUND = _slot_offset(Routes, "_found")
cdef Py_ssize_t _SOURCE = _slot_offset(Routes, "_source")
cdef type _CANDIDATE = Candidate
_first_field(Candidate, "gateway")

# Where a rate table and a route table keep what a call reads of them (set once, when made)
cdef type _RATE_TABLE = RateTable
cdef Py_ssize_t _BY_PREFIX = _slot_offset(RateTable, "_by_prefix")
cdef Py_ssize_t _PRICER = _slot_offset(RateTable, "_pricer")
cdef type _ROUTE_TABLE = RouteTable
cdef Py_ssize_t _PLAN = _slot_offset(RouteTable, "_plan")
cdef Py_ssize_t _ROUTER = _slot_offset(RouteTable, "_router")
cdef type _PLAN_TYPE = Plan
_first_field(Plan, "slots")


cdef inline bint _acyclic(object admitted, object rate):
    """Whether ``admitted`` can be in no reference cycle: every item is an atom or kept out
    of the collector's way (the ids, the aware datetime, the compiled ledger's hold and the
    compiled router's routes), but the customer's ``Rate``, a frozen value of atoms that no
    call can be part of. CPython's rule for a tuple of atoms, ``_PyTuple_MaybeUntrack``,
    with the rate allowed."""
    for item in <tuple>admitted:  # a named tuple, read as the tuple it is
        if item is rate:  # its collector's header, cold, is not read
            if type(rate) is not _Rate and PyObject_IS_GC(item) and PyObject_GC_IsTracked(item):
                return False
        elif PyObject_IS_GC(item) and PyObject_GC_IsTracked(item):
            return False
    return True


cdef object _longest(table, entry, number, available, limit):
    """``longest_call``'s fast path (``vosengine.rating._afford``, which this follows step
    by step) on the deck entry already found: the rating kernel's ``Pricer.longest`` on
    the budget in whole units of the table's last decimal (``budget_of``), the price back
    in money (``from_units``). ``None`` leaves the call to ``longest_call``: no pricer or
    no kernel ``Params`` for the number, an unusual amount or limit, or a price that is no
    plain line."""
    cdef int decimals
    pricer = _read(table, _RATE_TABLE, _PRICER, "_pricer")
    if (
        pricer is None
        or type(entry) is not _PARAMS
        or type(available) is not _Decimal
        or not available.is_finite()
        or type(limit) is not int
    ):
        return None
    decimals = table.rounding.decimals
    units = available.scaleb(decimals, _CONTEXT)
    budget = int(units)  # towards zero: one less for a negative amount between two units
    if units < 0 and units != budget:
        budget -= 1
    found = pricer.longest(number, budget, limit)
    if found is None:
        return None
    seconds, units = found
    if not seconds:
        return seconds, ZERO
    try:
        return seconds, _Decimal(units).scaleb(-decimals, _CONTEXT)
    except DecimalException:
        return seconds, from_units(units, decimals)  # which says why


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
        cdef PyObject* found
        cdef PyObject* state
        cdef Py_ssize_t size, offset
        cdef const char* records
        if type(call_id) is not str or not call_id:
            raise InvalidArgumentType(f"call_id: expected a non-empty str, got {call_id!r}")
        if type(at) is not datetime or (
            type(datetime_tzinfo(at)) is not timezone and at.utcoffset() is None
        ):
            check_aware(at, "at")
        if self.biller is None:
            raise TypeError("AdmitCore: the Admission's __init__ was never called")
        directory, ledger = self.directory, self.ledger
        # The account's entries in the ledger and in the directory's summaries, looked up
        # back to back so that their cache misses overlap; the ledger's is only a hint here
        # (the available amount is read from it below, from the cache).
        summary = None
        if type(account_id) is str:
            if isinstance(ledger, _Holds):
                state = PyDict_GetItem(ledger._accounts, account_id)
                if state != NULL:  # fetched, not touched: a reference would wait for it
                    VOS_PREFETCH(state)
            found = PyDict_GetItem(directory._summaries, account_id)
            if found != NULL:
                summary = <object>found  # held: the directory may replace its entry
        # stage 1, from the account's summary when it is current and no expiry date can
        # make it worse (the directory's ``_verdict`` otherwise, which makes it again); the
        # summary says whether its verdict is active without reading the verdict
        if summary is not None and summary[0] == directory._generation and not summary[2]:
            if summary[5] is not True:
                return inactive(account_id, summary[1])
        else:
            summary = None
            verdict = directory._verdict(account_id, at)
            if not verdict.allowed:
                return inactive(account_id, verdict)
        # stage 2: a number of plain ASCII digits is what normalize_number returns as it
        # is, and the summary says whether the sections allow it (their prefix look-up and
        # its default, as the directory's ``_allows`` reads them); anything else, and every
        # refusal, is the stage's (``check_number``)
        if summary is not None and _digits(callee) and summary[3](callee, summary[4]):
            number = callee
        else:
            number = self.check_number(account_id, callee)
            if isinstance(number, Rejected):
                return number
        held_state = None
        if isinstance(ledger, _Holds) and type(account_id) is str:
            # the ledger's entry has arrived by now: start fetching the amount that is read
            # below (looked up again: the first pointer was borrowed, and Python code has
            # run since); an in-memory ledger keeps an account's entry for its life
            state = PyDict_GetItem(ledger._accounts, account_id)
            if state != NULL and Py_TYPE(state) == <void*>_STATE:
                held_state = <object>state
                if _field(held_state, _FREE) != NULL:
                    VOS_PREFETCH(_field(held_state, _FREE))
        # ChainBiller.table_for, whose error an account without a table gets
        biller = self.biller
        table = None
        if type(biller) is _ChainBiller and type(account_id) is str:
            table = (<object>biller)._table_of(account_id)
        if table is None:
            table = biller.table_for(account_id)
        # the customer's deck and the routing plan walked in lock step (their cache misses
        # overlap); a deck entry the kernel prices is one undated rate (RateTable._find)
        route_table = self.routes
        plan = _read(route_table, _ROUTE_TABLE, _PLAN, "_plan")
        entry, stored = _longest_values(
            number,
            (
                _read(table, _RATE_TABLE, _BY_PREFIX, "_by_prefix"),
                <object>PyTuple_GET_ITEM(plan, 0) if type(plan) is _PLAN_TYPE else plan.slots,
            ),
        )
        rate = entry.rate if type(entry) is _PARAMS else table._find(number, at)[0]
        if rate is None:
            return no_rate(account_id, number, at)
        # the router reads the rate and the slot's records: start fetching them now
        VOS_PREFETCH(<PyObject*>rate)
        if type(stored) is bytes:  # its first lines: the header and the first records
            size = min(PyBytes_GET_SIZE(stored), 512)
            records = PyBytes_AS_STRING(stored)
            for offset in range(0, size + 63, 64):
                VOS_PREFETCH(records + offset)
        if held_state is not None and type(ledger) is _PLAIN_LEDGER and (
            _field(held_state, _FREE) != NULL
        ):  # what the compiled Holds.available reads, read here
            available = <object>_field(held_state, _FREE)
        else:
            available = ledger.available(account_id)
        if self.first_slice is None:
            afford = _longest(table, entry, number, available, self.limit)
            if afford is None:
                afford = longest_call(table, number, available, at, self.limit)
        else:
            afford = self._affordable(table, number, available, at, ZERO, 0)
        if not afford[0]:
            return unaffordable(account_id, table, number, at, available)
        # the routes: RouteTable.route without its keyword-only front, on the slot found
        load = self.load
        routes = _read(route_table, _ROUTE_TABLE, _ROUTER, "_router").route(
            number, account_id, at, now, caller, rate, load, self.balances, None, stored
        )
        if (
            type(routes) is _ROUTES
            and _field(routes, _FOUND) != NULL
            and _field(routes, _SOURCE) != NULL
        ):  # its fields, read where they are kept
            found_routes = <object>_field(routes, _FOUND)
            source = <object>_field(routes, _SOURCE)
        else:
            found_routes, source = routes._found, routes._source
        if not found_routes:  # what Routes.__bool__, __len__ and gateway read
            return no_router(routes, number)
        first = found_routes[0]
        if type(first) is int and type(source) is tuple and 0 <= first < len(source):
            # the first route's candidate, cold, is read for its gateway once held
            VOS_PREFETCH(PyTuple_GET_ITEM(source, first))
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
            count = len(found_routes)
            try:
                while attempt < count:
                    try:
                        item = found_routes[attempt]  # its gateway, as gateway_at reads it
                        if type(item) is not int:
                            gateway = item[0]
                        else:
                            candidate = source[item]
                            gateway = (
                                <object>PyTuple_GET_ITEM(candidate, 0)
                                if type(candidate) is _CANDIDATE
                                else candidate.gateway
                            )
                        load.acquire(gateway, call_id, now=now)
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
        admitted = _new_tuple(
            Admitted,
            (call_id, account_id, number, at, routes, attempt, afford[0], reservation, rate),
        )
        if _acyclic(admitted, rate):
            # an open call is kept while the collector runs, which would walk what it refers
            # to on every pass (the customer's rate, cold): it can be in no cycle
            PyObject_GC_UnTrack(<PyObject*>admitted)
        return admitted
