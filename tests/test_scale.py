"""Growth tests: what an operation costs when the tables it only looks into grow ten times.

Cost is counted, never timed: :func:`work` counts the bytecode instructions and C calls an
operation makes (a trace and a profile hook see each one, with the collector held off), and
:func:`allocated` the bytes it leaves allocated, so each test compares the same operation at two
sizes deterministically.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from vosengine.accounts import (
    FULL,
    RETAIL,
    Account,
    AccountDirectory,
    AccountStatus,
    Operator,
    Scope,
)
from vosengine.ledger import InMemoryLedger
from vosengine.numbering import NumberSection
from vosengine.rating import Rate, RateTable, TariffWindow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OP = Operator(name="root")


def work(operation: Callable[[], Any]) -> int:
    """How much ``operation()`` does: the bytecode instructions it runs in Python code and
    the C functions it calls (a loop over a table shows as either)."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            count += 1
        return trace

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    # A collection that fell inside the operation would run the finalizers and weak-reference
    # callbacks of earlier garbage, and count them: collect first, and not while counting.
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    previous = sys.gettrace(), sys.getprofile()
    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        operation()
    finally:
        sys.settrace(previous[0])
        sys.setprofile(previous[1])
        if enabled:
            gc.enable()
    return count


#: What :func:`allocated` may report for the same work run twice: the interpreter keeps some
#: short-lived objects alive for a while (a few KB), whatever the work's size.
NOISE = 16_000


def allocated(
    operation: Callable[[], Any], *, setup: Callable[[], Any] = lambda: None
) -> tuple[int, int]:
    """The peak of the bytes allocated while ``operation()`` runs, and the bytes it left
    allocated (negative when it released more than it kept). Only what is allocated while
    tracing is seen, so ``setup()`` runs traced first: what it made and ``operation`` frees
    counts as released."""
    tracemalloc.start()
    try:
        setup()
        gc.collect()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        operation()
        peak = tracemalloc.get_traced_memory()[1]
        gc.collect()  # garbage in cycles is not kept
        current = tracemalloc.get_traced_memory()[0]
        return peak - before, current - before
    finally:
        tracemalloc.stop()


def test_work_counts_the_operation_not_a_collection_that_falls_inside_it() -> None:
    """A collection the interpreter starts during the operation runs the finalizers of
    whatever garbage earlier code left: that code is not the operation's."""

    class Finalized:
        def __del__(self) -> None:
            for _ in range(50):
                pass

    def operation() -> None:
        kept = [[] for _ in range(1_000)]  # ten collections' worth of new objects
        del kept

    clean = work(operation)
    thresholds = gc.get_threshold()
    gc.collect()
    gc.set_threshold(100, 10, 10)
    try:
        garbage = Finalized()
        garbage.cycle = garbage  # type: ignore[attr-defined]
        del garbage  # left for the collector, which runs once the operation allocates
        assert work(operation) == clean
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()


# -- accounts -----------------------------------------------------------------------------


def agent_with(customers: int) -> AccountDirectory:
    """A top agent, two sub-agents below it and ``customers`` accounts under the second."""
    d = AccountDirectory()
    d.add(Account(id="top", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="mid", parent_id="top", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="shop", parent_id="mid", authorizations=RETAIL), actor=OP, now=NOW)
    for index in range(customers):
        d.add(Account(id=f"c{index}", parent_id="shop"), actor=OP, now=NOW)
    return d


def _warm(d: AccountDirectory) -> None:
    """Fill the directory's derived caches for every account, as a running switch has."""
    for account in d:
        d.status_verdict(account.id, now=NOW)
        d.number_allowed(account.id, "8801711")


@pytest.mark.parametrize(
    "change",
    [
        {"memo": "VIP"},
        {"name": "Top Agent"},
        {"expires_at": NOW + timedelta(days=30)},
        {"authorizations": FULL},  # unchanged: takes nothing away
    ],
    ids=["memo", "name", "expiry", "same-authorizations"],
)
def test_an_update_that_takes_nothing_away_costs_the_same_over_any_subtree(
    change: dict[str, Any],
) -> None:
    costs, kept = [], []
    for size in (200, 2_000):
        d = agent_with(size)
        _warm(d)
        costs.append(work(lambda d=d: d.update("top", actor=OP, now=NOW, **change)))
        update = lambda d=d: d.update("top", actor=OP, now=NOW, **change)  # noqa: E731
        kept.append(allocated(update, setup=lambda d=d: _warm(d))[1])
    assert costs[0] == costs[1], costs
    assert abs(kept[1] - kept[0]) < NOISE, kept  # nothing derived from 2,000 accounts dropped


def test_locking_an_agent_costs_the_same_over_any_subtree_and_is_seen_below() -> None:
    costs = []
    for size in (200, 2_000):
        d = agent_with(size)
        _warm(d)
        costs.append(
            work(lambda d=d: d.update("top", actor=OP, now=NOW, status=AccountStatus.LOCKED))
        )
        assert d.status_verdict(f"c{size - 1}", now=NOW).account_id == "top"
        d.update("top", actor=OP, now=NOW, status=AccountStatus.ACTIVE)
        assert d.status_verdict(f"c{size - 1}", now=NOW)
    assert costs[0] == costs[1], costs


def test_a_revocation_visits_only_the_accounts_that_hold_what_it_takes() -> None:
    """Taking from 'top' what only 'mid' holds below it: the customers under 'shop' hold
    nothing of it, so neither they nor 'shop' are visited beyond 'shop' itself."""
    costs = []
    for size in (200, 2_000):
        d = agent_with(size)
        costs.append(work(lambda d=d: d.update("top", actor=OP, now=NOW, authorizations=RETAIL)))
        assert d.get("mid").authorizations == RETAIL
        d._check()
    assert costs[0] == costs[1], costs


def test_adding_a_sibling_costs_the_same_however_many_there_are() -> None:
    costs, kept = [], []
    for size in (200, 2_000):
        d = agent_with(size)
        costs.append(
            work(lambda d=d: d.add(Account(id="new1", parent_id="shop"), actor=OP, now=NOW))
        )
        kept.append(
            allocated(lambda d=d: d.add(Account(id="new2", parent_id="shop"), actor=OP, now=NOW))[1]
        )
        assert d.children("shop")[-2:] == ("new1", "new2")
    assert costs[0] == costs[1], costs
    assert kept[1] < kept[0] + 2_000, kept  # no copy of 2,000 siblings (16 KB)


def test_moving_and_removing_a_sibling_cost_the_same_however_many_there_are() -> None:
    costs = []
    for size in (200, 2_000):
        d = agent_with(size)
        moved = work(lambda d=d: d.move("c100", "mid", actor=OP, now=NOW))
        removed = work(lambda d=d: d.remove("c101", actor=OP, now=NOW))
        costs.append((moved, removed))
        assert "c100" in d.children("mid") and "c101" not in d
        assert d.sub_accounts("shop", scope=Scope.DIRECT)[:100] == [f"c{i}" for i in range(100)]
        d._check()
    assert costs[0] == costs[1], costs


# -- the ledger ---------------------------------------------------------------------------


def test_the_records_of_one_account_cost_the_same_whatever_the_others_have() -> None:
    costs = []
    for size in (100, 1_000):
        ledger = InMemoryLedger()
        ledger.open_account("quiet")
        ledger.open_account("busy")
        ledger.recharge("quiet", Decimal(1), key="q", actor=OP, now=NOW)
        for index in range(size):
            ledger.recharge("busy", Decimal(1), key=f"b{index}", actor=OP, now=NOW)
        costs.append(work(lambda ledger=ledger: ledger.records(account_id="quiet")))
    assert costs[0] == costs[1], costs


def _operate(ledger: InMemoryLedger, start: int, count: int) -> None:
    """``count`` recharges, holds and settled calls a minute apart, the records drained
    every ten operations, as a host that exports them does."""
    for index in range(start, start + count):
        at = NOW + timedelta(minutes=index)
        ledger.recharge("alice", Decimal(2), key=f"pay-{index}", actor=OP, now=at)
        hold = ledger.reserve("alice", Decimal(1), f"call-{index}", now=at)
        ledger.settle_call(hold.id, [("alice", Decimal(1))], key=f"call-{index}", now=at)
        if index % 10 == 9:
            ledger.drain_records()


def test_a_drained_ledger_keeps_the_same_memory_after_ten_times_the_operations() -> None:
    kept = []
    for count in (200, 2_000):
        ledger = InMemoryLedger(key_retention=timedelta(minutes=5))
        ledger.open_account("alice")
        _operate(ledger, 0, 20)  # every table has its working size
        kept.append(allocated(lambda ledger=ledger, n=count: _operate(ledger, 20, n))[1])
        assert len(ledger._done) <= 2 * 6  # two keys a minute for the last five minutes
        assert ledger.balance("alice").balance == Decimal(count + 20)
        ledger._check()
    assert abs(kept[1] - kept[0]) < NOISE, kept  # 1.8 KB an operation when keys are kept


# -- the audit log -------------------------------------------------------------------------


def test_an_audit_record_costs_the_same_whatever_the_account_holds() -> None:
    """A memo change of an account with a 1,000-prefix number section keeps no more than
    one of an account without any: the record refers to the accounts, never copies them."""
    kept = []
    for prefixes in (0, 1_000):
        d = AccountDirectory()
        section = NumberSection(blocked={str(880_000 + i) for i in range(prefixes)})
        d.add(Account(id="a", number_section=section), actor=OP, now=NOW)

        def memos(d: AccountDirectory = d) -> None:
            for index in range(50):
                d.update("a", actor=OP, now=NOW, memo=f"memo {index}")

        kept.append(allocated(memos)[1])
        assert d.audit_log()[-1].before.number_section == section  # type: ignore[union-attr]
    # a copy of the section would be about 17 KB a record; up to 16 KB is the measure's noise
    assert kept[1] < kept[0] + NOISE, kept


def test_a_drained_audit_log_keeps_the_same_memory_after_ten_times_the_changes() -> None:
    kept = []
    for count in (200, 2_000):
        d = agent_with(10)
        assert [record.seq for record in d.drain_audit()] == list(range(1, 14))

        def changes(d: AccountDirectory = d, count: int = count) -> None:
            for index in range(count):
                d.update(f"c{index % 10}", actor=OP, now=NOW, memo=f"memo {index}")
                if index % 10 == 9:
                    assert len(d.drain_audit()) == 10

        kept.append(allocated(changes)[1])
        assert d.audit_log() == [] and d.drain_audit() == []
        d._check()
    # 1,800 records kept would be over 200 KB
    assert abs(kept[1] - kept[0]) < NOISE, kept


# -- rating --------------------------------------------------------------------------------

WEDNESDAY = datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday


def dated_versions(count: int) -> RateTable:
    """Prefix 44 in ``count`` versions, one a day from 2026-11-25 minus ``count // 2`` days,
    each a cent dearer than the day before."""
    first = WEDNESDAY - timedelta(days=count // 2)
    return RateTable(
        Rate(
            prefix="44",
            price=Decimal(index + 1) / 100,
            first_increment=1,
            next_increment=1,
            effective_from=first + timedelta(days=index),
            effective_until=first + timedelta(days=index + 1),
        )
        for index in range(count)
    )


@pytest.mark.parametrize("crossing", [False, True], ids=["within-a-version", "across-two"])
def test_a_price_costs_the_same_among_ten_times_the_versions(crossing: bool) -> None:
    answer = WEDNESDAY + timedelta(hours=23, minutes=59) if crossing else WEDNESDAY
    costs, charges = [], []
    for count in (100, 1_000):
        table = dated_versions(count)
        table.price("4420", 120_000, at=answer)  # every lazy part made
        costs.append(work(lambda t=table: t.price("4420", 120_000, at=answer)))
        charge = table.price("4420", 120_000, at=answer)
        charges.append([(rate.price, seconds) for rate, _, seconds in charge.segments])
    assert costs[0] == costs[1], costs
    # the same versions in force around the call, a cent a day apart
    assert [p for p, _ in charges[1]] == [p + Decimal("4.50") for p, _ in charges[0]]
    assert [seconds for _, seconds in charges[0]] == ([60, 60] if crossing else [120])


def windowed(fillers: int) -> RateTable:
    """Peak on Wednesdays 12:00-12:10 and off-peak 12:10-13:00, with ``fillers`` one-minute
    windows of their own on Saturdays and Sundays, far from Wednesday."""
    windows = [
        TariffWindow(name="peak", days={2}, start=time(12), end=time(12, 10)),
        TariffWindow(name="off", days={2}, start=time(12, 10), end=time(13)),
    ]
    windows += [
        TariffWindow(
            name=f"filler{index}",
            days={5 + index % 2},
            start=time(*divmod(index // 2, 60)),
            end=time(*divmod(index // 2 + 1, 60)),
        )
        for index in range(fillers)
    ]
    return RateTable(
        [
            Rate(prefix="44", price="0.60", first_increment=1, next_increment=1),
            Rate(prefix="44", price="1.20", first_increment=1, next_increment=1, window="peak"),
            Rate(prefix="44", price="0.30", first_increment=1, next_increment=1, window="off"),
        ],
        windows=windows,
    )


def test_a_price_across_a_window_edge_costs_the_same_among_ten_times_the_windows() -> None:
    answer = WEDNESDAY + timedelta(hours=12, minutes=5)
    costs = []
    for fillers in (100, 1_000):
        table = windowed(fillers)
        table.price("4420", 600_000, at=answer)
        costs.append(work(lambda t=table: t.price("4420", 600_000, at=answer)))
        charge = table.price("4420", 600_000, at=answer)
        assert [(r.window, s) for r, _, s in charge.segments] == [("peak", 300), ("off", 300)]
        assert charge.amount == Decimal("7.5000")
        assert table.window_at(at=WEDNESDAY + timedelta(days=3, minutes=1)) == "filler2"
    assert costs[0] == costs[1], costs
