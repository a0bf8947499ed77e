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
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ..money import CONTEXT, ZERO, RoundingRule, _round, from_units, to_decimal
from ._errors import RateNotFound
from ._rate import Rate

if TYPE_CHECKING:
    from ._table import RateTable

__all__: list[str] = []


def search(
    cost: Callable[[int], Decimal], base: int, step: int, top: int, available: Decimal
) -> tuple[int, Decimal]:
    """The largest grid point ``base + (k - 1) × step`` (``1 <= k <= top``) whose ``cost``
    is at most ``available``, and that cost; ``(0, 0)`` when the first is out of reach."""
    low_cost = cost(base)
    if low_cost > available:
        return 0, ZERO
    low, high = 1, top + 1  # cost(point(low)) <= available; past high, out of reach or limit
    while high - low > 1:
        middle = (low + high) // 2
        amount = cost(base + (middle - 1) * step)
        if amount <= available:
            low, low_cost = middle, amount
        else:
            high = middle
    return base + (low - 1) * step, low_cost


def longest_call(
    table: RateTable, number: str, available: object, at: datetime, limit: int
) -> tuple[int, Decimal]:
    """:meth:`RateTable.longest_call <vosengine.rating.RateTable.longest_call>`."""
    if type(available) is not Decimal or not available.is_finite():
        available = to_decimal(available, "available")
    assert isinstance(available, Decimal)
    rate, longest = table._find(number, at)
    if rate is None:
        raise RateNotFound(f"no rate in force for {number!r} at {at.isoformat()}")
    base = rate.free_seconds + rate.first_increment
    if limit < base or available < 0:
        return 0, ZERO
    top = (limit - base) // rate.next_increment + 1  # the grid points up to the limit
    if longest and not table.windows and linear(rate):
        rule = table.rounding
        seconds, units = exact(rate, rule, available, top)
        return seconds, from_units(units, rule.decimals) if seconds else ZERO
    return search(
        lambda hold: table._charge(number, rate, hold, at, longest).amount,
        base,
        rate.next_increment,
        top,
        available,
    )


def linear(rate: Rate) -> bool:
    """Whether the price of every grid point of ``rate`` is its one line rounded once (the
    table's other conditions aside: no windows, the longest prefix): an undated rate
    without a maximum charge whose grace period ends before the grid begins."""
    terms = rate._terms
    return terms is not None and rate.max_charge is None and terms.grace < terms.free + terms.first


def exact(rate: Rate, rule: RoundingRule, available: Decimal, top: int) -> tuple[int, int]:
    """:func:`search` for a ``linear`` rate of a table that rounds by ``rule``, in integer
    units of the rule's last decimal: ``(seconds, units)``, the point and its price
    (``(0, 0)`` when the first point is out of reach). ``available`` is not negative."""
    _, free, first, step, fee, per, den, limits = rate._terms  # type: ignore[misc]
    scale, code = rule._scale, rule._code
    fee *= scale  # the connect fee, over den, in units
    per *= scale  # one billed second, over den, in units
    least = 0
    if limits and rate.min_charge is not None:
        least = int(rate.min_charge.scaleb(rule.decimals, CONTEXT))  # on the grid: exact
    # an amount on the rule's grid is <= available iff its units are <= budget
    budget = int(available.scaleb(rule.decimals, CONTEXT))
    low_units = _round(fee + first * per, den, code)
    if low_units < least:
        low_units = least
    if low_units > budget:
        return 0, 0
    low, high = 1, top + 1  # invariant: point(low) costs low_units, and is affordable
    if per:  # unrounded units <= budget - 1: affordable; >= budget + 1: out of reach
        sure = ((budget - 1) * den - fee) // per  # billed seconds surely affordable
        if sure >= first + step:
            low = min(top, (sure - first) // step + 1)
            low_units = -1  # not priced yet
        out = -(-((budget + 1) * den - fee) // per)  # billed seconds surely out of reach
        if out > first:
            high = min(high, -(-(out - first) // step) + 1)
    while high - low > 1:
        middle = (low + high) // 2
        units = _round(fee + (first + (middle - 1) * step) * per, den, code)
        if units < least:
            units = least
        if units <= budget:
            low, low_units = middle, units
        else:
            high = middle
    if low_units < 0:
        low_units = _round(fee + (first + (low - 1) * step) * per, den, code)
        if low_units < least:
            low_units = least
    return free + first + (low - 1) * step, low_units
