"""Exact money: amounts are :class:`decimal.Decimal`, every rounding is a named mode with a
number of decimals, and a binary ``float`` is refused wherever an amount is expected.

Inside, the rating code works on exact rationals (integers over integers) and rounds once,
through :meth:`RoundingRule.round_fraction`. Nothing in the library depends on the ``decimal``
module's thread-local context: every sum, difference and scaling of an amount runs in
:data:`CONTEXT`, the library's own, whatever precision, rounding or traps the calling thread
has set.

Amounts are bounded (:data:`MAX_INTEGER_DIGITS` digits before the point, :data:`MAX_FRACTION_DIGITS`
after it), so that no input, however it is written (``1e10000000``), costs more than a few
microseconds to take apart.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from functools import reduce
from typing import Any

import attrs

from ._checks import check_items, check_type
from .errors import InvalidArgument, InvalidArgumentType

__all__ = [
    "CONTEXT",
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "ZERO",
    "Rounding",
    "RoundingRule",
    "to_decimal",
    "total",
]

ZERO = Decimal(0)

#: VOS3000 keeps fees with 0-4 decimals; vosengine allows 0-6.
MAX_DECIMALS = 6

#: An amount the library accepts is below ``10**MAX_INTEGER_DIGITS`` in magnitude ...
MAX_INTEGER_DIGITS = 24
#: ... and has at most this many decimals (a rate per second can need more than a fee).
MAX_FRACTION_DIGITS = 18
# a numeric string longer than this is refused before it is parsed
_MAX_TEXT = 2 + MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 8

#: The library's decimal context. Its precision holds every sum of bounded amounts exactly,
#: and ``Inexact`` is trapped: an operation that would have to round raises instead of
#: changing an amount silently. Shared by all threads: an operation's traps depend only on
#: that operation, and the library never reads the context's flags.
CONTEXT = Context(
    prec=100,
    rounding=ROUND_HALF_EVEN,
    Emin=MIN_EMIN,
    Emax=MAX_EMAX,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
_FINEST = Decimal(1).scaleb(-MAX_FRACTION_DIGITS, CONTEXT)


def total(amounts: Iterable[Decimal], start: Decimal = ZERO) -> Decimal:
    """The exact sum of ``amounts`` (``sum`` would use the calling thread's context).

    >>> total([Decimal("0.1"), Decimal("0.2")])
    Decimal('0.3')
    """
    try:
        return reduce(CONTEXT.add, amounts, start)
    except (TypeError, DecimalException) as error:  # not amounts: say which, and why
        check_type(start, (Decimal, int), "start")
        if not isinstance(amounts, Iterator):  # a collection can be read again
            check_items(amounts, "amounts", lambda v, f: check_type(v, (Decimal, int), f))
        raise InvalidArgumentType(f"amounts: expected Decimal amounts ({error})") from None


class Rounding(enum.Enum):
    """How an exact amount becomes one with a fixed number of decimals.

    ``UP`` rounds away from zero and ``DOWN`` toward zero (truncation); ``CEILING`` and
    ``FLOOR`` toward +∞ and -∞; the ``HALF_*`` modes round to the nearest and differ only on
    an exact tie: ``HALF_UP`` away from zero, ``HALF_DOWN`` toward zero, ``HALF_EVEN`` to the
    even neighbour (banker's rounding).
    """

    UP = "up"
    DOWN = "down"
    CEILING = "ceiling"
    FLOOR = "floor"
    HALF_UP = "half_up"
    HALF_DOWN = "half_down"
    HALF_EVEN = "half_even"


def to_decimal(value: object, field: str) -> Decimal:
    """``value`` as a finite, bounded :class:`Decimal`: from a Decimal, an int or a numeric
    string.

    A ``float`` (or ``bool``) is refused: binary floats cannot hold most decimal amounts. So
    is an amount of :data:`MAX_INTEGER_DIGITS` digits or more before the point, or with more
    than :data:`MAX_FRACTION_DIGITS` decimals (trailing zeros aside).

    >>> to_decimal("0.0125", "price")
    Decimal('0.0125')
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise InvalidArgumentType(
            f"{field}: {value!r} is a {type(value).__name__}; amounts are Decimal, int or str:"
            f" write Decimal('{value}') or '{value}'"
        )
    elif isinstance(value, int):
        if -_INT_BOUND < value < _INT_BOUND:
            return Decimal(value)
        raise InvalidArgument(f"{field}: {value} has more than {MAX_INTEGER_DIGITS} digits")
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT:
            raise InvalidArgument(
                f"{field}: {text[:16]!r}... is longer than {_MAX_TEXT} characters"
            )
        try:
            result = CONTEXT.create_decimal(text)
        except DecimalException:
            raise InvalidArgument(f"{field}: {value!r} is not a decimal number") from None
    else:
        raise InvalidArgumentType(
            f"{field}: expected a Decimal, int or str amount, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise InvalidArgument(f"{field}: {value!r} is not a finite amount")
    if not result:
        return ZERO  # whatever its sign and exponent ("-0", "0E+999999")
    if result.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidArgument(
            f"{field}: {result} has more than {MAX_INTEGER_DIGITS} digits before the point"
        )
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_FRACTION_DIGITS:
        try:
            result = CONTEXT.quantize(result, _FINEST)
        except Inexact:
            raise InvalidArgument(
                f"{field}: {result} has more than {MAX_FRACTION_DIGITS} decimals"
            ) from None
    return result


_INT_BOUND = 10**MAX_INTEGER_DIGITS


def decimal_fraction(value: Decimal) -> tuple[int, int]:
    """``value`` as ``(numerator, denominator)`` with the denominator a power of ten.

    >>> decimal_fraction(Decimal("-0.0125"))
    (-125, 10000)
    """
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    numerator = int("".join(map(str, digits))) if digits else 0
    if sign:
        numerator = -numerator
    if exponent >= 0:
        return numerator * 10**exponent, 1
    return numerator, 10**-exponent


def from_units(units: int, decimals: int) -> Decimal:
    """``units × 10**-decimals`` as an exact :class:`Decimal` (in :data:`CONTEXT`); an amount
    too long to hold exactly is an :class:`InvalidArgument`.

    >>> from_units(-1205, 4)
    Decimal('-0.1205')
    """
    try:
        return Decimal(units).scaleb(-decimals, CONTEXT)
    except DecimalException:
        raise InvalidArgument(f"amount: {units}E-{decimals} is too large to hold exactly") from None


def round_division(numerator: int, denominator: int, mode: Rounding) -> int:
    """``numerator / denominator`` rounded to an integer by ``mode`` (denominator > 0).

    >>> round_division(5, 2, Rounding.HALF_EVEN), round_division(-5, 2, Rounding.HALF_UP)
    (2, -3)
    """
    return _round(numerator, denominator, _CODES[mode])


# Small integer codes for the modes: the hot path compares ints, not enum members.
_UP, _DOWN, _CEILING, _FLOOR, _HALF_UP, _HALF_DOWN, _HALF_EVEN = range(7)
_CODES = {
    Rounding.UP: _UP,
    Rounding.DOWN: _DOWN,
    Rounding.CEILING: _CEILING,
    Rounding.FLOOR: _FLOOR,
    Rounding.HALF_UP: _HALF_UP,
    Rounding.HALF_DOWN: _HALF_DOWN,
    Rounding.HALF_EVEN: _HALF_EVEN,
}


def _round(numerator: int, denominator: int, code: int) -> int:
    quotient, remainder = divmod(numerator, denominator)  # floor; 0 <= remainder < d
    if remainder == 0:
        return quotient
    if code >= _HALF_UP:
        twice = 2 * remainder
        if twice < denominator:
            return quotient
        if twice > denominator:
            return quotient + 1
        if code == _HALF_UP:
            return quotient if numerator < 0 else quotient + 1
        if code == _HALF_DOWN:
            return quotient + 1 if numerator < 0 else quotient
        return quotient if quotient % 2 == 0 else quotient + 1  # HALF_EVEN
    if code == _UP:
        return quotient if numerator < 0 else quotient + 1
    if code == _DOWN:
        return quotient + 1 if numerator < 0 else quotient
    return quotient + 1 if code == _CEILING else quotient


def _check_decimals(instance: Any, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentType(f"decimals: expected an int, got {value!r}")
    if not 0 <= value <= MAX_DECIMALS:
        raise InvalidArgument(f"decimals: {value} is outside 0..{MAX_DECIMALS}")


def _check_mode(instance: Any, attribute: Any, value: object) -> None:
    if not isinstance(value, Rounding):
        raise InvalidArgumentType(f"rounding: expected a Rounding mode, got {value!r}")


@attrs.frozen(kw_only=True)
class RoundingRule:
    """A rounding mode and a number of decimals (0-6), applied once where a rule says.

    >>> RoundingRule(mode=Rounding.HALF_UP, decimals=2).apply(Decimal("0.125"))
    Decimal('0.13')
    >>> RoundingRule(mode=Rounding.UP, decimals=4).round_fraction(1, 3)
    Decimal('0.3334')
    """

    mode: Rounding = attrs.field(default=Rounding.HALF_UP, validator=_check_mode)
    decimals: int = attrs.field(default=4, validator=_check_decimals)
    _scale: int = attrs.field(init=False, eq=False, repr=False)
    _code: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_scale", 10**self.decimals)
        object.__setattr__(self, "_code", _CODES[self.mode])

    @property
    def quantum(self) -> Decimal:
        """One unit of the last decimal (``Decimal('0.0001')`` for 4 decimals)."""
        return Decimal(1).scaleb(-self.decimals, CONTEXT)

    def round_fraction(self, numerator: int, denominator: int) -> Decimal:
        """The exact rational ``numerator / denominator`` rounded by this rule."""
        check_type(numerator, int, "numerator")
        if check_type(denominator, int, "denominator") <= 0:
            raise InvalidArgument(f"denominator: {denominator} is not positive")
        return from_units(_round(numerator * self._scale, denominator, self._code), self.decimals)

    def on_grid(self, amount: Decimal) -> bool:
        """Whether ``amount`` has at most this rule's decimals (trailing zeros aside), so that
        rounding by this rule would leave it as it is.

        >>> cents = RoundingRule(decimals=2)
        >>> cents.on_grid(Decimal("0.1200")), cents.on_grid(Decimal("0.123"))
        (True, False)
        """
        try:
            CONTEXT.quantize(to_decimal(amount, "amount"), self.quantum)
        except Inexact:
            return False
        return True

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` rounded by this rule (exactly: no context precision involved)."""
        numerator, denominator = decimal_fraction(to_decimal(amount, "amount"))
        return self.round_fraction(numerator, denominator)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "decimals": self.decimals}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundingRule:
        """The inverse of :meth:`to_dict`."""
        check_type(data, Mapping, "rounding")
        try:
            mode = Rounding(data.get("mode", Rounding.HALF_UP.value))
        except ValueError:
            raise InvalidArgument(f"rounding: unknown mode {data.get('mode')!r}") from None
        return cls(mode=mode, decimals=data.get("decimals", 4))
