# cython: language_level=3, boundscheck=False, wraparound=False
"""The router, the hot path of ``RouteTable.route()`` (compiled; ``_walk_py.py`` is its twin
and documents the contract)."""

import random

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.datetime cimport datetime_tzinfo, import_datetime
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_Append
from cpython.long cimport PyLong_AsLongLong, PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject
from cpython.set cimport PySet_Contains
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport isfinite
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uintptr_t

from datetime import datetime, timezone

from vosengine.rating import Rate
from vosengine.routing._filters import (
    CODE,
    SHIFT,
    bound_of,
    check_call,
    customer_rate_required,
    finish,
    judge,
    judge_every,
)
from vosengine.routing._gateway import Filter
from vosengine.routing._load import Load
from vosengine.routing._plan import (
    AT_TOP,
    DYNAMIC,
    FAST,
    HEADER,
    JUDGE,
    LIMIT,
    NO_PRICE,
    RECORD,
    packed_limit,
    policy,
)
from vosengine.routing._routes import Routes

__all__ = ["Router"]

import_datetime()

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void *)
    object PyType_GenericAlloc(object cls, Py_ssize_t items)
    void Py_INCREF(object)

include "../_digits.pxi"
include "../_slots.pxi"
include "../_prefetch.pxi"

cdef extern from *:
    ctypedef long long int128 "__int128"

cdef struct Header:
    uint32_t count
    int32_t top
    uint32_t index
    uint8_t flags
    uint8_t pad[3]

cdef struct Row:
    int64_t price
    uint16_t gate
    uint16_t position
    uint8_t flags
    uint8_t pad[3]

assert RECORD.size == sizeof(Row)
assert HEADER.size == sizeof(Header)

cdef int _AT_TOP = AT_TOP
cdef int _JUDGE = JUDGE
cdef int _NO_PRICE = NO_PRICE
cdef int _SHIFT = SHIFT
cdef int64_t _LIMIT = LIMIT
cdef long long _SMALL = 1 << 31  # terms below this in size multiply in 128 bits exactly
cdef int _FAST = FAST, _DYNAMIC = DYNAMIC
cdef long _DISABLED = CODE[Filter.DISABLED]
cdef long _REFUSED = CODE[Filter.CLIENT_REFUSED]
cdef long _NOT_ALLOWED = CODE[Filter.CLIENT_NOT_ALLOWED]
cdef long _NO_RATE = CODE[Filter.NO_VENDOR_RATE]
cdef long _ABOVE_CAP = CODE[Filter.ABOVE_MAX_RATE]
cdef long _BELOW_FLOOR = CODE[Filter.BELOW_MIN_PROFIT]


#: ``Router.route``'s ``stored`` when the caller did not look the plan's slot up
cdef object _UNWALKED = object()


#: The fields of a ``Routes`` in the order of its ``__init__``'s arguments, then the caches
#: it starts without (``None``); where each is kept, to fill a ``Routes`` without a frame.
_ROUTE_FIELDS = (
    "_settings", "_found", "_gone", "_source", "_callee", "_caller", "_client", "_cap",
    "_floor", "_rate", "_made", "_routes", "_removed",
)
cdef type _ROUTES = Routes
if set(_ROUTE_FIELDS) != set(Routes.__slots__) or Routes.__new__ is not object.__new__:
    raise ImportError("vosengine.routing._routes.Routes is not the one _walk fills")
cdef Py_ssize_t _AT[13]
for _index, _name in enumerate(_ROUTE_FIELDS):
    _AT[_index] = _slot_offset(Routes, _name)


cdef inline void _put(object into, Py_ssize_t field, object value) noexcept:
    """Field ``field`` (an index of ``_ROUTE_FIELDS``) of ``into``, fresh and empty, set."""
    Py_INCREF(value)
    (<PyObject**>((<char*><PyObject*>into) + _AT[field]))[0] = <PyObject*>value


cdef object _routes(
    settings, list found, list gone, source, callee, caller, client, cap, floor, rate
):
    """``Routes(settings, found, gone, ...)``, filled as its ``__init__`` fills it (which
    ``test_routing_model`` checks field by field), without the Python frame, and kept out
    of the collector's way: a ``Routes`` is read-only once made and refers only to
    immutable values and to caches of them (routes made on first read), so it can be in no
    cycle. An open call keeps it, and every pass of the collector would read what it refers
    to, most of it cold."""
    routes = PyType_GenericAlloc(_ROUTES, 0)  # every slot empty
    _put(routes, 0, settings)
    _put(routes, 1, tuple(found))
    _put(routes, 2, tuple(gone))
    _put(routes, 3, source)
    _put(routes, 4, callee)
    _put(routes, 5, caller)
    _put(routes, 6, client)
    _put(routes, 7, cap)
    _put(routes, 8, floor)
    _put(routes, 9, rate)
    _put(routes, 10, None)
    _put(routes, 11, None)
    _put(routes, 12, None)
    PyObject_GC_UnTrack(<PyObject *>routes)
    return routes


cdef class _Policy:
    cdef object settings, cap, floor
    cdef bint cost_first, weighted, longest_only, small_floor
    cdef int64_t cap_limit, fn, fd, common

    def __init__(self, chosen, common):
        floor = chosen.floor
        self.small_floor = floor is not None and all(-_SMALL < term < _SMALL for term in floor)
        if self.small_floor:
            self.fn, self.fd = floor
        self.common = common if 0 < common < _LIMIT else 0
        self.settings = chosen.settings
        self.cost_first = chosen.cost_first
        self.weighted = chosen.weighted
        self.longest_only = chosen.longest_only
        self.cap = chosen.cap
        self.floor = chosen.floor
        self.cap_limit = chosen.cap_limit


cdef class Router:
    """Routes calls over a plan (see ``vosengine.routing._walk_py.Router``)."""

    cdef object _slots, _anywhere, _ids, _allowed, _refused, _rng, _common
    cdef tuple _candidates
    cdef dict _policies
    cdef _Policy _default
    cdef bint _rewrites
    cdef Py_ssize_t _count
    cdef int64_t* _capacity
    cdef uint8_t* _disabled
    cdef uint8_t* _judged

    def __cinit__(self):
        self._capacity = NULL
        self._disabled = NULL
        self._judged = NULL

    def __init__(self, plan, settings, client_settings, rng, rewrites):
        cdef Py_ssize_t index
        self._slots = plan.slots
        self._candidates = tuple(plan.candidates)
        if not all(type(candidates) is tuple for candidates in self._candidates):
            raise TypeError("plan: expected the candidates of each slot as a tuple")
        self._anywhere = plan.anywhere
        self._common = plan.common
        self._default = _Policy(policy(settings, plan.common), plan.common)
        self._policies = {
            client: _Policy(policy(value, plan.common), plan.common)
            for client, value in client_settings.items()
        }
        self._rng = rng
        self._rewrites = rewrites
        gates = tuple(plan.gates)
        self._count = len(gates)
        self._ids = tuple(gate.id for gate in gates)
        self._allowed = tuple(gate.allowed for gate in gates)
        self._refused = tuple(gate.refused for gate in gates)
        self._capacity = <int64_t*>PyMem_Malloc(sizeof(int64_t) * (self._count + 1))
        self._disabled = <uint8_t*>PyMem_Malloc(self._count + 1)
        self._judged = <uint8_t*>PyMem_Malloc(self._count + 1)
        if self._capacity == NULL or self._disabled == NULL or self._judged == NULL:
            raise MemoryError()
        for index in range(self._count):
            gate = gates[index]
            self._capacity[index] = gate.capacity
            self._disabled[index] = gate.disabled
            self._judged[index] = gate.judged

    def __dealloc__(self):
        PyMem_Free(self._capacity)
        PyMem_Free(self._disabled)
        PyMem_Free(self._judged)

    def route(
        self,
        object callee,
        object client,
        object at,
        object now,
        object caller,
        object customer_rate,
        object load,
        object balances,
        object rng,
        object stored=_UNWALKED,
    ):
        """The routes of one call, on the plan's slot ``stored`` when the caller looked it
        up (see ``vosengine.routing._walk_py.Router.route``)."""
        cdef _Policy chosen
        cdef object cap, floor, context = None, slot, source, concurrent = None
        cdef object verdict, refused, allowed
        cdef int64_t limit, cap_limit, capacity
        cdef list found = [], gone = []
        cdef const Header* header
        cdef const Row* row
        cdef Py_ssize_t n, i, index
        cdef long position
        cdef int flags
        cdef bint again, longest_only
        cdef PyObject* source_at
        cdef PyObject* found_policy
        if not (
            type(callee) is str
            and _digits(callee)
            and type(caller) is str
            and (not caller or _digits(caller))
            and type(client) is str
            and type(at) is datetime
            and (type(datetime_tzinfo(at)) is timezone or at.utcoffset() is not None)
            and type(now) is float
            and isfinite(<double>now)
            and (load is None or type(load) is Load)
            and (customer_rate is None or type(customer_rate) is Rate)
            and (rng is None or isinstance(rng, random.Random))
        ):  # anything but the plain case: the full checks, which normalise or raise
            callee, caller, now = check_call(
                callee, client, at, now, caller, customer_rate, load, rng
            )
            stored = _UNWALKED  # the slot given was looked up for the number before it was read
        slot = self._slots.longest_value(callee) if stored is _UNWALKED else stored
        if slot is not None and (
            type(slot) is not bytes or PyBytes_GET_SIZE(slot) < <Py_ssize_t>sizeof(Header)
        ):
            raise TypeError(f"plan: expected a packed slot, got {slot!r}")
        header = NULL if slot is None else <const Header*>PyBytes_AS_STRING(slot)
        if header != NULL:
            if header.index >= <size_t>len(self._candidates):
                raise ValueError("a plan slot names candidates the plan does not have")
            # the slot's candidates, cold: fetched while the policy is read
            VOS_PREFETCH(VOS_TUPLE_ITEMS(<PyObject*>self._candidates) + header.index)
        found_policy = PyDict_GetItem(self._policies, client) if self._policies else NULL
        chosen = self._default if found_policy == NULL else <_Policy>found_policy
        cap = chosen.cap
        limit = cap_limit = chosen.cap_limit
        floor = chosen.floor
        if floor is not None:
            if customer_rate is None:
                raise customer_rate_required()
            limit = min(limit, _floor_limit(chosen, customer_rate, self._common))
        if slot is not None and header.flags & _FAST and not self._anywhere:
            # borrowed from the plan, which keeps it, and referred to once the records are
            # read: the tuple is fetched meanwhile
            source_at = VOS_TUPLE_ITEMS(<PyObject*>self._candidates)[header.index]
            VOS_PREFETCH(source_at)
            n = header.count
            if PyBytes_GET_SIZE(slot) != sizeof(Header) + 2 * n * sizeof(Row):
                raise ValueError("a plan slot's records do not match its header")
            row = <const Row*>(PyBytes_AS_STRING(slot) + sizeof(Header))
            if chosen.cost_first:
                row += n
            if load is not None:
                concurrent = load._concurrent
            longest_only = chosen.longest_only
            for i in range(n):
                flags = row[i].flags
                if longest_only and not flags & _AT_TOP:
                    continue
                index = row[i].gate
                if index >= self._count:
                    raise ValueError("a plan record names a gate the router does not have")
                position = row[i].position
                if self._disabled[index]:
                    PyList_Append(gone, position << _SHIFT | _DISABLED)
                    continue
                refused = <object>PyTuple_GET_ITEM(self._refused, index)
                if refused is not None and PySet_Contains(refused, client):
                    PyList_Append(gone, position << _SHIFT | _REFUSED)
                    continue
                allowed = <object>PyTuple_GET_ITEM(self._allowed, index)
                if allowed is not None and not PySet_Contains(allowed, client):
                    PyList_Append(gone, position << _SHIFT | _NOT_ALLOWED)
                    continue
                capacity = self._capacity[index]
                if flags & _JUDGE or self._judged[index] or (
                    concurrent is not None and capacity >= 0 and _held(
                        concurrent, <object>PyTuple_GET_ITEM(self._ids, index)
                    ) >= capacity
                ):
                    # more to check, a price per call, or full: the judge decides (and
                    # checks a capacity again under the load's lock)
                    if context is None:
                        context = _context(
                            chosen, client, load, now, balances, callee, at, customer_rate
                        )
                    verdict = judge(self._candidates[header.index][position], context)
                    PyList_Append(found if len(verdict) == 5 else gone, verdict)
                elif flags & _NO_PRICE:
                    PyList_Append(gone, position << _SHIFT | _NO_RATE)
                elif row[i].price > limit:
                    PyList_Append(
                        gone,
                        position << _SHIFT
                        | (_ABOVE_CAP if row[i].price > cap_limit else _BELOW_FLOOR),
                    )
                else:
                    if not found:  # the first route: its candidate is read next (admission)
                        VOS_PREFETCH(<const void*>(
                            <uintptr_t>VOS_TUPLE_ITEMS(source_at) + position * sizeof(PyObject*)
                        ))
                    PyList_Append(found, position)
            source = <object>source_at
            again = header.flags & _DYNAMIC
        else:
            context = _context(chosen, client, load, now, balances, callee, at, customer_rate)
            found, gone, source = judge_every(
                () if slot is None else self._candidates[header.index],
                self._anywhere,
                callee,
                chosen.cost_first,
                chosen.longest_only,
                context,
            )
            again = bool(self._anywhere) or (slot is not None and header.flags & _DYNAMIC)
        if found and (again or chosen.weighted or self._rewrites):
            found = finish(
                found,
                gone,
                source,
                callee,
                again=again,
                cost_first=chosen.cost_first,
                weighted_by=(self._rng if rng is None else rng) if chosen.weighted else None,
                rewrites=self._rewrites,
            )
        return _routes(
            chosen.settings, found, gone, source, callee, caller, client, cap, floor, customer_rate
        )


cdef tuple _context(
    _Policy chosen, client, load, now, balances, callee, at, customer_rate
):
    """What the judge reads: the call, and its bound as an exact pair."""
    bound = bound_of(chosen.cap, chosen.floor, customer_rate)
    return (client, load, now, balances, callee, at, bound, chosen.cap, chosen.floor, customer_rate)


cdef int64_t _floor_limit(_Policy chosen, object customer_rate, object common):
    """The highest packed price the minimum profit lets through for ``customer_rate``:
    ``floor((pn/pd - fn/fd) × common)`` clamped, in 128-bit integers when every term fits
    in 31 bits (and ``common`` in 62), else as the twin does it."""
    cdef long long pn, pd
    cdef int128 top, bottom, quotient
    cdef int overflow = 0
    if chosen.common and chosen.small_floor:
        pn = PyLong_AsLongLongAndOverflow(customer_rate._price_n, &overflow)
        if not overflow and -_SMALL < pn < _SMALL:
            pd = PyLong_AsLongLongAndOverflow(customer_rate._price_d, &overflow)
            if not overflow and pd < _SMALL:
                top = (<int128>pn * chosen.fd - <int128>chosen.fn * pd) * chosen.common
                bottom = <int128>pd * chosen.fd
                quotient = top / bottom
                if top % bottom != 0 and top < 0:
                    quotient -= 1
                if quotient > _LIMIT:
                    return _LIMIT
                if quotient < -_LIMIT:
                    return -_LIMIT
                return <int64_t>quotient
    return packed_limit(bound_of(chosen.cap, chosen.floor, customer_rate), common)


cdef inline int64_t _held(dict concurrent, object gateway_id):
    """Calls in progress through a gateway (a count read without the load's lock)."""
    cdef PyObject* count = PyDict_GetItem(concurrent, gateway_id)
    if count == NULL:
        return 0
    return PyLong_AsLongLong(<object>count)
