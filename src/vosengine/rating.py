"""Rate tables and the cost of a call, exact to the last decimal.

The rules (user-facing contracts; each is tested with hand-computed examples):

* **Hold time.** Durations come in milliseconds. They become whole *hold seconds* by the
  table's ``duration_rounding`` (default ``CEILING``: VOS3000 rounds hold time up).
* **Zero and failed calls cost nothing.** A call with 0 hold seconds costs 0, connect fee
  included.
* **Grace seconds.** An answered call of at most ``grace_seconds`` hold seconds costs nothing.
* **Free seconds.** The first ``free_seconds`` of every answered call are not billed; the
  rest, the *chargeable seconds*, are.
* **Increments.** Chargeable seconds are billed on the grid of the rate's billing period
  ``first_increment/next_increment``: any chargeable time pays the first increment in full,
  then whole next increments. 60/60 bills 61 s as 120 s; 30/6 bills 31 s as 36 s; 6/6 bills
  7 s as 12 s; 1/1 bills exactly.
* **Cost.** ``connect_fee + billed_seconds × price ÷ unit_seconds``, computed exactly and
  **rounded once** on the total by the table's :class:`~vosengine.money.RoundingRule`, then
  clamped to the rate's ``min_charge`` / ``max_charge``. (Rounding each increment drifts.)
* **Which rate.** The longest prefix of the callee that has a rate *in force* at the instant
  wins; a rate is in force when the instant lies in ``[effective_from, effective_until)`` and,
  if the rate names a tariff window, that window is the table's active window then. Among the
  rates of one prefix, one naming the active window beats one naming none.
* **Calls that cross a boundary.** The rate in force at the answer instant fixes the connect
  fee, free and grace seconds, increments and min/max charge. Its billed seconds are laid on
  the clock from ``answer + free_seconds``, one billed second after another, and cut wherever
  the rate in force changes (a tariff window starts or ends, a rate's effective date is
  reached); each part is priced by the rate in force at its start, and the exact sum is
  rounded once.
* **Rate not found.** No prefix with a rate in force: :meth:`RateTable.price` raises
  :class:`RateNotFound`; the batch form returns ``None`` in that place.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from . import _extensions
from .errors import InvalidArgument, InvalidArgumentType, NotFound
from .money import (
    _HALF_UP,
    ZERO,
    Rounding,
    RoundingRule,
    _round,
    decimal_fraction,
    round_division,
    to_decimal,
)
from .numbering import validate_prefix
from .prefix import PrefixTable

_kernel: Any = _extensions.load("vosengine._rating")[0]

__all__ = [
    "CSV_COLUMNS",
    "Charge",
    "ChargePart",
    "Rate",
    "RateDeckError",
    "RateNotFound",
    "RateTable",
    "TariffWindow",
    "billed_seconds",
    "hold_seconds",
]


class RateNotFound(NotFound):
    """No rate is in force for the number at that instant."""


class RateDeckError(InvalidArgument):
    """A rate deck (CSV) row is broken: ``row`` (1-based line number), ``column``, reason."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        where = ""
        if row is not None:
            where = f"row {row}" + (f", column {column!r}" if column else "") + ": "
        super().__init__(where + message)
        self.row = row
        self.column = column


# -- validators ----------------------------------------------------------------------------


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


def _aware(field: str) -> Any:
    def check(instance: Any, attribute: Any, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, datetime):
            raise InvalidArgumentType(f"{field}: expected a datetime, got {value!r}")
        if value.utcoffset() is None:
            raise InvalidArgument(f"{field}: {value.isoformat()} has no time zone")

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
    effective_from: datetime | None = attrs.field(default=None, validator=_aware("effective_from"))
    effective_until: datetime | None = attrs.field(
        default=None, validator=_aware("effective_until")
    )
    window: str | None = attrs.field(default=None, validator=_optional_str("window"))
    # exact fractions of price and connect fee, for the integer fast path
    _price_n: int = attrs.field(init=False, eq=False, repr=False)
    _price_d: int = attrs.field(init=False, eq=False, repr=False)
    _fee_n: int = attrs.field(init=False, eq=False, repr=False)
    _fee_d: int = attrs.field(init=False, eq=False, repr=False)
    _fast: tuple[Any, ...] | None = attrs.field(init=False, eq=False, repr=False)

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
            and self.effective_until <= self.effective_from
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
        # everything the batch path needs, in one tuple; None for a dated rate
        fast = None
        if self.effective_from is None and self.effective_until is None:
            fast = (
                self.grace_seconds,
                self.free_seconds,
                self.first_increment,
                self.next_increment,
                fn * pd,
                pn * fd,
                fd * pd,
                self.min_charge is not None or self.max_charge is not None,
            )
        object.__setattr__(self, "_fast", fast)

    def in_force(self, at: datetime) -> bool:
        """Whether ``at`` lies in ``[effective_from, effective_until)`` (window aside)."""
        if self.effective_from is not None and at < self.effective_from:
            return False
        return self.effective_until is None or at < self.effective_until

    def chargeable_seconds(self, hold: int) -> int:
        """Hold seconds less grace (a call within grace costs nothing) and free seconds."""
        if hold <= 0 or hold <= self.grace_seconds:
            return 0
        return max(0, hold - self.free_seconds)

    def billed_seconds(self, hold: int) -> int:
        """The billed seconds of a call of ``hold`` seconds, on the increment grid."""
        return billed_seconds(
            self.chargeable_seconds(hold), self.first_increment, self.next_increment
        )

    def is_charged(self, hold: int) -> bool:
        """Whether a call of ``hold`` seconds pays anything (connect fee included)."""
        return hold > 0 and hold > self.grace_seconds

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


def hold_seconds(duration_ms: int, mode: Rounding = Rounding.CEILING) -> int:
    """Whole hold seconds from milliseconds (``CEILING``: 1 ms is 1 s; VOS3000's default).

    >>> hold_seconds(60_001), hold_seconds(60_001, Rounding.HALF_UP)
    (61, 60)
    """
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int):
        raise InvalidArgumentType(f"duration_ms: expected an int, got {duration_ms!r}")
    if duration_ms < 0:
        raise InvalidArgument(f"duration_ms: {duration_ms} is negative")
    if mode is Rounding.CEILING:
        return -(-duration_ms // 1000)
    return round_division(duration_ms, 1000, mode)


def billed_seconds(chargeable: int, first: int, next_: int) -> int:
    """Chargeable seconds on the ``first/next`` increment grid.

    >>> [billed_seconds(s, 60, 60) for s in (0, 1, 60, 61)]
    [0, 60, 60, 120]
    >>> billed_seconds(7, 6, 6), billed_seconds(31, 30, 6)
    (12, 36)
    """
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
    days: frozenset[int] = attrs.field(converter=frozenset)
    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        if not self.days or not all(isinstance(d, int) and 0 <= d <= 6 for d in self.days):
            raise InvalidArgument(f"days: {sorted(self.days)} must be weekdays 0 (Mon) .. 6")
        for field, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidArgument(f"{field}: expected a naive time of day, got {value!r}")
        if self.end != time(0) and self.end <= self.start:
            raise InvalidArgument(
                f"end: {self.end.isoformat()} is not after start {self.start.isoformat()}"
                " (split an overnight window in two)"
            )

    def contains(self, weekday: int, at: time) -> bool:
        if weekday not in self.days or at < self.start:
            return False
        return self.end == time(0) or at < self.end


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


def _zone(value: str | tzinfo) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"timezone: unknown time zone {value!r}") from None


#: The columns of a rate deck CSV, in order. ``prefix`` and ``price`` are required.
CSV_COLUMNS = (
    "prefix",
    "area",
    "price",
    "unit_seconds",
    "first_increment",
    "next_increment",
    "connect_fee",
    "free_seconds",
    "grace_seconds",
    "min_charge",
    "max_charge",
    "effective_from",
    "effective_until",
    "window",
)
_SECOND = timedelta(seconds=1)
_INT_COLUMNS = {
    "unit_seconds",
    "first_increment",
    "next_increment",
    "free_seconds",
    "grace_seconds",
}
_DATE_COLUMNS = {"effective_from", "effective_until"}


class RateTable:
    """Rates by prefix (longest match), with versions by effective date and tariff windows.

    Immutable: build a new table to change rates (``with_rates``) and swap the reference;
    readers never see half a table. Thread-safe for any number of readers.

    ``rounding`` rounds each call's total once; ``duration_rounding`` turns milliseconds into
    hold seconds; ``windows`` are the time-of-day windows (first match wins) in ``timezone``.
    """

    __slots__ = (
        "_by_prefix",
        "_ceiling",
        "_kernel_table",
        "_rates",
        "duration_rounding",
        "rounding",
        "timezone",
        "windows",
    )

    def __init__(
        self,
        rates: Iterable[Rate] = (),
        *,
        rounding: RoundingRule | None = None,
        duration_rounding: Rounding = Rounding.CEILING,
        windows: Sequence[TariffWindow] = (),
        timezone: str | tzinfo = "UTC",
    ) -> None:
        self.rounding = RoundingRule() if rounding is None else rounding
        if not isinstance(self.rounding, RoundingRule):
            raise InvalidArgumentType(f"rounding: expected a RoundingRule, got {rounding!r}")
        if not isinstance(duration_rounding, Rounding):
            raise InvalidArgumentType(
                f"duration_rounding: expected a Rounding mode, got {duration_rounding!r}"
            )
        self.duration_rounding = duration_rounding
        self._ceiling = duration_rounding is Rounding.CEILING
        self.windows = tuple(windows)
        for window in self.windows:
            if not isinstance(window, TariffWindow):
                raise InvalidArgumentType(f"windows: expected TariffWindow, got {window!r}")
        self.timezone = _zone(timezone)
        names = {w.name for w in self.windows}
        grouped: dict[str, list[Rate]] = {}
        all_rates = []
        for index, rate in enumerate(rates):
            if not isinstance(rate, Rate):
                raise InvalidArgumentType(f"rates[{index}]: expected a Rate, got {rate!r}")
            if rate.window is not None and rate.window not in names:
                raise InvalidArgument(
                    f"rates[{index}].window: {rate.window!r} is not one of the table's windows"
                    f" {sorted(names)}"
                )
            grouped.setdefault(rate.prefix, []).append(rate)
            all_rates.append(rate)
        for prefix, versions in grouped.items():
            versions.sort(key=_version_key)
            _check_overlaps(prefix, versions)
        self._by_prefix: PrefixTable[tuple[Rate, ...]] = PrefixTable(
            (prefix, tuple(versions)) for prefix, versions in grouped.items()
        )
        self._rates = tuple(all_rates)
        self._kernel_table: PrefixTable[Any] | None = None

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rates)

    def __iter__(self) -> Iterator[Rate]:
        return iter(self._rates)

    @property
    def rates(self) -> tuple[Rate, ...]:
        return self._rates

    def with_rates(self, rates: Iterable[Rate]) -> RateTable:
        """A new table with the same settings and ``rates`` added."""
        return RateTable(
            (*self._rates, *rates),
            rounding=self.rounding,
            duration_rounding=self.duration_rounding,
            windows=self.windows,
            timezone=self.timezone,
        )

    def window_at(self, at: datetime) -> str | None:
        """The name of the tariff window active at ``at`` (first match), or ``None``."""
        if not self.windows:
            return None
        local = at.astimezone(self.timezone)
        weekday, clock = local.weekday(), local.time()
        for window in self.windows:
            if window.contains(weekday, clock):
                return window.name
        return None

    def lookup(self, number: str, at: datetime) -> Rate | None:
        """The rate in force for ``number`` at ``at``: longest prefix first. O(len(number))."""
        return self._find(number, at)[0]

    def _find(self, number: str, at: datetime) -> tuple[Rate | None, bool]:
        """The rate in force, and whether it belongs to the longest matching prefix."""
        if at.utcoffset() is None:
            raise InvalidArgument(f"at: {at.isoformat()} has no time zone")
        versions = self._by_prefix.longest_value(number)
        if versions is None:
            return None, False
        if len(versions) == 1 and not self.windows:
            only = versions[0]
            if only.effective_from is None and only.effective_until is None:
                return only, True
        window = self.window_at(at) if self.windows else None
        found = _pick(versions, at, window)
        if found is not None:
            return found, True
        for _, shorter in reversed(self._by_prefix.matches(number)[:-1]):
            found = _pick(shorter, at, window)
            if found is not None:
                return found, False
        return None, False

    # -- pricing ---------------------------------------------------------------------------

    def price(self, number: str, duration_ms: int, at: datetime) -> Charge:
        """The :class:`Charge` of a call to ``number`` answered at ``at`` lasting
        ``duration_ms``. Raises :class:`RateNotFound` when no rate is in force."""
        rate, longest = self._find(number, at)
        if rate is None:
            raise RateNotFound(f"no rate in force for {number!r} at {at.isoformat()}")
        if type(duration_ms) is int and duration_ms >= 0 and self._ceiling:
            hold = -(-duration_ms // 1000)
        else:
            hold = hold_seconds(duration_ms, self.duration_rounding)
        return self._charge(number, rate, hold, at, longest)

    def price_many(self, calls: Iterable[tuple[str, int, datetime]]) -> list[Charge | None]:
        """:meth:`price` for each ``(number, duration_ms, answered_at)``; ``None`` where no
        rate is in force."""
        out: list[Charge | None] = []
        for number, duration_ms, at in calls:
            rate, longest = self._find(number, at)
            if rate is None:
                out.append(None)
                continue
            hold = hold_seconds(duration_ms, self.duration_rounding)
            out.append(self._charge(number, rate, hold, at, longest))
        return out

    def amounts_many(
        self, numbers: Sequence[str], durations_ms: Sequence[int], at: Sequence[datetime]
    ) -> list[Decimal | None]:
        """The amounts alone for parallel sequences of numbers, durations and answer times:
        the throughput form of :meth:`price_many` (``None`` where no rate is in force)."""
        if not len(numbers) == len(durations_ms) == len(at):
            raise InvalidArgument(
                f"amounts_many: {len(numbers)} numbers, {len(durations_ms)} durations and"
                f" {len(at)} times; the three must have one entry per call"
            )
        if _kernel is not None and not self.windows and self._ceiling:
            kernel_table = self._kernel_table
            if kernel_table is None:  # built on first use; a race builds it twice, harmlessly
                kernel_table = PrefixTable(
                    (
                        prefix,
                        _kernel.params_for(versions[0]) if len(versions) == 1 else _kernel.SLOW,
                    )
                    for prefix, versions in self._by_prefix.items()
                )
                self._kernel_table = kernel_table
            rule = self.rounding
            out, slow = _kernel.fast_amounts(
                kernel_table.longest_value_many(numbers),
                durations_ms if type(durations_ms) is list else list(durations_ms),
                rule._scale,
                rule._code,
                rule.decimals,
                ZERO,
                _clamp,
            )
            for index in slow:
                found, longest = self._find(numbers[index], at[index])
                if found is None:
                    out[index] = None
                    continue
                hold = hold_seconds(durations_ms[index], self.duration_rounding)
                out[index] = self._charge(numbers[index], found, hold, at[index], longest).amount
            result: list[Decimal | None] = out
            return result
        return self._amounts_py(numbers, durations_ms, at)

    def _amounts_py(
        self,
        numbers: Sequence[str],
        durations_ms: Sequence[int],
        at: Sequence[datetime],
    ) -> list[Decimal | None]:
        """The pure-Python twin of the compiled batch kernel (``vosengine._rating``)."""
        found_versions = self._by_prefix.longest_value_many(numbers)
        out: list[Decimal | None] = []
        append = out.append
        mode = self.duration_rounding
        ceiling = mode is Rounding.CEILING
        simple = not self.windows
        scale, code, decimals = self.rounding._scale, self.rounding._code, self.rounding.decimals
        half_up = code == _HALF_UP
        for number, versions, duration_ms, when in zip(
            numbers, found_versions, durations_ms, at, strict=True
        ):
            rate = versions[0] if simple and versions is not None and len(versions) == 1 else None
            fast = None if rate is None else rate._fast
            if (
                rate is None or fast is None
            ):  # dated or windowed rates, or no rate: the general path
                found, longest = self._find(number, when)
                if found is None:
                    append(None)
                    continue
                hold = hold_seconds(duration_ms, mode)
                append(self._charge(number, found, hold, when, longest).amount)
                continue
            grace, free, first, step, fee_part, per_second, denominator, limits = fast
            if ceiling and type(duration_ms) is int and duration_ms >= 0:
                hold = -(-duration_ms // 1000)
            else:
                hold = hold_seconds(duration_ms, mode)
            if hold <= 0 or hold <= grace:
                append(ZERO)
                continue
            chargeable = hold - free
            if chargeable <= 0:
                billed = 0
            elif chargeable <= first:
                billed = first
            else:
                billed = first + -(-(chargeable - first) // step) * step
            numerator = (fee_part + billed * per_second) * scale
            if half_up:  # numerator >= 0: round half up in one division
                units = (2 * numerator + denominator) // (2 * denominator)
            else:
                units = _round(numerator, denominator, code)
            amount = Decimal(units).scaleb(-decimals)
            append(_clamp(rate, amount) if limits else amount)
        return out

    def _charge(
        self, number: str, rate: Rate, hold: int, at: datetime, longest: bool = False
    ) -> Charge:
        if hold <= 0 or hold <= rate.grace_seconds:
            return Charge(number, rate, hold, 0, ZERO, ())
        free = rate.free_seconds
        billed = billed_seconds(hold - free, rate.first_increment, rate.next_increment)
        start = at + timedelta(seconds=free) if free else at
        segments = self._segments(number, rate, start, billed, longest)
        if len(segments) == 1 and segments[0][0] is rate:  # the integer fast path
            numerator = rate._fee_n * rate._price_d + billed * rate._price_n * rate._fee_d
            denominator = rate._fee_d * rate._price_d
        else:
            total = Fraction(rate._fee_n, rate._fee_d)
            for seg_rate, _, seconds in segments:
                total += Fraction(seconds * seg_rate._price_n, seg_rate._price_d)
            numerator, denominator = total.numerator, total.denominator
        amount = self.rounding.round_fraction(numerator, denominator)
        if rate.min_charge is not None or rate.max_charge is not None:
            amount = _clamp(rate, amount)
        return Charge(number, rate, hold, billed, amount, segments)

    def _segments(
        self, number: str, rate: Rate, start: datetime, billed: int, longest: bool
    ) -> tuple[tuple[Rate, datetime, int], ...]:
        """Cut ``[start, start + billed s)`` where the rate in force changes. ``longest``
        says ``rate`` belongs to the longest matching prefix."""
        if not self.windows and longest:
            if rate.effective_from is None and rate.effective_until is None:
                return ((rate, start, billed),)  # nothing can take over during the call
            end = start + timedelta(seconds=billed)
            if rate.in_force(start) and (
                rate.effective_until is None or end <= rate.effective_until
            ):
                return ((rate, start, billed),)
        end = start + timedelta(seconds=billed)
        if billed == 0:
            return ((rate, start, 0),)
        cuts = sorted(c for c in self._boundaries(number, start, end) if start < c < end)
        out: list[tuple[Rate, datetime, int]] = []
        edges = [start, *cuts, end]
        for seg_start, seg_end in itertools.pairwise(edges):
            seconds = (seg_end - seg_start) // _SECOND
            # a gap in the deck is covered by the rate in force at answer
            seg_rate = self.lookup(number, seg_start) or rate
            if out and out[-1][0] is seg_rate:
                out[-1] = (seg_rate, out[-1][1], out[-1][2] + seconds)
            else:
                out.append((seg_rate, seg_start, seconds))
        return tuple(out)

    def _boundaries(self, number: str, start: datetime, end: datetime) -> set[datetime]:
        """Instants, on the whole-second grid from ``start``, where the rate may change."""
        cuts: set[datetime] = set()
        for _, versions in self._by_prefix.matches(number):
            for version in versions:
                for edge in (version.effective_from, version.effective_until):
                    if edge is not None:
                        cuts.add(edge)
        if self.windows:
            tz = self.timezone
            first_day = start.astimezone(tz).date() - timedelta(days=1)
            last_day = end.astimezone(tz).date() + timedelta(days=1)
            day = first_day
            while day <= last_day:
                for window in self.windows:
                    if day.weekday() in window.days:
                        cuts.add(_local(day, window.start, tz))
                        if window.end == time(0):
                            cuts.add(_local(day + timedelta(days=1), time(0), tz))
                        else:
                            cuts.add(_local(day, window.end, tz))
                day += timedelta(days=1)
        # whole seconds from the start, so that parts stay on the billed-second grid
        return {start + -(-(c - start) // _SECOND) * _SECOND for c in cuts}

    def max_call_seconds(
        self, number: str, available: Decimal, at: datetime, *, limit: int = 86_400
    ) -> int:
        """The longest hold time, on the increment grid, that ``available`` pays for.

        The grid is 0, then ``free + first``, then ``free + first + k × next``. The answer
        ``m`` satisfies ``price(m) ≤ available < price(next grid point)``, connect fee and
        tariff windows included, and stays at or below ``limit`` seconds (a rate with a
        maximum charge, or a zero price, pays for any length). 0 when even the first
        increment is out of reach. Raises :class:`RateNotFound`.
        """
        available = to_decimal(available, "available")
        rate, longest = self._find(number, at)
        if rate is None:
            raise RateNotFound(f"no rate in force for {number!r} at {at.isoformat()}")
        base = rate.free_seconds + rate.first_increment

        def point(k: int) -> int:  # the k-th grid point, k >= 1
            return base + (k - 1) * rate.next_increment

        def cost(hold: int) -> Decimal:
            return self._charge(number, rate, hold, at, longest).amount

        if limit < base or available < 0 or cost(base) > available:
            return 0
        low, high = 1, (limit - base) // rate.next_increment + 1
        if cost(point(high)) <= available:
            return point(high)
        while high - low > 1:  # invariant: cost(point(low)) <= available < cost(point(high))
            middle = (low + high) // 2
            if cost(point(middle)) <= available:
                low = middle
            else:
                high = middle
        return point(low)

    # -- CSV -------------------------------------------------------------------------------

    @classmethod
    def from_csv(cls, text: str | io.TextIOBase, **settings: Any) -> RateTable:
        """Read a rate deck: a header row naming columns of :data:`CSV_COLUMNS` (``prefix``
        and ``price`` required), one rate per row. A broken row fails the whole import with
        its row number, column and reason; nothing is built."""
        stream = io.StringIO(text) if isinstance(text, str) else text
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            raise RateDeckError("the deck is empty: expected a header row", row=1) from None
        except csv.Error as error:
            raise RateDeckError(str(error), row=1) from None
        header = [h.strip().lower() for h in header]
        for column in header:
            if column not in CSV_COLUMNS:
                raise RateDeckError(f"unknown column {column!r}", row=1, column=column)
        for required in ("prefix", "price"):
            if required not in header:
                raise RateDeckError(f"missing required column {required!r}", row=1)
        if len(set(header)) != len(header):
            raise RateDeckError("a column is named twice", row=1)
        rates = []
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise RateDeckError(f"expected {len(header)} cells, got {len(row)}", row=line)
                rates.append(_rate_from_cells(dict(zip(header, row, strict=True)), line))
        except csv.Error as error:
            raise RateDeckError(str(error), row=reader.line_num) from None
        try:
            return cls(rates, **settings)
        except RateDeckError:
            raise
        except InvalidArgument as error:
            raise RateDeckError(str(error)) from None

    def to_csv(self) -> str:
        """The deck as CSV with every column of :data:`CSV_COLUMNS`; ``from_csv`` reads it
        back to an equal set of rates."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for rate in self._rates:
            writer.writerow(rate.to_row())
        return out.getvalue()


def _rate_from_cells(cells: Mapping[str, str], line: int) -> Rate:
    values: dict[str, Any] = {}
    for column, raw in cells.items():
        cell = raw.strip()
        if cell == "":
            if column in ("prefix", "price"):
                raise RateDeckError("is empty", row=line, column=column)
            continue
        if column in _INT_COLUMNS:
            try:
                values[column] = int(cell)
            except ValueError:
                raise RateDeckError(
                    f"{cell!r} is not a whole number of seconds", row=line, column=column
                ) from None
        elif column in _DATE_COLUMNS:
            try:
                values[column] = datetime.fromisoformat(cell)
            except ValueError:
                raise RateDeckError(
                    f"{cell!r} is not an ISO 8601 date-time", row=line, column=column
                ) from None
        else:
            values[column] = cell
    try:
        return Rate(**values)
    except InvalidArgument as error:
        message = str(error)
        named = message.split(":", 1)[0]
        if named in CSV_COLUMNS:
            raise RateDeckError(message.split(": ", 1)[-1], row=line, column=named) from None
        raise RateDeckError(message, row=line) from None


def _version_key(rate: Rate) -> tuple[int, datetime, str]:
    start = rate.effective_from
    return (
        0 if start is None else 1,
        start if start is not None else datetime.min.replace(tzinfo=ZoneInfo("UTC")),
        rate.window or "",
    )


def _check_overlaps(prefix: str, versions: list[Rate]) -> None:
    by_window: dict[str | None, list[Rate]] = {}
    for rate in versions:
        by_window.setdefault(rate.window, []).append(rate)
    for window, rates in by_window.items():
        for earlier, later in itertools.pairwise(rates):
            if (
                earlier.effective_until is None
                or (
                    later.effective_from is not None
                    and later.effective_from < earlier.effective_until
                )
                or later.effective_from is None
            ):
                where = "" if window is None else f" in window {window!r}"
                raise InvalidArgument(
                    f"prefix {prefix!r}: two rates{where} are in force at the same time"
                    f" (from {_when(earlier.effective_from)} and from"
                    f" {_when(later.effective_from)})"
                )


def _when(value: datetime | None) -> str:
    return "the beginning" if value is None else value.isoformat()


def _pick(versions: tuple[Rate, ...], at: datetime, window: str | None) -> Rate | None:
    fallback = None
    for rate in versions:
        if not rate.in_force(at):
            continue
        if rate.window is None:
            fallback = rate
        elif rate.window == window:
            return rate
    return fallback


def _clamp(rate: Rate, amount: Decimal) -> Decimal:
    if rate.min_charge is not None and amount < rate.min_charge:
        return rate.min_charge
    if rate.max_charge is not None and amount > rate.max_charge:
        return rate.max_charge
    return amount


def _local(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)
