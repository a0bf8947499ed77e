"""Money is exact whatever the calling thread's ``decimal`` context is, and bounded."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.accounts import FULL, RETAIL, Account, AccountDirectory, Operator
from vosengine.cdr import CDR, ChainBiller, distribution, income_report, rerate
from vosengine.errors import InvalidArgument
from vosengine.ledger import InMemoryLedger, InsufficientFunds
from vosengine.money import (
    CONTEXT,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    Rounding,
    RoundingRule,
    to_decimal,
    total,
)
from vosengine.rating import Rate, RateDeckError, RateTable

D = Decimal
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
OP = Operator(name="billing")

_SIGNALS = [
    decimal.Clamped,
    decimal.DivisionByZero,
    decimal.Inexact,
    decimal.InvalidOperation,
    decimal.Overflow,
    decimal.Rounded,
    decimal.Subnormal,
    decimal.Underflow,
    decimal.FloatOperation,
]
_ROUNDINGS = [
    decimal.ROUND_CEILING,
    decimal.ROUND_DOWN,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_UP,
    decimal.ROUND_05UP,
]

#: A calling thread's context, as hostile as decimal allows: little precision, any rounding,
#: any traps, a narrow exponent range.
caller_contexts = st.builds(
    decimal.Context,
    prec=st.integers(1, 12),
    rounding=st.sampled_from(_ROUNDINGS),
    Emin=st.integers(-30, -1),
    Emax=st.integers(1, 30),
    traps=st.lists(st.sampled_from(_SIGNALS), unique=True),
)


def under(context: decimal.Context, run: Callable[[], Any]) -> Any:
    """``run()`` with ``context`` as the thread's decimal context; an exception is a result."""
    with decimal.localcontext(context):
        try:
            return run()
        except Exception as error:  # compared with the reference run's
            return (type(error), str(error))


def same_under(context: decimal.Context, run: Callable[[], Any]) -> None:
    reference = under(decimal.Context(), run)
    assert not isinstance(reference, tuple) or reference[0] is not AssertionError
    assert under(context, run) == reference


# -- the ledger --------------------------------------------------------------------------


def ledger_run(amounts: list[Decimal]) -> Callable[[], Any]:
    def run() -> Any:
        ledger = InMemoryLedger(decimals=4)
        ledger.open_account("a", credit_limit=D("12345.6789"))
        ledger.open_account("b")
        out: list[Any] = []
        for step, amount in enumerate(amounts):
            key = f"k{step}"
            try:
                if step % 5 == 0:
                    out.append(ledger.recharge("a", amount, key=key, actor=OP, now=NOW))
                elif step % 5 == 1:
                    out.append(ledger.transfer("a", "b", amount, key=key, actor=OP, now=NOW))
                elif step % 5 == 2:
                    out.append(ledger.adjust("b", amount.copy_negate(), key=key, actor=OP, now=NOW))
                elif step % 5 == 3:
                    hold = ledger.reserve("a", amount, key, now=NOW)
                    out.append(ledger.settle(hold.id, amount, now=NOW))
                else:
                    out.append(ledger.deduct("a", amount, key=key, actor=OP, now=NOW))
            except InsufficientFunds as error:
                out.append(str(error))
            out.append(ledger.balance("a"))
            out.append(ledger.balance("a").available)
        ledger._check()
        return out, ledger.records(), ledger.balance("b")

    return run


ledger_amounts = st.lists(
    st.decimals(min_value=D("0.0001"), max_value=D("99999999999.9999"), places=4, allow_nan=False),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60)
@given(context=caller_contexts, amounts=ledger_amounts)
def test_the_ledger_ignores_the_callers_decimal_context(
    context: decimal.Context, amounts: list[Decimal]
) -> None:
    same_under(context, ledger_run(amounts))


def test_a_recharge_at_precision_6_lands_whole() -> None:
    ledger = InMemoryLedger(decimals=4)
    ledger.open_account("a")
    with decimal.localcontext(decimal.Context(prec=6)):
        record = ledger.recharge("a", D("1234.5678"), key="r", actor=OP, now=NOW)
        ledger.recharge("a", D("0.0001"), key="r2", actor=OP, now=NOW)
    assert record.balance_after == D("1234.5678")
    assert ledger.balance("a").balance == D("1234.5679")
    ledger._check()


def test_a_transfer_with_inexact_trapped_moves_both_sides_or_neither() -> None:
    ledger = InMemoryLedger(decimals=4)
    ledger.open_account("a")
    ledger.open_account("b")
    ledger.recharge("a", D("1234.5678"), key="r", actor=OP, now=NOW)
    with decimal.localcontext(decimal.Context(prec=4, traps=[decimal.Inexact])):
        ledger.transfer("a", "b", D("1000.0001"), key="t", actor=OP, now=NOW)
    assert ledger.balance("a").balance == D("234.5677")
    assert ledger.balance("b").balance == D("1000.0001")
    ledger._check()


# -- rounding and rating -----------------------------------------------------------------


@settings(max_examples=60)
@given(
    context=caller_contexts,
    amount=st.decimals(min_value=-(10**20), max_value=10**20, places=9, allow_nan=False),
    mode=st.sampled_from(list(Rounding)),
    places=st.integers(0, 6),
)
def test_rounding_ignores_the_callers_context(
    context: decimal.Context, amount: Decimal, mode: Rounding, places: int
) -> None:
    rule = RoundingRule(mode=mode, decimals=places)
    billionths = int(amount.scaleb(9, CONTEXT))
    same_under(
        context,
        lambda: (
            rule.apply(amount),
            rule.apply(str(amount)),
            rule.round_fraction(billionths, 10**9),
            rule.quantum,
            to_decimal(str(amount), "x"),
        ),
    )


def rating_table(decimals: int) -> RateTable:
    rates = [
        Rate(prefix="44", price="0.012345", connect_fee="0.0999", first_increment=30),
        Rate(prefix="1", price="123456.789", unit_seconds=1),
        Rate(prefix="880", price="0.05", min_charge="1", max_charge="99999"),
    ]
    return RateTable(rates, rounding=RoundingRule(mode=Rounding.HALF_EVEN, decimals=decimals))


@settings(max_examples=40)
@given(
    context=caller_contexts,
    durations=st.lists(st.integers(0, 10**7), min_size=1, max_size=6),
    decimals=st.integers(0, 6),
)
def test_rating_ignores_the_callers_context(
    both_rating_kernels: tuple[Any, Any],
    context: decimal.Context,
    durations: list[int],
    decimals: int,
) -> None:
    t = rating_table(decimals)
    numbers = [("4420", "1555", "8801", "99")[i % 4] for i in range(len(durations))]
    at = [NOW] * len(durations)
    for kernel in both_rating_kernels:
        same_under(
            context,
            lambda kernel=kernel: (
                [t._call(n, d, NOW) for n, d in zip(numbers, durations, strict=True)],
                [t._general(n, d, NOW) for n, d in zip(numbers, durations, strict=True)],
                t.price_many(zip(numbers, durations, at, strict=True)),
                t._amounts(kernel, numbers, durations, at),
                t.max_call_seconds("4420", D("123.45"), at=NOW),
            ),
        )


# -- chain billing and re-rating ---------------------------------------------------------


def tree() -> AccountDirectory:
    d = AccountDirectory()
    d.add(Account(id="top", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="mid", parent_id="top", authorizations=RETAIL), actor=OP, now=NOW)
    d.add(Account(id="cust", parent_id="mid"), actor=OP, now=NOW)
    return d


def per_minute(price: str) -> RateTable:
    return RateTable([Rate(prefix="880", price=price)])


def cdr(cid: str, seconds: int) -> CDR:
    answer = NOW + timedelta(seconds=5)
    return CDR(
        call_id=cid,
        account_id="cust",
        caller="1001",
        callee="8801712345678",
        start=NOW,
        answer=answer,
        end=answer + timedelta(seconds=seconds),
        duration_ms=seconds * 1000,
        gateway="gw",
    )


@settings(max_examples=30)
@given(
    context=caller_contexts,
    seconds=st.lists(st.integers(1, 10**6), min_size=1, max_size=5),
    prices=st.lists(
        st.decimals(min_value=D("0.0001"), max_value=D("999.9999"), places=4),
        min_size=4,
        max_size=4,
    ),
)
def test_chain_billing_and_rerating_ignore_the_callers_context(
    context: decimal.Context, seconds: list[int], prices: list[Decimal]
) -> None:
    directory = tree()
    calls = [cdr(str(i), s) for i, s in enumerate(seconds)]

    def run() -> Any:
        tables = {"cust": prices[0], "mid": prices[1], "top": prices[2]}
        biller = ChainBiller(directory, {a: per_minute(str(p)) for a, p in tables.items()})
        charged = biller.rate_many(calls)
        ledger = InMemoryLedger()
        for account in ("cust", "mid", "top"):
            ledger.open_account(account, credit_limit=D("999999999"))
        corrected = ChainBiller(directory, dict(biller._tables, cust=per_minute(str(prices[3]))))
        posted = rerate(charged, corrected, ledger, batch_id="b", actor=OP, now=NOW)
        report = income_report(
            charged, "mid", directory=directory, start=NOW, end=NOW + timedelta(days=1)
        )
        [row] = distribution(charged, by="gateway")
        return (
            charged,
            [(a.delta, a.record) for a in posted],
            (report.revenue, report.cost, report.income),
            (row.asr, row.acd_seconds, row.minutes, row.margin),
        )

    same_under(context, run)


# -- bounds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e10000000", "digits before the point"),
        ("-1E+24", "digits before the point"),
        (10**24, "more than 24 digits"),
        ("1e-19", "more than 18 decimals"),
        ("0.1234567890123456789", "more than 18 decimals"),
        ("1" * 80, "longer than"),
        ("abc", "not a decimal number"),
        ("NaN", "not a finite amount"),
        (D("sNaN"), "not a finite amount"),
    ],
)
def test_an_amount_out_of_bounds_is_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        to_decimal(value, "price")


def test_amounts_at_the_bounds_are_kept() -> None:
    assert to_decimal("9" * MAX_INTEGER_DIGITS, "x") == 10**MAX_INTEGER_DIGITS - 1
    assert to_decimal("1e-18", "x") == D(1).scaleb(-MAX_FRACTION_DIGITS)
    assert to_decimal("1.500000000000000000000000", "x") == D("1.5")  # trailing zeros
    assert to_decimal("0E+999999", "x") == 0
    assert to_decimal("-0", "x") == 0
    assert total([D("0.1")] * 10) == 1
    assert CONTEXT.traps[decimal.Inexact]


@pytest.mark.parametrize(
    ("cell", "column"),
    [("1e10000000", "price"), ("1e-999999999", "connect_fee"), ("9" * 30, "min_charge")],
)
def test_a_deck_cell_out_of_bounds_is_refused_with_its_row_and_column(
    cell: str, column: str
) -> None:
    deck = "prefix,price,connect_fee,min_charge\n44,0.01,0,0\n45,0.01,0,0\n"
    broken = deck.replace(
        "45,0.01,0,0",
        ",".join(
            cell if c == column else v
            for c, v in zip(
                ("prefix", "price", "connect_fee", "min_charge"),
                ("45", "0.01", "0", "0"),
                strict=True,
            )
        ),
    )
    with pytest.raises(RateDeckError) as caught:
        RateTable.from_csv(broken)
    assert (caught.value.row, caught.value.column) == (3, column)


numeric_cells = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.builds(
        "{}{}e{}{}".format,
        st.sampled_from(["", "-", "+"]),
        st.integers(0, 10**6),
        st.sampled_from(["", "-", "+"]),
        st.integers(0, 10**12),
    ),
    st.text("0123456789.eE+-_ ", max_size=30),
    st.text(max_size=10),
)


@settings(max_examples=200, deadline=2000)
@given(cells=st.lists(numeric_cells, min_size=4, max_size=4))
def test_any_amount_cell_gives_a_table_or_a_deck_error(cells: list[str]) -> None:
    """A deck's amount cells, whatever they hold, give a table or a RateDeckError naming the
    row and column, quickly (the deadline): never another exception, never a hang."""
    row = ",".join(f'"{cell}"' for cell in cells).replace("\n", " ")
    deck = f"prefix,price,connect_fee,min_charge,max_charge\n44,{row}\n"
    refused: RateDeckError | None = None
    try:
        RateTable.from_csv(deck, rounding=RoundingRule(decimals=6))
    except RateDeckError as error:
        refused = error
    if refused is not None:  # the row, or (a check across cells) the fields it compares
        assert refused.row == 2 or "_charge" in str(refused), refused
