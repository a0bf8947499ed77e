"""Which rate is in force: versions of one prefix by effective date and tariff window, and the
instants where the rate in force may change during a call."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidArgument
from ._rate import Rate, TariffWindow

__all__ = ["check_overlaps", "pick", "version_key", "window_edges", "zone"]


def zone(value: str | tzinfo) -> tzinfo:
    """A time zone from a ``tzinfo`` or an IANA name; an unknown name is an error."""
    if isinstance(value, tzinfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"timezone: unknown time zone {value!r}") from None


def version_key(rate: Rate) -> tuple[int, datetime, str]:
    """The order of one prefix's versions: undated first, then by start, then by window."""
    start = rate.effective_from
    return (
        0 if start is None else 1,
        start if start is not None else datetime.min.replace(tzinfo=ZoneInfo("UTC")),
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


def pick(versions: tuple[Rate, ...], at: datetime, window: str | None) -> Rate | None:
    """The version in force at ``at``: one naming the active ``window`` beats one naming
    none; ``None`` when no version is in force."""
    fallback = None
    for rate in versions:
        if not rate.in_force(at):
            continue
        if rate.window is None:
            fallback = rate
        elif rate.window == window:
            return rate
    return fallback


def window_edges(
    windows: Sequence[TariffWindow], tz: tzinfo, start: datetime, end: datetime
) -> set[datetime]:
    """The instants in ``tz`` where one of ``windows`` starts or ends, from the day before
    ``start`` to the day after ``end``."""
    cuts: set[datetime] = set()
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    day = first_day
    while day <= last_day:
        for window in windows:
            if day.weekday() in window.days:
                cuts.add(_local(day, window.start, tz))
                if window.end == time(0):
                    cuts.add(_local(day + timedelta(days=1), time(0), tz))
                else:
                    cuts.add(_local(day, window.end, tz))
        day += timedelta(days=1)
    return cuts


def _local(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)
