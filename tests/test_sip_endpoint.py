"""The sans-IO endpoint: transactions (RFC 3261 §17 and RFC 6026), dialogs (§12), the
endpoint's own answers, RFC 4475's torture messages, and misuse by the host."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.sip import (
    ALLOW,
    BadMessage,
    CallCancelled,
    DialogChanged,
    DialogState,
    Endpoint,
    LocalProtocolError,
    Request,
    RequestReceived,
    Response,
    ResponseReceived,
    TransactionTimedOut,
    make_response,
    parse,
)

from .test_sip_parse import INVALID, SEEDS, VALID_REQUESTS, WSINV, build, mutate

pytestmark = pytest.mark.usefixtures("sip_impl")

A = ("192.0.2.1", 5060)
B = ("192.0.2.2", 5060)


class Pair:
    """Two endpoints and the network between them; ``now`` is the protocol clock."""

    def __init__(self, **options: Any) -> None:
        self.a = Endpoint(host=A[0], port=A[1], rng=random.Random(1), **options)
        self.b = Endpoint(host=B[0], port=B[1], rng=random.Random(2), **options)
        self.now = 0.0
        self.log: list[tuple[str, bytes]] = []

    def wire(self, side: Endpoint) -> list[bytes]:
        """What ``side`` sent since last asked (dropped: nobody receives it)."""
        out = []
        for data, addr in side.datagrams_to_send():
            assert addr == (B if side is self.a else A)
            out.append(data)
        return out

    def flush(self) -> None:
        """Deliver everything in flight, both ways, until nothing moves."""
        moved = True
        while moved:
            moved = False
            for side, other, source in ((self.a, self.b, A), (self.b, self.a, B)):
                for data in self.wire(side):
                    moved = True
                    self.log.append(("a" if side is self.a else "b", data))
                    other.receive_datagram(data, source, now=self.now)

    def at(self, now: float) -> None:
        self.now = now
        self.a.handle_timer(now=now)
        self.b.handle_timer(now=now)

    def run_timers(self, until: float, *, deliver: bool = True) -> None:
        """Fire every timer of both sides up to ``until``, delivering as it goes."""
        while True:
            deadlines = [d for d in (self.a.next_deadline(), self.b.next_deadline()) if d]
            if not deadlines or min(deadlines) > until:
                break
            self.at(min(deadlines))
            if deliver:
                self.flush()
            else:
                self.wire(self.a)
                self.wire(self.b)
        self.now = until


def events(endpoint: Endpoint) -> list[Any]:
    out = []
    while (event := endpoint.next_event()) is not None:
        out.append(event)
    return out


def first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode()


def invite(pair: Pair, **headers: str) -> Request:
    request = pair.a.request(
        "INVITE",
        "sip:bob@192.0.2.2",
        from_="<sip:alice@192.0.2.1>",
        to="<sip:bob@192.0.2.2>",
        headers=list(headers.items()),
    )
    pair.a.send(request, addr=B, now=pair.now)
    return request


def received(pair: Pair) -> Request:
    pair.flush()
    found = [e for e in events(pair.b) if isinstance(e, RequestReceived)]
    assert len(found) == 1
    return found[0].request


def answer(pair: Pair, request: Request, status: int) -> Response:
    response = pair.b.response(request, status)
    pair.b.send(response, now=pair.now)
    return response


# -- a call from start to end ----------------------------------------------------------------


def test_a_call_from_invite_to_bye() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    assert request.method == "INVITE"
    assert [first_line(d) for _, d in pair.log] == [
        "INVITE sip:bob@192.0.2.2 SIP/2.0",
        "SIP/2.0 100 Trying",
    ]
    answer(pair, request, 180)
    pair.flush()
    seen = events(pair.a)
    early = [e for e in seen if isinstance(e, DialogChanged)]
    assert [e.state for e in early] == [DialogState.EARLY]
    assert [e.response.status for e in seen if isinstance(e, ResponseReceived)] == [100, 180]
    answer(pair, request, 200)
    pair.flush()
    assert [first_line(d) for _, d in pair.log[-2:]] == [
        "SIP/2.0 200 OK",
        "ACK sip:192.0.2.2:5060;transport=udp SIP/2.0",
    ]
    (dialog_a,) = pair.a.dialogs.values()
    (dialog_b,) = pair.b.dialogs.values()
    assert dialog_a.state is dialog_b.state is DialogState.CONFIRMED
    assert dialog_a.id.local_tag == dialog_b.id.remote_tag
    assert dialog_a.id.remote_tag == dialog_b.id.local_tag
    assert dialog_a.remote_target == "sip:192.0.2.2:5060;transport=udp"
    # the ACK stopped the 2xx retransmissions: nothing is sent when the timers run out
    pair.run_timers(100.0, deliver=False)
    assert pair.b.dialogs  # still up: the ACK arrived
    bye = pair.a.dialog_request(dialog_a.id, "BYE")
    assert bye.cseq is not None and bye.cseq.number == 2
    pair.a.send(bye, now=pair.now)
    pair.flush()
    assert [e.reason for e in events(pair.b) if isinstance(e, DialogChanged)] == [
        "180",
        "200",
        "BYE received",
    ]
    assert [
        (e.response.status, e.request.method) for e in events(pair.a) if hasattr(e, "response")
    ] == [(200, "INVITE"), (200, "BYE")]
    assert not pair.a.dialogs and not pair.b.dialogs
    pair.run_timers(200.0)
    assert pair.a.next_deadline() is None and pair.b.next_deadline() is None


def test_a_retransmitted_request_gets_the_last_response_again() -> None:
    pair = Pair()
    sent = invite(pair)
    request = received(pair)
    answer(pair, request, 180)
    pair.wire(pair.b)
    pair.b.receive_datagram(bytes(sent), A, now=0.2)  # the INVITE again
    assert [first_line(d) for d in pair.wire(pair.b)] == ["SIP/2.0 180 Ringing"]
    assert [e for e in events(pair.b) if isinstance(e, RequestReceived)] == []  # reported once


def test_timer_a_doubles_and_timer_b_times_the_invite_out() -> None:
    pair = Pair()
    invite(pair)
    sent = [0.0]
    pair.wire(pair.a)
    while (deadline := pair.a.next_deadline()) is not None:
        pair.a.handle_timer(now=deadline)
        if pair.wire(pair.a):
            sent.append(deadline)
    assert sent == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # 7 transmissions (RFC 3261 §17.1.1.2)
    (event,) = events(pair.a)
    assert isinstance(event, TransactionTimedOut) and event.request.method == "INVITE"


def test_timer_e_is_capped_at_t2_and_timer_f_times_out() -> None:
    pair = Pair()
    request = pair.a.request("OPTIONS", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")
    pair.a.send(request, addr=B, now=0.0)
    pair.wire(pair.a)
    sent = []
    while (deadline := pair.a.next_deadline()) is not None:
        pair.a.handle_timer(now=deadline)
        if pair.wire(pair.a):
            sent.append(deadline)
    gaps = [round(b - a, 3) for a, b in zip([0.0, *sent], sent, strict=False)]
    assert gaps[:5] == [0.5, 1.0, 2.0, 4.0, 4.0] and set(gaps[4:]) == {4.0}
    assert isinstance(events(pair.a)[-1], TransactionTimedOut)


def test_over_a_reliable_transport_nothing_is_retransmitted() -> None:
    pair = Pair(transport="TCP")
    request = pair.a.request("OPTIONS", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")
    pair.a.send(request, addr=B, now=0.0)
    pair.wire(pair.a)
    assert pair.a.next_deadline() == 32.0  # only timer F
    pair.a.handle_timer(now=32.0)
    assert pair.wire(pair.a) == []
    assert isinstance(events(pair.a)[-1], TransactionTimedOut)
    # and timer J is zero: the server transaction ends with its final response
    pair.a.send(pair.a.request("OPTIONS", "sip:b@x", from_="<a@x>", to="<b@x>"), addr=B, now=40)
    pair.now = 40
    asked = received(pair)
    answer(pair, asked, 200)
    assert pair.b._server == {}


# -- non-2xx finals, CANCEL ------------------------------------------------------------------


def test_a_failure_is_acknowledged_by_the_transaction_and_retransmitted_until_then() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 486)
    (busy,) = pair.wire(pair.b)
    pair.at(0.5)  # timer G: the 486 again, the ACK is not there yet
    assert pair.wire(pair.b) == [busy]
    pair.a.receive_datagram(busy, B, now=0.6)
    pair.a.receive_datagram(busy, B, now=0.7)  # a retransmission: ACKed again, reported once
    acks = pair.wire(pair.a)
    assert [first_line(d) for d in acks] == ["ACK sip:bob@192.0.2.2 SIP/2.0"] * 2
    assert parse(acks[0]).top_via == request.top_via  # the INVITE's branch
    statuses = [e.response.status for e in events(pair.a) if isinstance(e, ResponseReceived)]
    assert statuses == [100, 486]
    pair.b.receive_datagram(acks[0], A, now=0.8)
    pair.run_timers(100.0, deliver=False)
    assert events(pair.b) == [] and pair.b.next_deadline() is None


def test_no_ack_for_a_failure_times_the_server_transaction_out() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 603)
    pair.run_timers(100.0, deliver=False)
    assert [type(e) for e in events(pair.b)] == [TransactionTimedOut]


def test_cancel_gets_200_and_the_invite_487() -> None:
    pair = Pair()
    sent = invite(pair)
    request = received(pair)
    answer(pair, request, 180)
    pair.flush()
    events(pair.a)
    pair.a.cancel(sent, now=1.0)
    pair.flush()
    (cancelled,) = [e for e in events(pair.b) if isinstance(e, CallCancelled)]
    assert cancelled.invite.method == "INVITE" and cancelled.cancel.method == "CANCEL"
    got = [(e.response.status, e.request.method) for e in events(pair.a) if hasattr(e, "response")]
    assert sorted(got) == [(200, "CANCEL"), (487, "INVITE")]
    assert not pair.a.dialogs and not pair.b.dialogs
    with pytest.raises(LocalProtocolError, match="cannot send it"):
        pair.b.send(pair.b.response(request, 200), now=1.0)


def test_a_cancel_before_any_provisional_waits_for_one() -> None:
    pair = Pair()
    sent = invite(pair)
    pair.wire(pair.a)  # the INVITE is lost
    pair.a.cancel(sent, now=0.1)
    assert pair.wire(pair.a) == []  # §9.1: not before a provisional response
    pair.at(0.5)  # timer A: the INVITE again
    pair.flush()
    sent_by_a = [first_line(d).split()[0] for s, d in pair.log if s == "a"]
    assert sent_by_a == ["INVITE", "CANCEL", "ACK"]  # the ACK of the 487
    got = [(e.response.status, e.request.method) for e in events(pair.a) if hasattr(e, "response")]
    assert sorted(got) == [(100, "INVITE"), (200, "CANCEL"), (487, "INVITE")]


def test_cancel_for_no_transaction_gets_481() -> None:
    pair = Pair()
    data = build("CANCEL sip:user@example.com SIP/2.0", cseq="CSeq: 8 CANCEL")
    pair.b.receive_datagram(data, A, now=0.0)
    assert [first_line(d) for d in pair.wire(pair.b)] == [
        "SIP/2.0 481 Call/Transaction Does Not Exist"
    ]


# -- 2xx, its ACK, dialogs -------------------------------------------------------------------


def test_the_2xx_is_retransmitted_until_its_ack_and_a_lost_ack_is_sent_again() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 200)
    (ok,) = pair.wire(pair.b)
    pair.a.receive_datagram(ok, B, now=0.1)
    (ack,) = pair.wire(pair.a)  # lost
    pair.at(0.5)  # the 2xx again
    assert pair.wire(pair.b) == [ok]
    pair.a.receive_datagram(ok, B, now=0.6)
    assert pair.wire(pair.a) == [ack]  # the same ACK again
    oks = [
        e for e in events(pair.a) if isinstance(e, ResponseReceived) and e.response.status == 200
    ]
    assert len(oks) == 1  # reported once
    pair.b.receive_datagram(ack, A, now=0.7)
    pair.run_timers(100.0, deliver=False)
    assert pair.b.dialogs


def test_no_ack_for_the_2xx_ends_the_session_with_a_bye() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 200)
    pair.wire(pair.b)
    sent = []
    while (deadline := pair.b.next_deadline()) is not None and deadline <= 32.0:
        pair.b.handle_timer(now=deadline)
        sent += [first_line(d).split()[0] for d in pair.wire(pair.b)]
    assert sent == ["SIP/2.0"] * 10 + ["BYE"]  # 2xx at 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5
    ended = [e for e in events(pair.b) if isinstance(e, DialogChanged)]
    assert ended[-1].state is DialogState.TERMINATED
    assert ended[-1].reason == "no ACK for the 2xx"
    assert not pair.b.dialogs


def test_a_bye_from_the_callee_waits_for_the_ack() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 200)
    (ok,) = pair.wire(pair.b)
    (dialog,) = pair.b.dialogs
    pair.b.send(pair.b.dialog_request(dialog, "BYE"), now=0.1)
    assert pair.wire(pair.b) == []  # held (RFC 3261 §15)
    assert not pair.b.dialogs
    pair.a.receive_datagram(ok, B, now=0.2)
    (ack,) = pair.wire(pair.a)
    pair.b.receive_datagram(ack, A, now=0.3)
    assert [first_line(d).split()[0] for d in pair.wire(pair.b)] == ["BYE"]


def test_record_route_makes_the_route_set_reversed_at_the_caller() -> None:
    pair = Pair()
    invite(pair, **{"Record-Route": "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>"})
    request = received(pair)
    answer(pair, request, 200)
    pair.flush()
    (dialog_a,) = pair.a.dialogs.values()
    (dialog_b,) = pair.b.dialogs.values()
    assert dialog_b.route_set == ("<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>")
    assert dialog_a.route_set == ("<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>")
    bye = pair.b.dialog_request(dialog_b.id, "BYE")
    assert bye.headers("Route") == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    assert bye.uri_text == "sip:192.0.2.1:5060;transport=udp"


@pytest.fixture
def call() -> tuple[Pair, Any, Any]:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 200)
    pair.flush()
    events(pair.a)
    events(pair.b)
    (dialog_a,) = pair.a.dialogs
    (dialog_b,) = pair.b.dialogs
    return pair, dialog_a, dialog_b


def test_in_dialog_requests_reach_the_host_with_their_dialog(call: Any) -> None:
    pair, dialog_a, dialog_b = call
    for method in ("OPTIONS", "INVITE", "INFO"):
        pair.a.send(pair.a.dialog_request(dialog_a, method), now=1.0)
        request = received(pair)
        assert request.method == method
        answer(pair, request, 200)
        pair.flush()
        assert [e.response.status for e in events(pair.a) if hasattr(e, "response")][-1] == 200
    assert pair.b.dialogs[dialog_b].remote_cseq == 4
    assert pair.a.dialogs[dialog_a].state is DialogState.CONFIRMED


def test_update_is_refused_politely(call: Any) -> None:
    pair, dialog_a, _ = call
    pair.a.send(pair.a.dialog_request(dialog_a, "UPDATE"), now=1.0)
    pair.flush()
    (event,) = [e for e in events(pair.a) if isinstance(e, ResponseReceived)]
    assert event.response.status == 501
    assert event.response.header("Allow") == ", ".join(ALLOW)
    assert events(pair.b) == []


def test_a_stale_cseq_gets_500_and_an_unknown_dialog_481(call: Any) -> None:
    pair, dialog_a, _ = call
    dialog = pair.a.dialogs[dialog_a]
    dialog.local_cseq = -1  # as if the caller forgot: its next request has CSeq 0 < 1
    pair.a.send(pair.a.dialog_request(dialog_a, "OPTIONS"), now=1.0)
    pair.flush()
    statuses = [e.response.status for e in events(pair.a) if isinstance(e, ResponseReceived)]
    assert statuses == [500]
    stranger = Request(
        "BYE",
        "sip:bob@192.0.2.2",
        fields=[
            ("From", "<sip:eve@x>;tag=1"),
            ("To", "<sip:bob@x>;tag=2"),
            ("Call-ID", "nothing-here"),
            ("CSeq", "5 BYE"),
        ],
    )
    pair.a.send(stranger, addr=B, now=1.0)
    pair.flush()
    statuses = [e.response.status for e in events(pair.a) if isinstance(e, ResponseReceived)]
    assert statuses == [481]


def test_a_forked_invite_makes_a_dialog_per_answer() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    ok = pair.b.response(request, 200)
    pair.b.send(ok, now=0.0)
    (first,) = pair.wire(pair.b)
    second = first.replace(ok.to.tag.encode(), b"otherfork")  # type: ignore[union-attr]
    pair.a.receive_datagram(first, B, now=0.1)
    pair.a.receive_datagram(second, B, now=0.1)
    assert sorted(d.remote_tag for d in pair.a.dialogs) == sorted([ok.to.tag, "otherfork"])  # type: ignore[union-attr]
    assert len(pair.wire(pair.a)) == 2  # one ACK each


# -- RFC 2543 peers --------------------------------------------------------------------------


def test_rfc_2543_requests_match_by_their_fields() -> None:
    pair = Pair()
    data = build(
        "INVITE sip:user@example.com SIP/2.0",
        via="Via: SIP/2.0/UDP 192.0.2.15",
        cseq="CSeq: 8 INVITE",
    )
    pair.b.receive_datagram(data, A, now=0.0)
    (event,) = events(pair.b)
    answer(pair, event.request, 404)
    not_found = pair.wire(pair.b)[-1]
    pair.b.receive_datagram(data, A, now=0.1)  # the same INVITE again: the 404 again
    assert pair.wire(pair.b) == [not_found]
    ack = build(
        "ACK sip:user@example.com SIP/2.0",
        via="Via: SIP/2.0/UDP 192.0.2.15",
        cseq="CSeq: 8 ACK",
        to="To: " + parse(not_found).header("To"),  # type: ignore[operator]
    )
    pair.b.receive_datagram(ack, A, now=0.2)
    pair.run_timers(100.0, deliver=False)
    assert events(pair.b) == []  # the ACK matched: no timer H


# -- bad bytes: answered or dropped, never raised ---------------------------------------------


def test_two_content_lengths_and_an_unknown_scheme_are_answered() -> None:
    pair = Pair()
    double = build("OPTIONS sip:user@example.com SIP/2.0", extra="Content-Length: 3", body="abc")
    scheme = build("OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0")
    version = build("OPTIONS sip:t.watson@example.org SIP/7.0")
    for data, status in ((double, 400), (scheme, 416), (version, 505)):
        pair.b.receive_datagram(data, A, now=0.0)
        (sent,) = pair.wire(pair.b)
        response = parse(sent)
        assert isinstance(response, Response) and response.status == status
        assert response.header("Call-ID") == "torture@192.0.2.15"
        assert response.to is not None and response.to.tag
        (event,) = events(pair.b)
        assert isinstance(event, BadMessage) and event.answered
        assert event.error.status == status


@pytest.mark.parametrize("raw", list(INVALID.values()), ids=list(INVALID))
def test_invalid_torture_messages_are_answered_or_dropped(raw: bytes) -> None:
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(raw, A, now=0.0)
    (event,) = events(endpoint)
    assert isinstance(event, BadMessage)
    sent = endpoint.datagrams_to_send()
    if event.answered:
        (data, addr) = sent[0]
        response = parse(data)
        assert addr == A and isinstance(response, Response)
        assert response.status == event.error.status >= 400
    else:
        assert sent == [] and endpoint.dropped == 1
        assert raw.startswith(b"SIP/2.0") or b"Call-ID" not in raw


@pytest.mark.parametrize("raw", list(VALID_REQUESTS.values()), ids=list(VALID_REQUESTS))
def test_valid_torture_requests_reach_the_host_or_get_481(raw: bytes) -> None:
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(raw, A, now=0.0)
    request = parse(raw)
    assert isinstance(request, Request) and request.to is not None
    sent = [parse(data) for data, _ in endpoint.datagrams_to_send()]
    statuses = [r.status for r in sent if isinstance(r, Response)]
    if request.to.tag:  # in a dialog this endpoint does not know (RFC 3261 §12.2.2)
        assert events(endpoint) == [] and statuses[-1] == 481
    else:
        (event,) = events(endpoint)
        assert isinstance(event, RequestReceived) and event.request == request
        assert statuses == ([100] if request.method == "INVITE" else [])
        answer = endpoint.response(event.request, 200)
        endpoint.send(answer, now=0.1)
        (data, addr) = endpoint.datagrams_to_send()[0]
        assert addr == A and parse(data).status == 200  # type: ignore[union-attr]


def test_a_valid_torture_message_is_handled_as_the_rfc_says() -> None:
    # wsinv carries a To tag: a request in a dialog this endpoint does not know (§12.2.2)
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(WSINV, A, now=0.0)
    assert events(endpoint) == []
    sent = [parse(data) for data, _ in endpoint.datagrams_to_send()]
    assert [r.status for r in sent if isinstance(r, Response)] == [100, 481]
    assert sent[-1].header("Call-ID") == "wsinv.ndaksdj@192.0.2.1"
    # without the tag it is a new INVITE for the host, however tortuous its headers
    untagged = WSINV.replace(b";   tag    = 1918181833n", b"")
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(untagged, A, now=0.0)
    (event,) = events(endpoint)
    assert isinstance(event, RequestReceived) and event.request.method == "INVITE"
    assert event.dialog is None
    (trying,) = endpoint.datagrams_to_send()
    assert parse(trying[0]).status == 100  # type: ignore[union-attr]


def test_a_stray_response_is_dropped_and_counted() -> None:
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(build("SIP/2.0 200 OK"), A, now=0.0)
    assert endpoint.stray == 1 and events(endpoint) == []
    assert endpoint.datagrams_to_send() == []


@settings(max_examples=300, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=6),
)
def test_mutated_messages_never_raise_out_of_the_endpoint(seed: bytes, edits: list) -> None:  # type: ignore[type-arg]
    data = mutate(seed, edits)
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(data, A, now=0.0)
    endpoint.receive_datagram(data, A, now=0.1)  # and again
    endpoint.handle_timer(now=1000.0)
    for sent, addr in endpoint.datagrams_to_send():
        assert addr == A
        assert isinstance(parse(sent), Response)


# -- the host's mistakes change nothing ------------------------------------------------------


def test_misuse_raises_local_protocol_error_and_changes_nothing() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    core = [("From", "<a@x>;tag=1"), ("To", "<b@x>"), ("Call-ID", "c")]
    stranger = Response(
        200, fields=[("Via", "SIP/2.0/UDP h;branch=z9hG4bKx"), *core, ("CSeq", "1 INVITE")]
    )
    with pytest.raises(LocalProtocolError, match="answers no request"):
        pair.b.send(stranger, now=0.0)
    untagged = make_response(request, 180)
    with pytest.raises(LocalProtocolError, match="needs a To tag"):
        pair.b.send(untagged, now=0.0)
    lost = Request("OPTIONS", "sip:b@x", fields=[*core, ("CSeq", "1 OPTIONS")])
    with pytest.raises(LocalProtocolError, match="addr: required"):
        pair.a.send(lost, now=0.0)
    with pytest.raises(LocalProtocolError, match="sends ACK and CANCEL itself"):
        pair.a.send(Request("ACK", "sip:b@x"), addr=B, now=0.0)
    with pytest.raises(LocalProtocolError, match="expected bytes"):
        pair.a.receive_datagram("INVITE", B, now=0.0)  # type: ignore[arg-type]
    assert pair.b.datagrams_to_send() == [] and pair.a.datagrams_to_send() == []
    answer(pair, request, 486)
    with pytest.raises(LocalProtocolError, match="completed and cannot send it"):
        answer(pair, request, 200)
    assert not pair.b.dialogs
    with pytest.raises(LocalProtocolError, match="host"):
        Endpoint(host="", port=5060)
    with pytest.raises(LocalProtocolError, match="t1"):
        Endpoint(host="h", port=5060, t1=0)


def test_beyond_its_limits_an_endpoint_answers_503_and_refuses_the_host() -> None:
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0), max_transactions=1)
    endpoint.receive_datagram(build("OPTIONS sip:user@example.com SIP/2.0"), A, now=0.0)
    other = build(
        "OPTIONS sip:user@example.com SIP/2.0",
        via="Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKother",
    )
    endpoint.receive_datagram(other, A, now=0.0)
    (busy,) = [parse(data) for data, _ in endpoint.datagrams_to_send()]
    assert isinstance(busy, Response) and busy.status == 503
    assert busy.to is not None and busy.to.tag
    assert len(events(endpoint)) == 1  # only the first reached the host
    first = endpoint.request("OPTIONS", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")
    endpoint.send(first, addr=B, now=0.0)
    second = endpoint.request("OPTIONS", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")
    with pytest.raises(LocalProtocolError, match="1 client transactions in progress"):
        endpoint.send(second, addr=B, now=0.0)


def _a_whole_call() -> list[tuple[str, bytes]]:
    """Every datagram of a call with a re-INVITE, an OPTIONS and a BYE: (sender, bytes)."""
    pair = Pair()
    invite(pair, **{"Record-Route": "<sip:p1.example.com;lr>"})
    request = received(pair)
    answer(pair, request, 180)
    answer(pair, request, 200)
    pair.flush()
    (dialog,) = pair.a.dialogs
    for method in ("INVITE", "OPTIONS"):
        pair.a.send(pair.a.dialog_request(dialog, method), now=1.0)
        answer(pair, received(pair), 200)
        pair.flush()
    pair.a.send(pair.a.dialog_request(dialog, "BYE"), now=2.0)
    pair.flush()
    return pair.log


CALL = _a_whole_call()


@settings(max_examples=300, deadline=None)
@given(
    upto=st.integers(0, len(CALL) - 1),
    which=st.integers(0, len(CALL) - 1),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=4),
)
def test_mutated_datagrams_mid_call_never_raise(upto: int, which: int, edits: list) -> None:  # type: ignore[type-arg]
    """Replay a real call up to a point, then deliver a mutated datagram of it to either side:
    it is answered, absorbed or dropped, and never raises."""
    pair = Pair()
    invite(pair)
    pair.wire(pair.a)
    for sender, data in CALL[:upto]:
        target = pair.b if sender == "a" else pair.a
        target.receive_datagram(data, A if sender == "a" else B, now=1.0)
    sender, data = CALL[which]
    mutated = mutate(data, edits)
    for endpoint in (pair.a, pair.b):
        endpoint.receive_datagram(mutated, A, now=1.5)
        endpoint.handle_timer(now=1000.0)
        for sent, _ in endpoint.datagrams_to_send():
            parse(sent)  # whatever it sends is valid SIP


def test_a_strict_router_in_the_route_set_becomes_the_request_uri() -> None:
    pair = Pair()
    invite(pair, **{"Record-Route": "<sip:strict.example.com>, <sip:loose.example.com;lr>"})
    answer(pair, received(pair), 200)
    pair.flush()
    (dialog,) = pair.a.dialogs  # the caller's route set: loose first, then strict
    (callee,) = pair.b.dialogs
    bye = pair.b.dialog_request(callee, "BYE")  # the callee's: strict first
    assert bye.uri_text == "sip:strict.example.com"
    assert bye.headers("Route") == [
        "<sip:loose.example.com;lr>",
        "<sip:192.0.2.1:5060;transport=udp>",
    ]
    assert pair.a.dialog_request(dialog, "BYE").uri_text == "sip:192.0.2.2:5060;transport=udp"


@pytest.mark.parametrize(
    "contact",
    [
        b"Contact: <sip:>",
        # a URI, but no Request-URI: the dialog's next request could not carry it
        b"Contact: <sip:1?2.0.2.2:5060;transport=udp>",
        b"Contact: <http://192.0.2.2/>",
        b"Record-Route: <sip:proxy.example.com?Subject=x>\r\nContact: <sip:192.0.2.2:5060>",
    ],
)
def test_a_2xx_whose_contact_is_no_request_uri_is_a_bad_message_that_moves_nothing(
    contact: bytes,
) -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 200)
    (ok,) = pair.wire(pair.b)
    broken = ok.replace(b"Contact: <sip:192.0.2.2:5060;transport=udp>", contact)
    assert broken != ok
    pair.a.receive_datagram(broken, B, now=0.1)
    (event,) = [e for e in events(pair.a) if isinstance(e, BadMessage)]
    assert not event.answered
    assert contact.split(b":")[0].decode() in str(event.error)
    assert pair.wire(pair.a) == [] and not pair.a.dialogs  # no ACK, no dialog
    pair.a.receive_datagram(ok, B, now=0.6)  # the 2xx again, readable: now it counts
    assert len(pair.a.dialogs) == 1 and len(pair.wire(pair.a)) == 1


def test_a_bye_on_an_early_dialog_ends_the_invite_with_487() -> None:
    pair = Pair()
    invite(pair)
    request = received(pair)
    answer(pair, request, 180)
    pair.flush()
    (dialog,) = pair.a.dialogs
    (callee,) = pair.b.dialogs
    with pytest.raises(LocalProtocolError, match="may not end an early dialog"):
        pair.b.send(pair.b.dialog_request(callee, "BYE"), now=1.0)
    pair.a.send(pair.a.dialog_request(dialog, "BYE"), now=1.0)  # RFC 3261 §15: allowed early
    pair.flush()
    got = [(e.response.status, e.request.method) for e in events(pair.a) if hasattr(e, "response")]
    assert sorted(got)[-2:] == [(200, "BYE"), (487, "INVITE")]
    assert not pair.a.dialogs and not pair.b.dialogs
    with pytest.raises(LocalProtocolError, match="cannot send it"):
        pair.b.send(pair.b.response(request, 200), now=1.1)


def test_a_retried_request_keeps_its_from_tag_and_call_id() -> None:
    pair = Pair()
    first = invite(pair)
    retry = pair.a.request(
        "INVITE",
        "sip:bob@192.0.2.2",
        from_=first.header("From") or "",
        to="<sip:bob@192.0.2.2>",
        call_id=first.call_id,
        cseq=2,
        headers=[("Authorization", 'Digest username="alice"')],
    )
    assert retry.from_ == first.from_ and retry.call_id == first.call_id
    assert retry.cseq is not None and retry.cseq.number == 2
    assert retry.top_via != first.top_via  # a new transaction


def test_the_same_request_by_two_paths_gets_482() -> None:
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    first = build("INVITE sip:user@example.com SIP/2.0", cseq="CSeq: 8 INVITE")
    second = first.replace(b"branch=z9hG4bKkdjuw380234", b"branch=z9hG4bKotherpath")
    endpoint.receive_datagram(first, A, now=0.0)
    endpoint.receive_datagram(second, ("192.0.2.99", 5060), now=0.1)
    assert [type(e) for e in events(endpoint)] == [RequestReceived]  # only the first
    sent = [(parse(data), addr) for data, addr in endpoint.datagrams_to_send()]
    assert [(r.status, addr) for r, addr in sent] == [  # type: ignore[union-attr]
        (100, A),
        (100, ("192.0.2.99", 5060)),
        (482, ("192.0.2.99", 5060)),
    ]
    # once the first is over, the same Call-ID, From tag and CSeq is a new request again
    endpoint.send(endpoint.response(parse(first), 486), now=0.2)  # type: ignore[arg-type]
    endpoint.handle_timer(now=100.0)
    endpoint.datagrams_to_send()
    events(endpoint)
    third = first.replace(b"branch=z9hG4bKkdjuw380234", b"branch=z9hG4bKlater")
    endpoint.receive_datagram(third, A, now=101.0)
    assert [type(e) for e in events(endpoint)] == [RequestReceived]
