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

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..money import _CODES, _round, from_units
from ._rate import BillingTerms, Rate, billed_seconds, hold_seconds

__all__ = ["ROUNDING_CODES", "SLOW", "Params", "fast_amounts", "params_for"]

#: The value of a prefix the kernel leaves to the table.
SLOW: Any = object()

#: The integer code of each rounding mode (by its value), as ``fast_amounts`` takes it.
ROUNDING_CODES = {mode.value: code for mode, code in _CODES.items()}


class Params:
    """The rate of one prefix and its :class:`BillingTerms`."""

    __slots__ = ("rate", "terms")

    def __init__(self, rate: Rate, terms: BillingTerms) -> None:
        self.rate = rate
        self.terms = terms


def params_for(rate: Rate) -> Any:
    """:class:`Params` for a rate the kernel can price, else :data:`SLOW`."""
    terms = rate._terms
    return SLOW if terms is None else Params(rate, terms)


def fast_amounts(
    found: list[Any],
    durations: list[Any],
    scale: int,
    code: int,
    decimals: int,
    zero: Decimal,
    clamp: Callable[[Rate, Decimal], Decimal],
) -> tuple[list[Decimal | None], list[int]]:
    """Amounts for ``found`` (per call: the :class:`Params` of its longest prefix,
    :data:`SLOW`, or ``None`` for no match) and ``durations`` (milliseconds).

    ``scale`` is ``10**decimals``, ``code`` the rounding mode's code (:data:`ROUNDING_CODES`),
    ``zero`` the amount of a call that costs nothing, ``clamp(rate, amount)`` applies
    min/max charges. Returns the amounts (``None`` where no prefix matches, and in the
    places left to the table) and the indices of the calls left to the table.
    """
    if len(durations) != len(found):
        raise ValueError("found and durations differ in length")
    out: list[Decimal | None] = [None] * len(found)
    slow: list[int] = []
    for index, (entry, duration) in enumerate(zip(found, durations, strict=True)):
        if entry is None:
            continue  # no prefix matches: no rate
        if type(entry) is not Params or type(duration) is not int or duration < 0:
            slow.append(index)
            continue
        terms = entry.terms
        hold = hold_seconds(duration)
        if hold <= 0 or hold <= terms.grace:
            out[index] = zero
            continue
        billed = billed_seconds(hold - terms.free, terms.first, terms.step)
        numerator = (terms.fee_part + billed * terms.per_second) * scale
        amount = from_units(_round(numerator, terms.denominator, code), decimals)
        out[index] = clamp(entry.rate, amount) if terms.limits else amount
    return out, slow
