"""The longest call a balance pays for: the largest point of a rate's increment grid whose
price is within the amount available.

The grid is 0, then ``base = free + first``, then ``base + k × next``; the price of a hold is
non-decreasing along it, so the answer is found by bisection over the grid points
(:func:`search`), pricing a point with the table's own charge.

When the price of a point is one rational line rounded once -- no tariff window, no dated
version and no other prefix can take over during the call, no maximum charge, no grace period
reaching the grid -- :func:`longest_units` does the same search in integers (as the rating
kernel's ``Pricer.longest`` does for a table it serves), and first narrows it: rounding moves
an amount by less than one unit of the last decimal (``u``), so every point
whose unrounded price is at most ``available - u`` is affordable, and none whose unrounded
price is at least ``available + u`` is. Those two bounds come from the line in closed form;
between them lie the few points the rounding decides, bisected with the exact charge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from .._time import check_aware
from ..errors import InvalidArgumentType
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
    if type(limit) is not int:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidArgumentType(f"limit: expected an int number of seconds, got {limit!r}")
        limit = int(limit)
    rule = table.rounding
    budget = budget_of(available, rule)
    pricer = table._pricer
    if pricer is not None:  # the kernel's fast path: a linear rate at the longest prefix
        if type(at) is not datetime or (type(at.tzinfo) is not timezone and at.utcoffset() is None):
            check_aware(at, "at")
        found = pricer.longest(number, budget, limit)
        if found is not None:
            seconds, units = found
            return seconds, from_units(units, rule.decimals) if seconds else ZERO
    rate, longest = table._find(number, at)
    if rate is None:
        raise RateNotFound(f"no rate in force for {number!r} at {at.isoformat()}")
    base = rate.free_seconds + rate.first_increment
    if limit < base or available < 0:
        return 0, ZERO
    if longest and not table.windows and linear(rate):
        _, free, first, step, fee, per, den, limits = rate._terms  # type: ignore[misc]
        least = 0
        if limits and rate.min_charge is not None:
            least = budget_of(rate.min_charge, rule)  # on the grid: exact
        seconds, units = longest_units(
            free,
            first,
            step,
            fee,
            per,
            den,
            least,
            rule._scale,
            rule._code,
            budget,
            limit,
        )
        return seconds, from_units(units, rule.decimals) if seconds else ZERO
    return search(
        lambda hold: table._charge(number, rate, hold, at, longest).amount,
        base,
        rate.next_increment,
        (limit - base) // rate.next_increment + 1,
        available,
    )


def budget_of(amount: Decimal, rule: RoundingRule) -> int:
    """``amount`` (finite) in whole units of ``rule``'s last decimal, rounded down: an
    amount on the grid is at most ``amount`` exactly when its units are at most this."""
    units = amount.scaleb(rule.decimals, CONTEXT)
    whole = int(units)  # towards zero
    return whole - 1 if units < 0 and units != whole else whole


def linear(rate: Rate) -> bool:
    """Whether the price of every grid point of ``rate`` is its one line rounded once (the
    table's other conditions aside: no windows, the longest prefix): an undated rate
    without a maximum charge whose grace period ends before the grid begins."""
    terms = rate._terms
    return terms is not None and rate.max_charge is None and terms.grace < terms.free + terms.first


def longest_units(
    free: int,
    first: int,
    step: int,
    fee: int,
    per: int,
    den: int,
    least: int,
    scale: int,
    code: int,
    budget: int,
    limit: int,
) -> tuple[int, int]:
    """:func:`search` for a linear rate -- ``(fee + billed × per) / den`` a call, rounded by
    the mode ``code`` to one unit in ``scale``, at least ``least`` units -- in integers:
    ``(seconds, units)``, the point and its price in units, ``(0, 0)`` when the first point
    costs more than ``budget`` units or lies past ``limit``. The reference the compiled
    kernel's ``Pricer.longest`` is tested against."""
    base = free + first
    if limit < base:
        return 0, 0
    top = (limit - base) // step + 1  # the grid points up to the limit
    fee *= scale  # the connect fee, over den, in units
    per *= scale  # one billed second, over den, in units
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
    return base + (low - 1) * step, low_units
