"""The time rules every package shares: aware instants, time zones, weekly windows.

vosengine runs on two clocks and never mixes them up (the package docstring states the model):

- **protocol timers** (digest nonces, registrar bindings, blacklist windows, transactions) take
  a monotonic ``now`` in float seconds from any fixed epoch, so a wall-clock jump expires
  nothing;
- **business rules** (account status and expiry, tariff and login windows, ledger records,
  CDRs) take an aware :class:`~datetime.datetime`; a naive one is an
  :class:`~vosengine.InvalidArgument`, never read in the machine's time zone.

This module holds the checks of the second clock, written once: an aware instant, a time zone
by name, and the weekly ``[start, end)`` window that tariff windows and admin login windows
both are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidArgument, InvalidArgumentType

__all__ = [
    "MIDNIGHT",
    "check_aware",
    "check_optional_aware",
    "check_seconds",
    "aware_validator",
    "check_weekly",
    "in_weekly",
    "local_reading",
    "weekdays",
    "zone",
]

#: The largest protocol-clock reading taken, in seconds from the clock's origin (about 31,700
#: years): larger is no monotonic clock, and would overflow the timestamps derived from it.
MAX_SECONDS = 1e12

#: ``end`` of a weekly window that reads ``00:00`` is midnight at the end of the day.
MIDNIGHT = time(0)


def check_aware(value: object, field: str) -> datetime:
    """``value`` if it is an aware ``datetime``: a value of another type is
    :class:`~vosengine.InvalidArgumentType`, a naive one :class:`~vosengine.InvalidArgument`,
    both naming ``field``.

    >>> check_aware(datetime(2026, 1, 1), "now")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vosengine.errors.InvalidArgument: now: 2026-01-01T00:00:00 has no time zone; pass an aware ...

    A hot path tests ``type(v) is not datetime or (type(v.tzinfo) is not timezone and
    v.utcoffset() is None)`` inline and calls this only when that holds: a fixed offset (UTC
    above all) is aware without asking it, where ``utcoffset()`` costs a method call into the
    ``tzinfo`` on every decision.
    """
    if not isinstance(value, datetime):
        raise InvalidArgumentType(f"{field}: expected an aware datetime, got {value!r}")
    if value.utcoffset() is None:
        raise InvalidArgument(
            f"{field}: {value.isoformat()} has no time zone; pass an aware datetime, such as"
            " datetime.now(timezone.utc)"
        )
    return value


def check_seconds(value: object, field: str = "now") -> float:
    """``value`` if it is a reading of the protocol clock: finite seconds (an ``int`` or a
    ``float``, such as ``time.monotonic()`` gives). A ``datetime`` (the business clock) or
    any other type is :class:`~vosengine.InvalidArgumentType`; NaN or an infinity is
    :class:`~vosengine.InvalidArgument`, and so is a reading beyond :data:`MAX_SECONDS`.

    >>> check_seconds(12.5)
    12.5
    """
    kind = type(value)
    if kind is not float and kind is not int:
        if isinstance(value, datetime):
            raise InvalidArgumentType(
                f"{field}: expected monotonic seconds (a float such as time.monotonic()), got"
                f" the datetime {value.isoformat()}: protocol timers do not run on the"
                " wall clock"
            )
        raise InvalidArgumentType(f"{field}: expected monotonic seconds (a float), got {value!r}")
    if not -MAX_SECONDS <= value <= MAX_SECONDS:  # type: ignore[operator]
        raise InvalidArgument(
            f"{field}: {value!r} is no reading of a monotonic clock (finite, and within"
            f" {MAX_SECONDS:.0e} seconds of its origin)"
        )
    return value  # type: ignore[return-value]


def check_optional_aware(value: object, field: str) -> datetime | None:
    """:func:`check_aware`, with ``None`` allowed (an open end, no expiry ...)."""
    return None if value is None else check_aware(value, field)


def aware_validator(*, optional: bool = False) -> Callable[[Any, Any, Any], None]:
    """An attrs validator running :func:`check_aware` (or :func:`check_optional_aware`) with
    the attribute's name."""
    check = check_optional_aware if optional else check_aware

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        check(value, attribute.name)

    return validate


def zone(value: str | tzinfo, field: str = "timezone") -> tzinfo:
    """A time zone from a ``tzinfo`` or an IANA name; an unknown name is an error.

    >>> zone("Europe/London").key
    'Europe/London'
    """
    if isinstance(value, tzinfo):
        return value
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{field}: expected an IANA zone name, got {value!r}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"{field}: unknown time zone {value!r}") from None


def weekdays(value: Iterable[int]) -> frozenset[int]:
    """The days of a weekly window (0 = Monday .. 6 = Sunday) as a frozenset; used as an attrs
    converter (checked by :func:`check_weekly`)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgumentType(f"days: expected weekday numbers 0 .. 6, got {value!r}")
    return frozenset(value)


def check_weekly(days: frozenset[int], start: time, end: time) -> None:
    """Refuse a weekly window that is not one: no day, a day outside 0 .. 6, a ``start`` or
    ``end`` that is no naive time of day, or an ``end`` not after ``start`` (``00:00`` as
    ``end`` is midnight at the end of the day; an overnight window is two windows)."""
    if not days or not all(type(d) is int and 0 <= d <= 6 for d in days):
        raise InvalidArgument(f"days: {sorted(days, key=repr)} must be weekdays 0 (Mon) .. 6")
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise InvalidArgumentType(f"{field}: expected a naive time of day, got {value!r}")
    if end != MIDNIGHT and end <= start:
        raise InvalidArgument(
            f"end: {end.isoformat()} is not after start {start.isoformat()}"
            " (split an overnight window in two)"
        )


def in_weekly(days: frozenset[int], start: time, end: time, weekday: int, clock: time) -> bool:
    """Whether the wall-clock reading ``clock`` on ``weekday`` lies in the window
    ``[start, end)`` on ``days`` (``end`` of ``00:00`` is midnight)."""
    return weekday in days and start <= clock and (end == MIDNIGHT or clock < end)


def local_reading(at: datetime, tz: tzinfo) -> tuple[int, time, date]:
    """The weekday, wall-clock time and date of the instant ``at`` in ``tz``."""
    local = at.astimezone(tz)
    return local.weekday(), local.time(), local.date()
