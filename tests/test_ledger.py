"""The ledger: payments, idempotency, reservations, overdraft rules, threads, conservation."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import ledger_on
from vosengine.accounts import (
    RETAIL,
    Account,
    AccountDirectory,
    AgentPayments,
    Authorization,
    Operator,
)
from vosengine.errors import InvalidArgument, InvalidArgumentType, PermissionDenied
from vosengine.ledger import (
    IdempotencyConflict,
    InMemoryLedger,
    InsufficientFunds,
    LedgerEventKind,
    OverdraftAction,
    PaymentKind,
    Posting,
    UnknownLedgerAccount,
    UnknownReservation,
)
from vosengine.ledger._redis import RedisLedger
from vosengine.testing import ledgers_with_operations

D = Decimal
NOW = datetime(2026, 11, 25, tzinfo=UTC)
OP = Operator(name="billing")


# -- every test on both ledgers: the embedded one, and the shared one on a real Redis ----------

new_ledger: Callable[..., Any] = InMemoryLedger


_PREFIXES = itertools.count()


@pytest.fixture(autouse=True, params=["memory", "memory-twin", "redis"])
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Which ledger ``new_ledger`` (and ``make``) builds in this test: each its own. The
    embedded one twice: on the compiled hold, then on its pure-Python twin."""
    global new_ledger
    if request.param == "memory":
        new_ledger = InMemoryLedger
    elif request.param == "memory-twin":
        new_ledger = ledger_on("python")
    else:
        client = request.getfixturevalue("redis_client")

        def redis_ledger(**kw: Any) -> RedisLedger:
            return RedisLedger(client, prefix=f"test{next(_PREFIXES)}:", **kw)

        new_ledger = redis_ledger
    try:
        yield str(request.param)
    finally:
        new_ledger = InMemoryLedger


#: A test of the in-memory ledger alone (the fixture's parameters, narrowed).
IN_MEMORY = pytest.mark.parametrize("kind", ["memory", "memory-twin"], indirect=True)


def account_ids(ledger: Any) -> list[str]:
    if isinstance(ledger, InMemoryLedger):
        return sorted(ledger._accounts)
    keys = ledger.client.scan_iter(match=ledger.prefix + "a:*")
    return sorted(k.decode()[len(ledger.prefix) + 2 :] for k in keys)


def snapshot(ledger: Any) -> tuple[Any, ...]:
    return (
        [ledger.balance(a) for a in account_ids(ledger)],
        ledger.records(),
        ledger.open_reservations(),
    )


def refused(ledger: Any, call: Any, error: type[BaseException], match: str) -> None:
    before = snapshot(ledger)
    with pytest.raises(error, match=match):
        call()
    assert snapshot(ledger) == before
    ledger._check()


def make(**kw: Any) -> Any:
    ledger = new_ledger(**kw)
    ledger.open_account("alice", credit_limit=D("10"))
    ledger.open_account("bob")
    return ledger


def test_payments_write_records_and_move_balances() -> None:
    ledger = make()
    first = ledger.recharge("alice", D("100"), key="k1", actor=OP, now=NOW, memo="top-up")
    assert first.kind is PaymentKind.RECHARGE
    assert first.balance_after == D("100")
    assert first.actor == "operator:billing"
    ledger.deduct("alice", D("30.5"), key="k2", actor=OP, now=NOW)
    ledger.adjust("alice", D("-0.5"), key="k3", actor=OP, now=NOW)
    out, into = ledger.transfer("alice", "bob", D("20"), key="k4", actor=OP, now=NOW)
    assert (out.amount, into.amount) == (D("-20"), D("20"))
    assert ledger.balance("alice").balance == D("49.0")
    assert ledger.balance("bob").balance == D("20")
    limit = ledger.set_credit_limit("bob", D("5"), key="k5", actor=OP, now=NOW)
    assert limit.kind is PaymentKind.CREDIT_LIMIT
    assert ledger.balance("bob").available == D("25")
    assert [r.id for r in ledger.records()] == [1, 2, 3, 4, 5, 6]
    ledger._check()


def test_idempotency_keys() -> None:
    ledger = make()
    first = ledger.recharge("alice", D("5"), key="retry-me", actor=OP, now=NOW)
    again = ledger.recharge("alice", D("5"), key="retry-me", actor=OP, now=NOW)
    assert again == first
    assert ledger.balance("alice").balance == D("5")
    assert len(ledger.records()) == 1
    refused(
        ledger,
        lambda: ledger.recharge("alice", D("6"), key="retry-me", actor=OP, now=NOW),
        IdempotencyConflict,
        "'retry-me' was used for recharge on 'alice' with other arguments",
    )
    pair = ledger.transfer("alice", "bob", D("1"), key="t", actor=OP, now=NOW)
    assert ledger.transfer("alice", "bob", D("1"), key="t", actor=OP, now=NOW) == pair
    refused(
        ledger,
        lambda: ledger.recharge("alice", D("1"), key="", actor=OP, now=NOW),
        InvalidArgument,
        "key",
    )


@IN_MEMORY  # a Redis key lives key_retention by Redis' clock: see test_ledger_redis
def test_a_key_is_remembered_for_its_retention_and_then_forgotten() -> None:
    ledger = make(key_retention=timedelta(minutes=10))
    first = ledger.recharge("alice", D("5"), key="k", actor=OP, now=NOW)
    later = NOW + timedelta(minutes=9, seconds=59)
    assert ledger.recharge("alice", D("5"), key="k", actor=OP, now=later) is first
    # another operation after the retention forgets the key; the retry is a new payment
    ledger.recharge("bob", D("1"), key="other", actor=OP, now=NOW + timedelta(minutes=10))
    again = ledger.recharge("alice", D("5"), key="k", actor=OP, now=NOW + timedelta(minutes=11))
    assert again is not first and again.balance_after == D("10")
    # a settled call's key follows the same rule
    hold = ledger.reserve("alice", D("1"), "call-1", now=NOW + timedelta(minutes=11))
    call = ledger.settle_call(
        hold.id, [("alice", D("1"))], key="call-1", now=NOW + timedelta(minutes=11)
    )
    retry = ledger.settle_call(
        hold.id, [("alice", D("1"))], key="call-1", now=NOW + timedelta(minutes=20)
    )
    assert retry is call
    ledger._check()


@pytest.mark.parametrize(
    ("retention", "error"),
    [
        (timedelta(0), InvalidArgument),
        (timedelta(seconds=-1), InvalidArgument),
        (60, InvalidArgumentType),
    ],
)
def test_a_key_retention_is_a_positive_timedelta(retention: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="key_retention"):
        new_ledger(key_retention=retention)


NAIVE = datetime(2026, 11, 25)

NAIVE_CALLS: dict[str, Any] = {
    "recharge": lambda g, h: g.recharge("alice", D(1), key="n1", actor=OP, now=NAIVE),
    "deduct": lambda g, h: g.deduct("alice", D(1), key="n2", actor=OP, now=NAIVE),
    "adjust": lambda g, h: g.adjust("alice", D(1), key="n3", actor=OP, now=NAIVE),
    "adjust_many": lambda g, h: g.adjust_many(
        [Posting("alice", D(1), "n4", "")], actor=OP, now=NAIVE
    ),
    "transfer": lambda g, h: g.transfer("alice", "bob", D(1), key="n5", actor=OP, now=NAIVE),
    "set_credit_limit": lambda g, h: g.set_credit_limit(
        "alice", D(1), key="n6", actor=OP, now=NAIVE
    ),
    "reserve": lambda g, h: g.reserve("alice", D(1), "call-2", now=NAIVE),
    "grow": lambda g, h: g.grow(h.id, D(1), now=NAIVE),
    "settle": lambda g, h: g.settle(h.id, D(1), now=NAIVE),
    "settle_call": lambda g, h: g.settle_call(h.id, [("alice", D(1))], key="n7", now=NAIVE),
    "release": lambda g, h: g.release(h.id, now=NAIVE),
}


@pytest.mark.parametrize("operation", sorted(NAIVE_CALLS))
def test_a_naive_now_is_refused_by_every_operation_and_changes_nothing(operation: str) -> None:
    ledger = make()
    ledger.recharge("alice", D(5), key="first", actor=OP, now=NOW)
    hold = ledger.reserve("alice", D(1), "call-1", now=NOW)
    refused(
        ledger,
        lambda: NAIVE_CALLS[operation](ledger, hold),
        InvalidArgument,
        "now: .* no time zone",
    )


def test_drained_records_are_handed_over_once_and_balances_stay() -> None:
    ledger = make()
    ledger.recharge("alice", D("100"), key="k1", actor=OP, now=NOW)
    ledger.transfer("alice", "bob", D("20"), key="k2", actor=OP, now=NOW)
    ledger.set_credit_limit("bob", D("5"), key="k3", actor=OP, now=NOW)
    drained = ledger.drain_records()
    assert [(r.id, r.account_id) for r in drained] == [
        (1, "alice"),
        (2, "alice"),
        (3, "bob"),
        (4, "bob"),
    ]
    assert ledger.records() == [] and ledger.records(account_id="alice") == []
    assert ledger.drain_records() == []
    assert ledger.balance("alice").balance == D("80") and ledger.balance("bob").available == D("25")
    # a retry after the drain still replays, and new records carry on the numbering
    assert ledger.recharge("alice", D("100"), key="k1", actor=OP, now=NOW) == drained[0]
    record = ledger.deduct("alice", D("1"), key="k4", actor=OP, now=NOW)
    assert record.id == 5 and ledger.records(account_id="alice") == [record]
    assert ledger.records(account_id="bob") == []
    ledger._check()


def test_the_records_of_one_account_are_its_own_in_order() -> None:
    ledger = make()
    for index in range(6):
        ledger.recharge(
            ("alice", "bob")[index % 2], D(index + 1), key=f"k{index}", actor=OP, now=NOW
        )
    assert [r.amount for r in ledger.records(account_id="bob")] == [D(2), D(4), D(6)]
    assert ledger.records(account_id="nobody") == []
    assert ledger.open_reservations(account_id="nobody") == []
    assert ledger.records() == sorted(ledger.records(), key=lambda r: r.id)


def test_funds_and_credit_limits() -> None:
    ledger = make()
    ledger.deduct("alice", D("10"), key="a", actor=OP, now=NOW)  # the credit limit covers it
    assert ledger.balance("alice").balance == D("-10")
    refused(
        ledger,
        lambda: ledger.deduct("alice", D("0.0001"), key="b", actor=OP, now=NOW),
        InsufficientFunds,
        "has 0.0000 available",
    )
    refused(
        ledger,
        lambda: ledger.transfer("bob", "alice", D("1"), key="c", actor=OP, now=NOW),
        InsufficientFunds,
        "'bob' has 0.0000 available",
    )
    ledger.adjust("alice", D("-5"), key="d", actor=OP, now=NOW)  # corrections are not refused
    assert ledger.balance("alice").available == D("-5")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda lg: lg.recharge("alice", 1.5, key="x", actor=OP, now=NOW),
            InvalidArgumentType,
            "amount: 1.5 is a float",
        ),
        (
            lambda lg: lg.recharge("alice", D("0.00001"), key="x", actor=OP, now=NOW),
            InvalidArgument,
            "more than 4 decimals",
        ),
        (
            lambda lg: lg.recharge("alice", D("0"), key="x", actor=OP, now=NOW),
            InvalidArgument,
            "not positive",
        ),
        (
            lambda lg: lg.recharge("carol", D("1"), key="x", actor=OP, now=NOW),
            UnknownLedgerAccount,
            "'carol' does not exist",
        ),
        (
            lambda lg: lg.adjust("alice", D("0"), key="x", actor=OP, now=NOW),
            InvalidArgument,
            "adjustment of 0",
        ),
        (
            lambda lg: lg.transfer("alice", "alice", D("1"), key="x", actor=OP, now=NOW),
            InvalidArgument,
            "same account",
        ),
        (
            lambda lg: lg.set_credit_limit("alice", D("-1"), key="x", actor=OP, now=NOW),
            InvalidArgument,
            "negative",
        ),
        (lambda lg: lg.settle(99, D("1"), now=NOW), UnknownReservation, "99"),
        (lambda lg: lg.release(99, now=NOW), UnknownReservation, "99"),
        (lambda lg: lg.reserve("alice", D("-1"), "c", now=NOW), InvalidArgument, "negative"),
        (
            lambda lg: lg.recharge("alice", D("1"), key="x", actor="alice", now=NOW),
            PermissionDenied,
            "no account directory",
        ),
    ],
)
def test_bad_input_changes_nothing(call: Any, error: type[BaseException], match: str) -> None:
    ledger = make()
    ledger.recharge("alice", D("3"), key="seed", actor=OP, now=NOW)
    refused(ledger, lambda: call(ledger), error, match)


def test_reservations_settle_and_release() -> None:
    ledger = make()
    ledger.recharge("alice", D("5"), key="r", actor=OP, now=NOW)
    hold = ledger.reserve("alice", D("12"), "call-1", now=NOW)
    assert ledger.balance("alice").available == D("3")
    record = ledger.settle(hold.id, D("12.5"), now=NOW)  # may cost more than was held
    assert record.kind is PaymentKind.CALL
    assert record.amount == D("-12.5")
    assert ledger.balance("alice").reserved == 0
    assert ledger.balance("alice").balance == D("-7.5")
    second = ledger.reserve("alice", D("2"), "call-2", now=NOW)
    ledger.release(second.id, now=NOW)
    assert ledger.balance("alice").available == D("2.5")
    with pytest.raises(UnknownReservation):
        ledger.settle(second.id, D("1"), now=NOW)
    ledger._check()


def test_available_is_the_balance_s() -> None:
    ledger = make()
    ledger.recharge("alice", D("5"), key="r", actor=OP, now=NOW)
    ledger.reserve("alice", D("4"), "call-1", now=NOW)
    assert ledger.available("alice") == ledger.balance("alice").available == D("11")
    with pytest.raises(UnknownLedgerAccount, match="'ghost'"):
        ledger.available("ghost")
    with pytest.raises(InvalidArgumentType, match=r"account_id: expected a str, got \['alice'\]"):
        ledger.available(["alice"])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentType, match="account_id: expected a str, got None"):
        ledger.reserve(None, D("1"), "call-2", now=NOW)  # type: ignore[arg-type]


def test_grow_holds_more_by_the_overdraft_rule() -> None:
    ledger = make()
    ledger.recharge("alice", D("5"), key="r", actor=OP, now=NOW)
    hold = ledger.reserve("alice", D("4"), "call-1", now=NOW)
    grown = ledger.grow(hold.id, D("6"), now=NOW)
    assert (grown.id, grown.amount, grown.call_id) == (hold.id, D("10"), "call-1")
    assert ledger.balance("alice").available == D("5")
    assert ledger.open_reservations() == [grown]
    refused(ledger, lambda: ledger.grow(hold.id, D("5.01"), now=NOW), InsufficientFunds, "5.01")
    refused(ledger, lambda: ledger.grow(hold.id, D("0"), now=NOW), InvalidArgument, "not positive")
    refused(ledger, lambda: ledger.grow(99, D("1"), now=NOW), UnknownReservation, "99")
    ledger.settle(hold.id, D("7"), now=NOW)
    assert ledger.balance("alice").reserved == 0
    ledger._check()


def chain_ledger() -> InMemoryLedger:
    ledger = make()
    ledger.open_account("agent", credit_limit=D("1"))
    ledger.open_account("top")
    ledger.recharge("alice", D("5"), key="r", actor=OP, now=NOW)
    return ledger


def test_settle_call_charges_every_level_at_once_and_once() -> None:
    ledger = chain_ledger()
    hold = ledger.reserve("alice", D("3"), "call-1", now=NOW)
    charges = [("alice", D("2.5")), ("agent", D("2")), ("top", D("0")), ("bob", D("1.5"))]
    records = ledger.settle_call(hold.id, charges, key="call-1:A", now=NOW)
    assert [(r.account_id, r.amount, r.kind, r.memo, r.key) for r in records] == [
        ("alice", D("-2.5"), PaymentKind.CALL, "call-1", "call-1:A"),
        ("agent", D("-2"), PaymentKind.CALL, "call-1", "call-1:A"),  # past its credit: the
        ("bob", D("-1.5"), PaymentKind.CALL, "call-1", "call-1:A"),  # call has taken place
    ]
    balances = {a: ledger.balance(a).balance for a in ("alice", "agent", "top", "bob")}
    assert balances == {"alice": D("2.5"), "agent": D("-2"), "top": 0, "bob": D("-1.5")}
    assert ledger.open_reservations() == []
    # a retry with the same key changes nothing and answers the same
    before = snapshot(ledger)
    assert ledger.settle_call(hold.id, charges, key="call-1:A", now=NOW) == records
    assert snapshot(ledger) == before
    refused(
        ledger,
        lambda: ledger.settle_call(hold.id, [("alice", D("1"))], key="call-1:A", now=NOW),
        IdempotencyConflict,
        "call-1:A",
    )
    ledger._check()


def test_settle_call_of_a_call_that_never_connected_only_frees_the_hold() -> None:
    ledger = chain_ledger()
    hold = ledger.reserve("alice", D("3"), "call-1", now=NOW)
    zero = [("alice", D("0")), ("agent", D("0"))]
    assert ledger.settle_call(hold.id, zero, key="k", now=NOW) == ()
    assert ledger.balance("alice").available == D("15")
    assert ledger.records(account_id="agent") == []
    assert ledger.settle_call(hold.id, zero, key="k", now=NOW) == ()
    ledger._check()


@pytest.mark.parametrize(
    ("charges", "error", "match"),
    [
        ([("alice", D("1")), ("ghost", D("1"))], UnknownLedgerAccount, "ghost"),
        ([("bob", D("1"))], InvalidArgument, r"charges\[0\]: 'bob' is not the account"),
        ([("alice", D("1")), ("agent", D("-1"))], InvalidArgument, "negative"),
        ([("alice", D("1")), ("alice", D("1"))], InvalidArgument, "charged twice"),
        ([("alice", 1.5)], InvalidArgumentType, "float"),
        ([("alice", D("0.00001"))], InvalidArgument, "decimals"),
        ([], InvalidArgumentType, "non-empty sequence"),
        ([["alice", D("1")]], InvalidArgumentType, r"charges\[0\]: expected"),
    ],
)
def test_settle_call_refuses_bad_charges_and_changes_nothing(
    charges: Any, error: type[BaseException], match: str
) -> None:
    ledger = chain_ledger()
    hold = ledger.reserve("alice", D("3"), "call-1", now=NOW)
    refused(ledger, lambda: ledger.settle_call(hold.id, charges, key="k", now=NOW), error, match)
    refused(
        ledger,
        lambda: ledger.settle_call(99, [("alice", D("1"))], key="k2", now=NOW),
        UnknownReservation,
        "99",
    )
    refused(
        ledger,
        lambda: ledger.settle_call(hold.id, [("alice", D("1"))], key="", now=NOW),
        InvalidArgument,
        "idempotency key",
    )


def test_overdraft_actions_and_low_balance_events() -> None:
    ledger = new_ledger()
    ledger.open_account("block", overdraft=OverdraftAction.BLOCK)
    ledger.open_account("warn", overdraft=OverdraftAction.WARN)
    ledger.open_account("suspend", overdraft=OverdraftAction.SUSPEND, low_balance=D("3"))
    for account in ("block", "warn", "suspend"):
        ledger.recharge(account, D("5"), key=account, actor=OP, now=NOW)
    with pytest.raises(InsufficientFunds, match="call 'c1' needs 6"):
        ledger.reserve("block", D("6"), "c1", now=NOW)
    ledger.reserve("warn", D("6"), "c2", now=NOW)
    assert ledger.balance("warn").available == D("-1")
    with pytest.raises(InsufficientFunds):
        ledger.reserve("suspend", D("6"), "c3", now=NOW)
    hold = ledger.reserve("suspend", D("4"), "c4", now=NOW)  # 5 -> 1 available: low balance
    kinds = [(e.kind, e.account_id) for e in ledger.drain_events()]
    assert kinds == [
        (LedgerEventKind.CALL_BLOCKED, "block"),
        (LedgerEventKind.OVERDRAFT_WARNING, "warn"),
        (LedgerEventKind.SUSPEND_ACCOUNT, "suspend"),
        (LedgerEventKind.LOW_BALANCE, "suspend"),
    ]
    assert ledger.drain_events() == []
    ledger.release(hold.id, now=NOW)
    ledger._check()


def test_agent_payment_authorizations() -> None:
    directory = AccountDirectory()
    directory.add(Account(id="agent", authorizations=RETAIL), actor=OP, now=NOW)
    directory.add(Account(id="cust", parent_id="agent"), actor=OP, now=NOW)
    directory.add(Account(id="other"), actor=OP, now=NOW)
    directory.add(Account(id="limited", authorizations=Authorization.ACCOUNT), actor=OP, now=NOW)
    directory.add(Account(id="lcust", parent_id="limited"), actor=OP, now=NOW)
    ledger = new_ledger(payers=AgentPayments(directory))
    for account in ("agent", "cust", "other", "limited", "lcust"):
        ledger.open_account(account)
    ledger.recharge("agent", D("50"), key="seed", actor=OP, now=NOW)
    ledger.recharge("cust", D("5"), key="a1", actor="agent", now=NOW)  # payment for sub
    ledger.recharge("agent", D("5"), key="a2", actor="agent", now=NOW)  # payment for self
    ledger.transfer("agent", "cust", D("5"), key="a3", actor="agent", now=NOW)
    assert ledger.balance("cust").balance == D("10")
    refused(
        ledger,
        lambda: ledger.recharge("other", D("1"), key="a4", actor="agent", now=NOW),
        PermissionDenied,
        "outside the scope",
    )
    refused(
        ledger,
        lambda: ledger.recharge("lcust", D("1"), key="a5", actor="limited", now=NOW),
        PermissionDenied,
        "lacks the 'payment_sub' authorization",
    )
    refused(
        ledger,
        lambda: ledger.transfer("cust", "agent", D("1"), key="a6", actor="agent", now=NOW),
        PermissionDenied,
        "can only transfer from its own account",
    )


def test_concurrent_reservations_never_pass_the_credit_limit() -> None:
    ledger = new_ledger()
    ledger.open_account("shared", credit_limit=D("100"))
    ledger.recharge("shared", D("900"), key="seed", actor=OP, now=NOW)
    granted: list[Any] = []
    lock = threading.Lock()

    def caller(worker: int) -> None:
        for i in range(200):
            try:
                hold = ledger.reserve("shared", D("1.5"), f"{worker}-{i}", now=NOW)
            except InsufficientFunds:
                continue
            with lock:
                granted.append(hold)

    threads = [threading.Thread(target=caller, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 666  # floor(1000 / 1.5)
    assert ledger.balance("shared").available == D("1.0")
    assert ledger.balance("shared").available >= 0
    for hold in granted[:300]:
        ledger.settle(hold.id, D("1"), now=NOW)
    ledger._check()


@IN_MEMORY  # the strategy builds in-memory ledgers
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # kind: read only
@given(state=ledgers_with_operations())
def test_the_ledger_conserves_money(state: tuple[InMemoryLedger, list[Any]]) -> None:
    ledger, applied = state
    ledger._check()
    total = sum((ledger.balance(a).balance for a in ledger._accounts), D(0))
    recharged = sum((op[2] for op in applied if op[0] in ("recharge", "adjust")), D(0))
    deducted = sum((op[2] for op in applied if op[0] == "deduct"), D(0))
    settled = sum((op[2] for op in applied if op[0] == "settle"), D(0))
    assert total == recharged - deducted - settled
    for account in ledger._accounts:
        balance = ledger.balance(account)
        held = sum((r.amount for r in ledger.open_reservations(account_id=account)), D(0))
        assert balance.reserved == held


def test_adjust_many_posts_all_or_nothing() -> None:
    directory = AccountDirectory()
    directory.add(Account(id="agent", authorizations=RETAIL), actor=OP, now=NOW)
    directory.add(Account(id="cust", parent_id="agent"), actor=OP, now=NOW)
    directory.add(Account(id="other"), actor=OP, now=NOW)
    ledger = new_ledger(payers=AgentPayments(directory))
    for account in ("agent", "cust", "other"):
        ledger.open_account(account)
    batch = [Posting("cust", D("2"), "p1", "fix"), Posting("agent", D("-1.5"), "p2")]
    first = ledger.adjust_many(batch, actor=OP, now=NOW)
    assert [(r.account_id, r.amount, r.kind, r.memo) for r in first] == [
        ("cust", D("2"), PaymentKind.ADJUST, "fix"),
        ("agent", D("-1.5"), PaymentKind.ADJUST, ""),
    ]
    assert ledger.adjust_many(batch, actor=OP, now=NOW) == first  # a retried batch: no-op
    assert ledger.adjust("cust", D("2"), key="p1", actor=OP, now=NOW, memo="fix") == first[0]
    for postings, actor, error, match in [
        (
            [Posting("cust", D("1"), "p3"), Posting("cust", D("9"), "p1")],
            OP,
            IdempotencyConflict,
            "'p1'",
        ),
        (
            [Posting("cust", D("1"), "p4"), Posting("cust", D("2"), "p4")],
            OP,
            IdempotencyConflict,
            "'p4'",
        ),
        (
            [Posting("cust", D("1"), "p5"), Posting("nobody", D("1"), "p6")],
            OP,
            UnknownLedgerAccount,
            "nobody",
        ),
        (
            [Posting("cust", D("1"), "p7"), Posting("other", D("1"), "p8")],
            "agent",
            PermissionDenied,
            "scope",
        ),
        (
            [Posting("cust", D("1"), "p9"), Posting("cust", D("0"), "p10")],
            OP,
            InvalidArgument,
            r"postings\[1\]\.amount",
        ),
        (
            [Posting("cust", D("1"), "p11"), Posting("cust", D("0.00001"), "p12")],
            OP,
            InvalidArgument,
            "decimals",
        ),
        (
            [Posting("cust", D("1"), "p13"), ("cust", D("1"))],
            OP,
            InvalidArgumentType,
            r"postings\[1\]",
        ),
        ([Posting("cust", D("1"), "p14"), Posting("cust", D("1"), "")], OP, InvalidArgument, "key"),
    ]:
        refused(
            ledger,
            lambda postings=postings, actor=actor: ledger.adjust_many(
                postings, actor=actor, now=NOW
            ),
            error,
            match,
        )
    ledger.adjust_many([Posting("cust", D("-1"), "p15")], actor="agent", now=NOW)  # payment for sub
    assert ledger.balance("cust").balance == D("1")


def test_payer_rules_are_given_to_the_ledger() -> None:
    """The ledger knows money only: who may pay comes in as payer rules, so any ledger
    implementation applies the same ones; the old ``directory=`` still works, with a
    warning."""
    directory = AccountDirectory()
    directory.add(Account(id="agent", authorizations=RETAIL), actor=OP, now=NOW)
    directory.add(Account(id="cust", parent_id="agent"), actor=OP, now=NOW)
    calls: list[tuple[object, str]] = []

    class Recording:
        def authorize(self, actor: object, account_id: str, *, now: datetime) -> str:
            calls.append((actor, account_id))
            return "someone"

        def authorize_transfer(
            self, actor: object, source: str, target: str, *, now: datetime
        ) -> str:
            calls.append((actor, f"{source}->{target}"))
            return "someone"

    ledger = new_ledger(payers=Recording())
    ledger.open_account("cust")
    ledger.open_account("agent")
    record = ledger.recharge("cust", D("5"), key="k1", actor="anyone", now=NOW)
    assert record.actor == "someone"
    ledger.transfer("cust", "agent", D("1"), key="k2", actor="anyone", now=NOW)
    assert calls == [("anyone", "cust"), ("anyone", "cust->agent")]
    with pytest.raises(InvalidArgumentType, match="payers: expected payer rules"):
        new_ledger(payers=directory)
    if new_ledger is not InMemoryLedger:
        return  # the old spelling is the in-memory ledger's only
    with pytest.warns(DeprecationWarning, match="payers=vosengine.accounts.AgentPayments"):
        old = InMemoryLedger(directory=directory)
    assert isinstance(old.payers, AgentPayments)
    old.open_account("cust")
    assert old.recharge("cust", D("1"), key="k", actor="agent", now=NOW).actor == "agent:agent"
