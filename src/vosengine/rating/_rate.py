"""The rate and its billing grid: :class:`Rate`, :class:`TariffWindow`, the hold-time and
billed-seconds rules, and the :class:`Charge` of a call (the rules are stated in
:mod:`vosengine.rating`)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import attrs

from .._checks import check_type
from .._time import aware_validator, check_aware, check_weekly, in_weekly, weekdays
from ..errors import InvalidArgument, InvalidArgumentType
from ..money import ZERO, Rounding, decimal_fraction, round_division, to_decimal
from ..numbering import validate_prefix

__all__ = [
    "MAX_DURATION_MS",
    "BillingTerms",
    "Charge",
    "ChargePart",
    "Rate",
    "TariffWindow",
    "billed_seconds",
    "clamp",
    "hold_seconds",
    "utc",
]


class BillingTerms(NamedTuple):
    """An undated rate's pricing as integers: the record the batch kernel prices calls from.

    A call of ``hold`` seconds costs nothing when ``hold <= grace``; otherwise its billed
    seconds are ``billed_seconds(hold - free, first, step)`` and its exact cost is
    ``(fee_part + billed × per_second) / denominator``. ``limits`` says the rate has a
    minimum or maximum charge to apply after rounding.
    """

    grace: int
    free: int
    first: int
    step: int
    fee_part: int
    per_second: int
    denominator: int
    limits: bool


# -- validators ----------------------------------------------------------------------------


def utc(at: datetime) -> datetime:
    """``at`` (aware) in UTC: datetimes that share a ``tzinfo`` compare and subtract as wall
    times, which is wrong across a clock change; in UTC they are instants."""
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _amount(value: object, field: str) -> Decimal:
    amount = to_decimal(value, field)
    if amount < 0:
        raise InvalidArgument(f"{field}: {amount} is negative")
    return amount


def _price(value: object) -> Decimal:
    return _amount(value, "price")


def _connect_fee(value: object) -> Decimal:
    return _amount(value, "connect_fee")


def _min_charge(value: object) -> Decimal | None:
    return None if value is None else _amount(value, "min_charge")


def _max_charge(value: object) -> Decimal | None:
    return None if value is None else _amount(value, "max_charge")


def _check_str(instance: Any, attribute: Any, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{attribute.name}: expected a str, got {value!r}")


def _seconds(field: str, minimum: int) -> Any:
    def check(instance: Any, attribute: Any, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgumentType(f"{field}: expected whole seconds (int), got {value!r}")
        if value < minimum:
            raise InvalidArgument(f"{field}: {value} is below {minimum}")

    return check


def _check_prefix(instance: Any, attribute: Any, value: Any) -> None:
    validate_prefix(value, "prefix")


def _optional_str(field: str) -> Any:
    def check(instance: Any, attribute: Any, value: object) -> None:
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidArgument(f"{field}: expected a non-empty name or None, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Rate:
    """One rate row: a prefix, its price per ``unit_seconds``, billing period and fees.

    >>> r = Rate(prefix="44", price="0.0120", first_increment=30, next_increment=6)
    >>> r.billed_seconds(31)
    36
    """

    prefix: str = attrs.field(validator=_check_prefix)
    area: str = attrs.field(default="", validator=_check_str)
    price: Decimal = attrs.field(converter=_price)
    unit_seconds: int = attrs.field(default=60, validator=_seconds("unit_seconds", 1))
    first_increment: int = attrs.field(default=60, validator=_seconds("first_increment", 1))
    next_increment: int = attrs.field(default=60, validator=_seconds("next_increment", 1))
    connect_fee: Decimal = attrs.field(default=ZERO, converter=_connect_fee)
    free_seconds: int = attrs.field(default=0, validator=_seconds("free_seconds", 0))
    grace_seconds: int = attrs.field(default=0, validator=_seconds("grace_seconds", 0))
    min_charge: Decimal | None = attrs.field(default=None, converter=_min_charge)
    max_charge: Decimal | None = attrs.field(default=None, converter=_max_charge)
    effective_from: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    effective_until: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    window: str | None = attrs.field(default=None, validator=_optional_str("window"))
    # exact fractions of price and connect fee, for the integer fast path
    _price_n: int = attrs.field(init=False, eq=False, repr=False)
    _price_d: int = attrs.field(init=False, eq=False, repr=False)
    _fee_n: int = attrs.field(init=False, eq=False, repr=False)
    _fee_d: int = attrs.field(init=False, eq=False, repr=False)
    _terms: BillingTerms | None = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if (
            self.min_charge is not None
            and self.max_charge is not None
            and self.min_charge > self.max_charge
        ):
            raise InvalidArgument(
                f"max_charge: {self.max_charge} is below min_charge {self.min_charge}"
            )
        if (
            self.effective_from is not None
            and self.effective_until is not None
            and utc(self.effective_until) <= utc(self.effective_from)
        ):
            raise InvalidArgument(
                f"effective_until: {self.effective_until.isoformat()} is not after"
                f" effective_from {self.effective_from.isoformat()}"
            )
        pn, pd = decimal_fraction(self.price)
        fn, fd = decimal_fraction(self.connect_fee)
        pd *= self.unit_seconds
        object.__setattr__(self, "_price_n", pn)
        object.__setattr__(self, "_price_d", pd)
        object.__setattr__(self, "_fee_n", fn)
        object.__setattr__(self, "_fee_d", fd)
        terms = None  # a dated rate is priced by the table, never by the batch kernel
        if self.effective_from is None and self.effective_until is None:
            terms = BillingTerms(
                grace=self.grace_seconds,
                free=self.free_seconds,
                first=self.first_increment,
                step=self.next_increment,
                fee_part=fn * pd,
                per_second=pn * fd,
                denominator=fd * pd,
                limits=self.min_charge is not None or self.max_charge is not None,
            )
        object.__setattr__(self, "_terms", terms)

    def in_force(self, *, at: datetime) -> bool:
        """Whether the instant ``at`` lies in ``[effective_from, effective_until)`` (window
        aside), compared as instants whatever zones they are written in."""
        at = utc(check_aware(at, "at"))
        if self.effective_from is not None and at < self.effective_from:
            return False
        return self.effective_until is None or at < self.effective_until

    def chargeable_seconds(self, hold: int) -> int:
        """Hold seconds less grace (a call within grace costs nothing) and free seconds."""
        if check_type(hold, int, "hold") <= 0 or hold <= self.grace_seconds:
            return 0
        return max(0, hold - self.free_seconds)

    def billed_seconds(self, hold: int) -> int:
        """The billed seconds of a call of ``hold`` seconds, on the increment grid."""
        return billed_seconds(
            self.chargeable_seconds(hold), self.first_increment, self.next_increment
        )

    def is_charged(self, hold: int) -> bool:
        """Whether a call of ``hold`` seconds pays anything (connect fee included)."""
        return check_type(hold, int, "hold") > 0 and hold > self.grace_seconds

    def to_row(self) -> dict[str, str]:
        """The rate as a CSV row (see :data:`CSV_COLUMNS`)."""

        def opt(value: object) -> str:
            if value is None:
                return ""
            return value.isoformat() if isinstance(value, datetime) else str(value)

        return {
            "prefix": self.prefix,
            "area": self.area,
            "price": str(self.price),
            "unit_seconds": str(self.unit_seconds),
            "first_increment": str(self.first_increment),
            "next_increment": str(self.next_increment),
            "connect_fee": str(self.connect_fee),
            "free_seconds": str(self.free_seconds),
            "grace_seconds": str(self.grace_seconds),
            "min_charge": opt(self.min_charge),
            "max_charge": opt(self.max_charge),
            "effective_from": opt(self.effective_from),
            "effective_until": opt(self.effective_until),
            "window": opt(self.window),
        }


_CEILING = Rounding.CEILING


#: The longest call the library rates, in milliseconds (about 31 years): anything longer is a
#: broken record, and would run past the calendar on a dated rate.
MAX_DURATION_MS = 10**12


def hold_seconds(duration_ms: int, *, mode: Rounding = Rounding.CEILING) -> int:
    """Whole hold seconds from milliseconds (``CEILING``: 1 ms is 1 s; VOS3000's default),
    for a duration from 0 to :data:`MAX_DURATION_MS`.

    >>> hold_seconds(60_001), hold_seconds(60_001, mode=Rounding.HALF_UP)
    (61, 60)
    """
    if type(duration_ms) is not int or not 0 <= duration_ms <= MAX_DURATION_MS:
        if isinstance(duration_ms, bool) or not isinstance(duration_ms, int):
            raise InvalidArgumentType(f"duration_ms: expected an int, got {duration_ms!r}")
        if not 0 <= duration_ms <= MAX_DURATION_MS:
            raise InvalidArgument(
                f"duration_ms: {duration_ms} is not between 0 and {MAX_DURATION_MS:_}"
                " (about 31 years): pass the call's length in milliseconds"
            )
    if mode is _CEILING:
        return -(-duration_ms // 1000)
    return round_division(int(duration_ms), 1000, check_type(mode, Rounding, "mode"))


def billed_seconds(chargeable: int, first: int, next_: int) -> int:
    """Chargeable seconds on the ``first/next`` increment grid.

    >>> [billed_seconds(s, 60, 60) for s in (0, 1, 60, 61)]
    [0, 60, 60, 120]
    >>> billed_seconds(7, 6, 6), billed_seconds(31, 30, 6)
    (12, 36)
    """
    for value, name in ((chargeable, "chargeable"), (first, "first"), (next_, "next_")):
        check_type(value, int, name)
    if chargeable <= 0:
        return 0
    if chargeable <= first:
        return first
    return first + -(-(chargeable - first) // next_) * next_


@attrs.frozen(kw_only=True)
class TariffWindow:
    """A named time-of-day window on some days of the week (0 = Monday), ``[start, end)`` in
    the table's time zone; ``end`` of ``00:00`` means midnight at the end of the day. Several
    windows may share a name (an overnight off-peak is 00:00-08:00 plus 20:00-24:00)."""

    name: str = attrs.field(validator=_optional_str("name"))
    days: frozenset[int] = attrs.field(converter=weekdays)
    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        check_weekly(self.days, self.start, self.end)

    def contains(self, weekday: int, clock: time) -> bool:
        """Whether the wall-clock reading ``clock`` (a time of day, not an instant) on
        ``weekday`` lies in this window."""
        check_type(weekday, int, "weekday"), check_type(clock, time, "clock")
        return in_weekly(self.days, self.start, self.end, weekday, clock)


@attrs.frozen(kw_only=True)
class ChargePart:
    """A stretch of billed seconds priced by one rate."""

    rate: Rate
    start: datetime
    seconds: int

    @property
    def amount(self) -> Fraction:
        """The exact, unrounded price of this part (connect fee not included)."""
        return Fraction(self.seconds * self.rate._price_n, self.rate._price_d)


class Charge(NamedTuple):
    """The cost of one call: the rate in force at answer, the seconds, the rounded amount.

    ``segments`` holds ``(rate, start, seconds)`` for each stretch of billed time priced by
    one rate; :attr:`parts` gives them as :class:`ChargePart` values. A named tuple rather
    than an attrs class: one is built per call on the hot path."""

    number: str
    rate: Rate
    hold_seconds: int
    billed_seconds: int
    amount: Decimal
    segments: tuple[tuple[Rate, datetime, int], ...]

    @property
    def parts(self) -> tuple[ChargePart, ...]:
        return tuple(
            ChargePart(rate=rate, start=start, seconds=seconds)
            for rate, start, seconds in self.segments
        )


def clamp(rate: Rate, amount: Decimal) -> Decimal:
    if rate.min_charge is not None and amount < rate.min_charge:
        return rate.min_charge
    if rate.max_charge is not None and amount > rate.max_charge:
        return rate.max_charge
    return amount
