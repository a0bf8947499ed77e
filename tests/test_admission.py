"""Call admission: every stage's refusal with its reason and SIP status, the hold, failover,
slices, and the end of the call posting every level of the agent chain once."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.accounts import (
    FULL,
    RETAIL,
    Account,
    AccountDirectory,
    AccountStatus,
    Operator,
    UnknownAccount,
)
from vosengine.admission import Admission, Admitted, Rejected, Settled
from vosengine.cdr import CDR, MissingRateTable
from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.ledger import InMemoryLedger, PaymentKind, UnknownLedgerAccount, _hold
from vosengine.money import ZERO, RoundingRule
from vosengine.numbering import NumberSection
from vosengine.rating import Rate, RateTable
from vosengine.reasons import TerminationReason as R
from vosengine.routing import Gateway, Load, Ordering, RouteSettings, RouteTable, walk
from vosengine.testing import rates, rounding_rules

# every test on both compositions of admit: compiled, then the pure-Python twin
pytestmark = pytest.mark.usefixtures("admission_core")

D = Decimal
AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
OP = Operator(name="billing")
UK = "442079460958"


def per_minute(price: str, *, prefix: str = "44", increments: tuple[int, int] = (60, 60)) -> Any:
    first, following = increments
    return RateTable(
        [Rate(prefix=prefix, price=price, first_increment=first, next_increment=following)]
    )


class World:
    """top (wholesale) > agent (retail) > alice; bob under agent too."""

    def __init__(self, *, balance: str = "1.00", ledger: Any = None, **admission: Any) -> None:
        d = self.directory = AccountDirectory()
        d.add(Account(id="top", authorizations=FULL), actor=OP, now=AT)
        d.add(Account(id="agent", parent_id="top", authorizations=RETAIL), actor=OP, now=AT)
        d.add(Account(id="alice", parent_id="agent"), actor=OP, now=AT)
        d.add(Account(id="bob", parent_id="agent"), actor=OP, now=AT)
        self.tables = {
            "alice": per_minute("0.10"),
            "bob": per_minute("0.10"),
            "agent": per_minute("0.06"),
            "top": per_minute("0.04"),
        }
        self.ledger = InMemoryLedger() if ledger is None else ledger
        for account in ("top", "agent", "alice", "bob"):
            self.ledger.open_account(account)
        if D(balance):
            self.ledger.recharge("alice", D(balance), key="seed", actor=OP, now=AT)
        self.cheap = Gateway(
            id="cheap", vendor="a", prefixes={"44"}, capacity=1, rates=per_minute("0.02")
        )
        self.dear = Gateway(id="dear", vendor="b", prefixes={"44"}, rates=per_minute("0.03"))
        self.load = Load()
        self.admission = Admission(
            directory=d,
            rates=self.tables,
            ledger=self.ledger,
            routes=RouteTable(
                [self.dear, self.cheap], settings=RouteSettings(ordering=Ordering.COST)
            ),
            load=self.load,
            **admission,
        )

    def admit(self, account: str = "alice", callee: str = UK, **kw: Any) -> Admitted | Rejected:
        kw.setdefault("call_id", "call-1")
        return self.admission.admit(account, callee, at=AT, now=1.0, **kw)

    def cdr(self, admitted: Admitted, seconds: int, **kw: Any) -> CDR:
        answer = AT + timedelta(seconds=3)
        return CDR(
            call_id=kw.pop("call_id", admitted.call_id),
            account_id=admitted.account_id,
            caller="1001",
            callee=kw.pop("callee", admitted.callee),
            start=AT,
            answer=answer if seconds else None,
            end=answer + timedelta(seconds=seconds),
            duration_ms=seconds * 1000,
            gateway=admitted.route.gateway.id,
            **kw,
        )

    def idle(self) -> None:
        """Nothing held: no reservation, no gateway slot."""
        assert self.ledger.open_reservations() == []
        assert self.load.concurrent("cheap") == self.load.concurrent("dear") == 0
        self.ledger._check()
        self.load._check()


def refused(outcome: Admitted | Rejected, reason: R, status: int, stage: str, *detail: str) -> None:
    assert isinstance(outcome, Rejected), outcome
    assert not outcome and outcome.allowed is False
    assert (outcome.reason, outcome.sip_status, outcome.stage) == (reason, status, stage)
    for part in detail:
        assert part in outcome.detail, (part, outcome.detail)


def test_the_module_runs_on_the_composition_of_the_seam(admission_core: Any) -> None:
    from vosengine.admission import _admit_py, _core

    assert Admission is admission_core
    admit = type(World().admission).admit
    assert admit in (_admit_py.AdmitCore.admit, _core.CORE.AdmitCore.admit)


def test_an_admitted_call_takes_the_cheapest_gateway_and_holds_its_longest_call() -> None:
    world = World()
    admitted = world.admit(caller="+1 555 0100")
    assert isinstance(admitted, Admitted) and admitted and admitted.allowed
    assert [route.gateway.id for route in admitted.routes] == ["cheap", "dear"]
    assert admitted.attempt == 0 and admitted.route.gateway.id == "cheap"
    assert admitted.route.caller == "15550100"
    # 1.00 at 0.10 a minute on 60/60 pays exactly ten minutes
    assert admitted.max_seconds == 600
    assert admitted.reservation.amount == D("1.00")
    assert admitted.customer_rate == world.tables["alice"].lookup(UK, at=AT)
    assert world.ledger.balance("alice").available == 0
    assert world.load.holder("call-1") == "cheap"


@settings(max_examples=150, deadline=None)
@given(
    rounding=rounding_rules(max_decimals=4),  # the ledger's grid
    data=st.data(),
    balance=st.decimals("0", "30", places=4),
    exact=st.one_of(st.none(), st.integers(min_value=0, max_value=3_600)),
    off=st.sampled_from(["0", "0.0001", "-0.0001"]),
    limit=st.sampled_from([1, 59, 600, 86_400]),
)
def test_the_hold_is_the_tables_longest_call_whatever_the_rate(
    rounding: RoundingRule,
    data: st.DataObject,
    balance: Decimal,
    exact: int | None,
    off: str,
    limit: int,
) -> None:
    """On whichever path a composition prices the hold (the rating kernel's on the entry it
    found, or the table's own), it is :meth:`RateTable.longest_call` of what is available:
    any amount, and the price of a call of ``exact`` seconds give or take a unit, where the
    rounding of the budget decides."""
    rate = data.draw(rates(prefix="44", limit_decimals=rounding.decimals))
    world = World(balance="0", limit=limit)
    world.tables["alice"] = table = RateTable([rate], rounding=rounding)
    if exact is not None:
        balance = max(ZERO, table.price(UK, exact * 1000, at=AT).amount + D(off))
    if balance:
        world.ledger.recharge("alice", balance, key="seed", actor=OP, now=AT)
    seconds, amount = table.longest_call(UK, balance, at=AT, limit=limit)
    outcome = world.admit()
    if seconds:
        assert isinstance(outcome, Admitted), outcome
        assert (outcome.max_seconds, outcome.reservation.amount) == (seconds, amount)
        assert world.ledger.balance("alice").available == balance - amount
    else:
        refused(outcome, R.INSUFFICIENT_BALANCE, 402, "balance")
        world.idle()


def test_the_number_is_normalised_before_any_table_reads_it() -> None:
    admitted = World().admit(callee="+44 20 7946-0958")
    assert isinstance(admitted, Admitted)
    assert admitted.callee == UK


@pytest.mark.parametrize(
    ("who", "change", "reason", "detail"),
    [
        ("alice", {"status": AccountStatus.LOCKED}, R.ACCOUNT_LOCKED, "'alice' is locked"),
        ("alice", {"status": AccountStatus.INACTIVE}, R.ACCOUNT_INACTIVE, "'alice' is inactive"),
        ("alice", {"expires_at": AT}, R.ACCOUNT_EXPIRED, "'alice' is expired"),
        ("agent", {"status": AccountStatus.LOCKED}, R.AGENT_LOCKED, "'agent' is locked"),
        ("top", {"status": AccountStatus.LOCKED}, R.AGENT_LOCKED, "'top' is locked"),
        ("top", {"expires_at": AT - timedelta(days=1)}, R.ACCOUNT_EXPIRED, "'top' is expired"),
        ("agent", {"status": AccountStatus.INACTIVE}, R.ACCOUNT_INACTIVE, "an agent above"),
    ],
)
def test_account_state_of_the_account_and_every_agent_above(
    who: str, change: dict[str, Any], reason: R, detail: str
) -> None:
    world = World()
    world.directory.update(who, actor=OP, now=AT - timedelta(days=2), **change)
    refused(world.admit(), reason, 403, "status", detail)
    world.idle()


def test_what_an_earlier_call_read_of_the_chain_never_outlives_a_change() -> None:
    """Admission reads the chain's state and sections from the summary the directory keeps
    per account: each change to the directory, and each expiry date passing, is seen on the
    very next call."""
    world = World()
    calls = iter(range(100))

    def admit_and_give_back(**kw: Any) -> None:
        admitted = world.admit(call_id=f"call-{next(calls)}", **kw)
        assert isinstance(admitted, Admitted), admitted
        world.admission.finish(admitted, world.cdr(admitted, 0), at=AT)
        world.idle()

    admit_and_give_back()
    world.directory.update("agent", actor=OP, now=AT, status=AccountStatus.LOCKED)
    for _ in range(2):  # the first call after the change makes the summary, the next reads it
        refused(world.admit(), R.AGENT_LOCKED, 403, "status", "'agent' is locked")
    world.directory.update("agent", actor=OP, now=AT, status=AccountStatus.ACTIVE)
    admit_and_give_back()
    world.directory.update("top", actor=OP, now=AT, number_section=NumberSection(blocked={"44"}))
    for callee in (UK, UK, "+44 20 7946 0958"):
        refused(world.admit(callee=callee), R.NUMBER_RESTRICTED, 403, "number", "'top'")
    world.directory.update("top", actor=OP, now=AT, number_section=NumberSection())
    admit_and_give_back(callee="+44 20 7946 0958")
    world.directory.update("agent", actor=OP, now=AT, expires_at=AT + timedelta(seconds=1))
    admit_and_give_back()
    later = world.admission.admit("alice", UK, call_id="c", at=AT + timedelta(seconds=1), now=2.0)
    refused(later, R.ACCOUNT_EXPIRED, 403, "status", "'agent' is expired")
    world.idle()


def test_number_sections_down_the_chain_fail_closed() -> None:
    world = World()
    world.directory.update(
        "agent", actor=OP, now=AT, number_section=NumberSection(blocked={"4420"})
    )
    refused(world.admit(), R.NUMBER_RESTRICTED, 403, "number", "'4420'", "'agent'")
    # written as people write it, the number is still the blocked one
    refused(world.admit(callee="+44 (20) 7946.0958"), R.NUMBER_RESTRICTED, 403, "number")
    # a number that cannot be read never passes
    refused(world.admit(callee="+44 20 79x6"), R.NUMBER_RESTRICTED, 403, "number", "'x'")
    refused(world.admit(callee="٤٤20"), R.NUMBER_RESTRICTED, 403, "number")
    world.directory.update("alice", actor=OP, now=AT, number_section=NumberSection(allowed={"33"}))
    refused(world.admit(callee="4415"), R.NUMBER_RESTRICTED, 403, "number", "allowed prefixes")
    world.idle()


def test_a_number_without_a_customer_rate() -> None:
    world = World()
    refused(world.admit(callee="33612345678"), R.RATE_NOT_FOUND, 403, "rate", "'alice'")
    world.idle()


def test_a_balance_that_pays_for_no_first_increment() -> None:
    world = World(balance="0.09")  # the first minute costs 0.10
    refused(
        world.admit(),
        R.INSUFFICIENT_BALANCE,
        402,
        "balance",
        "0.0900 available; the first 60 s",
        "cost 0.1",
    )
    assert world.ledger.balance("alice").available == D("0.09")
    world.idle()


def test_no_gateway_left_releases_the_hold() -> None:
    world = World()
    world.admission.routes = RouteTable(
        [Gateway(id="off", vendor="x", prefixes={"44"}, enabled=False)]
    )
    refused(world.admit(), R.NO_AVAILABLE_ROUTER, 503, "routing", "off: disabled")
    assert world.ledger.balance("alice").available == D("1.00")
    world.idle()


def test_a_full_gateway_is_skipped_and_a_full_world_refused() -> None:
    world = World(balance="10", first_slice=60)  # slices: one balance, many calls
    first = world.admit(call_id="c1")
    second = world.admit(call_id="c2")
    assert isinstance(first, Admitted) and isinstance(second, Admitted)
    assert (first.route.gateway.id, second.route.gateway.id) == ("cheap", "dear")
    assert [r.gateway.id for r in second.routes] == ["dear"]  # cheap is at its capacity
    assert second.routes.removed[0].reason.startswith("cheap: over capacity")
    world.admission.routes = RouteTable([world.cheap])
    third = world.admit(call_id="c3")
    refused(third, R.NO_AVAILABLE_ROUTER, 503, "routing", "cheap: over capacity")
    assert len(world.ledger.open_reservations()) == 2


def test_an_open_call_keeps_three_objects_for_the_collector(admission_core: Any) -> None:
    """A switch keeps every call in progress, and the collector walks each object they keep
    on every pass that reaches it: an admitted call keeps its Admitted, its Reservation and
    its Routes, and nothing more the collector must walk; the compiled ledger keeps its
    Reservation (atoms only) out of the collector's way too, the compiled router the
    Routes (read-only once made), and the compiled admit, when both do, the Admitted (which
    then refers to nothing the collector walks but the customer's frozen rate)."""
    from vosengine.admission import _admit_py

    world = World(balance="10", first_slice=60)
    world.admission.routes = RouteTable([world.dear])
    assert isinstance(world.admit(call_id="warm"), Admitted)  # what is made on first use
    gc.collect()
    before = gc.get_objects()
    known = {id(o) for o in before}
    calls = [world.admit(call_id=f"c{index}") for index in range(20)]
    gc.collect()  # a tuple of atoms is untracked by the pass that first sees it
    kept = [o for o in gc.get_objects() if id(o) not in known and o is not calls]
    assert all(isinstance(call, Admitted) for call in calls)
    kinds = Counter(type(o).__name__ for o in kept if o is not before)
    per_call = {kind: count for kind, count in kinds.items() if count >= len(calls)}
    expected = {"Admitted": 20, "Reservation": 20, "Routes": 20}
    if _hold.IMPLEMENTATION == "cython":
        del expected["Reservation"]
    if walk.IMPLEMENTATION == "cython":
        del expected["Routes"]
    if admission_core.admit is not _admit_py.AdmitCore.admit and expected == {"Admitted": 20}:
        del expected["Admitted"]
    assert per_call == expected, kinds
    assert all(gc.is_tracked(call) == ("Admitted" in expected) for call in calls)


def test_without_slices_one_call_holds_the_whole_balance() -> None:
    world = World(balance="10")
    assert isinstance(world.admit(call_id="c1"), Admitted)
    refused(world.admit(call_id="c2"), R.INSUFFICIENT_BALANCE, 402, "balance")


def test_failover_moves_to_the_next_gateway_then_answers_the_vendor() -> None:
    world = World()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    moved = world.admission.failover(admitted, status=503, at=AT, now=2.0)
    assert isinstance(moved, Admitted)
    assert (moved.attempt, moved.route.gateway.id) == (1, "dear")
    assert world.load.holder("call-1") == "dear" and world.load.concurrent("cheap") == 0
    assert moved.reservation == admitted.reservation
    stopped = world.admission.failover(moved, status=486, at=AT, now=3.0)
    refused(stopped, R.USER_BUSY, 486, "failover", "dear")
    world.idle()


def test_finish_posts_every_level_of_the_chain_once() -> None:
    world = World()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    cdr = world.cdr(admitted, 90, callee="+44 20 7946 0958")  # two minutes on 60/60
    settled = world.admission.finish(admitted, cdr, at=AT + timedelta(minutes=2))
    assert isinstance(settled, Settled)
    assert [(r.account_id, r.amount, r.kind) for r in settled.records] == [
        ("alice", D("-0.2"), PaymentKind.CALL),
        ("agent", D("-0.12"), PaymentKind.CALL),
        ("top", D("-0.08"), PaymentKind.CALL),
    ]
    assert [level.income for level in settled.charge.levels] == [None, D("0.08"), D("0.04")]
    # what the customer paid = every agent's income + what the top paid the operator
    assert settled.charge.customer.amount == D("0.08") + D("0.04") + settled.charge.top.amount
    balances = {a: world.ledger.balance(a).balance for a in ("alice", "agent", "top")}
    assert balances == {"alice": D("0.8"), "agent": D("-0.12"), "top": D("-0.08")}
    world.idle()
    # a retry changes nothing and answers the same
    assert world.admission.finish(admitted, cdr, at=AT + timedelta(minutes=3)) == settled
    assert {a: world.ledger.balance(a).balance for a in balances} == balances


def test_a_re_rate_after_finish_moves_each_level_to_its_new_price() -> None:
    """What finish posted is what re-rating assumes was posted: after a corrected agent deck,
    every balance ends as if the call had been finished with it."""
    from vosengine.cdr import ChainBiller, rerate

    world = World()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    cdr = world.cdr(admitted, 90)
    settled = world.admission.finish(admitted, cdr, at=AT)
    corrected = dict(world.tables, agent=per_minute("0.05"))
    adjustments = rerate(
        [settled.charge],
        ChainBiller(world.directory, corrected),
        world.ledger,
        batch_id="fix-1",
        actor=OP,
        now=AT,
    )
    assert [(a.account_id, a.old, a.new) for a in adjustments] == [("agent", D("0.12"), D("0.10"))]
    balances = {a: world.ledger.balance(a).balance for a in ("alice", "agent", "top")}
    assert balances == {"alice": D("0.8"), "agent": D("-0.10"), "top": D("-0.08")}
    world.idle()


def test_a_call_that_never_connected_releases_everything() -> None:
    world = World()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    settled = world.admission.finish(admitted, world.cdr(admitted, 0), at=AT)
    assert settled.records == ()
    assert world.ledger.balance("alice").available == D("1.00")
    assert world.ledger.records(account_id="agent") == []
    world.idle()


def test_finish_fails_whole_when_a_level_cannot_be_charged_and_can_be_retried() -> None:
    world = World()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    del world.tables["top"]
    with pytest.raises(MissingRateTable, match="'top'"):
        world.admission.finish(admitted, world.cdr(admitted, 60), at=AT)
    assert world.ledger.records(account_id="alice")[-1].kind is PaymentKind.RECHARGE
    assert len(world.ledger.open_reservations()) == 1
    world.tables["top"] = per_minute("0.04")
    world.admission.finish(admitted, world.cdr(admitted, 60), at=AT)
    world.idle()


def test_first_slice_holds_less_and_extend_holds_the_next() -> None:
    world = World(balance="0.25", first_slice=70)
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    # 70 s rounds up to the 60/60 grid: two minutes held, two and a half affordable
    assert (admitted.max_seconds, admitted.reservation.amount) == (120, D("0.20"))
    longer = world.admission.extend(admitted, at=AT)
    refused(longer, R.INSUFFICIENT_BALANCE, 402, "balance", "may last 120 s")
    world.ledger.recharge("alice", D("1"), key="more", actor=OP, now=AT)
    longer = world.admission.extend(admitted, at=AT)
    assert isinstance(longer, Admitted)
    assert (longer.max_seconds, longer.reservation.amount) == (240, D("0.40"))
    assert longer.reservation.id == admitted.reservation.id
    assert world.ledger.balance("alice").available == D("0.85")
    world.admission.finish(longer, world.cdr(longer, 200), at=AT)
    assert world.ledger.balance("alice").balance == D("0.85")
    world.idle()


def test_misuse_is_an_error_and_changes_nothing() -> None:
    world = World()
    admission = world.admission
    with pytest.raises(InvalidArgumentType, match="call_id"):
        world.admit(call_id="")
    with pytest.raises(InvalidArgument, match="at"):
        admission.admit("alice", UK, call_id="c", at=datetime(2026, 12, 3), now=0.0)
    with pytest.raises(InvalidArgumentType, match="callee"):
        world.admit(callee=442079460958)
    with pytest.raises(UnknownAccount, match="ghost"):
        world.admit("ghost")
    world.directory.add(Account(id="carol", parent_id="agent"), actor=OP, now=AT)
    world.tables["carol"] = per_minute("0.10")
    with pytest.raises(UnknownLedgerAccount, match="carol"):
        world.admit("carol")
    world.idle()
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    with pytest.raises(InvalidArgument, match="not the admitted call"):
        admission.finish(admitted, world.cdr(admitted, 10, call_id="other"), at=AT)
    with pytest.raises(InvalidArgumentType, match="admitted"):
        admission.finish("call-1", world.cdr(admitted, 10), at=AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="first_slice"):
        Admission(
            directory=world.directory,
            rates=world.tables,
            ledger=world.ledger,
            routes=admission.routes,
            first_slice=0,
        )
