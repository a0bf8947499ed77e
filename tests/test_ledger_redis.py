"""What only a ledger shared by several nodes must do: processes reserving against one
account at once, a restart of Redis, a node that dies holding a hold, a reply lost on the
network, and keys that live by Redis' clock. (Everything a ledger does runs on both ledgers
in ``test_ledger.py``.)"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vosengine.accounts import Operator
from vosengine.errors import InvalidArgument, InvalidArgumentType, Unavailable, VosEngineError
from vosengine.ledger import (
    InMemoryLedger,
    InsufficientFunds,
    LedgerEventKind,
    OverdraftAction,
    Posting,
    RedisLedger,
    UnknownReservation,
)
from vosengine.ledger._redis_wire import MAX_QUANTA

from .redis_server import RedisServer

D = Decimal
NOW = datetime(2026, 11, 25, tzinfo=UTC)
OP = Operator(name="billing")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own, with an append-only file written at every command."""
    server = RedisServer(tmp_path, appendonly=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


_PREFIXES = itertools.count()


def _reserve_and_settle(port: int, worker: int) -> tuple[int, int]:
    """One node: 150 calls against the shared account, each reserved then settled or
    released; how many were admitted and settled."""
    import redis

    ledger = RedisLedger(redis.Redis(host="127.0.0.1", port=port, socket_timeout=5))
    admitted = settled = 0
    for call in range(150):
        try:
            hold = ledger.reserve("shared", D("1.5"), f"{worker}-{call}", now=NOW)
        except InsufficientFunds:
            continue
        admitted += 1
        if call % 3:
            ledger.settle(hold.id, D("1"), now=NOW)
            settled += 1
        else:
            ledger.release(hold.id, now=NOW)
    return admitted, settled


def test_processes_reserving_at_once_never_pass_the_credit_limit(server: RedisServer) -> None:
    ledger = RedisLedger(server.client())
    ledger.open_account("shared", credit_limit=D("100"))
    ledger.recharge("shared", D("200"), key="seed", actor=OP, now=NOW)
    # each hold is settled or released at once, so no more than 300 / 1.5 = 200 are open; the
    # settles eat the balance until the account refuses
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_reserve_and_settle, [server.port] * 4, range(4)))
    settled = sum(s for _, s in results)
    balance = ledger.balance("shared")
    assert balance.reserved == 0 and ledger.open_reservations() == []
    assert balance.balance == D("200") - settled  # no settle lost
    assert balance.available >= 0  # the credit limit held
    calls = [r for r in ledger.records(account_id="shared") if r.memo != ""]
    assert len(calls) == settled
    ledger._check()


def test_a_restart_with_the_append_only_file_loses_no_acknowledged_operation(
    server: RedisServer,
) -> None:
    ledger = RedisLedger(server.client())
    ledger.open_account("alice", credit_limit=D("10"))
    ledger.open_account("bob")
    first = ledger.recharge("alice", D("50"), key="k1", actor=OP, now=NOW)
    ledger.transfer("alice", "bob", D("20"), key="k2", actor=OP, now=NOW)
    hold = ledger.reserve("alice", D("5"), "call-1", now=NOW)
    before = (ledger.balance("alice"), ledger.balance("bob"), ledger.records())
    server.process.kill()  # type: ignore[union-attr]  # SIGKILL: no shutdown save
    server.process.wait()  # type: ignore[union-attr]
    server.process = None
    server.start()
    ledger = RedisLedger(server.client())
    assert (ledger.balance("alice"), ledger.balance("bob"), ledger.records()) == before
    assert ledger.recharge("alice", D("50"), key="k1", actor=OP, now=NOW) == first  # replayed
    assert ledger.open_reservations() == [hold]
    ledger.settle(hold.id, D("2"), now=NOW)
    ledger._check()


def test_a_hold_whose_node_died_is_freed_after_its_ttl(server: RedisServer) -> None:
    ledger = RedisLedger(server.client(), hold_ttl=timedelta(milliseconds=200))
    ledger.open_account("alice", credit_limit=D("10"))
    hold = ledger.reserve("alice", D("4"), "call-1", now=NOW)
    kept = ledger.reserve("alice", D("1"), "call-2", now=NOW)
    time.sleep(0.1)
    ledger.grow(kept.id, D("1"), now=NOW)  # a grow starts its deadline again
    assert ledger.balance("alice").reserved == D("6")
    time.sleep(0.15)
    assert ledger.balance("alice").reserved == D("2")  # call-1's node never came back
    assert ledger.open_reservations() == [kept._replace(amount=D("2"))]
    (event,) = ledger.drain_events()
    assert event.kind is LedgerEventKind.HOLD_EXPIRED
    assert event.detail == "hold 1 of call 'call-1' (4.0000) outlived hold_ttl and was freed"
    assert event.available == D("8")
    with pytest.raises(UnknownReservation, match="reservation 1 is not open"):
        ledger.settle(hold.id, D("1"), now=NOW)
    ledger.settle(kept.id, D("1"), now=NOW)
    ledger._check()


def test_a_key_lives_its_retention_by_redis_clock(server: RedisServer) -> None:
    ledger = RedisLedger(server.client(), key_retention=timedelta(milliseconds=200))
    ledger.open_account("alice")
    first = ledger.recharge("alice", D("5"), key="k", actor=OP, now=NOW)
    assert ledger.recharge("alice", D("5"), key="k", actor=OP, now=NOW) == first
    time.sleep(0.3)
    again = ledger.recharge("alice", D("5"), key="k", actor=OP, now=NOW)
    assert again != first and again.balance_after == D("10")


class _LostReplies:
    """A client whose scripts run on the server, and whose next ``lose`` replies are lost on
    the way back (the network failed after Redis applied the operation)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.lose = 0
        self.refuse: str | None = None  # the server's refusal of the next script

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def register_script(self, source: str) -> Any:
        script = self.client.register_script(source)

        def run(**kw: Any) -> Any:
            if self.refuse is not None:
                from redis.exceptions import ResponseError

                refusal, self.refuse = self.refuse, None
                raise ResponseError(refusal)
            reply = script(**kw)
            if self.lose:
                self.lose -= 1
                from redis.exceptions import ConnectionError

                raise ConnectionError("Connection reset by peer")
            return reply

        return run


def test_a_reply_lost_on_the_network_is_unavailable_and_a_retry_applies_once(
    server: RedisServer,
) -> None:
    client = _LostReplies(server.client())
    ledger = RedisLedger(client)
    ledger.open_account("alice")
    ledger.open_account("bob")
    client.lose = 1
    with pytest.raises(Unavailable, match="may or may not have been applied"):
        ledger.recharge("alice", D("5"), key="k1", actor=OP, now=NOW)
    record = ledger.recharge("alice", D("5"), key="k1", actor=OP, now=NOW)
    assert ledger.balance("alice").balance == D("5") and ledger.records() == [record]
    client.lose = 1
    with pytest.raises(Unavailable):
        ledger.transfer("alice", "bob", D("2"), key="k2", actor=OP, now=NOW)
    ledger.transfer("alice", "bob", D("2"), key="k2", actor=OP, now=NOW)
    hold = ledger.reserve("alice", D("1"), "call-1", now=NOW)
    client.lose = 1
    with pytest.raises(Unavailable):
        ledger.settle_call(hold.id, [("alice", D("1")), ("bob", D("0.5"))], key="c1", now=NOW)
    ledger.settle_call(hold.id, [("alice", D("1")), ("bob", D("0.5"))], key="c1", now=NOW)
    assert ledger.balance("alice").balance == D("2") and ledger.balance("bob").balance == D("1.5")
    client.refuse = "READONLY You can't write against a read only replica."
    with pytest.raises(Unavailable, match=r"Redis refused move .*READONLY.*nothing was applied"):
        ledger.deduct("alice", D("1"), key="k3", actor=OP, now=NOW)
    assert ledger.balance("alice").balance == D("2")
    ledger._check()


def test_a_server_that_is_gone_is_unavailable(server: RedisServer) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    ledger = RedisLedger(server.client(retry=Retry(NoBackoff(), 0)))
    ledger.open_account("alice")
    server.stop()
    with pytest.raises(Unavailable, match="did not answer"):
        ledger.balance("alice")
    with pytest.raises(Unavailable, match="did not answer"):
        ledger.records()
    with pytest.raises(Unavailable, match="did not answer"):
        RedisLedger(server.client(retry=Retry(NoBackoff(), 0)), prefix="other:")


def test_a_ledger_and_its_arguments_are_checked(server: RedisServer) -> None:
    client = server.client()
    with pytest.raises(InvalidArgumentType, match="client"):
        RedisLedger(object())
    with pytest.raises(InvalidArgument, match="prefix"):
        RedisLedger(client, prefix="")
    with pytest.raises(InvalidArgumentType, match="hold_ttl"):
        RedisLedger(client, hold_ttl=60)
    RedisLedger(client, prefix="shop:", decimals=2)
    with pytest.raises(InvalidArgument, match="keeps 2 decimals, not 4"):
        RedisLedger(client, prefix="shop:")
    ledger = RedisLedger(client)
    ledger.open_account("alice")
    big = D(MAX_QUANTA + 1).scaleb(-4)
    with pytest.raises(InvalidArgument, match="beyond what a Redis ledger holds"):
        ledger.recharge("alice", big, key="k", actor=OP, now=NOW)
    ledger.recharge("alice", D(MAX_QUANTA).scaleb(-4), key="k1", actor=OP, now=NOW)
    with pytest.raises(InvalidArgument, match="beyond what a Redis ledger holds"):
        ledger.recharge("alice", D("1"), key="k2", actor=OP, now=NOW)
    assert ledger.balance("alice").balance == D(MAX_QUANTA).scaleb(-4)
    with pytest.raises(InvalidArgumentType, match="reservation_id"):
        ledger.release(True, now=NOW)  # type: ignore[arg-type]
    ledger._check()


# -- the two ledgers side by side --------------------------------------------------------------

_ACCOUNTS = ["a", "b", "c"]
_AMOUNTS = st.decimals(min_value=0, max_value=40, places=2)
_OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("recharge", "deduct", "adjust", "transfer", "limit", "reserve", "grow"),
                *("settle", "release", "settle_call", "adjust_many", "drain"),
            ]
        ),
        st.sampled_from(_ACCOUNTS),
        st.sampled_from(_ACCOUNTS),
        _AMOUNTS,
        st.integers(0, 5),  # which key (a few repeat, with the same or other arguments)
        st.integers(1, 6),  # which reservation
    ),
    max_size=30,
)


def _apply(ledger: Any, operation: tuple[Any, ...]) -> Any:
    """One operation, and what came of it: its result, or its error's type and message."""
    name, account, other, amount, key_index, hold = operation
    key = f"k{key_index}"
    try:
        if name in ("recharge", "deduct", "adjust"):
            return getattr(ledger, name)(account, amount, key=key, actor=OP, now=NOW)
        if name == "transfer":
            return ledger.transfer(account, other, amount, key=key, actor=OP, now=NOW)
        if name == "limit":
            return ledger.set_credit_limit(account, amount, key=key, actor=OP, now=NOW)
        if name == "reserve":
            return ledger.reserve(account, amount, f"call-{key_index}", now=NOW)
        if name == "grow":
            return ledger.grow(hold, amount, now=NOW)
        if name == "settle":
            return ledger.settle(hold, amount, now=NOW)
        if name == "release":
            return ledger.release(hold, now=NOW)
        if name == "settle_call":
            charges = [(account, amount)] + ([(other, amount / 2)] if other != account else [])
            return ledger.settle_call(hold, charges, key=key, now=NOW)
        if name == "adjust_many":
            postings = [Posting(account, amount, key), Posting(other, -amount, f"{key}x")]
            return ledger.adjust_many(postings, actor=OP, now=NOW)
        return ledger.drain_records(), ledger.drain_events()
    except VosEngineError as error:
        return type(error), str(error)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operations=_OPERATIONS,
    limits=st.lists(_AMOUNTS, min_size=3, max_size=3),
    overdrafts=st.lists(st.sampled_from(list(OverdraftAction)), min_size=3, max_size=3),
)
def test_the_shared_ledger_answers_every_operation_as_the_embedded_one(
    redis_client: Any,
    operations: list[tuple[Any, ...]],
    limits: list[Decimal],
    overdrafts: list[OverdraftAction],
) -> None:
    """Random operations (keys reused with the same and other arguments, unknown and closed
    reservations, amounts off the grid, refusals) give the same records, reservations, errors,
    balances and events on both ledgers."""
    memory = InMemoryLedger()
    shared = RedisLedger(redis_client, prefix=f"same{next(_PREFIXES)}:")
    for account, limit, overdraft in zip(_ACCOUNTS, limits, overdrafts, strict=True):
        for ledger in (memory, shared):
            ledger.open_account(account, credit_limit=limit, overdraft=overdraft, low_balance=D(5))
    for operation in operations:
        assert _apply(shared, operation) == _apply(memory, operation), operation
    for account in _ACCOUNTS:
        assert shared.balance(account) == memory.balance(account)
        assert shared.open_reservations(account_id=account) == memory.open_reservations(
            account_id=account
        )
    assert shared.records() == memory.records()
    assert shared.drain_events() == memory.drain_events()
    shared._check()
    memory._check()


def test_admission_on_the_shared_ledger_holds_and_posts_every_level_once(
    redis_client: Any,
) -> None:
    from vosengine.admission import Admitted, Rejected, Settled

    from .test_admission import AT, World

    world = World(ledger=RedisLedger(redis_client, prefix=f"adm{next(_PREFIXES)}:"))
    admitted = world.admit()
    assert isinstance(admitted, Admitted)
    assert world.ledger.balance("alice").reserved == admitted.reservation.amount > 0
    other = world.admit(call_id="call-2")  # the first call holds the whole balance
    assert isinstance(other, Rejected) and other.sip_status == 402
    assert "has 0.0000 available" in other.detail
    cdr = world.cdr(admitted, 90, callee="+44 20 7946 0958")
    settled = world.admission.finish(admitted, cdr, at=AT + timedelta(minutes=2))
    assert isinstance(settled, Settled)
    balances = {a: world.ledger.balance(a).balance for a in ("alice", "agent", "top")}
    assert balances == {"alice": D("0.8"), "agent": D("-0.12"), "top": D("-0.08")}
    assert world.admission.finish(admitted, cdr, at=AT + timedelta(minutes=3)) == settled
    assert {a: world.ledger.balance(a).balance for a in balances} == balances
    assert world.ledger.balance("alice").reserved == 0
    world.ledger._check()
