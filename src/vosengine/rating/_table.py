"""The rate table: rates by prefix, versions by date and window, the price of a call, the
longest call a balance pays for."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from types import ModuleType
from typing import Any

from .._checks import check_rows, check_type, iterate
from .._time import check_aware, local_reading, zone
from ..errors import InvalidArgument, InvalidArgumentType
from ..money import ZERO, Rounding, RoundingRule
from ..numbering import normalize_number, normalize_numbers
from ..prefix import PrefixTable
from ._afford import longest_call
from ._deck import read_rates, write_rates
from ._errors import RateDeckError, RateNotFound
from ._invariants import check_table
from ._rate import Charge, Rate, TariffWindow, billed_seconds, clamp, hold_seconds, utc
from ._versions import Week, change_instants, check_overlaps, indexed, rate_in_force, version_key
from .kernel import KERNEL, trie_value, versions_of

__all__ = ["RateTable"]

_SECOND = timedelta(seconds=1)
_PARAMS = KERNEL.Params  # the trie value of a prefix the kernel prices
_SETTINGS = ("rounding", "duration_rounding", "windows", "timezone")  # what with_rates keeps
# what every Pricer takes after the rounding: clamp, the charge type, utc(), zero, UTC
_PRICER_TAIL = (clamp, Charge, utc, ZERO, UTC)


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
        "_kernel_tables",
        "_pricer",
        "_quick",
        "_rates",
        "_week",
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
        self.windows: tuple[TariffWindow, ...] = tuple(iterate(windows, "windows"))
        for window in self.windows:
            if not isinstance(window, TariffWindow):
                raise InvalidArgumentType(f"windows: expected TariffWindow, got {window!r}")
        self.timezone = zone(timezone)
        self._week = Week(self.windows) if self.windows else None
        names = {w.name for w in self.windows}
        grouped: dict[str, list[Rate]] = {}
        all_rates = []
        for index, rate in enumerate(iterate(rates, "rates")):
            if not isinstance(rate, Rate):
                raise InvalidArgumentType(f"rates[{index}]: expected a Rate, got {rate!r}")
            if rate.window is not None and rate.window not in names:
                raise InvalidArgument(
                    f"rates[{index}].window: {rate.window!r} is not one of the table's windows"
                    f" {sorted(names)}"
                )
            for field, limit in (("min_charge", rate.min_charge), ("max_charge", rate.max_charge)):
                if limit is not None and not self.rounding.on_grid(limit):
                    raise InvalidArgument(
                        f"rates[{index}].{field}: {limit} (prefix {rate.prefix!r}) is off the"
                        f" table's grid of {self.rounding.decimals} decimals; a charge is"
                        " clamped to it after rounding, so it must be on the grid"
                    )
            grouped.setdefault(rate.prefix, []).append(rate)
            all_rates.append(rate)
        for prefix, versions in grouped.items():
            versions.sort(key=version_key)
            check_overlaps(prefix, versions)
        # One trie. Its value for a prefix is the prefix's versions (one in a tuple, several
        # indexed), or, when the table has a fast path and the prefix one undated rate, the
        # kernel's Params for it (its billing terms as integers): the kernel reads the table.
        fast = not self.windows and self._ceiling
        self._by_prefix: PrefixTable[Any] = PrefixTable(
            (prefix, trie_value(versions) if fast else indexed(versions))
            for prefix, versions in grouped.items()
        )
        self._rates = tuple(all_rates)
        self._kernel_tables: dict[ModuleType, PrefixTable[Any]] = {}
        if fast:
            self._kernel_tables[KERNEL] = self._by_prefix
        self._pricer = self._pricer_of(KERNEL)
        self._quick = None if self._pricer is None else self._pricer.charge

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its rates and settings; the tries and the fast path are rebuilt."""
        return _rebuild, (self._rates, *self._settings())

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rates)

    def __iter__(self) -> Iterator[Rate]:
        return iter(self._rates)

    @property
    def rates(self) -> tuple[Rate, ...]:
        return self._rates

    def _check(self) -> None:
        """Assert the internal invariants (for tests)."""
        check_table(self)

    def with_rates(self, rates: Iterable[Rate]) -> RateTable:
        """A new table with the same settings and ``rates`` added."""
        return _rebuild((*self._rates, *iterate(rates, "rates")), *self._settings())

    def _settings(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _SETTINGS)

    def window_at(self, *, at: datetime) -> str | None:
        """The name of the tariff window active at ``at`` (first match), or ``None``.
        O(log windows)."""
        week = self._week
        if week is None:
            return None
        weekday, clock, _ = local_reading(check_aware(at, "at"), self.timezone)
        return week.name_at(weekday, clock)

    def lookup(self, number: str, *, at: datetime) -> Rate | None:
        """The rate in force for ``number`` at ``at``: longest prefix first. O(len(number) +
        log(versions of a prefix) + log(windows))."""
        return self._find(normalize_number(number), at)[0]

    def _find(self, number: str, at: datetime) -> tuple[Rate | None, bool]:
        """The rate in force, and whether it belongs to the longest matching prefix."""
        if type(at) is not datetime or (type(at.tzinfo) is not timezone and at.utcoffset() is None):
            check_aware(at, "at")
        entry = self._by_prefix.longest_value(number)
        if entry is None:
            return None, False
        if type(entry) is _PARAMS:  # one undated rate, no windows
            return entry.rate, True
        at = utc(at)
        window = self.window_at(at=at) if self._week is not None else None
        found = rate_in_force(entry, at, window)
        if found is not None:
            return found, True
        for _, shorter in reversed(self._by_prefix.matches(number)[:-1]):
            found = rate_in_force(shorter, at, window)
            if found is not None:
                return found, False
        return None, False

    # -- pricing ---------------------------------------------------------------------------

    def price(self, number: str, duration_ms: int, *, at: datetime) -> Charge:
        """The :class:`Charge` of a call to ``number`` answered at ``at`` lasting
        ``duration_ms``. Raises :class:`RateNotFound` when no rate is in force."""
        quick = self._quick
        if quick is not None:
            charge = quick(number, duration_ms, at)  # only for a number of plain digits
            if charge is not None:
                return charge  # type: ignore[no-any-return]
        number = normalize_number(number)
        charge = self._general(number, duration_ms, at)
        if charge is None:
            raise RateNotFound(f"no rate in force for {number!r} at {at.isoformat()}")
        return charge

    def price_many(self, calls: Iterable[tuple[str, int, datetime]]) -> list[Charge | None]:
        """:meth:`price` for each ``(number, duration_ms, answered_at)``; ``None`` where no
        rate is in force."""
        return [
            self._call(normalize_number(n), ms, at) for n, ms, at in check_rows(calls, "calls", 3)
        ]

    def amounts_many(
        self, numbers: Sequence[str], durations_ms: Sequence[int], *, at: Sequence[datetime]
    ) -> list[Decimal | None]:
        """The amounts alone for parallel sequences of numbers, durations and answer times:
        the throughput form of :meth:`price_many` (``None`` where no rate is in force)."""
        for name, given in (("numbers", numbers), ("durations_ms", durations_ms), ("at", at)):
            check_type(given, Sequence, name)
        if not len(numbers) == len(durations_ms) == len(at):
            raise InvalidArgument(
                f"amounts_many: {len(numbers)} numbers, {len(durations_ms)} durations and"
                f" {len(at)} times; the three must have one entry per call"
            )
        return self._amounts(KERNEL, numbers, durations_ms, at)

    def _amounts(
        self,
        kernel: ModuleType,
        numbers: Sequence[str],
        durations_ms: Sequence[int],
        at: Sequence[datetime],
    ) -> list[Decimal | None]:
        """:meth:`amounts_many` through ``kernel`` (``vosengine.rating.kernel``'s pick, or
        either twin in the tests). The kernel prices each call whose longest prefix has one
        undated rate; the table prices the rest, and every call of a table with tariff
        windows or a duration rounding other than ``CEILING``."""
        numbers = normalize_numbers(numbers)
        if self.windows or not self._ceiling:
            return [self._amount(*call) for call in zip(numbers, durations_ms, at, strict=True)]
        kernel_table = self._kernel_table(kernel)
        rule = self.rounding
        out: list[Decimal | None]
        out, slow = kernel.fast_amounts(
            kernel_table.longest_value_many(numbers),
            durations_ms if type(durations_ms) is list else list(durations_ms),
            at if type(at) is list else list(at),
            rule._scale,
            rule._code,
            rule.decimals,
            ZERO,
            clamp,
        )
        for index in slow:
            try:
                out[index] = self._amount(numbers[index], durations_ms[index], at[index])
            except InvalidArgument as error:
                raise type(error)(f"calls[{index}]: {error}") from None
        return out

    def _kernel_table(self, kernel: ModuleType) -> PrefixTable[Any]:
        """A prefix table with ``kernel``'s ``Params`` where the prefix has one undated rate
        (any other value is priced by the table). For the default kernel, the table's own
        trie; another kernel's (the tests') is built on first use, and a race builds it twice,
        harmlessly."""
        kernel_table = self._kernel_tables.get(kernel)
        if kernel_table is None:
            kernel_table = PrefixTable(
                (prefix, trie_value(versions_of(value), kernel=kernel))
                for prefix, value in self._by_prefix.items()
            )
            self._kernel_tables[kernel] = kernel_table
        return kernel_table

    def _pricer_of(self, kernel: ModuleType) -> Any:
        """``kernel``'s single-call ``Pricer`` for this table, or ``None`` for a table it
        cannot serve (tariff windows, or a duration rounding other than ``CEILING``). It
        prices a call whose longest prefix has one undated rate from the rate's integers and
        builds the charge :meth:`_charge` would build."""
        if self.windows or not self._ceiling:
            return None
        rule = self.rounding
        table = self._kernel_table(kernel)
        return kernel.Pricer(table, rule._scale, rule._code, rule.decimals, *_PRICER_TAIL)

    def _call(self, number: str, duration_ms: int, at: datetime) -> Charge | None:
        """The charge of one call, or ``None`` when no rate is in force. The kernel's
        ``Pricer`` serves what it can (see :meth:`_pricer_of`); :meth:`_general` the rest."""
        quick = self._quick
        if quick is not None:
            charge = quick(number, duration_ms, at)
            if charge is not None:
                return charge  # type: ignore[no-any-return]
        return self._general(number, duration_ms, at)

    def _general(self, number: str, duration_ms: int, at: datetime) -> Charge | None:
        """The charge of one call by the general path (every rule, any table), or ``None``
        when no rate is in force."""
        hold = hold_seconds(duration_ms, mode=self.duration_rounding)
        rate, longest = self._find(number, at)
        if rate is None:
            return None
        return self._charge(number, rate, hold, at, longest)

    def _amount(self, number: str, duration_ms: int, at: datetime) -> Decimal | None:
        charge = self._call(number, duration_ms, at)
        return None if charge is None else charge.amount

    def _charge(
        self, number: str, rate: Rate, hold: int, at: datetime, longest: bool = False
    ) -> Charge:
        if hold <= 0 or hold <= rate.grace_seconds:
            return Charge(number, rate, hold, 0, ZERO, ())
        free = rate.free_seconds
        billed = billed_seconds(hold - free, rate.first_increment, rate.next_increment)
        start = utc(at) + timedelta(seconds=free) if free else at
        segments = self._segments(number, rate, start, billed, longest)
        if len(segments) == 1 and segments[0][0] is rate:  # the integer fast path
            numerator = rate._fee_n * rate._price_d + billed * rate._price_n * rate._fee_d
            denominator = rate._fee_d * rate._price_d
        else:
            total = Fraction(rate._fee_n, rate._fee_d)
            for seg_rate, _, seconds in segments:
                total += Fraction(seconds * seg_rate._price_n, seg_rate._price_d)
            numerator, denominator = total.numerator, total.denominator
        amount = clamp(rate, self.rounding.round_fraction(numerator, denominator))
        return Charge(number, rate, hold, billed, amount, segments)

    def _segments(
        self, number: str, rate: Rate, start: datetime, billed: int, longest: bool
    ) -> tuple[tuple[Rate, datetime, int], ...]:
        """Cut ``[start, start + billed s)`` where the rate in force changes. ``longest``
        says ``rate`` belongs to the longest matching prefix."""
        if not self.windows and longest:
            if rate.effective_from is None and rate.effective_until is None:
                return ((rate, start, billed),)  # nothing can take over during the call
            start = utc(start)
            end = start + timedelta(seconds=billed)
            if rate.in_force(at=start) and (
                rate.effective_until is None or end <= rate.effective_until
            ):
                return ((rate, start, billed),)
        start = utc(start)  # instants: wall-time arithmetic is wrong across a clock change
        end = start + timedelta(seconds=billed)
        if billed == 0:
            return ((rate, start, 0),)
        matching = [value for _, value in self._by_prefix.matches(number)]
        cuts = change_instants(matching, self._week, self.timezone, start, end)
        out: list[tuple[Rate, datetime, int]] = []
        edges = [start, *cuts, end]
        for seg_start, seg_end in itertools.pairwise(edges):
            seconds = (seg_end - seg_start) // _SECOND
            # a gap in the deck is covered by the rate in force at answer
            seg_rate = self.lookup(number, at=seg_start) or rate
            if out and out[-1][0] is seg_rate:
                out[-1] = (seg_rate, out[-1][1], out[-1][2] + seconds)
            else:
                out.append((seg_rate, seg_start, seconds))
        return tuple(out)

    def max_call_seconds(
        self, number: str, available: Decimal, *, at: datetime, limit: int = 86_400
    ) -> int:
        """The longest hold time, on the increment grid, that ``available`` pays for.

        The grid is 0, then ``free + first``, then ``free + first + k × next``. The answer
        ``m`` satisfies ``price(m) ≤ available < price(next grid point)``, connect fee and
        tariff windows included, and stays at or below ``limit`` seconds (a rate with a
        maximum charge, or a zero price, pays for any length). 0 when even the first
        increment is out of reach. Raises :class:`RateNotFound`.
        """
        return longest_call(self, normalize_number(number), available, at, limit)[0]

    def longest_call(
        self, number: str, available: Decimal, *, at: datetime, limit: int = 86_400
    ) -> tuple[int, Decimal]:
        """:meth:`max_call_seconds` and its price: ``(seconds, amount)``, ``(0, 0)`` when
        nothing is affordable. The amount to hold for a call that may last that long."""
        return longest_call(self, normalize_number(number), available, at, limit)

    # -- CSV -------------------------------------------------------------------------------

    @classmethod
    def from_csv(cls, text: str | io.TextIOBase, **settings: Any) -> RateTable:
        """Read a rate deck: a header row naming columns of :data:`CSV_COLUMNS` (``prefix``
        and ``price`` required), one rate per row. A broken row fails the whole import with
        its row number, column and reason; nothing is built."""
        rates = read_rates(text)
        try:
            return cls(rates, **settings)
        except RateDeckError:
            raise
        except InvalidArgument as error:
            raise RateDeckError(str(error)) from None

    def to_csv(self) -> str:
        """The deck as CSV with every column of :data:`CSV_COLUMNS`; ``from_csv`` reads it
        back to an equal set of rates."""
        return write_rates(self._rates)


def _rebuild(rates: Iterable[Rate], *settings: Any) -> RateTable:
    """A table of ``rates`` with the settings named by :data:`_SETTINGS`, in order."""
    return RateTable(rates, **dict(zip(_SETTINGS, settings, strict=True)))
