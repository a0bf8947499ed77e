"""The walk over a plan's ranked candidates, the hot path of
:meth:`~vosengine.routing.RouteTable.route` (pure-Python twin of ``_walk.pyx``; the picker is
:mod:`vosengine.routing.walk`).

The walk keeps, in rank order, every candidate that plainly passes: a fixed price within the
bound, and nothing to check but, at most, a capacity with room; and it removes, as the plan
built it, a candidate whose fixed deck has no rate for the number. Every other candidate (one
with more to check, a price looked up per call, no price table, a price past the bound, a
full gateway) goes to ``judge(candidate, context)``, the one place the filters are written,
which returns the route entry (5 items) or the removal (3 items). So the walk can only be
faster than the judge, never disagree with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._plan import CAPACITY

__all__ = ["walk"]


def walk(
    candidates: Iterable[Any],
    longest_only: bool,
    top: int,
    concurrent: Callable[[str, int], int] | None,
    bound: tuple[int, int] | None,
    judge: Callable[[Any, Any], tuple[Any, ...]],
    context: Any,
) -> tuple[list[Any], list[Any]]:
    """``(found, gone)``: the route entries in rank order and the removals.

    ``candidates`` are the plan's ranked :class:`~vosengine.routing._plan.Candidate`
    tuples; with ``longest_only`` only those whose head is ``top`` long count. ``concurrent``
    reads a gateway's calls in progress (``None``: no load); ``bound`` is the highest price
    per second that passes, ``(numerator, denominator)`` (``None``: no bound)."""
    found: list[Any] = []
    gone: list[Any] = []
    for candidate in candidates:
        gateway, _, head, _, rate, num, den, dynamic, checks, entry = candidate
        if longest_only and head != top:
            continue
        if (
            dynamic
            or checks > CAPACITY
            or rate is None
            or (bound is not None and num * bound[1] > bound[0] * den)
            or (checks and concurrent is not None and concurrent(gateway.id, 0) >= gateway.capacity)
        ):
            verdict = judge(candidate, context)
            if len(verdict) == 5:
                found.append(verdict)
            else:
                gone.append(verdict)
            continue
        found.append(entry)
    return found, gone
