"""The longest call a balance pays for: the largest point of a rate's increment grid whose
price is within the amount available.

The grid is 0, then ``base = free + first``, then ``base + k × next``; the price of a hold is
non-decreasing along it, so the answer is found by bisection over the grid points
(:func:`search`), pricing a point with the table's own charge.

When the price of a point is one rational line rounded once -- no tariff window, no dated
version and no other prefix can take over during the call, no maximum charge, no grace period
reaching the grid -- :func:`exact` does the same search in integers, and first narrows it:
rounding moves an amount by less than one unit of the last decimal (``u``), so every point
whose unrounded price is at most ``available - u`` is affordable, and none whose unrounded
price is at least ``available + u`` is. Those two bounds come from the line in closed form;
between them lie the few points the rounding decides, bisected with the exact charge.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..money import RoundingRule, _round, decimal_fraction
from ._rate import Rate

__all__: list[str] = []


def search(
    cost: Callable[[int], Decimal], base: int, step: int, top: int, available: Decimal
) -> int:
    """The largest grid point ``base + (k - 1) × step`` (``1 <= k <= top``) whose ``cost``
    is at most ``available``, or 0 when the first is out of reach."""
    if cost(base) > available:
        return 0
    low, high = 1, top + 1  # cost(point(low)) <= available; past high, out of reach or limit
    while high - low > 1:
        middle = (low + high) // 2
        if cost(base + (middle - 1) * step) <= available:
            low = middle
        else:
            high = middle
    return base + (low - 1) * step


def linear(rate: Rate) -> bool:
    """Whether the price of every grid point of ``rate`` is its one line rounded once (the
    table's other conditions aside: no windows, no dates, the longest prefix)."""
    return rate.max_charge is None and rate.grace_seconds < rate.free_seconds + rate.first_increment


def exact(rate: Rate, rule: RoundingRule, available: Decimal, top: int) -> int:
    """:func:`search` for a ``linear`` rate of a table that rounds by ``rule``, in integer
    units of the rule's last decimal."""
    first, step = rate.first_increment, rate.next_increment
    base = rate.free_seconds + first
    scale, code = rule._scale, rule._code
    numerator, denominator = decimal_fraction(available)
    budget = numerator * scale // denominator  # an amount on the grid is <= available iff
    # its units are <= budget
    pn, pd, fn, fd = rate._price_n, rate._price_d, rate._fee_n, rate._fee_d
    den = fd * pd
    fee = fn * pd * scale  # the connect fee, over den, in units
    per = pn * fd * scale  # one billed second, over den, in units
    floor_units = None
    if rate.min_charge is not None:
        n, d = decimal_fraction(rate.min_charge)
        floor_units = n * scale // d  # on the grid: exact

    def cost(k: int) -> int:
        units = _round(fee + (first + (k - 1) * step) * per, den, code)
        return units if floor_units is None or units >= floor_units else floor_units

    if cost(1) > budget:
        return 0
    low, high = 1, top + 1
    if per:
        # unrounded units <= budget - 1: affordable; >= budget + 1: not
        sure = ((budget - 1) * den - fee) // per  # billed seconds surely affordable
        if sure >= first:
            low = max(low, min(top, (sure - first) // step + 1))
        out = -(-((budget + 1) * den - fee) // per)  # billed seconds surely out of reach
        if out > first:
            high = min(high, -(-(out - first) // step) + 1)
    while high - low > 1:
        middle = (low + high) // 2
        if cost(middle) <= budget:
            low = middle
        else:
            high = middle
    return base + (low - 1) * step
