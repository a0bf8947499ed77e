"""Which rate is in force: versions of one prefix by effective date and tariff window, and the
instants where the rate in force may change during a call."""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from .._time import MIDNIGHT, zone
from ..errors import InvalidArgument
from ._rate import Rate, TariffWindow, utc

__all__ = [
    "Versions",
    "Week",
    "change_instants",
    "check_overlaps",
    "indexed",
    "pick",
    "rate_in_force",
    "version_key",
    "wall_clock_instants",
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


_BEGINNING = datetime.min.replace(tzinfo=UTC)


def indexed(versions: Sequence[Rate]) -> tuple[Rate] | Versions:
    """A rate table's trie value for a prefix's ``versions`` (sorted by :func:`version_key`,
    without overlaps) when the kernel does not price it: the one version in a tuple (most
    prefixes of a deck: nothing to index, nor one more object to build and collect), or
    several indexed (:class:`Versions`)."""
    if len(versions) == 1:
        return (versions[0],)
    return Versions(tuple(versions))


def rate_in_force(value: Any, at: datetime, window: str | None) -> Rate | None:
    """The rate in force at ``at`` (UTC) of a trie value: :class:`Versions`, one version in
    a tuple, or the kernel's ``Params`` of one undated rate."""
    kind = type(value)
    if kind is Versions:
        found: Rate | None = value.in_force(at, window)
        return found
    if kind is tuple:
        return pick(value, at, window)
    rate: Rate = value.rate
    return rate


class Versions:
    """Several versions of one prefix (sorted by :func:`version_key`, without overlaps),
    indexed: the version in force at an instant is found by bisection, O(log versions), and
    so are the instants where one version gives way to the next during a call, O(log
    versions + the edges the call crosses)."""

    __slots__ = ("_edges", "_groups", "rates")

    rates: tuple[Rate, ...]
    # window (or None) -> the starts of its versions (undated first) and the versions
    _groups: dict[str | None, tuple[tuple[datetime, ...], tuple[Rate, ...]]]
    _edges: tuple[datetime, ...]  # every effective date, sorted

    def __init__(self, rates: tuple[Rate, ...]) -> None:
        self.rates = rates
        groups: dict[str | None, tuple[list[datetime], list[Rate]]] = {}
        edges: set[datetime] = set()
        for rate in rates:
            starts, members = groups.setdefault(rate.window, ([], []))
            start = rate.effective_from
            starts.append(_BEGINNING if start is None else utc(start))
            members.append(rate)
            for edge in (start, rate.effective_until):
                if edge is not None:
                    edges.add(utc(edge))
        self._groups = {window: (tuple(s), tuple(m)) for window, (s, m) in groups.items()}
        self._edges = tuple(sorted(edges))

    def __repr__(self) -> str:
        return f"Versions({self.rates!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Versions and other.rates == self.rates

    def __hash__(self) -> int:
        return hash(self.rates)

    def __reduce__(self) -> tuple[Any, ...]:
        return Versions, (self.rates,)

    def in_force(self, at: datetime, window: str | None) -> Rate | None:
        """The version in force at ``at`` (UTC): one naming the active ``window`` beats one
        naming none; ``None`` when no version is in force."""
        if window is not None:
            found = self._in_group(window, at)
            if found is not None:
                return found
        return self._in_group(None, at)

    def _in_group(self, window: str | None, at: datetime) -> Rate | None:
        group = self._groups.get(window)
        if group is None:
            return None
        starts, members = group
        index = bisect_right(starts, at) - 1  # the last version to start at or before
        if index < 0:
            return None
        rate = members[index]
        until = rate.effective_until
        return rate if until is None or at < until else None

    def edges(self, start: datetime, end: datetime) -> tuple[datetime, ...]:
        """The effective dates of the versions strictly between ``start`` and ``end``."""
        edges = self._edges
        return edges[bisect_right(edges, start) : bisect_left(edges, end)]


def pick(versions: tuple[Rate, ...], at: datetime, window: str | None) -> Rate | None:
    """The version in force at ``at``: one naming the active ``window`` beats one naming
    none; ``None`` when no version is in force. The plain scan :class:`Versions` answers by
    bisection (the tests compare the two)."""
    fallback = None
    for rate in versions:
        if not rate.in_force(at=at):
            continue
        if rate.window is None:
            fallback = rate
        elif rate.window == window:
            return rate
    return fallback


_DAY_US = 86_400_000_000
#: How far, on the wall clock, a window edge may lie outside a call's readings and still fall
#: inside it in time: a clock change moves the readings by up to this much (plus whatever the
#: offsets at the call's two ends differ by, for the rare larger jumps).
_MARGIN = timedelta(hours=3)


def _micros(clock: time) -> int:
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * 1_000_000 + clock.microsecond


def _clock(micros: int) -> time:
    seconds, micro = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return time(minutes // 60, minutes % 60, second, micro)


class Week:
    """Tariff windows as a weekly timeline: for each weekday, the wall-clock readings where
    the window in force changes (the first of the windows that contain it, in their order)
    and the window from each. Built once per table in O(edges × log windows); which window
    is in force is then a bisection, O(log edges), and the changes during a call are found
    in O(log edges + the changes it crosses)."""

    __slots__ = ("_bounds", "_names")

    def __init__(self, windows: Sequence[TariffWindow]) -> None:
        self._bounds: list[tuple[int, ...]] = []
        self._names: list[tuple[str | None, ...]] = []
        for weekday in range(7):
            events = []  # (reading, 0 for an end and 1 for a start, the window's index)
            for index, window in enumerate(windows):
                if weekday in window.days:
                    end = _DAY_US if window.end == MIDNIGHT else _micros(window.end)
                    events += [(_micros(window.start), 1, index), (end, 0, index)]
            events.sort()
            active: list[int] = []  # a heap of the indexes of the windows open here
            ended: set[int] = set()  # closed, still in the heap until they reach its top
            bounds: list[int] = [0]
            names: list[str | None] = [None]
            position = 0
            while position < len(events):
                reading = events[position][0]
                while position < len(events) and events[position][0] == reading:
                    _, starts, index = events[position]
                    if starts:
                        heapq.heappush(active, index)
                    else:
                        ended.add(index)
                    position += 1
                while active and active[0] in ended:
                    ended.discard(heapq.heappop(active))
                name = windows[active[0]].name if active else None
                if reading == bounds[-1]:
                    names[-1] = name
                elif reading < _DAY_US and name != names[-1]:
                    bounds.append(reading)
                    names.append(name)
            self._bounds.append(tuple(bounds))
            self._names.append(tuple(names))

    def name_at(self, weekday: int, clock: time) -> str | None:
        """The window in force at the wall-clock reading ``clock`` on ``weekday``."""
        return self._names[weekday][bisect_right(self._bounds[weekday], _micros(clock)) - 1]

    def changes(self, tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
        """The instants (UTC) where the window in force may change, among them every one in
        ``(start, end)``: where the wall clock of ``tz`` reaches a reading at which the
        timeline changes (see :func:`wall_clock_instants`), and each midnight."""
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        shift = abs((local_end.utcoffset() or _ZERO) - (local_start.utcoffset() or _ZERO))
        low = local_start.replace(tzinfo=None) - _MARGIN - shift
        high = local_end.replace(tzinfo=None) + _MARGIN + shift
        cuts: list[datetime] = []
        day = low.date()
        while day <= high.date():
            bounds = self._bounds[day.weekday()]
            first = bisect_left(bounds, _micros(low.time())) if day == low.date() else 0
            last = bisect_right(bounds, _micros(high.time())) if day == high.date() else None
            for reading in bounds[first:last]:
                cuts.extend(wall_clock_instants(day, _clock(reading), tz))
            day += _DAY
        return cuts


_ZERO = timedelta(0)


def change_instants(
    matching: Sequence[Any], week: Week | None, tz: tzinfo, start: datetime, end: datetime
) -> list[datetime]:
    """The instants strictly inside ``[start, end)`` (UTC), on the whole-second grid from
    ``start``, where the rate in force may change during a call: the effective dates of the
    versions of the ``matching`` prefixes' trie values (see :func:`indexed`; a kernel's
    ``Params`` has none) and the changes of the tariff windows of ``week`` in ``tz``, sorted.
    O(log of what is indexed + what the call crosses)."""
    changes: list[datetime] = []
    for value in matching:
        if type(value) is Versions:
            changes.extend(value.edges(start, end))
        elif type(value) is tuple:  # one version
            rate = value[0]
            for edge in (rate.effective_from, rate.effective_until):
                if edge is not None and start < edge < end:
                    changes.append(edge)
    if week is not None:
        changes.extend(week.changes(tz, start, end))
    # whole seconds from the start, so that parts stay on the billed-second grid
    instants = {start + -(-(c - start) // _SECOND) * _SECOND for c in changes}
    return sorted(c for c in instants if start < c < end)


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
