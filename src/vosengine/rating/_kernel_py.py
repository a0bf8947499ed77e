"""The batch-rating kernel in pure Python: the readable twin of ``_kernel.pyx``.

A rate table keeps a second prefix table whose values are this module's :class:`Params`
(one per prefix that has exactly one undated rate) or :data:`SLOW` (a prefix the table
prices itself). :func:`fast_amounts` prices a batch of calls from those values: the hold
time rounded up to whole seconds (:func:`~vosengine.rating.hold_seconds`), the billed
seconds on the rate's grid (:func:`~vosengine.rating.billed_seconds`), and the exact cost
``(fee_part + billed × per_second) / denominator`` rounded once. The compiled twin has the
same API and gives the same amounts; it may leave more calls to the table (those that do
not fit its 64-bit arithmetic).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from ..money import _CODES, _round, from_units
from ._afford import longest_units
from ._rate import MAX_DURATION_MS, BillingTerms, Rate, billed_seconds, hold_seconds

#: What a table matches as it is: a non-empty run of ASCII digits, ``*`` and ``#``.
_TABLE_READY = re.compile(r"[0-9*#]+").fullmatch

__all__ = [
    "ROUNDING_CODES",
    "SLOW",
    "Params",
    "fast_amounts",
    "Pricer",
    "params_for",
]

#: The value of a prefix the kernel leaves to the table.
SLOW: Any = object()

#: The integer code of each rounding mode (by its value), as ``fast_amounts`` takes it.
ROUNDING_CODES = {mode.value: code for mode, code in _CODES.items()}


class Params:
    """The rate of one prefix and its :class:`BillingTerms`."""

    __slots__ = ("free_delta", "rate", "terms")

    def __init__(self, rate: Rate, terms: BillingTerms) -> None:
        self.rate = rate
        self.terms = terms
        self.free_delta = timedelta(seconds=terms.free)


def params_for(rate: Rate) -> Any:
    """:class:`Params` for a rate the kernel can price, else :data:`SLOW`."""
    terms = rate._terms
    return SLOW if terms is None else Params(rate, terms)


class Pricer:
    """The single-call fast path of one rate table: :meth:`charge` prices a call whose
    longest prefix has :class:`Params` from its integer terms, makes one ``Decimal`` for the
    amount, and builds the ``Charge`` the table's general path would build; ``None`` leaves
    the call to the table. Holds no state of its own beyond its arguments: safe from any
    thread.

    ``table`` maps prefixes to this module's values (:class:`Params` or :data:`SLOW`);
    ``scale``, ``code``, ``decimals`` and ``clamp`` are those of :func:`fast_amounts`;
    ``charge_type`` is the charge's named tuple, ``utc(at)`` turns an aware datetime into UTC,
    ``zero`` is the amount of a call within grace and ``tz_utc`` the UTC ``tzinfo``."""

    __slots__ = (
        "charge_type",
        "clamp",
        "code",
        "decimals",
        "longest_value",
        "scale",
        "tz_utc",
        "utc",
        "zero",
    )

    def __init__(
        self,
        table: Any,
        scale: int,
        code: int,
        decimals: int,
        clamp: Callable[[Rate, Decimal], Decimal],
        charge_type: type[tuple[Any, ...]],
        utc: Callable[[datetime], datetime],
        zero: Decimal,
        tz_utc: tzinfo,
    ) -> None:
        self.longest_value = table.longest_value
        self.scale, self.code, self.decimals = scale, code, decimals
        self.clamp, self.charge_type = clamp, charge_type
        self.utc, self.zero, self.tz_utc = utc, zero, tz_utc

    def charge(self, number: str, duration: Any, at: datetime) -> Any:
        """The charge of a call to ``number`` of ``duration`` ms answered at ``at``, or
        ``None`` when the table must price it (a number not made only of ASCII digits, ``*``
        and ``#``, no :class:`Params` for its longest prefix, a duration that is not a plain
        non-negative int, a naive ``at`` or one that is no datetime)."""
        if type(number) is not str or not _TABLE_READY(number):
            return None  # the table normalises it, or names what it cannot read
        if not isinstance(at, datetime):
            return None  # the table names the argument and what was expected
        tz = at.tzinfo
        if tz is not self.tz_utc and at.utcoffset() is None:
            return None
        entry = self.longest_value(number)
        if type(entry) is not Params or type(duration) is not int:
            return None
        if not 0 <= duration <= MAX_DURATION_MS:
            return None
        rate = entry.rate
        hold = hold_seconds(duration)
        priced = _price(entry, hold, self.scale, self.code, self.decimals, self.clamp)
        if priced is None:
            return tuple.__new__(self.charge_type, (number, rate, hold, 0, self.zero, ()))
        billed, amount = priced
        start = at
        if entry.terms.free:
            start = (at if tz is self.tz_utc else self.utc(at)) + entry.free_delta
        return tuple.__new__(
            self.charge_type, (number, rate, hold, billed, amount, ((rate, start, billed),))
        )

    def longest(self, number: str, budget: int, limit_seconds: int) -> tuple[int, int] | None:
        """The longest call to ``number`` that ``budget`` units of the last decimal pay
        for, on its rate's grid and up to ``limit_seconds``: ``(seconds, units)``, ``(0,
        0)`` when not even the first increment is affordable. ``None`` leaves it to the
        table: no :class:`Params` for the longest prefix, a minimum or maximum charge, or a
        grace period that reaches the grid."""
        entry = self.longest_value(number)
        if type(entry) is not Params:
            return None
        grace, free, first, step, fee, per, den, limits = entry.terms
        if limits or grace >= free + first:
            return None
        return longest_units(
            free, first, step, fee, per, den, 0, self.scale, self.code, budget, limit_seconds
        )


def fast_amounts(
    found: list[Any],
    durations: list[Any],
    at: list[Any],
    scale: int,
    code: int,
    decimals: int,
    zero: Decimal,
    clamp: Callable[[Rate, Decimal], Decimal],
) -> tuple[list[Decimal | None], list[int]]:
    """Amounts for ``found`` (per call: the :class:`Params` of its longest prefix,
    :data:`SLOW`, or ``None`` for no match), ``durations`` (milliseconds) and ``at`` (answer
    times).

    ``scale`` is ``10**decimals``, ``code`` the rounding mode's code (:data:`ROUNDING_CODES`),
    ``zero`` the amount of a call that costs nothing, ``clamp(rate, amount)`` applies
    min/max charges. Returns the amounts (``None`` where no prefix matches, and in the
    places left to the table) and the indices of the calls left to the table: among them
    every call whose duration is no plain non-negative int or whose ``at`` is no aware
    datetime, so that the table names what is wrong.
    """
    if not len(durations) == len(at) == len(found):
        raise ValueError("found, durations and at differ in length")
    out: list[Decimal | None] = [None] * len(found)
    slow: list[int] = []
    for index, (entry, duration, when) in enumerate(zip(found, durations, at, strict=True)):
        if (
            type(duration) is not int
            or not 0 <= duration <= MAX_DURATION_MS
            or not isinstance(when, datetime)
            or when.tzinfo is None
            or (entry is not None and type(entry) is not Params)
        ):
            slow.append(index)
            continue
        if entry is None:
            continue  # no prefix matches: no rate
        priced = _price(entry, hold_seconds(duration), scale, code, decimals, clamp)
        out[index] = zero if priced is None else priced[1]
    return out, slow


def _price(
    entry: Params,
    hold: int,
    scale: int,
    code: int,
    decimals: int,
    clamp: Callable[[Rate, Decimal], Decimal],
) -> tuple[int, Decimal] | None:
    """The billed seconds and the amount of a call of ``hold`` seconds by ``entry``'s rate,
    or ``None`` for a call within grace (nothing billed)."""
    terms = entry.terms
    if hold <= 0 or hold <= terms.grace:
        return None
    billed = billed_seconds(hold - terms.free, terms.first, terms.step)
    numerator = (terms.fee_part + billed * terms.per_second) * scale
    amount = from_units(_round(numerator, terms.denominator, code), decimals)
    return billed, clamp(entry.rate, amount) if terms.limits else amount
