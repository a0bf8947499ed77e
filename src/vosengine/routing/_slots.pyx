# cython: language_level=3, boundscheck=False, wraparound=False, embedsignature=False
"""The load of the gateways, compiled: the same contract as ``_slots_py.Load`` (which
documents it), with the call table, the counts and the lock in C.

A slot is taken and given back on every call a switch carries, so both run here without a
Python frame: one look-up in the call table, one count moved, under a lock of the C runtime.
The memory of recent releases is a ring of call ids: release number ``k`` sits at index
``(k - 1) % remember``, so the oldest one remembered is overwritten by the next release.
Gateways with a CPS limit count their attempts with the same
:class:`~vosengine.abuse.SlidingWindowCounter` as the twin."""

from cpython.dict cimport PyDict_DelItem, PyDict_GetItem, PyDict_SetItem
from cpython.list cimport PyList_Append, PyList_GET_ITEM
from cpython.long cimport PyLong_FromLongLong
from cpython.object cimport PyObject
from cpython.pythread cimport (
    NOWAIT_LOCK,
    WAIT_LOCK,
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_free_lock,
    PyThread_release_lock,
    PyThread_type_lock,
)

from vosengine._checks import check_type, not_a_key
from vosengine.abuse import SlidingWindowCounter
from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.routing._busy import CPS_WINDOW as _CPS_WINDOW, UnknownCall, busy, call_id_of
from vosengine.routing._gateway import Filter, Gateway

__all__ = ["Load"]

cdef object _OVER_CAPACITY = Filter.OVER_CAPACITY
cdef object _OVER_CPS = Filter.OVER_CPS


cdef class Load:
    """Calls in progress per gateway and their attempts in the last second.

    :meth:`acquire` checks a gateway's capacity and CPS limit and takes a slot in one step,
    so two threads cannot both take the last one; :meth:`release` gives it back. Thread-safe:
    every method holds one lock for O(1) work. The host mutates it; a
    :class:`~vosengine.routing.RouteTable` only reads it.

    A release of a call released before is a no-op (a BYE and a timeout may both report the
    end); the call ids of the last ``remember`` releases are kept to tell such a repeat from a
    call that never held a gateway (:class:`UnknownCall`). Compiled; its pure-Python twin,
    ``vosengine.routing._slots_py.Load``, has the same contract and an example."""

    cdef PyThread_type_lock _lock
    cdef readonly dict _calls
    cdef readonly dict _concurrent
    cdef readonly dict _attempts
    cdef list _ring
    cdef long long _releases, _remember

    def __cinit__(self):
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError()

    def __dealloc__(self):
        if self._lock != NULL:
            PyThread_free_lock(self._lock)
            self._lock = NULL

    def __init__(self, *, remember=100_000):
        if isinstance(remember, bool) or not isinstance(remember, int):
            raise InvalidArgumentType(f"remember: expected an int, got {remember!r}")
        if remember < 1:
            raise InvalidArgument(f"remember: {remember} is below 1")
        self._enter()
        try:
            # call id -> the id of the gateway it holds, or, once released and while it is
            # remembered, the number of its release (see the twin)
            self._calls = {}
            self._concurrent = {}
            self._attempts = {}
            self._ring = []
            self._releases = 0
            self._remember = min(remember, 1 << 62)  # more releases than ever happen
        finally:
            PyThread_release_lock(self._lock)

    cdef inline int _enter(self) except -1:
        """Take the lock: at once when it is free, else waiting without the GIL."""
        if not PyThread_acquire_lock(self._lock, NOWAIT_LOCK):
            with nogil:
                PyThread_acquire_lock(self._lock, WAIT_LOCK)
        return 0

    cdef inline int _ready(self) except -1:
        if self._calls is None:
            raise TypeError("Load: __init__ was never called")
        return 0

    def __reduce__(self):
        raise TypeError("cannot pickle a Load: it is the state of this process's calls")

    def concurrent(self, gateway):
        """How many calls hold ``gateway`` (its id) now."""
        self._ready()
        try:
            return self._concurrent.get(gateway, 0)
        except TypeError:
            raise not_a_key(gateway, "gateway") from None

    def holder(self, call_id):
        """The id of the gateway ``call_id`` holds now, or ``None``."""
        self._ready()
        try:
            held = self._calls.get(call_id)
        except TypeError:
            raise not_a_key(call_id, "call_id") from None
        return held if type(held) is str else None

    def attempts(self, gateway, *, now):
        """Call attempts through ``gateway`` in the second before ``now`` (at most its CPS
        limit: the count saturates there)."""
        self._ready()
        self._enter()
        try:
            try:
                counter = self._attempts.get(gateway)
            except TypeError:
                raise not_a_key(gateway, "gateway") from None
            return 0 if counter is None else counter.count(gateway, now=now)
        finally:
            PyThread_release_lock(self._lock)

    def refusal(self, gateway, *, now):
        """Why ``gateway`` cannot take one more call at ``now`` (``None``: it can)."""
        check_type(gateway, Gateway, "gateway")
        self._ready()
        self._enter()
        try:
            return self._refusal(gateway, now)
        finally:
            PyThread_release_lock(self._lock)

    cdef object _refusal(self, gateway, now):
        capacity = gateway.capacity
        if capacity is not None and self._concurrent.get(gateway.id, 0) >= capacity:
            return _OVER_CAPACITY
        cps = gateway.cps
        if cps is not None:
            if cps == 0:
                return _OVER_CPS
            counter = self._attempts.get(gateway.id)
            if counter is not None and counter.count(gateway.id, now=now) >= cps:
                return _OVER_CPS
        return None

    def acquire(self, gateway, call_id, *, now):
        """Take a slot of ``gateway`` for ``call_id`` at ``now`` (monotonic seconds) and count
        the attempt. Raises :class:`GatewayBusy` at capacity or at the CPS limit, and
        :class:`~vosengine.errors.InvalidArgument` for a call id that holds a gateway."""
        cdef PyObject *held
        cdef PyObject *count
        if type(gateway) is not Gateway and not isinstance(gateway, Gateway):
            raise InvalidArgumentType(f"gateway: expected a Gateway, got {gateway!r}")
        if type(call_id) is not str or not call_id:
            call_id = call_id_of(call_id)
        self._ready()
        gateway_id = gateway.id
        self._enter()
        try:
            held = PyDict_GetItem(self._calls, call_id)
            if held != NULL and type(<object>held) is str:
                raise InvalidArgument(
                    f"call_id: {call_id!r} holds gateway {<object>held!r} already"
                )
            if gateway.capacity is not None or gateway.cps is not None:
                self._count(gateway, now)
            PyDict_SetItem(self._calls, call_id, gateway_id)  # taken again after a release
            count = PyDict_GetItem(self._concurrent, gateway_id)
            PyDict_SetItem(
                self._concurrent, gateway_id, 1 if count == NULL else <object>count + 1
            )
        finally:
            PyThread_release_lock(self._lock)

    cdef int _count(self, gateway, now) except -1:
        """Refuse a call ``gateway`` has no room for at ``now``, else count its attempt.
        Under the lock."""
        refusal = self._refusal(gateway, now)
        if refusal is not None:
            raise busy(gateway.id, refusal, gateway.capacity, gateway.cps)
        cps = gateway.cps
        if cps is not None:
            counter = self._attempts.get(gateway.id)
            if counter is None or counter.limit != cps:
                counter = SlidingWindowCounter(window=_CPS_WINDOW, limit=cps, max_keys=1)
                self._attempts[gateway.id] = counter
            counter.hit(gateway.id, now=now)
        return 0

    def release(self, call_id):
        """Give back the slot ``call_id`` holds. Releasing it again is a no-op; a call id
        that never held a slot raises :class:`UnknownCall`."""
        cdef PyObject *held
        cdef long long number, index
        if type(call_id) is not str or not call_id:
            call_id = call_id_of(call_id)
        self._ready()
        self._enter()
        try:
            calls = self._calls
            held = PyDict_GetItem(calls, call_id)
            if held == NULL:
                raise UnknownCall(f"call_id: {call_id!r} holds no gateway")
            gateway = <object>held
            if type(gateway) is not str:
                return  # released before, and still remembered
            left = self._concurrent[gateway] - 1
            if left:
                PyDict_SetItem(self._concurrent, gateway, left)
            else:
                PyDict_DelItem(self._concurrent, gateway)
            self._releases += 1
            number = self._releases
            PyDict_SetItem(calls, call_id, PyLong_FromLongLong(number))
            ring = self._ring
            if len(ring) < self._remember:
                PyList_Append(ring, call_id)
                return
            # forget the oldest release remembered, unless its call was taken since
            index = (number - 1) % self._remember
            oldest = <object>PyList_GET_ITEM(ring, index)
            ring[index] = call_id
            held = PyDict_GetItem(calls, oldest)
            if held != NULL and (<object>held) == number - self._remember:
                PyDict_DelItem(calls, oldest)
        finally:
            PyThread_release_lock(self._lock)

    def _check(self):
        """Assert the internal invariants (for tests)."""
        cdef long long first, number
        self._ready()
        self._enter()
        try:
            counts = {}
            marks = {}
            for call_id, held in self._calls.items():
                if type(held) is str:
                    counts[held] = counts.get(held, 0) + 1
                else:
                    marks[call_id] = held
            assert counts == self._concurrent, (counts, self._concurrent)
            assert len(self._ring) <= self._remember
            first = max(1, self._releases - self._remember + 1)
            released = {
                (self._ring[(number - 1) % self._remember], number)
                for number in range(first, self._releases + 1)
            }
            # every remembered release is the last one of its call, and in the ring
            assert set(marks.items()) <= released, (marks, released)
        finally:
            PyThread_release_lock(self._lock)
