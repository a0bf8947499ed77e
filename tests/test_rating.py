"""Money and rating: hand-computed examples for every documented rule, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.ledger import InMemoryLedger
from vosengine.money import Rounding, RoundingRule, round_division, to_decimal
from vosengine.rating import (
    MAX_DURATION_MS,
    Charge,
    Rate,
    RateDeckError,
    RateNotFound,
    RateTable,
    TariffWindow,
    _kernel_py,
    billed_seconds,
    hold_seconds,
)
from vosengine.testing import amounts, durations_ms, rate_tables, rates, rounding_rules

D = Decimal
AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def table(
    *rows: Rate, decimals: int = 4, mode: Rounding = Rounding.HALF_UP, **kw: object
) -> RateTable:
    return RateTable(rows, rounding=RoundingRule(mode=mode, decimals=decimals), **kw)  # type: ignore[arg-type]


# -- money -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "d", "mode", "expected"),
    [
        (5, 2, Rounding.HALF_UP, 3),
        (5, 2, Rounding.HALF_DOWN, 2),
        (5, 2, Rounding.HALF_EVEN, 2),
        (7, 2, Rounding.HALF_EVEN, 4),
        (-5, 2, Rounding.HALF_UP, -3),
        (-5, 2, Rounding.HALF_DOWN, -2),
        (1, 3, Rounding.UP, 1),
        (-1, 3, Rounding.UP, -1),
        (2, 3, Rounding.DOWN, 0),
        (-2, 3, Rounding.DOWN, 0),
        (-1, 3, Rounding.FLOOR, -1),
        (-1, 3, Rounding.CEILING, 0),
        (1, 3, Rounding.HALF_UP, 0),
        (2, 3, Rounding.HALF_UP, 1),
        (6, 3, Rounding.UP, 2),
    ],
)
def test_round_division(n: int, d: int, mode: Rounding, expected: int) -> None:
    assert round_division(n, d, mode) == expected


@given(
    n=st.integers(-(10**9), 10**9), d=st.integers(1, 10**6), mode=st.sampled_from(list(Rounding))
)
def test_round_division_agrees_with_decimal(n: int, d: int, mode: Rounding) -> None:
    import decimal

    names = {
        Rounding.UP: decimal.ROUND_UP,
        Rounding.DOWN: decimal.ROUND_DOWN,
        Rounding.CEILING: decimal.ROUND_CEILING,
        Rounding.FLOOR: decimal.ROUND_FLOOR,
        Rounding.HALF_UP: decimal.ROUND_HALF_UP,
        Rounding.HALF_DOWN: decimal.ROUND_HALF_DOWN,
        Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    }
    with decimal.localcontext(prec=60):
        expected = (Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=names[mode])
    assert round_division(n, d, mode) == expected


def test_rounding_rule_apply_and_validation() -> None:
    assert RoundingRule(mode=Rounding.HALF_EVEN, decimals=2).apply(D("0.125")) == D("0.12")
    assert RoundingRule(mode=Rounding.HALF_UP, decimals=2).apply(D("0.125")) == D("0.13")
    assert RoundingRule(mode=Rounding.UP, decimals=0).apply(D("0.0001")) == D("1")
    assert RoundingRule(decimals=4).quantum == D("0.0001")
    with pytest.raises(InvalidArgument, match=r"decimals: 7 is outside 0..6"):
        RoundingRule(decimals=7)
    with pytest.raises(InvalidArgumentType, match="rounding: expected a Rounding"):
        RoundingRule(mode="half_up")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.1, True, float("nan")])
def test_floats_are_refused_as_money(bad: object) -> None:
    with pytest.raises(InvalidArgumentType, match=r"price: .* amounts are Decimal, int or str"):
        to_decimal(bad, "price")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
def test_bad_amount_strings(bad: str) -> None:
    with pytest.raises(InvalidArgument, match="price"):
        to_decimal(bad, "price")


# -- the documented rules, by hand -------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "next_", "hold", "billed"),
    [
        (60, 60, 61, 120),
        (30, 6, 31, 36),
        (6, 6, 7, 12),
        (1, 1, 7, 7),
        (60, 60, 60, 60),
        (60, 60, 1, 60),
        (30, 6, 30, 30),
        (30, 6, 37, 42),
        (60, 1, 61, 61),
    ],
)
def test_increments(first: int, next_: int, hold: int, billed: int) -> None:
    assert billed_seconds(hold, first, next_) == billed
    rate = Rate(prefix="1", price="0.6", first_increment=first, next_increment=next_)
    charge = table(rate).price("15551234", hold * 1000, at=AT)
    assert charge.billed_seconds == billed
    assert charge.amount == D("0.01") * billed  # 0.6 per minute is 0.01 a second


def test_hold_seconds_from_milliseconds() -> None:
    assert hold_seconds(60_001) == 61
    assert hold_seconds(60_000) == 60
    assert hold_seconds(1) == 1
    assert hold_seconds(0) == 0
    assert hold_seconds(60_499, mode=Rounding.HALF_UP) == 60
    assert hold_seconds(60_500, mode=Rounding.HALF_UP) == 61
    assert hold_seconds(60_999, mode=Rounding.FLOOR) == 60
    with pytest.raises(InvalidArgument, match="duration_ms: -1 is not between 0 and"):
        hold_seconds(-1)
    assert hold_seconds(MAX_DURATION_MS) == MAX_DURATION_MS // 1000
    with pytest.raises(InvalidArgument, match="not between 0 and 1_000_000_000_000"):
        hold_seconds(MAX_DURATION_MS + 1)
    with pytest.raises(InvalidArgumentType, match="duration_ms"):
        hold_seconds(1.5)  # type: ignore[arg-type]
    t = table(
        Rate(prefix="1", price="0.6", first_increment=1, next_increment=1),
        duration_rounding=Rounding.FLOOR,
    )
    assert t.price("1", 60_999, at=AT).billed_seconds == 60


def test_connect_fee_and_rounding_once_on_the_total() -> None:
    rate = Rate(prefix="44", price="0.0100", connect_fee="0.05")
    assert table(rate).price("4420", 61_000, at=AT).amount == D("0.0700")
    # 100 s at 0.0125/min on 1/1: exact 0.0208333..., rounded once to 0.0208. Rounding each
    # second (0.000208 -> 0.0002) would drift to 0.0200.
    fine = Rate(prefix="44", price="0.0125", first_increment=1, next_increment=1)
    assert table(fine).price("44", 100_000, at=AT).amount == D("0.0208")
    assert table(fine, mode=Rounding.UP).price("44", 100_000, at=AT).amount == D("0.0209")
    assert table(fine, decimals=6).price("44", 100_000, at=AT).amount == D("0.020833")
    assert table(fine, decimals=0, mode=Rounding.UP).price("44", 1000, at=AT).amount == D("1")


def test_free_and_grace_seconds() -> None:
    free = Rate(prefix="1", price="0.60", free_seconds=10, connect_fee="0.10")
    t = table(free)
    assert t.price("1", 65_000, at=AT).billed_seconds == 60  # 55 chargeable -> 60
    assert t.price("1", 71_000, at=AT).billed_seconds == 120
    assert t.price("1", 8_000, at=AT).billed_seconds == 0
    assert t.price("1", 8_000, at=AT).amount == D("0.1000")  # free time still pays the fee
    grace = Rate(prefix="1", price="0.60", grace_seconds=5, connect_fee="0.10")
    t = table(grace)
    assert t.price("1", 5_000, at=AT).amount == 0  # within grace: nothing, not even the fee
    assert t.price("1", 6_000, at=AT).amount == D("0.7000")


def test_min_and_max_charge_clamp_after_rounding() -> None:
    rate = Rate(
        prefix="1",
        price="0.60",
        min_charge="0.25",
        max_charge="1.00",
        first_increment=1,
        next_increment=1,
    )
    t = table(rate)
    assert t.price("1", 10_000, at=AT).amount == D("0.25")  # 0.10 lifted to the minimum
    assert t.price("1", 61_000, at=AT).amount == D("0.6100")
    assert t.price("1", 120_000, at=AT).amount == D("1.00")  # 1.20 cut to the maximum
    assert t.price("1", 600_000, at=AT).amount == D("1.00")
    assert t.price("1", 0, at=AT).amount == 0  # zero-duration calls cost nothing at all
    with pytest.raises(InvalidArgument, match="max_charge: 1 is below min_charge 2"):
        Rate(prefix="1", price="1", min_charge="2", max_charge="1")


def test_longest_prefix_and_rate_not_found() -> None:
    t = table(Rate(prefix="44", price="0.6"), Rate(prefix="447", price="1.2"))
    assert t.price("447700900123", 60_000, at=AT).amount == D("1.2000")
    assert t.price("442071234567", 60_000, at=AT).amount == D("0.6000")
    with pytest.raises(RateNotFound, match="no rate in force for '33123'"):
        t.price("33123", 60_000, at=AT)
    assert t.price_many([("33", 1000, AT), ("44", 60_000, AT)])[0] is None
    assert t.amounts_many(["33", "44"], [1000, 60_000], at=[AT, AT]) == [None, D("0.6000")]


def test_a_number_is_rated_as_its_digits_however_it_is_typed(rating_kernel: Any) -> None:
    t = table(Rate(prefix="44", price="0.6"), Rate(prefix="447", price="1.2"))
    for typed, digits in [("+44 7700 900123", "447700900123"), ("(44) 20-7123", "44207123")]:
        charge = t.price(typed, 60_000, at=AT)
        assert charge == t.price(digits, 60_000, at=AT) and charge.number == digits
        assert t._pricer_of(rating_kernel).charge(typed, 60_000, AT) is None
        assert t._pricer_of(rating_kernel).charge(digits, 60_000, AT) == charge
        assert t.lookup(typed, at=AT) == t.lookup(digits, at=AT)
        assert t.max_call_seconds(typed, D("1"), at=AT) == t.max_call_seconds(digits, D("1"), at=AT)
        assert t.price_many([(typed, 60_000, AT)]) == [charge]
        assert t._amounts(rating_kernel, ["33", typed], [1000, 60_000], [AT, AT]) == [
            None,
            charge.amount,
        ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("٤٤20", "number: '٤٤20' has '٤' at position 0"),
        ("4420x", "number: '4420x' has 'x' at position 4"),
        ("", "number: '' has no digits"),
    ],
)
def test_a_number_rating_cannot_read_is_refused_not_rated_by_its_start(
    typed: str, message: str, rating_kernel: Any
) -> None:
    t = table(Rate(prefix="44", price="0.6"))
    assert t._pricer_of(rating_kernel).charge(typed, 60_000, AT) is None  # the kernel won't guess
    for ask in (
        lambda: t.price(typed, 60_000, at=AT),
        lambda: t.lookup(typed, at=AT),
        lambda: t.max_call_seconds(typed, D("1"), at=AT),
        lambda: t.price_many([(typed, 60_000, AT)]),
    ):
        with pytest.raises(InvalidArgument, match=message):
            ask()
    with pytest.raises(InvalidArgument, match=r"numbers\[1\]: " + message.split(": ", 1)[1]):
        t._amounts(rating_kernel, ["4420", typed], [1000, 1000], [AT, AT])


def test_effective_dates_pick_the_version_and_fall_back_to_shorter_prefixes() -> None:
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    t = table(
        Rate(prefix="1", price="0.6"),
        Rate(prefix="1212", price="1.2", effective_until=cut),
        Rate(prefix="1212", price="2.4", effective_from=cut),
        Rate(prefix="1213", price="3.0", effective_from=cut),
    )
    assert t.lookup("12125550100", at=AT).price == D("1.2")  # type: ignore[union-attr]
    assert t.lookup("12125550100", at=cut).price == D("2.4")  # type: ignore[union-attr]
    # 1213 is not in force yet: the shorter prefix 1 rates it
    assert t.lookup("12135550100", at=AT).price == D("0.6")  # type: ignore[union-attr]
    # a call across the effective date is split there: 30 s at 1.2/min + 30 s at 2.4/min
    across = t.price("12125550100", 60_000, at=cut - timedelta(seconds=30))
    assert [part.seconds for part in across.parts] == [30, 30]
    assert across.amount == D("1.8000")  # 0.6 + 1.2
    with pytest.raises(InvalidArgument, match="two rates are in force at the same time"):
        table(Rate(prefix="9", price="1"), Rate(prefix="9", price="2", effective_from=cut))


def test_tariff_windows_and_a_call_across_peak_end() -> None:
    peak = TariffWindow(name="peak", days=range(5), start=time(8), end=time(20))
    t = table(
        Rate(prefix="1", price="0.60", first_increment=1, next_increment=1),  # off-peak
        Rate(prefix="1", price="1.20", first_increment=1, next_increment=1, window="peak"),
        windows=[peak],
        timezone="America/New_York",
    )
    # Monday 2026-11-23: 19:59 in New York is 00:59 UTC on Tuesday
    answer = datetime(2026, 11, 24, 0, 59, tzinfo=UTC)
    assert t.window_at(at=answer) == "peak"
    assert t.window_at(at=answer + timedelta(minutes=1)) is None
    charge = t.price("12125550100", 120_000, at=answer)
    assert [(p.rate.window, p.seconds) for p in charge.parts] == [("peak", 60), (None, 60)]
    assert charge.amount == D("1.8000")  # 60 s at 1.20/min + 60 s at 0.60/min
    assert sum(p.amount for p in charge.parts) == Fraction(18, 10)
    # Saturday: no peak
    saturday = datetime(2026, 11, 28, 15, tzinfo=UTC)
    assert t.price("1", 60_000, at=saturday).amount == D("0.6000")
    with pytest.raises(InvalidArgument, match="'night' is not one of the table's windows"):
        table(Rate(prefix="1", price="1", window="night"), windows=[peak])
    with pytest.raises(InvalidArgument, match="end: 08:00:00 is not after start"):
        TariffWindow(name="night", days={0}, start=time(20), end=time(8))
    with pytest.raises(InvalidArgument, match="unknown time zone"):
        table(Rate(prefix="1", price="1"), timezone="Mars/Olympus")


def test_overnight_window_as_two_parts_with_midnight_end() -> None:
    night = [
        TariffWindow(name="night", days=range(7), start=time(20), end=time(0)),
        TariffWindow(name="night", days=range(7), start=time(0), end=time(8)),
    ]
    t = table(
        Rate(prefix="1", price="1.20", first_increment=1, next_increment=1),
        Rate(prefix="1", price="0.60", first_increment=1, next_increment=1, window="night"),
        windows=night,
    )
    assert t.window_at(at=datetime(2026, 11, 23, 23, 59, tzinfo=UTC)) == "night"
    assert t.window_at(at=datetime(2026, 11, 24, 0, 0, tzinfo=UTC)) == "night"
    charge = t.price("1", 120_000, at=datetime(2026, 11, 24, 7, 59, tzinfo=UTC))
    assert charge.amount == D("1.8000")


# -- max call time -----------------------------------------------------------------------


def test_max_call_seconds_by_hand() -> None:
    t = table(Rate(prefix="1", price="0.60", connect_fee="0.10"))  # 60/60
    assert t.max_call_seconds("1", D("0.70"), at=AT) == 60
    assert t.max_call_seconds("1", D("0.69"), at=AT) == 0
    assert t.max_call_seconds("1", D("1.30"), at=AT) == 120
    assert t.max_call_seconds("1", D("-1"), at=AT) == 0
    six = table(Rate(prefix="1", price="0.60", first_increment=30, next_increment=6))
    assert six.max_call_seconds("1", D("0.35"), at=AT) == 30  # 30 s cost 0.30, 36 s 0.36
    capped = table(Rate(prefix="1", price="0.60", max_charge="1"))
    assert capped.max_call_seconds("1", D("1"), at=AT, limit=3600) == 3600
    with pytest.raises(RateNotFound):
        t.max_call_seconds("2", D("1"), at=AT)


@given(available=amounts(max_value=20), rule=rounding_rules(), data=st.data())
def test_max_call_seconds_is_tight(
    available: Decimal, rule: RoundingRule, data: st.DataObject
) -> None:
    rate = data.draw(rates(limit_decimals=rule.decimals))
    t = RateTable([rate], rounding=rule)
    limit = 20_000
    best = t.max_call_seconds(rate.prefix, available, at=AT, limit=limit)
    assert 0 <= best <= limit
    assert t.price(rate.prefix, best * 1000, at=AT).amount <= available
    grid_next = (
        rate.free_seconds + rate.first_increment if best == 0 else best + rate.next_increment
    )
    if grid_next <= limit:
        assert t.price(rate.prefix, grid_next * 1000, at=AT).amount > available
    if best:
        assert (best - rate.free_seconds - rate.first_increment) % rate.next_increment == 0


@given(
    available=amounts(max_value=50) | st.decimals("-1", "0", places=2),
    rule=rounding_rules(),
    limit=st.integers(0, 100_000),
    data=st.data(),
)
def test_the_longest_call_in_integers_is_the_search_over_charges(
    available: Decimal, rule: RoundingRule, limit: int, data: st.DataObject, rating_kernel: Any
) -> None:
    """The closed-form narrowing and integer search give what bisection over the table's
    own charges gives, for every rate it serves; so does either kernel's ``Pricer``."""
    from vosengine.money import ZERO
    from vosengine.rating._afford import linear, search

    rate = data.draw(rates(limit_decimals=rule.decimals))
    t = RateTable([rate], rounding=rule)
    base = rate.free_seconds + rate.first_increment
    if limit < base or available < 0:
        expected = (0, ZERO)
    else:
        expected = search(
            lambda hold: t._charge(rate.prefix, rate, hold, AT, True).amount,
            base,
            rate.next_increment,
            (limit - base) // rate.next_increment + 1,
            available,
        )
    assert t.longest_call(rate.prefix, available, at=AT, limit=limit) == expected
    assert t.max_call_seconds(rate.prefix, available, at=AT, limit=limit) == expected[0]
    if expected[0]:
        assert t.price(rate.prefix, expected[0] * 1000, at=AT).amount == expected[1]
    budget = int(available.scaleb(rule.decimals)) - (1 if available < 0 else 0)
    found = t._pricer_of(rating_kernel).longest(rate.prefix + "12", budget, limit)
    if found is None:  # left to the table (the compiled kernel: also beyond 64 bits)
        assert not linear(rate) or rate.min_charge is not None or rating_kernel is not _kernel_py
    else:
        seconds, units = found
        assert (seconds, Decimal(units).scaleb(-rule.decimals) if seconds else ZERO) == expected


@pytest.mark.parametrize("limit", [1.5, "60", True])
def test_a_limit_is_a_whole_number_of_seconds(limit: object) -> None:
    t = table(Rate(prefix="1", price="0.60"))
    with pytest.raises(InvalidArgumentType, match="limit: expected an int"):
        t.longest_call("1", D("1"), at=AT, limit=limit)  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------------------


@given(a=durations_ms(), b=durations_ms(), rule=rounding_rules(), data=st.data())
def test_cost_is_monotone_in_duration(
    a: int, b: int, rule: RoundingRule, data: st.DataObject
) -> None:
    rate = data.draw(rates(limit_decimals=rule.decimals))
    t = RateTable([rate], rounding=rule)
    low, high = sorted((a, b))
    assert t.price(rate.prefix, low, at=AT).amount <= t.price(rate.prefix, high, at=AT).amount


@given(rate=rates(limits=False), ms=durations_ms(), rule=rounding_rules())
def test_a_billed_call_costs_at_least_its_connect_fee(
    rate: Rate, ms: int, rule: RoundingRule
) -> None:
    charge = RateTable([rate], rounding=rule).price(rate.prefix, ms, at=AT)
    if rate.is_charged(charge.hold_seconds):
        assert charge.amount >= rule.apply(rate.connect_fee)
    else:
        assert charge.amount == 0


@given(rate=rates(limits=False), ms=durations_ms(), rule=rounding_rules())
def test_rounding_error_is_below_one_unit(rate: Rate, ms: int, rule: RoundingRule) -> None:
    charge = RateTable([rate], rounding=rule).price(rate.prefix, ms, at=AT)
    exact = Fraction(rate.connect_fee) if rate.is_charged(charge.hold_seconds) else Fraction(0)
    exact += sum((p.amount for p in charge.parts), Fraction(0))
    assert abs(Fraction(charge.amount) - exact) < Fraction(rule.quantum)
    assert charge.amount == charge.amount.quantize(rule.quantum)


@given(t=rate_tables(), data=st.data())
def test_batch_amounts_equal_single_prices(
    t: RateTable, data: st.DataObject, rating_kernel: Any
) -> None:
    prefixes = [rate.prefix for rate in t]
    numbers = data.draw(
        st.lists(
            st.one_of(st.sampled_from(prefixes), st.text("0123456789", max_size=8)).flatmap(
                lambda p: st.text("0123456789", min_size=1, max_size=6).map(lambda tail: p + tail)
            ),
            max_size=20,
        )
    )
    durations = data.draw(st.lists(durations_ms(), min_size=len(numbers), max_size=len(numbers)))
    when = [AT] * len(numbers)
    expected = []
    for number, ms in zip(numbers, durations, strict=True):
        try:
            expected.append(t.price(number, ms, at=AT).amount)
        except RateNotFound:
            expected.append(None)
    assert t.amounts_many(numbers, durations, at=when) == expected
    assert t._amounts(rating_kernel, numbers, durations, when) == expected
    assert [
        c and c.amount for c in t.price_many(zip(numbers, durations, when, strict=True))
    ] == expected


@given(rate=rates(), ms=durations_ms(max_seconds=4000), minutes=st.integers(0, 1440))
def test_split_calls_sum_their_parts(rate: Rate, ms: int, minutes: int) -> None:
    """With peak and off-peak at the same price, splitting changes nothing."""
    import attrs

    peak = TariffWindow(name="peak", days=range(7), start=time(8), end=time(20))
    same = attrs.evolve(rate, window="peak")
    split = RateTable([rate, same], windows=[peak])
    whole = RateTable([rate])
    at = AT.replace(hour=0) + timedelta(minutes=minutes)
    assume(rate.effective_from is None)
    assert split.price(rate.prefix, ms, at=at).amount == whole.price(rate.prefix, ms, at=at).amount


# -- CSV ---------------------------------------------------------------------------------


DECK = """prefix,area,price,first_increment,next_increment,connect_fee,effective_from
44,United Kingdom,0.0120,30,6,0.0100,
447,UK Mobile,0.0450,1,1,,
880,Bangladesh,0.0310,60,60,,2026-01-01T00:00:00+00:00
"""


def test_csv_import_export_round_trip() -> None:
    t = RateTable.from_csv(DECK)
    assert len(t) == 3
    assert t.lookup("4479", at=AT).area == "UK Mobile"  # type: ignore[union-attr]
    assert t.price("4420", 31_000, at=AT).amount == D("0.0172")  # 0.01 + 36 s at 0.012/min
    again = RateTable.from_csv(t.to_csv())
    assert again.rates == t.rates


@pytest.mark.parametrize(
    ("deck", "message"),
    [
        ("prefix,price\n44,0.1\n4x,0.2\n", "row 3, column 'prefix': prefix '4x' has character 'x'"),
        ("prefix,price\n44,abc\n", "row 2, column 'price': 'abc' is not a decimal number"),
        ("prefix,price\n44,-1\n", "row 2, column 'price': -1 is negative"),
        ("prefix,price,first_increment\n44,1,6.5\n", "row 2, column 'first_increment'"),
        ("prefix,price,first_increment\n44,1,0\n", "column 'first_increment': 0 is below 1"),
        ("prefix,price\n44,1,3\n", "row 2: expected 2 cells, got 3"),
        ("prefix,cost\n44,1\n", "row 1, column 'cost': unknown column"),
        ("area,price\nUK,1\n", "missing required column 'prefix'"),
        ("", "row 1: the deck is empty"),
        ("prefix,price\n44,\n", "row 2, column 'price': is empty"),
        ("prefix,price,effective_from\n44,1,yesterday\n", "'yesterday' is not an ISO 8601"),
        ("prefix,price\n44,1\n44,2\n", "prefix '44': two rates are in force"),
        ("prefix,price,effective_from\n44,1,2026-01-01\n", "no time zone"),
    ],
)
def test_a_broken_row_fails_the_whole_import(deck: str, message: str) -> None:
    import re

    with pytest.raises(RateDeckError, match=re.escape(message)) as info:
        RateTable.from_csv(deck)
    assert isinstance(info.value, InvalidArgument)


def test_rates_reject_bad_fields() -> None:
    with pytest.raises(InvalidArgumentType, match=r"price: 0.01 is a float"):
        Rate(prefix="1", price=0.01)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"effective_until: .* is not after"):
        Rate(prefix="1", price="1", effective_from=AT, effective_until=AT)
    with pytest.raises(InvalidArgument, match="prefix"):
        Rate(prefix="", price="1")
    with pytest.raises(InvalidArgument, match="unit_seconds: 0 is below 1"):
        Rate(prefix="1", price="1", unit_seconds=0)


# -- the compiled batch kernel and its Python twin -----------------------------------------


def test_batch_kernel_is_in_use_when_built() -> None:
    import os

    from vosengine.rating import kernel

    if os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS"):
        assert kernel.IMPLEMENTATION == "cython", kernel.EXTENSION_ERROR
    if kernel.IMPLEMENTATION != "cython":
        assert kernel.KERNEL.__name__ == "vosengine.rating._kernel_py"
        assert kernel.EXTENSION_ERROR
        pytest.skip("the compiled batch kernel is not built")
    assert kernel.KERNEL.__name__ == "vosengine.rating._kernel"
    assert kernel.EXTENSION_ERROR is None


def test_both_kernels_number_the_rounding_modes_as_money_does(
    both_rating_kernels: tuple[Any, Any],
) -> None:
    from vosengine.money import _CODES

    expected = {mode.value: _CODES[mode] for mode in Rounding}
    assert len(set(expected.values())) == len(Rounding)
    for kernel in both_rating_kernels:
        assert expected == kernel.ROUNDING_CODES, kernel.__name__


@pytest.mark.parametrize("mode", list(Rounding))
def test_each_rounding_mode_prices_alike_in_the_kernel_and_the_table(
    mode: Rounding, rating_kernel: Any
) -> None:
    t = table(Rate(prefix="1", price="0.00015", first_increment=1, next_increment=1), mode=mode)
    numbers = ["15"] * 8
    durations = [n * 1000 for n in range(1, 9)]  # 0.0000025 per second: ties and non-ties
    when = [AT] * len(numbers)
    expected = [t.price(n, d, at=AT).amount for n, d in zip(numbers, durations, strict=True)]
    assert t._amounts(rating_kernel, numbers, durations, when) == expected


def test_a_rate_carries_the_terms_the_kernels_price_from(rating_kernel: Any) -> None:
    rate = Rate(prefix="44", price="0.0120", first_increment=30, next_increment=6,
                connect_fee="0.01", free_seconds=5, grace_seconds=3)  # fmt: skip
    terms = rate._terms
    assert terms is not None
    assert terms[:4] == (3, 5, 30, 6) and terms.limits is False
    assert Fraction(terms.fee_part, terms.denominator) == Fraction("0.01")  # connect fee
    assert Fraction(terms.per_second, terms.denominator) == Fraction("0.0120") / 60
    params = rating_kernel.params_for(rate)
    assert type(params) is rating_kernel.Params
    assert params.rate is rate and params.terms == terms
    dated = Rate(prefix="44", price="1", effective_until=datetime(2027, 1, 1, tzinfo=UTC))
    assert dated._terms is None
    assert rating_kernel.params_for(dated) is rating_kernel.SLOW


@given(t=rate_tables(), data=st.data())
def test_batch_kernel_equals_the_python_twin(
    t: RateTable, data: st.DataObject, both_rating_kernels: tuple[Any, Any]
) -> None:
    compiled, python = both_rating_kernels
    prefixes = [rate.prefix for rate in t]
    numbers = data.draw(
        st.lists(
            st.one_of(st.sampled_from(prefixes), st.text("0123456789", max_size=6)).map(
                lambda p: p + "5551234"
            ),
            max_size=30,
        )
    )
    durations = data.draw(st.lists(durations_ms(), min_size=len(numbers), max_size=len(numbers)))
    when = [AT] * len(numbers)
    assert t._amounts(compiled, numbers, durations, when) == t._amounts(
        python, numbers, durations, when
    )


def test_batch_kernel_leaves_what_it_cannot_price_to_the_table(rating_kernel: Any) -> None:
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    t = table(
        Rate(prefix="1", price="0.6"),
        Rate(prefix="2", price="0.6", effective_until=cut),  # dated
        Rate(prefix="3", price="1" + "0" * 20),  # too large for 64-bit arithmetic
        Rate(prefix="4", price="0.6", min_charge="1"),  # clamped
        Rate(prefix="6", price="0.6", first_increment=10**16),  # a grid too long for 64 bits
    )
    numbers = ["15", "25", "35", "45", "55", "15", "65"]
    durations = [61_000, 61_000, 61_000, 1_000, 61_000, MAX_DURATION_MS, 1_000]
    when = [AT] * len(numbers)
    expected = [t._amount(n, d, AT) for n, d in zip(numbers, durations, strict=True)]
    assert expected[:5] == [D("1.2000"), D("1.2000"), D("2" + "0" * 20), D("1"), None]
    assert expected[6] == D("0.6") * 10**16 / 60
    assert t._amounts(rating_kernel, numbers, durations, when) == expected
    assert t.amounts_many(numbers, durations, at=when) == expected
    assert t.amounts_many(tuple(numbers), tuple(durations), at=when) == expected
    with pytest.raises(InvalidArgument, match="one entry per call"):
        t.amounts_many(numbers, durations[:2], at=when)
    with pytest.raises(InvalidArgument, match=r"calls\[1\]: duration_ms: 1000000000001 is not"):
        t._amounts(rating_kernel, ["15", "33"], [1, MAX_DURATION_MS + 1], [AT, AT])
    with pytest.raises(InvalidArgumentType, match=r"calls\[0\]: duration_ms: expected an int"):
        t._amounts(rating_kernel, ["15"], [True], [AT])
    with pytest.raises(InvalidArgumentType, match=r"calls\[0\]: at: expected an aware datetime"):
        t._amounts(rating_kernel, ["15"], [1000], [None])


# -- limits on the grid --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["min_charge", "max_charge"])
def test_a_limit_off_the_tables_grid_is_refused(field: str) -> None:
    rate = Rate(prefix="44", price="0.01", **{field: "0.123456"})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=rf"rates\[0\]\.{field}: 0.123456 .*2 decimals"):
        table(rate, decimals=2)
    with pytest.raises(InvalidArgument, match=field):
        table(decimals=2).with_rates([rate])
    assert table(rate, decimals=6).price("44", 1_000, at=AT).amount >= D("0.01")
    on_grid = Rate(prefix="44", price="0.01", **{field: "0.1200"})  # type: ignore[arg-type]
    assert table(on_grid, decimals=2).rates == (on_grid,)


@given(t=rate_tables(), data=st.data())
def test_every_charge_lies_on_the_tables_grid(t: RateTable, data: st.DataObject) -> None:
    ledger = InMemoryLedger(decimals=t.rounding.decimals)
    ledger.open_account("a", credit_limit=D(10**6))
    for rate in t.rates:
        amount = t.price(rate.prefix, data.draw(durations_ms()), at=AT).amount
        assert t.rounding.on_grid(amount)
        hold = ledger.reserve("a", amount, "call", now=AT)
        ledger.settle(hold.id, amount, now=AT)  # the ledger takes it as it is
    ledger._check()


# -- the single-call fast path ---------------------------------------------------------------

_ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), ZoneInfo("Europe/London")]


@given(t=rate_tables(), data=st.data())
def test_the_pricer_of_either_kernel_makes_the_general_paths_charge(
    both_rating_kernels: tuple[Any, Any], t: RateTable, data: st.DataObject
) -> None:
    pricers = [t._pricer_of(kernel) for kernel in both_rating_kernels]
    for _ in range(8):
        number = data.draw(st.sampled_from([r.prefix for r in t.rates]) | st.just("")) + data.draw(
            st.text("0123456789", max_size=6)
        )
        duration = data.draw(
            durations_ms() | st.integers(MAX_DURATION_MS - 10**3, MAX_DURATION_MS + 10**3)
        )
        at = (AT + timedelta(seconds=data.draw(st.integers(0, 10**6)))).astimezone(
            data.draw(st.sampled_from(_ZONES))
        )
        if duration > MAX_DURATION_MS:  # no call is that long: refused, never priced
            assert [pricer.charge(number, duration, at) for pricer in pricers] == [None, None]
            with pytest.raises(InvalidArgument, match=r"duration_ms: .* is not between"):
                t._general(number, duration, at)
            continue
        general = t._general(number, duration, at)
        for pricer in pricers:
            quick = pricer.charge(number, duration, at)
            if general is None:
                assert quick is None
            elif quick is not None:  # None: left to the general path (too long for 64 bits)
                assert type(quick) is Charge
                assert quick == general
                assert [s[1].utcoffset() for s in quick.segments] == [
                    s[1].utcoffset() for s in general.segments
                ]
        assert (t.price(number, duration, at=at) if general else None) == general


@pytest.mark.parametrize("duration", [True, -1, 1.5, "60000"])
def test_the_pricer_leaves_what_it_cannot_price_to_the_general_path(
    rating_kernel: Any, duration: object
) -> None:
    t = table(Rate(prefix="44", price="0.6", free_seconds=5))
    pricer = t._pricer_of(rating_kernel)
    assert pricer.charge("4412", duration, AT) is None
    assert pricer.charge("4412", 60_000, datetime(2026, 1, 1)) is None  # naive: refused later
    assert pricer.charge("33", 60_000, AT) is None  # no rate
    with pytest.raises(InvalidArgument):
        t.price("4412", duration, at=AT)  # type: ignore[arg-type]
    huge = pricer.charge("4412", 10**30, AT)  # beyond 64 bits: the compiled pricer passes
    assert huge is None or huge == t._general("4412", 10**30, AT)
    with pytest.raises(InvalidArgument, match="no time zone"):
        t.price("4412", 60_000, at=datetime(2026, 1, 1))
    windowed = table(
        Rate(prefix="44", price="0.6"),
        windows=[TariffWindow(name="peak", days=range(7), start=time(8), end=time(20))],
    )
    assert windowed._pricer_of(rating_kernel) is None
    assert (
        table(Rate(prefix="44", price="0.6"), duration_rounding=Rounding.HALF_UP)._pricer_of(
            rating_kernel
        )
        is None
    )


def test_a_table_pickles_and_prices_the_same_after(rating_kernel: Any) -> None:
    import pickle

    t = table(
        Rate(prefix="44", price="0.6", free_seconds=5),
        Rate(prefix="44", price="0.3", window="night"),
        windows=[TariffWindow(name="night", days=range(7), start=time(0), end=time(8))],
        timezone="Europe/London",
        decimals=2,
    )
    plain = table(Rate(prefix="44", price="0.6", min_charge="0.1"), decimals=2)
    plain.amounts_many(["4412"], [61_000], at=[AT])  # the kernel's table is built by now
    for before in (t, plain):
        after = pickle.loads(pickle.dumps(before))
        assert list(after) == list(before)
        assert (after.rounding, after.windows, after.timezone) == (
            before.rounding,
            before.windows,
            before.timezone,
        )
        assert after.price("4412", 61_000, at=AT) == before.price("4412", 61_000, at=AT)
        assert after._amounts(rating_kernel, ["4412"], [1], [AT]) == before._amounts(
            rating_kernel, ["4412"], [1], [AT]
        )
