"""Tariff windows and effective dates on the days the clocks change.

A window follows the wall clock of the table's zone as :meth:`RateTable.window_at` reads it at
each instant. The reference below prices a call second by second, asking the table which rate
is in force at each billed second (an absolute instant), and sums exactly; ``price``,
``price_many`` and ``amounts_many`` (through both kernels) must agree with it, whatever zone
the answer time is written in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.money import Rounding, RoundingRule
from vosengine.rating import Rate, RateTable, TariffWindow, billed_seconds, hold_seconds

D = Decimal
ZONES = [
    "Europe/London",  # changes at 01:00 UTC
    "America/New_York",  # at 02:00 local
    "Australia/Sydney",  # southern hemisphere: April and October
    "America/Santiago",  # at local midnight: the day starts in the gap
    "Australia/Lord_Howe",  # a half-hour change
]


def changes_2026(name: str) -> list[datetime]:
    """The instants (UTC) where ``name``'s offset changes in 2026."""
    tz = ZoneInfo(name)
    out = []
    instant = datetime(2026, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(tz).utcoffset()
    while instant.year == 2026:
        following = instant + timedelta(minutes=30)
        if following.astimezone(tz).utcoffset() != offset:
            low, high = instant, following  # narrow to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            out.append(high.replace(microsecond=0))
            offset = following.astimezone(tz).utcoffset()
        instant = following
    return out


CHANGES = {name: changes_2026(name) for name in ZONES}


def test_every_zone_changes_twice_in_2026() -> None:
    assert all(len(changes) == 2 for changes in CHANGES.values())


def reference(t: RateTable, number: str, duration_ms: int, at: datetime) -> Decimal:
    """The price of a call, one billed second at a time."""
    answer_rate = t.lookup(number, at=at)
    assert answer_rate is not None
    hold = hold_seconds(duration_ms, mode=t.duration_rounding)
    if hold <= 0 or hold <= answer_rate.grace_seconds:
        return D(0)
    billed = billed_seconds(
        hold - answer_rate.free_seconds, answer_rate.first_increment, answer_rate.next_increment
    )
    start = at.astimezone(UTC) + timedelta(seconds=answer_rate.free_seconds)
    total = Fraction(answer_rate.connect_fee)
    for second in range(billed):
        rate = t.lookup(number, at=start + timedelta(seconds=second)) or answer_rate
        total += Fraction(rate.price) / rate.unit_seconds
    amount = t.rounding.round_fraction(total.numerator, total.denominator)
    if answer_rate.min_charge is not None and amount < answer_rate.min_charge:
        return answer_rate.min_charge
    return amount


clocks = st.one_of(
    st.sampled_from([time(0), time(0, 30), time(1), time(1, 30), time(2), time(2, 30), time(3)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)


@st.composite
def windows(draw: Any) -> list[TariffWindow]:
    out = []
    for name in ("peak", "night"):
        start = draw(clocks)
        end = draw(clocks)
        if end != time(0) and end <= start:
            start, end = (end, start) if end < start else (start, time(0))
        days = draw(st.sampled_from([range(7), [6], [0, 6], [5, 6]]))
        out.append(TariffWindow(name=name, days=days, start=start, end=end))
    return out


def written_in(at: datetime, tz: tzinfo, how: str) -> datetime:
    """The same instant written in UTC, in the table's zone or at a fixed offset."""
    if how == "utc":
        return at
    if how == "zone":
        return at.astimezone(tz)
    return at.astimezone(timezone(timedelta(hours=-3, minutes=-30)))


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    which=st.integers(0, 1),
    offset=st.integers(-3 * 3600, 3 * 3600),
    duration_ms=st.integers(0, 3 * 3_600_000),
    increments=st.sampled_from([(1, 1), (60, 60), (30, 6)]),
    free=st.sampled_from([0, 0, 45]),
    window_list=windows(),
    dated=st.integers(-7200, 7200) | st.none(),
    fold=st.integers(0, 1),
    how=st.sampled_from(["utc", "zone", "fixed"]),
)
def test_prices_follow_the_wall_clock_on_change_days(
    both_rating_kernels: tuple[Any, Any],
    zone: str,
    which: int,
    offset: int,
    duration_ms: int,
    increments: tuple[int, int],
    free: int,
    window_list: list[TariffWindow],
    dated: int | None,
    fold: int,
    how: str,
) -> None:
    tz = ZoneInfo(zone)
    change = CHANGES[zone][which]
    first, step = increments
    common: dict[str, Any] = dict(first_increment=first, next_increment=step)
    rates = [
        Rate(prefix="44", price="0.60", connect_fee="0.05", free_seconds=free, **common),
        Rate(prefix="44", price="1.20", window="peak", **common),
        Rate(prefix="44", price="0.06", window="night", **common),
    ]
    if dated is not None:  # a longer prefix whose price changes near the clock change
        edge = (change + timedelta(seconds=dated)).astimezone(tz).replace(fold=fold)
        rates += [
            Rate(prefix="441", price="3.00", effective_until=edge, **common),
            Rate(prefix="441", price="0.30", effective_from=edge, **common),
        ]
    t = RateTable(
        rates,
        windows=window_list,
        timezone=tz,
        rounding=RoundingRule(mode=Rounding.HALF_EVEN, decimals=4),
    )
    at = written_in(change + timedelta(seconds=offset), tz, how)
    numbers = ["447700", "44170"]
    expected = [reference(t, number, duration_ms, at) for number in numbers]
    assert [t.price(number, duration_ms, at=at).amount for number in numbers] == expected
    priced = t.price_many([(number, duration_ms, at) for number in numbers])
    assert [c.amount for c in priced if c is not None] == expected
    for kernel in both_rating_kernels:
        assert t._amounts(kernel, numbers, [duration_ms] * 2, [at] * 2) == expected
    for charge in priced:
        assert charge is not None
        assert sum(part.seconds for part in charge.parts) == charge.billed_seconds


LONDON = ZoneInfo("Europe/London")


def london_nights() -> RateTable:
    """Per-second billing in London: 0.60 a minute, 0.06 in a night window 00:00-01:30."""
    night = TariffWindow(name="night", days=range(7), start=time(0), end=time(1, 30))
    return RateTable(
        [
            Rate(prefix="44", price="0.60", first_increment=1, next_increment=1),
            Rate(prefix="44", price="0.06", first_increment=1, next_increment=1, window="night"),
        ],
        windows=[night],
        timezone=LONDON,
    )


def test_london_spring_window_ending_at_01_30() -> None:
    """On 29 March 2026 London's clocks jump from 01:00 GMT to 02:00 BST: a window ending at
    01:30 ends at the jump, 01:00 UTC."""
    t = london_nights()
    at = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    charge = t.price("44", 3_600_000, at=at)
    assert [(p.rate.window, p.seconds) for p in charge.parts] == [("night", 900), (None, 2700)]
    assert charge.amount == D("0.90") + D("27.00")  # 15 min at 0.06, 45 min at 0.60
    assert charge.amount == t.price("44", 3_600_000, at=at.astimezone(LONDON)).amount


def test_london_autumn_window_in_the_repeated_hour() -> None:
    """On 25 October 2026 London's clocks go back from 02:00 BST to 01:00 GMT: the wall clock
    reads 01:00-02:00 twice, and a window ending at 01:30 is in force on both passes."""
    t = london_nights()
    at = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 00:00 BST
    charge = t.price("44", 3 * 3_600_000, at=at)
    # night 00:00-01:30 BST, day 01:30-02:00 BST (= 01:00 GMT), night 01:00-01:30 GMT, day
    assert [(p.rate.window, p.seconds) for p in charge.parts] == [
        ("night", 5400),
        (None, 1800),
        ("night", 1800),
        (None, 1800),
    ]


@pytest.mark.parametrize("fold", [0, 1])
def test_effective_dates_in_the_repeated_hour_compare_as_instants(fold: int) -> None:
    edge = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=fold)
    t = RateTable(
        [
            Rate(prefix="44", price="1", effective_until=edge),
            Rate(prefix="44", price="2", effective_from=edge),
        ]
    )
    edge_utc = edge.astimezone(UTC)
    for minutes in range(-90, 91, 10):
        instant = edge_utc + timedelta(minutes=minutes)
        expected = t.rates[0] if instant < edge_utc else t.rates[1]
        for written in (instant, instant.astimezone(LONDON)):
            assert t.lookup("44", at=written) == expected, (minutes, written)


def test_overlap_checks_compare_instants() -> None:
    first = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=0)  # 00:30 UTC
    second = datetime(2026, 10, 25, 1, 10, tzinfo=LONDON, fold=1)  # 01:10 UTC, later
    t = RateTable(
        [
            Rate(prefix="44", price="1", effective_until=second),
            Rate(prefix="44", price="2", effective_from=second),
        ]
    )
    assert len(t) == 2
    with pytest.raises(Exception, match="in force at the same time"):
        RateTable(
            [
                Rate(prefix="44", price="1", effective_from=first, effective_until=second),
                Rate(prefix="44", price="2", effective_from=date_time(first, minutes=10)),
            ]
        )


def date_time(at: datetime, *, minutes: int) -> datetime:
    return (at.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(LONDON)


def test_a_day_that_starts_in_the_gap() -> None:
    """Santiago's clocks jump from 24:00 to 01:00 in September: the wall clock never reads
    00:00-00:30 that day, so a window of those readings is not in force at all."""
    santiago = ZoneInfo("America/Santiago")
    change = CHANGES["America/Santiago"][1]
    assert change.astimezone(santiago).time() == time(1)
    day = TariffWindow(name="peak", days=range(7), start=time(0), end=time(0, 30))
    t = RateTable(
        [
            Rate(prefix="56", price="0.60", first_increment=1, next_increment=1),
            Rate(prefix="56", price="6.00", first_increment=1, next_increment=1, window="peak"),
        ],
        windows=[day],
        timezone=santiago,
    )
    charge = t.price("56", 600_000, at=change - timedelta(minutes=5))
    assert [(p.rate.window, p.seconds) for p in charge.parts] == [(None, 600)]
    assert date(2026, 9, 6) == change.astimezone(santiago).date()
