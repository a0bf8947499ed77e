"""Two endpoints on a network that loses, duplicates and reorders datagrams (over UDP; over
TCP it keeps each direction in order and loses nothing), driven by
Hypothesis through random interleavings of deliveries, timer firings and host actions (h11's
``ConnectionPair`` idea): nothing ever raises or reaches a pair a table refuses, every
transaction ends once the timers run out, and on a network that loses nothing both sides
agree on every dialog."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vosengine.sip import (
    BadMessage,
    CallCancelled,
    DialogId,
    DialogState,
    Endpoint,
    Request,
    RequestReceived,
    TransactionInput,
)

pytestmark = pytest.mark.usefixtures("sip_impl")

A = ("192.0.2.1", 5060)
B = ("192.0.2.2", 5060)
STEPS = ("deliver", "deliver", "deliver", "duplicate", "drop", "timer", "answer", "cancel",
         "bye_a", "bye_b", "options")  # fmt: skip


class World:
    def __init__(self, *, lossy: bool, transport: str) -> None:
        self.a = Endpoint(host=A[0], port=A[1], rng=random.Random(1), transport=transport)
        self.b = Endpoint(host=B[0], port=B[1], rng=random.Random(2), transport=transport)
        self.lossy = lossy
        self.now = 0.0
        self.flight: list[tuple[str, bytes, float]] = []  # (to whom, datagram, sent at)
        self.ringing: list[Request] = []  # INVITEs bob has not answered finally
        self.invite = self.a.send(
            self.a.request("INVITE", "sip:bob@192.0.2.2", from_="<sip:alice@x>", to="<sip:bob@x>"),
            addr=B,
            now=0.0,
        )
        self.collect()

    def side(self, name: str) -> Endpoint:
        return self.a if name == "a" else self.b

    def collect(self) -> None:
        """Move what both sides sent into the network; let both hosts read their events."""
        for name, endpoint, peer in (("a", self.a, "b"), ("b", self.b, "a")):
            for data, addr in endpoint.datagrams_to_send():
                assert addr == (B if name == "a" else A)
                self.flight.append((peer, data, self.now))
        for name in ("a", "b"):
            endpoint = self.side(name)
            while (event := endpoint.next_event()) is not None:
                assert not isinstance(event, BadMessage), event
                if isinstance(event, CallCancelled):
                    self.ringing = [r for r in self.ringing if r is not event.invite]
                if isinstance(event, RequestReceived):
                    if event.request.method == "INVITE" and name == "b":
                        self.ringing.append(event.request)
                    else:
                        endpoint.send(endpoint.response(event.request, 200), now=self.now)

    def deliver(self, index: int, *, keep: bool = False) -> None:
        to, data, _ = self.flight[index] if keep else self.flight.pop(index)
        self.now += 0.01
        self.side(to).receive_datagram(data, B if to == "a" else A, now=self.now)

    def timer(self) -> bool:
        deadlines = [d for d in (self.a.next_deadline(), self.b.next_deadline()) if d is not None]
        if not deadlines:
            return False
        self.now = max(self.now, min(deadlines))
        # what is still in flight after T4 (5 s) is lost: no datagram outlives the network
        self.flight = [item for item in self.flight if item[2] + 5.0 >= self.now]
        self.a.handle_timer(now=self.now)
        self.b.handle_timer(now=self.now)
        return True

    def answer(self, status: int) -> None:
        if not self.ringing:
            return
        request = self.ringing[0]
        if status >= 200:
            self.ringing.pop(0)
        self.b.send(self.b.response(request, status), now=self.now)

    def confirmed(self, endpoint: Endpoint) -> list[DialogId]:
        return [d for d, v in endpoint.dialogs.items() if v.state is DialogState.CONFIRMED]

    def settle(self) -> None:
        """Answer what rings, deliver everything, and run every timer out."""
        for _ in range(10_000):
            while self.ringing:
                self.answer(486)
            self.collect()
            if self.flight:
                self.deliver(0)
                self.collect()
            elif not self.timer():
                self.collect()
                if not self.flight and not self.ringing:
                    return
        raise AssertionError("the endpoints never settled")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lossy=st.booleans(),
    transport=st.sampled_from(["UDP", "TCP"]),
    data=st.data(),
)
def test_random_interleavings_keep_both_sides_sound(lossy: bool, transport: str, data: Any) -> None:
    lossy = lossy and transport == "UDP"  # a stream transport loses nothing
    world = World(lossy=lossy, transport=transport)
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        step = data.draw(st.sampled_from(STEPS), label="step")
        if step in ("deliver", "duplicate", "drop") and world.flight:
            if transport == "UDP":  # datagrams: any order, duplicated, lost when lossy
                index = data.draw(st.integers(0, len(world.flight) - 1), label="which")
            else:  # a stream: in order each way, never duplicated or lost
                heads = [next(i for i, f in enumerate(world.flight) if f[0] == to)
                         for to in ("a", "b") if any(f[0] == to for f in world.flight)]  # fmt: skip
                index = data.draw(st.sampled_from(heads), label="which")
                step = "deliver"
            if step == "drop":
                if world.lossy:
                    world.flight.pop(index)
            else:
                world.deliver(index, keep=step == "duplicate")
        elif step == "timer" and (world.lossy or not world.flight):
            world.timer()
        elif step == "answer":
            world.answer(data.draw(st.sampled_from([180, 183, 200, 486, 603]), label="status"))
        elif step == "cancel":
            world.a.cancel(world.invite, now=world.now)
        elif step in ("bye_a", "bye_b", "options"):
            endpoint = world.a if step != "bye_b" else world.b
            # the caller may end an early dialog too; the callee only a confirmed one
            dialogs = world.confirmed(endpoint) if step != "bye_a" else list(endpoint.dialogs)
            if dialogs:
                method = "OPTIONS" if step == "options" else "BYE"
                endpoint.send(endpoint.dialog_request(dialogs[0], method), now=world.now)
        world.collect()
    world.settle()
    for endpoint in (world.a, world.b):
        assert endpoint._client == {} and endpoint._server == {}
        assert endpoint.next_deadline() is None
    if not lossy:
        mirrored = {
            DialogId(d.call_id, d.remote_tag, d.local_tag): v.state
            for d, v in world.b.dialogs.items()
        }
        assert {d: v.state for d, v in world.a.dialogs.items()} == mirrored


def test_an_input_the_table_refuses_is_reported_not_raised() -> None:
    """A peer that sends an ACK for an INVITE still proceeding breaks the transaction's order:
    the endpoint reports it and ends that transaction; nothing raises."""
    world = World(lossy=False, transport="UDP")
    _, data, _ = world.flight.pop()
    world.b.receive_datagram(data, A, now=0.0)
    world.b.datagrams_to_send()
    world.b.next_event()
    ack = data.replace(b"INVITE sip:bob@192.0.2.2", b"ACK sip:bob@192.0.2.2").replace(
        b" INVITE\r\n", b" ACK\r\n"
    )
    world.b.receive_datagram(ack, A, now=0.1)
    event = world.b.next_event()
    assert isinstance(event, BadMessage) and not event.answered
    assert event.error.status == 500
    assert world.b._server == {}
    assert TransactionInput.RECV_ACK.value in str(event.error)
