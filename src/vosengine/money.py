"""Exact money: amounts are :class:`decimal.Decimal`, every rounding is a named mode with a
number of decimals, and a binary ``float`` is refused wherever an amount is expected.

Inside, the rating code works on exact rationals (integers over integers) and rounds once,
through :meth:`RoundingRule.round_fraction`; nothing here depends on the ``decimal`` module's
thread-local context.
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .errors import InvalidArgument, InvalidArgumentType

__all__ = ["ZERO", "Rounding", "RoundingRule", "to_decimal"]

ZERO = Decimal(0)

#: VOS3000 keeps fees with 0-4 decimals; vosengine allows 0-6.
MAX_DECIMALS = 6


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
    """``value`` as a finite :class:`Decimal`: from a Decimal, an int or a numeric string.

    A ``float`` (or ``bool``) is refused: binary floats cannot hold most decimal amounts.

    >>> to_decimal("0.0125", "price")
    Decimal('0.0125')
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise InvalidArgumentType(
            f"{field}: {value!r} is a {type(value).__name__}; amounts are Decimal, int or str"
        )
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidArgument(f"{field}: {value!r} is not a decimal number") from None
    else:
        raise InvalidArgumentType(
            f"{field}: expected a Decimal, int or str amount, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise InvalidArgument(f"{field}: {value!r} is not a finite amount")
    return result


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
        return Decimal(1).scaleb(-self.decimals)

    def round_fraction(self, numerator: int, denominator: int) -> Decimal:
        """The exact rational ``numerator / denominator`` rounded by this rule."""
        if denominator <= 0:
            raise InvalidArgument(f"denominator: {denominator} is not positive")
        units = _round(numerator * self._scale, denominator, self._code)
        return Decimal(units).scaleb(-self.decimals)

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` rounded by this rule (exactly: no context precision involved)."""
        numerator, denominator = decimal_fraction(to_decimal(amount, "amount"))
        return self.round_fraction(numerator, denominator)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "decimals": self.decimals}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundingRule:
        try:
            mode = Rounding(data.get("mode", Rounding.HALF_UP.value))
        except ValueError:
            raise InvalidArgument(f"rounding: unknown mode {data.get('mode')!r}") from None
        return cls(mode=mode, decimals=data.get("decimals", 4))
