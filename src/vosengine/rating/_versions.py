"""Which rate is in force: versions of one prefix by effective date and tariff window, and the
instants where the rate in force may change during a call."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .._time import zone
from ..errors import InvalidArgument
from ._rate import Rate, TariffWindow, utc

__all__ = [
    "change_instants",
    "check_overlaps",
    "pick",
    "version_key",
    "wall_clock_instants",
    "window_edges",
    "zone",
]

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def version_key(rate: Rate) -> tuple[int, datetime, str]:
    """The order of one prefix's versions: undated first, then by start, then by window."""
    start = rate.effective_from
    return (
        0 if start is None else 1,
        utc(start) if start is not None else datetime.min.replace(tzinfo=UTC),
        rate.window or "",
    )


def check_overlaps(prefix: str, versions: list[Rate]) -> None:
    """Refuse two versions of ``prefix`` (sorted by :func:`version_key`) that name the same
    window and are in force at the same time."""
    by_window: dict[str | None, list[Rate]] = {}
    for rate in versions:
        by_window.setdefault(rate.window, []).append(rate)
    for window, rates in by_window.items():
        for earlier, later in itertools.pairwise(rates):
            if (
                earlier.effective_until is None
                or (
                    later.effective_from is not None
                    and utc(later.effective_from) < utc(earlier.effective_until)
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


def pick(versions: tuple[Rate, ...], at: datetime, window: str | None) -> Rate | None:
    """The version in force at ``at``: one naming the active ``window`` beats one naming
    none; ``None`` when no version is in force."""
    fallback = None
    for rate in versions:
        if not rate.in_force(at=at):
            continue
        if rate.window is None:
            fallback = rate
        elif rate.window == window:
            return rate
    return fallback


def change_instants(
    matching: Sequence[tuple[Rate, ...]],
    windows: Sequence[TariffWindow],
    tz: tzinfo,
    start: datetime,
    end: datetime,
) -> set[datetime]:
    """Instants, on the whole-second grid from ``start`` (UTC), where the rate in force may
    change during ``[start, end)``: the effective dates of the ``matching`` prefixes'
    versions and the edges of the tariff ``windows`` in ``tz``."""
    cuts: set[datetime] = set()
    for versions in matching:
        for version in versions:
            for edge in (version.effective_from, version.effective_until):
                if edge is not None:
                    cuts.add(edge)
    if windows:
        cuts |= window_edges(windows, tz, start, end)
    # whole seconds from the start, so that parts stay on the billed-second grid
    return {start + -(-(c - start) // _SECOND) * _SECOND for c in cuts}


def window_edges(
    windows: Sequence[TariffWindow], tz: tzinfo, start: datetime, end: datetime
) -> set[datetime]:
    """The instants (in UTC) where one of ``windows`` may start or end, from the day before
    ``start`` to the day after ``end``: wherever the wall clock of ``tz`` reaches a window's
    start or end reading (see :func:`wall_clock_instants` for the days the clocks change)."""
    cuts: set[datetime] = set()
    first_day = start.astimezone(tz).date() - _DAY
    last_day = end.astimezone(tz).date() + _DAY
    day = first_day
    while day <= last_day:
        for window in windows:
            if day.weekday() in window.days:
                cuts.update(wall_clock_instants(day, window.start, tz))
                if window.end == time(0):
                    cuts.update(wall_clock_instants(day + _DAY, time(0), tz))
                else:
                    cuts.update(wall_clock_instants(day, window.end, tz))
        day += _DAY
    return cuts


def wall_clock_instants(day: date, clock: time, tz: tzinfo) -> tuple[datetime, ...]:
    """The instants (in UTC) where the wall clock of ``tz`` reaches ``clock`` on ``day``.

    On most days that is one instant. In the hour repeated when the clocks go back, the clock
    reads ``clock`` twice, and it also passes ``clock`` going backwards at the change: all
    three. When the clocks go forward over ``clock``, it never reads it, but it passes it at
    the change: that one instant. (A window membership read off the wall clock, as
    :meth:`RateTable.window_at` does, can change only at these instants.)
    """
    naive = datetime.combine(day, clock)
    early = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early == late:
        return (early,)
    if early < late:  # repeated: fold 0 is the first reading, fold 1 the second
        return (early, _change_between(early, late, tz), late)
    return (_change_between(late, early, tz),)  # skipped: PEP 495 maps fold 0 past the gap


def _change_between(low: datetime, high: datetime, tz: tzinfo) -> datetime:
    """The first whole second after ``low`` (UTC) where ``tz``'s offset differs from its
    offset at ``low``; it lies at or before ``high``, whose offset differs."""
    low = low.replace(microsecond=0)
    offset = low.astimezone(tz).utcoffset()
    below, above = 0, -(-(high - low) // _SECOND)
    while above - below > 1:  # offset at low + below == offset; at low + above it differs
        middle = (below + above) // 2
        if (low + middle * _SECOND).astimezone(tz).utcoffset() == offset:
            below = middle
        else:
            above = middle
    return low + above * _SECOND
