"""CDRs: agent-chain billing, income reports, Flow legs, re-rating and distribution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine.accounts import (
    FULL,
    RETAIL,
    Account,
    AccountDirectory,
    BillingModel,
    Operator,
    Scope,
)
from vosengine.cdr import CDR, ChainBiller, MissingRateTable, distribution, income_report, rerate
from vosengine.errors import InvalidArgument
from vosengine.ledger import IdempotencyConflict, InMemoryLedger, UnknownLedgerAccount
from vosengine.rating import Rate, RateTable
from vosengine.testing import cdrs

D = Decimal
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
OP = Operator(name="billing")


def per_minute(price: str, prefix: str = "880") -> RateTable:
    return RateTable([Rate(prefix=prefix, price=price, area="Bangladesh")])


def tree() -> AccountDirectory:
    d = AccountDirectory()
    d.add(Account(id="wholesale", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="retail", parent_id="wholesale", authorizations=RETAIL), actor=OP, now=NOW)
    d.add(Account(id="cust", parent_id="retail"), actor=OP, now=NOW)
    d.add(Account(id="cust2", parent_id="wholesale"), actor=OP, now=NOW)
    return d


TABLES = {
    "cust": per_minute("0.05"),
    "cust2": per_minute("0.04"),
    "retail": per_minute("0.03"),
    "wholesale": per_minute("0.02"),
}


def call(
    account: str = "cust",
    seconds: int = 60,
    *,
    leg: str = "A",
    cid: str = "c1",
    callee: str = "8801712345678",
    at: datetime = NOW,
) -> CDR:
    answer = at + timedelta(seconds=5)
    return CDR(
        call_id=cid,
        account_id=account,
        caller="1001",
        callee=callee,
        start=at,
        answer=answer,
        end=answer + timedelta(seconds=seconds),
        duration_ms=seconds * 1000,
        gateway="gw-bd",
        leg=leg,
    )


def test_every_level_pays_its_own_rate_and_agents_earn_the_difference() -> None:
    charged = ChainBiller(tree(), TABLES).rate(call())
    assert [(lv.account_id, lv.amount, lv.income) for lv in charged.levels] == [
        ("cust", D("0.0500"), None),
        ("retail", D("0.0300"), D("0.0200")),
        ("wholesale", D("0.0200"), D("0.0100")),
    ]
    assert charged.top.account_id == "wholesale"
    assert charged.level("retail").charge is not None


def test_a_failed_call_costs_nobody_anything() -> None:
    failed = CDR(
        call_id="f",
        account_id="cust",
        caller="1",
        callee="880171",
        start=NOW,
        end=NOW + timedelta(seconds=20),
        termination="busy",
    )
    charged = ChainBiller(tree(), TABLES).rate(failed)
    assert all(level.amount == 0 for level in charged.levels)
    assert not failed.answered


def test_a_level_without_a_rate_pays_nothing_and_a_missing_table_is_an_error() -> None:
    tables = dict(TABLES, retail=per_minute("0.03", prefix="91"))
    charged = ChainBiller(tree(), tables).rate(call())
    assert charged.level("retail").charge is None
    assert charged.level("retail").income == D("0.0500")
    assert charged.level("wholesale").income == D("-0.0200")
    with pytest.raises(MissingRateTable, match="'retail' has no rate table"):
        ChainBiller(tree(), {"cust": TABLES["cust"]}).rate(call())


def test_income_report_direct_and_all() -> None:
    biller = ChainBiller(tree(), TABLES)
    charges = [
        biller.rate(call("cust", 60, cid="1")),
        biller.rate(call("cust", 120, cid="2")),
        biller.rate(call("cust2", 60, cid="3")),
        biller.rate(call("cust", 60, cid="4", at=NOW + timedelta(days=40))),
    ]
    d = tree()
    period = {"start": NOW - timedelta(days=1), "end": NOW + timedelta(days=30)}
    every = income_report(charges, "wholesale", directory=d, scope=Scope.ALL, **period)
    assert (every.calls, every.revenue, every.cost) == (3, D("0.1300"), D("0.0800"))
    assert every.income == D("0.0500")
    direct = income_report(charges, "wholesale", directory=d, scope=Scope.DIRECT, **period)
    assert (direct.calls, direct.revenue, direct.cost) == (1, D("0.0400"), D("0.0200"))
    retail = income_report(charges, "retail", directory=d, **period)
    assert retail.income == D("0.0600")  # 0.05 + 0.10 paid in, 0.03 + 0.06 paid out


def test_flow_calls_rate_each_leg() -> None:
    d = tree()
    d.update("cust", actor=OP, now=NOW, billing_model=BillingModel.FLOW)
    biller = ChainBiller(d, TABLES)
    leg_a = call("cust", 30, leg="A", cid="cb", callee="8801911111111")  # callback to caller
    leg_b = call("cust", 90, leg="B", cid="cb")
    charged = biller.rate_many([leg_a, leg_b])
    assert [c.customer.amount for c in charged] == [D("0.0500"), D("0.1000")]
    with pytest.raises(InvalidArgument, match="leg: expected 'A' or 'B'"):
        call(leg="C")


def test_rerate_posts_differences_once() -> None:
    d = tree()
    ledger = InMemoryLedger()
    for account in ("cust", "retail", "wholesale", "cust2"):
        ledger.open_account(account, credit_limit=D("100"))
    old = ChainBiller(d, TABLES).rate_many([call(cid="1"), call(cid="2", seconds=120)])
    for charged in old:  # what was charged at the time
        for level in charged.levels:
            hold = ledger.reserve(level.account_id, level.amount, charged.cdr.call_id, now=NOW)
            ledger.settle(hold.id, level.amount, now=NOW)
    corrected = ChainBiller(d, dict(TABLES, cust=per_minute("0.06")))
    balances = {a: ledger.balance(a).balance for a in ("cust", "retail")}
    posted = rerate(old, corrected, ledger, batch_id="fix-880", actor=OP, now=NOW)
    assert [(a.call_id, a.account_id, a.old, a.new) for a in posted] == [
        ("1", "cust", D("0.0500"), D("0.0600")),
        ("2", "cust", D("0.1000"), D("0.1200")),
    ]
    assert ledger.balance("cust").balance == balances["cust"] - D("0.03")
    assert ledger.balance("retail").balance == balances["retail"]
    assert "re-rate fix-880: call 1 leg A" in posted[0].record.memo
    records = ledger.records()
    again = rerate(old, corrected, ledger, batch_id="fix-880", actor=OP, now=NOW)
    assert [a.record for a in again] == [a.record for a in posted]
    assert ledger.records() == records  # nothing new
    ledger._check()
    with pytest.raises(InvalidArgument, match="batch_id"):
        rerate(old, corrected, ledger, batch_id="", actor=OP, now=NOW)


def test_distribution_report() -> None:
    biller = ChainBiller(tree(), TABLES)
    failed = CDR(
        call_id="f",
        account_id="cust",
        caller="1",
        callee="880171",
        start=NOW,
        end=NOW,
        termination="busy",
        gateway="gw-bd",
    )
    charges = biller.rate_many([call(cid="1", seconds=60), call(cid="2", seconds=30), failed])
    vendor = {"gw-bd": per_minute("0.01")}
    [row] = distribution(charges, by="gateway", vendor_tables=vendor)
    assert (row.key, row.calls, row.answered, row.hold_seconds) == ("gw-bd", 3, 2, 90)
    assert row.asr == D("0.666667")  # HALF_EVEN to 6 decimals
    assert row.acd_seconds == D(45)
    assert row.minutes == D("1.5")
    assert row.revenue == D("0.0400")  # what the top account paid: 0.02 + 0.02 (60/60)
    assert row.cost == D("0.0200")
    assert row.margin == D("0.0200")
    by_reason = distribution(charges, by="termination")
    assert [(r.key, r.calls) for r in by_reason] == [("busy", 1), ("normal", 2)]
    assert [r.key for r in distribution(charges, by="area")] == ["(no rate)", "Bangladesh"]
    with pytest.raises(InvalidArgument, match="by: expected one of"):
        distribution(charges, by="colour")


@given(cdr=cdrs(account_ids=["cust", "cust2"], callee_prefixes=["880", "91"]))
def test_agent_incomes_add_up(cdr: CDR) -> None:
    """Telescoping: the customer's payment is the top's payment plus every agent's income."""
    charged = ChainBiller(tree(), TABLES).rate(cdr)
    incomes = sum((lv.income for lv in charged.levels[1:] if lv.income is not None), D(0))
    assert charged.customer.amount == charged.top.amount + incomes


TEN_SECONDS: dict[str, object] = dict(
    call_id="x",
    account_id="cust",
    caller="1",
    callee="880",
    start=NOW,
    answer=NOW,
    end=NOW + timedelta(seconds=10),
    duration_ms=10_000,
)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"duration_ms": -1}, "duration_ms: -1 is negative"),
        ({"answer": None, "duration_ms": 5}, "not answered has none"),
        ({"end": NOW - timedelta(seconds=1)}, "end: .* is before start"),
        ({"start": datetime(2026, 1, 1)}, "start: 2026-01-01T00:00:00 has no time zone"),
        ({"answer": NOW + timedelta(hours=5)}, "answer: .* is outside start..end"),
        ({"callee": 880}, "callee: expected a str"),
        ({"duration_ms": 3_600_000}, "duration_ms: 3600000 disagrees with answer..end"),
        ({"duration_ms": 8_999}, "duration_ms: 8999 disagrees with answer..end"),
        ({"duration_ms": 0}, "duration_ms: 0 disagrees with answer..end"),
        ({"duration_ms": 1_000, "end": NOW}, "duration_ms: 1000 disagrees"),
    ],
)
def test_bad_cdrs(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        CDR(**(TEN_SECONDS | fields))  # type: ignore[arg-type]


def test_strategies_validate_their_arguments() -> None:
    from vosengine.testing import amounts, prefixes

    with pytest.raises(InvalidArgument, match="alphabet"):
        prefixes(alphabet="abc")
    with pytest.raises(InvalidArgument, match="minimum 5 is above maximum 1"):
        amounts(min_value=5, max_value=1)
    assert st.SearchStrategy  # the strategies are Hypothesis strategies
    assert isinstance(prefixes(), st.SearchStrategy)


def charged_and_posted(ledger: InMemoryLedger) -> list[Any]:
    d = tree()
    for account in ("cust", "retail", "wholesale", "cust2"):
        ledger.open_account(account, credit_limit=D("100"))
    return ChainBiller(d, TABLES).rate_many([call(cid="1"), call(cid="2", seconds=120)])


def test_rerate_posts_the_whole_batch_or_nothing() -> None:
    ledger = InMemoryLedger()
    old = charged_and_posted(ledger)
    corrected = ChainBiller(tree(), dict(TABLES, cust=per_minute("0.06")))
    # the second call's key was taken by another request: the batch is refused whole
    ledger.adjust("cust", D("1"), key="rerate:b1:2:A:cust", actor=OP, now=NOW)
    records = ledger.records()
    with pytest.raises(IdempotencyConflict, match="rerate:b1:2:A:cust"):
        rerate(old, corrected, ledger, batch_id="b1", actor=OP, now=NOW)
    assert ledger.records() == records
    # an account the ledger does not know, second in the batch: nothing posted either
    cheaper = ChainBiller(tree(), dict(TABLES, cust=per_minute("0.06"), retail=per_minute("0.01")))
    other = InMemoryLedger()
    other.open_account("cust")
    with pytest.raises(UnknownLedgerAccount, match="retail"):
        rerate(old, cheaper, other, batch_id="b2", actor=OP, now=NOW)
    assert other.records() == []
    ledger._check()


@pytest.mark.parametrize("duration_ms", [9_501, 10_000, 10_500, 11_499, 0])
def test_a_cdrs_duration_may_differ_from_its_whole_second_times_by_under_a_second(
    duration_ms: int,
) -> None:
    end = NOW + timedelta(seconds=10 if duration_ms else 0, milliseconds=500)
    record = CDR(**(TEN_SECONDS | {"end": end, "duration_ms": duration_ms}))  # type: ignore[arg-type]
    assert record.duration_ms == duration_ms
