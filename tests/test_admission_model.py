"""Call admission against random worlds: agent trees, decks, gateways, loads and balances.

Whatever the world, admission never routes to a disabled, refused or full gateway, never
admits a call its balance cannot pay the first increment of, never lets a call last longer
than its balance pays for, leaves no hold and no gateway slot behind once every call has
finished or been refused, and conserves money along the agent chain. Many threads admitting
and finishing against one account never overspend it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vosengine.accounts import FULL, Account, AccountDirectory, Operator
from vosengine.admission import Admission, Admitted, Rejected
from vosengine.cdr import CDR
from vosengine.ledger import InMemoryLedger, PaymentKind
from vosengine.money import ZERO, total
from vosengine.rating import Rate, RateTable
from vosengine.reasons import TerminationReason as R
from vosengine.routing import Gateway, Load, RouteTable

# every test on both compositions of admit: compiled, then the pure-Python twin
pytestmark = pytest.mark.usefixtures("admission_core")

D = Decimal
AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
OP = Operator(name="billing")
PREFIXES = ("44", "4420", "33", "1")
INCREMENTS = [(60, 60), (30, 6), (6, 6), (1, 1)]


@st.composite
def tables(draw: Any) -> RateTable:
    rates = [
        Rate(
            prefix=prefix,
            price=draw(st.decimals("0", "0.5", places=3)),
            connect_fee=draw(st.sampled_from(["0", "0.01"])),
            first_increment=first,
            next_increment=following,
        )
        for prefix in draw(st.sets(st.sampled_from(PREFIXES), min_size=1))
        for first, following in [draw(st.sampled_from(INCREMENTS))]
    ]
    return RateTable(rates)


@st.composite
def worlds(draw: Any) -> dict[str, Any]:
    depth = draw(st.integers(1, 3))
    directory = AccountDirectory()
    chain = [f"level{i}" for i in range(depth)]
    for index, account in enumerate(chain):
        parent = chain[index - 1] if index else None
        directory.add(Account(id=account, parent_id=parent, authorizations=FULL), actor=OP, now=AT)
    customers = [f"cust{i}" for i in range(draw(st.integers(1, 3)))]
    for customer in customers:
        directory.add(Account(id=customer, parent_id=chain[-1]), actor=OP, now=AT)
    rate_tables = {account: draw(tables()) for account in chain + customers}
    ledger = InMemoryLedger()
    for account in chain + customers:
        ledger.open_account(account, credit_limit=draw(st.sampled_from([ZERO, D("0.5")])))
        amount = draw(st.decimals("0", "5", places=2))
        if amount:
            ledger.recharge(account, amount, key=f"seed-{account}", actor=OP, now=AT)
    gateways = [
        Gateway(
            id=f"gw{i}",
            vendor=f"v{i}",
            prefixes=draw(st.sets(st.sampled_from(PREFIXES), min_size=1)),
            priority=draw(st.integers(0, 2)),
            capacity=draw(st.one_of(st.none(), st.integers(0, 2))),
            enabled=draw(st.booleans()),
            clients_refused=draw(st.sets(st.sampled_from(customers))),
            rates=draw(st.one_of(st.none(), tables())),
        )
        for i in range(draw(st.integers(1, 5)))
    ]
    load = Load()
    admission = Admission(
        directory=directory,
        rates=rate_tables,
        ledger=ledger,
        routes=RouteTable(gateways),
        load=load,
        first_slice=draw(st.one_of(st.none(), st.integers(1, 300))),
    )
    calls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(customers),
                st.sampled_from(["442079460958", "33612345678", "15551234567", "8613800"]),
                st.sampled_from([None, 503, 486, 408]),  # the first gateway's failure
                st.integers(0, 100),  # how much of max_seconds the call lasts, in percent
                st.booleans(),  # finished in the order admitted, or held until the end
            ),
            max_size=8,
        )
    )
    return {"admission": admission, "calls": calls, "customers": customers}


def check_route(admission: Admission, admitted: Admitted) -> None:
    gateway = admitted.route.gateway
    assert gateway.enabled
    assert admitted.account_id not in gateway.clients_refused
    assert admission.load is not None
    assert admission.load.holder(admitted.call_id) == gateway.id
    if gateway.capacity is not None:
        assert admission.load.concurrent(gateway.id) <= gateway.capacity


def check_hold(admission: Admission, admitted: Admitted, available: Decimal, number: str) -> None:
    table = admission.biller.table_for(admitted.account_id)
    rate = admitted.customer_rate
    first = rate.free_seconds + rate.first_increment
    assert table.price(number, first * 1000, at=AT).amount <= available
    assert admitted.max_seconds >= first
    paid = table.price(number, admitted.max_seconds * 1000, at=AT).amount
    assert paid <= available
    assert admitted.reservation.amount == paid
    assert admitted.max_seconds <= table.max_call_seconds(number, available, at=AT)


def cdr_of(admitted: Admitted, percent: int) -> CDR:
    seconds = admitted.max_seconds * percent // 100
    answer = AT + timedelta(seconds=2)
    return CDR(
        call_id=admitted.call_id,
        account_id=admitted.account_id,
        caller="1000",
        callee=admitted.callee,
        start=AT,
        answer=answer if seconds else None,
        end=answer + timedelta(seconds=seconds),
        duration_ms=seconds * 1000,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_admission_in_any_world(world: dict[str, Any]) -> None:
    admission: Admission = world["admission"]
    ledger = admission.ledger
    assert isinstance(ledger, InMemoryLedger)
    load = admission.load
    assert load is not None
    accounts = sorted(ledger._accounts)
    before = {account: ledger.balance(account).balance for account in accounts}
    charged: list[Any] = []
    waiting: list[tuple[Admitted, int]] = []
    for index, (customer, callee, failure, percent, now_or_later) in enumerate(world["calls"]):
        available = ledger.balance(customer).available
        outcome = admission.admit(customer, callee, call_id=f"c{index}", at=AT, now=float(index))
        if isinstance(outcome, Rejected):
            assert outcome.sip_status == outcome.reason.status
            assert ledger.balance(customer).available == available  # nothing held
            assert load.holder(f"c{index}") is None
            if outcome.reason is R.INSUFFICIENT_BALANCE:
                table = admission.biller.table_for(customer)
                assert table.max_call_seconds(callee, available, at=AT) == 0
            continue
        check_route(admission, outcome)
        check_hold(admission, outcome, available, callee)
        if failure is not None:
            moved = admission.failover(outcome, status=failure, at=AT, now=float(index))
            if isinstance(moved, Rejected):
                assert ledger.balance(customer).available == available
                assert load.holder(outcome.call_id) is None
                continue
            check_route(admission, moved)
            outcome = moved
        if now_or_later:
            charged.append(admission.finish(outcome, cdr_of(outcome, percent), at=AT).charge)
        else:
            waiting.append((outcome, percent))
    for admitted, percent in waiting:
        charged.append(admission.finish(admitted, cdr_of(admitted, percent), at=AT).charge)
    # nothing is left held
    assert ledger.open_reservations() == []
    assert all(load.concurrent(gateway.id) == 0 for gateway in admission.routes.gateways)
    ledger._check()
    load._check()
    # money is conserved: every level moved by exactly what the chain charged it, and what
    # each customer paid is its agents' income plus what the top agent paid
    moved: dict[str, Decimal] = {account: ZERO for account in accounts}
    for charge in charged:
        for level in charge.levels:
            moved[level.account_id] = moved[level.account_id] + level.amount
        incomes = total(level.income for level in charge.levels[1:] if level.income is not None)
        assert charge.customer.amount == incomes + charge.top.amount
    for account in accounts:
        calls = [r for r in ledger.records(account_id=account) if r.kind is PaymentKind.CALL]
        assert -total(r.amount for r in calls) == moved[account]
        assert ledger.balance(account).balance == before[account] - moved[account]


def test_many_threads_never_overspend_one_account() -> None:
    directory = AccountDirectory()
    directory.add(Account(id="agent", authorizations=FULL), actor=OP, now=AT)
    directory.add(Account(id="alice", parent_id="agent"), actor=OP, now=AT)
    rate = RateTable([Rate(prefix="44", price="0.60", first_increment=6, next_increment=6)])
    ledger = InMemoryLedger()
    ledger.open_account("agent")
    ledger.open_account("alice", credit_limit=D("1"))
    ledger.recharge("alice", D("5"), key="seed", actor=OP, now=AT)
    load = Load()
    admission = Admission(
        directory=directory,
        rates={"alice": rate, "agent": rate},
        ledger=ledger,
        routes=RouteTable([Gateway(id="gw", vendor="v", prefixes={"44"}, capacity=7)]),
        load=load,
        first_slice=12,  # 12 s cost 0.12: at most 50 calls fit in 6.00
    )
    admitted_counts: list[int] = []
    peak: list[Decimal] = []
    lock = threading.Lock()

    def caller(worker: int) -> None:
        count = 0
        for n in range(60):
            outcome = admission.admit("alice", "4420", call_id=f"w{worker}-{n}", at=AT, now=0.0)
            if isinstance(outcome, Admitted):
                count += 1
                with lock:
                    peak.append(ledger.balance("alice").available)
                admission.finish(outcome, cdr_of(outcome, 100), at=AT)
        admitted_counts.append(count)

    threads = [threading.Thread(target=caller, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    # every admitted call paid 0.12 for 12 s; 6.00 (balance and credit) pays exactly 50
    assert sum(admitted_counts) == 50
    assert min(peak) >= 0
    assert ledger.balance("alice").balance == D("-1.00")
    assert ledger.balance("alice").available == 0
    assert ledger.open_reservations() == [] and load.concurrent("gw") == 0
    ledger._check()
