"""The indexes a rate table prices through, against the plain scans they replace: the
version in force by bisection (``Versions``) against a scan of every version (``pick``),
and the weekly timeline of tariff windows (``Week``) against a first-match scan."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vosengine.errors import InvalidArgument
from vosengine.rating import Rate, RateTable, TariffWindow
from vosengine.rating._versions import Versions, Week, check_overlaps, pick, version_key

BASE = datetime(2026, 11, 23, tzinfo=UTC)
WINDOWS = ("peak", "night")


@st.composite
def version_lists(draw: st.DrawFn) -> list[Rate]:
    """Versions of prefix 44: per window (or none), an optional undated one and dated ones
    on hour marks, some touching, some with gaps, none overlapping."""
    out: list[Rate] = []
    for window in (None, *WINDOWS):
        hour = draw(st.integers(0, 3))
        if draw(st.booleans()):  # an undated version until the first dated one
            until = BASE + timedelta(hours=hour)
            out.append(Rate(prefix="44", price="0.01", effective_until=until, window=window))
        for _ in range(draw(st.integers(0, 6))):
            hour += draw(st.integers(0, 2))
            length = draw(st.integers(1, 3))
            start = BASE + timedelta(hours=hour)
            until = None if draw(st.integers(0, 9)) == 0 else start + timedelta(hours=length)
            out.append(
                Rate(
                    prefix="44",
                    price=f"0.{len(out) + 10}",
                    effective_from=start,
                    effective_until=until,
                    window=window,
                )
            )
            if until is None:
                break
            hour += length
    out.sort(key=version_key)
    return out


@given(versions=version_lists(), minutes=st.lists(st.integers(-60, 40 * 60), max_size=20))
def test_the_version_in_force_by_bisection_is_the_scans(
    versions: list[Rate], minutes: list[int]
) -> None:
    try:
        check_overlaps("44", versions)
    except InvalidArgument:  # an undated version then a dated one from the same start
        return
    indexed = Versions(tuple(versions))
    for minute in minutes:
        at = BASE + timedelta(minutes=minute)
        for window in (None, *WINDOWS):
            assert indexed.in_force(at, window) is pick(tuple(versions), at, window)
    edges = sorted(
        {e for v in versions for e in (v.effective_from, v.effective_until) if e is not None}
    )
    start, end = BASE + timedelta(hours=1), BASE + timedelta(hours=9)
    assert list(indexed.edges(start, end)) == [e for e in edges if start < e < end]


clocks = st.integers(0, 24 * 4).map(lambda q: time(0) if q == 96 else time(q // 4, q % 4 * 15))


@st.composite
def window_lists(draw: st.DrawFn) -> list[TariffWindow]:
    """Up to 12 windows on quarter hours, overlapping freely, several sharing a name."""
    out = []
    for index in range(draw(st.integers(0, 12))):
        days = draw(st.frozensets(st.integers(0, 6), min_size=1))
        start = draw(clocks)
        end = draw(clocks)
        if end != time(0) and end <= start:
            start, end = end, start
        if end != time(0) and end <= start:
            continue
        name = draw(st.sampled_from(["peak", "night", f"w{index}"]))
        out.append(TariffWindow(name=name, days=days, start=start, end=end))
    return out


@given(windows=window_lists(), weekday=st.integers(0, 6), quarter=st.integers(0, 24 * 4 * 3 - 1))
def test_the_window_from_the_weekly_timeline_is_the_first_that_contains_the_reading(
    windows: list[TariffWindow], weekday: int, quarter: int
) -> None:
    week = Week(windows)
    minutes = quarter * 5  # every five minutes, edges included
    clock = time(minutes // 60, minutes % 60, 59 if quarter % 7 == 0 else 0)
    first = next((w.name for w in windows if w.contains(weekday, clock)), None)
    assert week.name_at(weekday, clock) == first
    table = RateTable(
        [Rate(prefix="44", price="0.01")]
        + [Rate(prefix="44", price="0.02", window=name) for name in {w.name for w in windows}],
        windows=windows,
    )
    at = datetime.combine(BASE.date() + timedelta(days=weekday), clock, tzinfo=UTC)
    assert table.window_at(at=at) == first
