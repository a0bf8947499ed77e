"""The walk over a plan's ranked candidates, the hot path of ``RouteTable.route()``
(compiled; ``_walk_py.py`` is its twin and documents the contract)."""

from cpython.tuple cimport PyTuple_GET_ITEM

from vosengine.routing._plan import CAPACITY

__all__ = ["walk"]

cdef Py_ssize_t _CAPACITY = CAPACITY


def walk(
    object candidates,
    bint longest_only,
    Py_ssize_t top,
    object concurrent,
    object bound,
    object judge,
    object context,
):
    """``(found, gone)``: the route entries in rank order and the removals (see
    ``vosengine.routing._walk_py.walk``)."""
    cdef list found = []
    cdef list gone = []
    cdef object candidate, gateway, rate, b0 = None, b1 = None, verdict
    cdef Py_ssize_t head, checks
    cdef bint has_bound = bound is not None
    cdef bint has_load = concurrent is not None
    cdef tuple item
    if has_bound:
        b0 = bound[0]
        b1 = bound[1]
    for candidate in candidates:
        if not isinstance(candidate, tuple) or len(<tuple>candidate) != 10:
            raise TypeError(f"candidates: expected plan candidates, got {candidate!r}")
        item = <tuple>candidate
        head = <object>PyTuple_GET_ITEM(item, 2)
        if longest_only and head != top:
            continue
        checks = <object>PyTuple_GET_ITEM(item, 8)
        rate = <object>PyTuple_GET_ITEM(item, 4)
        if rate is None and checks <= _CAPACITY and not <object>PyTuple_GET_ITEM(item, 7):
            verdict = <object>PyTuple_GET_ITEM(item, 9)
            if len(verdict) == 3:  # a fixed deck without the number: removed, as built
                if not checks or not has_load:
                    gone.append(verdict)
                    continue
                gateway = <object>PyTuple_GET_ITEM(item, 0)
                if concurrent(gateway.id, 0) < gateway.capacity:
                    gone.append(verdict)
                    continue
        if <object>PyTuple_GET_ITEM(item, 7) or checks > _CAPACITY or rate is None:
            pass  # more to check, a price per call, or no price table: the judge decides
        elif has_bound and (
            <object>PyTuple_GET_ITEM(item, 5) * b1 > b0 * <object>PyTuple_GET_ITEM(item, 6)
        ):
            pass  # priced past the bound: the judge writes which filter removed it
        elif checks and has_load and concurrent(
            (<object>PyTuple_GET_ITEM(item, 0)).id, 0
        ) >= (<object>PyTuple_GET_ITEM(item, 0)).capacity:
            pass  # full: the judge checks again under the load's lock
        else:
            found.append(<object>PyTuple_GET_ITEM(item, 9))
            continue
        verdict = judge(candidate, context)
        if len(verdict) == 5:
            found.append(verdict)
        else:
            gone.append(verdict)
    return found, gone
