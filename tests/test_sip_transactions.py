"""The transaction tables of RFC 3261 §17 as data: checked for the properties the RFC gives
them, and each machine driven on its own (timers, zero timers, refused inputs)."""

from __future__ import annotations

import pytest

from vosengine.sip import (
    TIMERS_HELD,
    TRANSACTION_TABLES,
    LocalProtocolError,
    TimerConfig,
    Transaction,
    TransactionAction,
    TransactionError,
    TransactionInput,
    TransactionKind,
    TransactionState,
    TransactionTimer,
    transaction_diagram,
)

In = TransactionInput
S = TransactionState
CLIENTS = (TransactionKind.INVITE_CLIENT, TransactionKind.NON_INVITE_CLIENT)
SERVERS = (TransactionKind.INVITE_SERVER, TransactionKind.NON_INVITE_SERVER)
FINALS_RECEIVED = (In.RECV_1XX, In.RECV_2XX, In.RECV_FINAL)
FINALS_SENT = (In.SEND_1XX, In.SEND_2XX, In.SEND_FINAL)


def reachable(kind: TransactionKind) -> set[TransactionState]:
    table = TRANSACTION_TABLES[kind]
    seen, todo = {S.INITIAL}, [S.INITIAL]
    while todo:
        state = todo.pop()
        for (source, _), (target, _) in table.items():
            if source is state and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("kind", list(TransactionKind))
def test_every_state_is_reachable_and_ends(kind: TransactionKind) -> None:
    table = TRANSACTION_TABLES[kind]
    states = {state for state, _ in table} | {target for target, _ in table.values()}
    assert states == reachable(kind)
    assert S.TERMINATED in states
    assert not [pair for pair in table if pair[0] is S.TERMINATED]
    # from every state, some path of inputs reaches TERMINATED
    for state in states - {S.TERMINATED}:
        seen, todo = {state}, [state]
        while todo and S.TERMINATED not in seen:
            current = todo.pop()
            for (source, _), (target, _) in table.items():
                if source is current and target not in seen:
                    seen.add(target)
                    todo.append(target)
        assert S.TERMINATED in seen, (kind, state)


@pytest.mark.parametrize("kind", list(TransactionKind))
def test_timers_are_armed_where_held_and_handled_where_they_run(kind: TransactionKind) -> None:
    table = TRANSACTION_TABLES[kind]
    held = TIMERS_HELD[kind]
    for (_, input_), (target, effects) in table.items():
        for effect in effects:
            if isinstance(effect, TransactionTimer):
                assert effect in held.get(target, ()), (kind, input_, target, effect)
    for state, timers in held.items():
        for timer in timers:
            assert (state, timer.input) in table, (kind, state, timer)
    # a timer input only comes from a timer the state holds
    for state, input_ in table:
        if input_.name.startswith("TIMER_"):
            assert TransactionTimer[input_.name[6:]] in held.get(state, ()), (kind, state)


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_client_waiting_for_its_final_response_takes_every_response(
    kind: TransactionKind,
) -> None:
    table = TRANSACTION_TABLES[kind]
    waiting = {S.CALLING, S.TRYING, S.PROCEEDING} & reachable(kind)
    assert waiting
    for state in waiting:
        for input_ in FINALS_RECEIVED:
            assert (state, input_) in table
            assert TransactionAction.PASS in table[(state, input_)][1]


@pytest.mark.parametrize("kind", SERVERS)
def test_a_server_answers_until_final_and_absorbs_every_retransmission(
    kind: TransactionKind,
) -> None:
    table = TRANSACTION_TABLES[kind]
    for state in reachable(kind) - {S.INITIAL, S.TERMINATED}:
        assert (state, In.RECV_REQUEST) in table, state  # a retransmission is no error
        if state in (S.TRYING, S.PROCEEDING):
            for input_ in FINALS_SENT:
                assert (state, input_) in table, state


def test_a_final_response_is_sent_once() -> None:
    for kind in SERVERS:
        table = TRANSACTION_TABLES[kind]
        for state in (S.COMPLETED, S.CONFIRMED):
            assert (state, In.SEND_FINAL) not in table
            assert (state, In.SEND_2XX) not in table


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSACTION_TABLES[TransactionKind.INVITE_CLIENT][(S.INITIAL, In.RECV_2XX)] = (  # type: ignore[index]
            S.TERMINATED,
            (),
        )


def test_a_refused_input_terminates_the_transaction() -> None:
    tx = Transaction(TransactionKind.INVITE_SERVER, TimerConfig())
    tx.step(In.RECV_REQUEST, now=0.0)
    assert not tx.allows(In.RECV_ACK)
    with pytest.raises(TransactionError, match="proceeding: an ACK arrives is not allowed") as info:
        tx.step(In.RECV_ACK, now=0.1)
    assert info.value.status == 500
    assert tx.state is S.TERMINATED and tx.next_deadline() is None


def test_timer_g_doubles_up_to_t2_and_h_ends_it() -> None:
    tx = Transaction(TransactionKind.INVITE_SERVER, TimerConfig(t1=0.5, t2=4.0))
    tx.step(In.RECV_REQUEST, now=0.0)
    assert tx.step(In.SEND_FINAL, now=0.0) == (TransactionAction.SEND_RESPONSE,)
    resent = []
    while (deadline := tx.next_deadline()) is not None:
        (timer,) = tx.due(now=deadline)
        actions = tx.fire(timer, now=deadline)
        if TransactionAction.RESEND_RESPONSE in actions:
            resent.append(deadline)
    gaps = [round(b - a, 3) for a, b in zip([0.0, *resent], resent, strict=False)]
    assert gaps[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert tx.state is S.TERMINATED
    assert resent[-1] <= 32.0


def test_zero_timers_fire_in_the_step_that_arms_them() -> None:
    reliable = TimerConfig(reliable=True)
    tx = Transaction(TransactionKind.NON_INVITE_SERVER, reliable)
    tx.step(In.RECV_REQUEST, now=0.0)
    assert tx.step(In.SEND_2XX, now=1.0) == (TransactionAction.SEND_RESPONSE,)
    assert tx.state is S.TERMINATED
    client = Transaction(TransactionKind.INVITE_CLIENT, reliable)
    client.step(In.SEND_REQUEST, now=0.0)
    assert set(client.deadlines) == {TransactionTimer.B}  # no timer A
    client.step(In.RECV_FINAL, now=1.0)
    assert client.state is S.TERMINATED  # timer D is zero


def test_timer_values_follow_table_4() -> None:
    config = TimerConfig(t1=0.5, t2=4.0, t4=5.0)
    T = TransactionTimer
    assert [config.initial(t) for t in (T.A, T.B, T.D, T.E, T.F, T.G, T.H)] == [
        0.5, 32.0, 32.0, 0.5, 32.0, 0.5, 32.0,
    ]  # fmt: skip
    assert [config.initial(t) for t in (T.I, T.J, T.K, T.L, T.M)] == [5.0, 32.0, 5.0, 32.0, 32.0]
    assert config.following(T.E, 0.5, S.PROCEEDING) == 4.0
    assert TimerConfig(t1=1.0).initial(T.D) == 64.0
    for bad in ({"t1": 0}, {"t2": -1}, {"t1": True}, {"t1": 2.0, "t2": 1.0}):
        with pytest.raises(LocalProtocolError):
            TimerConfig(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(TransactionKind))
def test_the_diagram_draws_every_transition(kind: TransactionKind) -> None:
    text = transaction_diagram(kind)
    edges = [line for line in text.splitlines() if "->" in line]
    assert len(edges) == len(TRANSACTION_TABLES[kind])
    for (source, input_), (target, _) in TRANSACTION_TABLES[kind].items():
        assert any(
            line.startswith(f'  {source.name} -> {target.name} [label="{input_.name}')
            for line in edges
        )
