# cython: language_level=3, boundscheck=False, wraparound=False
"""What admission asks the embedded ledger on every call, compiled: the same contract and
state as ``_holds_py.Holds`` (which documents them).

A hold and its release run here without a Python frame: the amount is put on the ledger's
grid by one ``quantize`` in the library's context (anything unusual goes to the ledger's own
check, ``_at_least_zero``, for its error), the account is found with one look-up, and the
reservation is made as its named tuple is. What is rare stays in the ledger's Python code and
is called from here: the overdraft rule when a hold exceeds what is available (``_hold``),
the low-balance watch (``_watch``), and the error of an unknown account (``_state``)."""

from cpython.datetime cimport datetime_tzinfo, import_datetime
from cpython.dict cimport PyDict_DelItem, PyDict_GetItem, PyDict_SetItem
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE

import threading
from datetime import datetime, timezone
from decimal import Decimal, DecimalException

from vosengine._time import check_aware
from vosengine.money import CONTEXT, MAX_INTEGER_DIGITS
from vosengine.ledger._calls import _find
from vosengine.ledger._values import Reservation, UnknownReservation

cdef extern from "Python.h":
    int PyObject_IS_GC(object)
    int PyObject_GC_IsTracked(object)
    void PyObject_GC_UnTrack(void *)
    int PyTuple_CheckExact(object)

import_datetime()

__all__ = ["Holds"]

cdef object _quantize = CONTEXT.quantize
cdef object _add = CONTEXT.add
cdef object _sub = CONTEXT.subtract
cdef object _new_tuple = tuple.__new__
cdef object _ZERO = Decimal(0)
cdef int _MAX_DIGITS = MAX_INTEGER_DIGITS


cdef inline bint _of_atoms(object made):
    """Whether no item of the tuple ``made`` can be part of a reference cycle: CPython's rule
    for untracking a tuple (``_PyTuple_MaybeUntrack``), which it applies to plain tuples
    only."""
    cdef Py_ssize_t i
    for i in range(PyTuple_GET_SIZE(made)):
        item = <object>PyTuple_GET_ITEM(made, i)
        if PyObject_IS_GC(item) and (not PyTuple_CheckExact(item) or PyObject_GC_IsTracked(item)):
            return False
    return True


cdef inline bint _aware(object value):
    """Whether ``value`` is a ``datetime`` taken as aware without asking its ``tzinfo`` (a
    fixed offset) or by asking it; anything else goes to ``check_aware`` for its error."""
    return type(value) is datetime and (
        type(datetime_tzinfo(value)) is timezone or value.utcoffset() is not None
    )


cdef class Holds:
    """The available amount, the hold and its release of ``InMemoryLedger``, under its one
    lock (compiled; see ``vosengine.ledger._holds_py.Holds``)."""

    cdef object _the_lock, _acquire, _release
    cdef public dict _accounts
    cdef public dict _reservations
    cdef public list _events
    cdef long long _next_id

    def _init_holds(self):
        """The state, empty (from the ledger's ``__init__``)."""
        self._lock = threading.Lock()
        self._accounts = {}
        self._reservations = {}
        self._events = []
        self._next_id = 1

    @property
    def _lock(self):
        """The ledger's one lock, which its Python code holds with ``with``; the compiled
        methods take it through its bound methods, kept with it when it is replaced."""
        return self._the_lock

    @_lock.setter
    def _lock(self, lock):
        self._acquire, self._release = lock.acquire, lock.release
        self._the_lock = lock

    cdef inline int _ready(self) except -1:
        if self._accounts is None:
            raise TypeError("Holds: the ledger's __init__ was never called")
        return 0

    def available(self, account_id):
        """What a new call may still use: ``balance(account_id).available`` without the
        ``Balance`` (the read admission makes on every call)."""
        cdef PyObject *state
        self._ready()
        if type(account_id) is str:  # one amount, replaced whole by every change
            state = PyDict_GetItem(self._accounts, account_id)
            if state != NULL:
                return (<object>state).free
        return self._state(account_id).free

    def reserve(self, account_id, amount, call_id, *, now):
        """Hold ``amount`` (>= 0) for a call. Beyond ``available`` the overdraft action
        decides: BLOCK and SUSPEND raise ``InsufficientFunds`` (SUSPEND also emits
        ``SUSPEND_ACCOUNT``), WARN holds it and emits ``OVERDRAFT_WARNING``."""
        cdef PyObject *found
        self._ready()
        amount = self._on_grid(amount)
        if not _aware(now):
            check_aware(now, "now")
        self._acquire()
        try:
            found = PyDict_GetItem(self._accounts, account_id) if type(account_id) is str else NULL
            state = self._state(account_id) if found == NULL else <object>found
            before = state.free
            if amount > before:  # the overdraft rule decides, and may refuse
                before = self._hold(account_id, state, amount, call_id, now)
            reservation = _new_tuple(
                Reservation, (self._next_id, account_id, amount, call_id, now)
            )
            self._next_id += 1
            if _of_atoms(reservation):
                # a reservation of atoms (ids, amounts, an aware datetime) can be in no cycle:
                # kept out of the collector's way, as CPython keeps a plain tuple of atoms
                PyObject_GC_UnTrack(<PyObject *>reservation)
            state.free = _sub(before, amount)
            PyDict_SetItem(self._reservations, reservation[0], reservation)
            if state.low_balance is not None:
                self._watch(account_id, state, before, now)
            return reservation
        finally:
            self._release()

    cdef object _on_grid(self, amount):
        """``amount`` on the ledger's grid, >= 0: the plain case here, anything else by the
        ledger's own check (which raises naming it)."""
        if type(amount) is Decimal and amount.is_finite():
            try:
                exact = _quantize(amount, self._quantum)
            except DecimalException:  # off the grid: said by the check below
                pass
            else:
                if exact.adjusted() < _MAX_DIGITS and exact >= _ZERO:
                    return exact
        return self._at_least_zero(amount, "amount")

    def release(self, reservation_id, *, now):
        """Free a hold unused (the call failed)."""
        cdef PyObject *found
        self._ready()
        if not _aware(now):
            check_aware(now, "now")
        self._acquire()
        try:
            found = (
                PyDict_GetItem(self._reservations, reservation_id)
                if type(reservation_id) is int
                else NULL
            )
            if found != NULL:
                reservation = <object>found
                PyDict_DelItem(self._reservations, reservation_id)
            else:  # not open, or no int: the twin's look-up, which names a bad id
                reservation = _find(self._reservations, reservation_id, pop=True)
            if reservation is None:
                raise UnknownReservation(f"reservation {reservation_id!r} is not open")
            state = self._accounts[reservation[1]]
            state.free = _add(state.free, reservation[2])
        finally:
            self._release()
