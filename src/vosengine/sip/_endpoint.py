"""The sans-IO SIP endpoint: the parser, the four transaction machines and dialogs behind one
object that takes bytes, addresses and a clock, and gives back events and bytes to send.

    receive_datagram(data, addr, now=)  ->  next_event()          the host's inbox
    send(message, addr=, now=)          ->  datagrams_to_send()   the host's outbox
    next_deadline() / handle_timer(now=)                          one timer for everything

The endpoint is a user agent core (RFC 3261 §8, §12-§17): it answers retransmissions from
its transactions, sends 100 Trying for an INVITE, acknowledges every final response to an
INVITE (a non-2xx in the transaction, a 2xx in the dialog, again for each retransmission),
retransmits its own 2xx until the ACK comes (a BYE the host sends meanwhile waits for it,
§15; no ACK at all ends the session with a BYE), answers BYE, CANCEL (200, and 487 for the
INVITE), requests outside any dialog it knows (481), the same request by a second path
(482), stale in-dialog CSeqs (500) and UPDATE (501, politely, with Allow); everything else is
the host's to answer.

**Bad bytes never raise.** A request that does not parse or lacks what the RFC requires is
answered with the error's status whenever Via, From, To, Call-ID and CSeq can be read (the
response goes back to the source address, statelessly); anything else is dropped and counted
in :attr:`Endpoint.dropped`. Either way a :class:`~vosengine.sip.BadMessage` event tells the
host (to feed a blacklist, say). Misuse by the host raises
:class:`~vosengine.sip.LocalProtocolError` and changes nothing.

Responses go to the address the request came from (what ``rport`` asks for, and what NATed
peers need); requests go to the address the host names, or in a dialog to where the peer's
messages come from. No DNS, no sockets, no clock: the host does those.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Iterable

from .._checks import check_rows, check_type
from .._time import check_seconds
from ._dialog_layer import DialogLayer, Pending2xx, Tx, dialog_id_of
from ._dialogs import Dialog, DialogId, DialogRole, DialogState, dialog_headers
from ._errors import LocalProtocolError, ParseError, ProtocolError
from ._events import (
    Addr,
    BadMessage,
    CallCancelled,
    Event,
    RequestReceived,
    ResponseReceived,
    TransactionTimedOut,
)
from ._message import Request, Response, make_response
from ._parse import parse
from ._stateless import (
    MAGIC,
    TAG,
    TxKey,
    cancel_of,
    dialog_id_of_uac,
    error_answer,
    makes_dialog,
    merge_key,
    non_2xx_ack,
    salvaged_answer,
    tag_of,
    transaction_key,
)
from ._transactions import (
    T1,
    T2,
    T4,
    TimerConfig,
    Transaction,
    TransactionAction,
    TransactionError,
    TransactionInput,
    TransactionKind,
    TransactionState,
    TransactionTimer,
    input_of_status,
)

__all__ = ["ALLOW", "MAX_DIALOGS", "MAX_TRANSACTIONS", "Endpoint"]

#: the most transactions (of each side) and dialogs an endpoint keeps; beyond, new requests
#: are answered 503 and the host's new requests refused
MAX_TRANSACTIONS = 65_536
MAX_DIALOGS = 65_536
#: the methods the endpoint handles (the Allow header of its 501 to UPDATE)
ALLOW = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS")
_CLIENT_KINDS = frozenset({TransactionKind.INVITE_CLIENT, TransactionKind.NON_INVITE_CLIENT})
_RELIABLE = frozenset({"TCP", "TLS", "SCTP", "WS", "WSS"})


class Endpoint(DialogLayer):
    """A SIP user agent core without I/O. ``host``/``port`` are what it writes in Via and
    Contact; ``transport`` decides the timers (UDP retransmits; TCP and TLS do not);
    ``t1``, ``t2``, ``t4`` are RFC 3261's. ``rng`` makes tags, branches and Call-IDs.

    Not thread-safe: one owner drives it (an event loop, or a lock around every call)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        transport: str = "UDP",
        t1: float = T1,
        t2: float = T2,
        t4: float = T4,
        rng: random.Random | None = None,
        max_transactions: int = MAX_TRANSACTIONS,
        max_dialogs: int = MAX_DIALOGS,
    ) -> None:
        if not isinstance(host, str) or not host or any(c in host for c in " \t\r\n;,<>"):
            raise LocalProtocolError(f"host: {host!r} is not a host name or address")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65_536:
            raise LocalProtocolError(f"port: {port!r} is not a port number")
        if not isinstance(transport, str) or not transport.isalnum():
            raise LocalProtocolError(f"transport: {transport!r} is not a transport name")
        for name, limit in (("max_transactions", max_transactions), ("max_dialogs", max_dialogs)):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise LocalProtocolError(f"{name}: expected a positive int, got {limit!r}")
        self.host, self.port, self.transport = host, port, transport.upper()
        self.config = TimerConfig(t1=t1, t2=t2, t4=t4, reliable=self.transport in _RELIABLE)
        self.max_transactions, self.max_dialogs = max_transactions, max_dialogs
        self._rng = rng if rng is not None else random.Random()
        self._client: dict[TxKey, Tx] = {}
        self._server: dict[TxKey, Tx] = {}
        self._dialogs: dict[DialogId, Dialog] = {}
        self._pending: dict[tuple[DialogId, int], Pending2xx] = {}
        # (Call-ID, From tag, CSeq, method) of each request outside a dialog in progress, to
        # tell the same request arriving by two paths (merged requests) from a new one
        self._requests: dict[tuple[str, str, int, str], TxKey] = {}
        self._events: deque[Event] = deque()
        self._out: list[tuple[bytes, Addr]] = []
        self._timers: list[tuple[float, int, object, object]] = []
        self._seq = itertools.count()
        #: datagrams dropped as hopeless (no response could be built), and stray responses
        self.dropped = 0
        self.stray = 0

    # -- the host's side -----------------------------------------------------------------

    def next_event(self) -> Event | None:
        """The oldest event not yet read, or None."""
        return self._events.popleft() if self._events else None

    def datagrams_to_send(self) -> list[tuple[bytes, Addr]]:
        """Every datagram produced since the last call, with its destination, in order."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must be called next (monotonic seconds), or None."""
        timers = self._timers
        while timers and not self._live(timers[0]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def handle_timer(self, *, now: float) -> None:
        """Fire every timer due at ``now``."""
        now = check_seconds(now)
        timers = self._timers
        while timers and timers[0][0] <= now:
            entry = heapq.heappop(timers)
            if not self._live(entry):
                continue
            _, _, owner, timer = entry
            if isinstance(owner, Pending2xx):
                self._retransmit_2xx(owner, now)
            else:
                assert isinstance(owner, Tx)
                assert isinstance(timer, TransactionTimer)
                self._step(owner, timer.input, now, fired=timer)

    # -- building messages ---------------------------------------------------------------

    def request(
        self,
        method: str,
        uri: str,
        *,
        from_: str,
        to: str,
        call_id: str | None = None,
        cseq: int = 1,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Request:
        """A request outside any dialog: ``from_`` gets a fresh tag unless it has one, a
        Call-ID is made unless given, an INVITE gets this endpoint's Contact. Send it with
        :meth:`send`. To retry a request with credentials (after 401 or 407), pass the first
        one's From (with its tag), its Call-ID and the next CSeq (RFC 3261 §8.1.3.5)."""
        if not isinstance(from_, str) or not isinstance(to, str):
            raise LocalProtocolError("from_ and to: expected the header values as str")
        if not TAG.search(from_):
            from_ = f"{from_};tag={self.new_tag()}"
        if call_id is None:
            call_id = f"{self._rng.getrandbits(96):024x}@{self.host}"
        fields = [
            ("Via", self._via()),
            ("From", from_),
            ("To", to),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Max-Forwards", "70"),
        ]
        if method == "INVITE":
            fields.append(("Contact", self._contact()))
        return Request(method, uri, fields=[*fields, *check_rows(headers, "headers", 2)], body=body)

    def response(
        self,
        request: Request,
        status: int,
        *,
        reason: str = "",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Response:
        """The response to a request the endpoint reported: this transaction's To tag, and for
        a response that makes a dialog (101-299 to an INVITE) Record-Route copied and this
        endpoint's Contact. Send it with :meth:`send`."""
        check_type(request, Request, "request")
        entry = self._server.get(self._key(request, LocalProtocolError))
        if entry is None:
            raise LocalProtocolError(f"{request!r} is no request this endpoint is answering")
        extra = check_rows(headers, "headers", 2)
        if request.method == "INVITE" and 100 < status < 300:
            extra = [("Record-Route", value) for value in request.headers("Record-Route")] + extra
            if not any(name.lower() in ("contact", "m") for name, _ in extra):
                extra.append(("Contact", self._contact()))
        tag = self._to_tag(entry, status)
        return make_response(request, status, reason=reason, to_tag=tag, headers=extra, body=body)

    def cancel(self, invite: Request, *, now: float) -> bool:
        """Cancel an INVITE this endpoint sent (§9.1): the CANCEL goes at once after the first
        provisional response, or as soon as one arrives. False when there is nothing left to
        cancel: the INVITE has its final response (a host cannot know it raced one), or it
        was cancelled already."""
        now = check_seconds(now)
        if not isinstance(invite, Request) or invite.method != "INVITE":
            raise LocalProtocolError(f"invite: expected an INVITE request, got {invite!r}")
        entry = self._client.get(self._key(invite, LocalProtocolError))
        if (
            entry is None
            or entry.tx.state not in (TransactionState.CALLING, TransactionState.PROCEEDING)
            or entry.cancel is not None
        ):
            return False
        entry.cancel = cancel_of(invite)
        if entry.tx.state is TransactionState.PROCEEDING:
            self._send_cancel(entry, now)
        return True

    # -- sending -------------------------------------------------------------------------

    def send(
        self, message: Request | Response, *, addr: Addr | None = None, now: float
    ) -> Request | Response:
        """Send a request (a new client transaction; ``addr`` is required outside a dialog)
        or a response (to the server transaction of its request). The bytes appear in
        :meth:`datagrams_to_send`. Returns the message as sent: a request without Via gets
        this endpoint's, with a new branch (the builders add it already)."""
        now = check_seconds(now)
        if isinstance(message, Response):
            self._send_response(message, now)
            return message
        if isinstance(message, Request):
            return self._send_request(message, addr, now)
        raise LocalProtocolError(f"message: expected a Request or Response, got {message!r}")

    def _send_request(self, request: Request, addr: Addr | None, now: float) -> Request:
        if request.method in ("ACK", "CANCEL"):
            raise LocalProtocolError(f"{request.method}: the endpoint sends ACK and CANCEL itself")
        if "via" not in request._index:
            request = Request(
                request.method,
                request.uri_text,
                fields=[("Via", self._via()), *((n, value) for _, n, value in request.fields)],
                body=request.body,
            )
        try:
            request.validate()
        except ParseError as error:
            raise LocalProtocolError(f"request: {error}") from None
        branch = request.top_via.branch if request.top_via else None
        if not branch or not branch.startswith(MAGIC):
            raise LocalProtocolError(f"Via branch {branch!r} does not start with {MAGIC}")
        key = self._key(request, LocalProtocolError)
        if key in self._client:
            raise LocalProtocolError(f"branch {branch} is in use by another transaction")
        dialog = self._dialog_of(request, local=True)
        if addr is None:
            if dialog is None:
                raise LocalProtocolError("addr: required for a request outside a dialog")
            addr = dialog.addr
        if len(self._client) >= self.max_transactions:
            raise LocalProtocolError(f"{self.max_transactions} client transactions in progress")
        if dialog is not None and request.method == "BYE":
            if dialog.role is DialogRole.UAS and dialog.state is DialogState.EARLY:
                raise LocalProtocolError(
                    "BYE: the callee may not end an early dialog (RFC 3261 §15); answer the "
                    "INVITE with a final response instead"
                )
            if dialog.role is DialogRole.UAC and dialog.state is DialogState.EARLY:
                for invite in self._client.values():  # its INVITE: a 2xx for it ends at once
                    if invite.request.method == "INVITE" and dialog_id_of_uac(invite.request) == (
                        dialog.id.call_id,
                        dialog.id.local_tag,
                    ):
                        invite.ended.add(dialog.id.remote_tag)
            waiting = [p for k, p in self._pending.items() if k[0] == dialog.id]
            if waiting:  # our 2xx awaits its ACK: the BYE waits for it too (§15)
                waiting[0].held = (request, addr)
            self._end(dialog, "BYE sent")
            if waiting:
                return request
        self._launch(request, addr, now)
        return request

    def _launch(self, request: Request, addr: Addr, now: float) -> None:
        kind = (
            TransactionKind.INVITE_CLIENT
            if request.method == "INVITE"
            else TransactionKind.NON_INVITE_CLIENT
        )
        key = transaction_key(request)
        entry = Tx(Transaction(kind, self.config), key, request, addr)
        entry.wire = request._freeze()
        self._client[key] = entry
        self._step(entry, TransactionInput.SEND_REQUEST, now)

    def _send_response(self, response: Response, now: float) -> None:
        key = self._key(response, LocalProtocolError)
        entry = self._server.get(key)
        if entry is None:
            raise LocalProtocolError(f"{response!r} answers no request in progress here")
        input_ = input_of_status(response.status, sent=True)
        if not entry.tx.allows(input_):
            raise LocalProtocolError(
                f"{response.status} to {entry.request.method}: the transaction is "
                f"{entry.tx.state.value} and cannot send it"
            )
        request = entry.request
        if request.method == "INVITE" and 100 < response.status < 300:
            to = response.to
            if to is None or not to.tag:
                raise LocalProtocolError(
                    f"a {response.status} to an INVITE needs a To tag: build it with "
                    "Endpoint.response"
                )
        self._respond(entry, response, now)

    def _respond(self, entry: Tx, response: Response, now: float) -> None:
        """Send ``response`` in ``entry``'s server transaction, the host's or the endpoint's
        own: the dialog an INVITE's answer makes or ends, then the transaction's step."""
        request, status = entry.request, response.status
        if request.method == "INVITE" and 100 < status < 300:
            self._uas_dialog(entry, response, now)
        elif request.method == "INVITE" and status >= 300:
            self._fail_early(request, local_tag=entry.tag, reason=str(status))
        entry.last = response._freeze()
        self._step(entry, input_of_status(status, sent=True), now)

    # -- receiving -----------------------------------------------------------------------

    def receive_datagram(self, data: bytes, addr: Addr, *, now: float) -> None:
        """Handle one datagram from ``addr``. Never raises for what the bytes hold."""
        now = check_seconds(now)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise LocalProtocolError(f"data: expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if not data.strip(b"\r\n"):
            return  # a keep-alive
        try:
            message = parse(data)
        except ParseError as error:
            self._answer_bad(salvaged_answer(data, error.status, self.new_tag()), error, addr)
            return
        try:
            message.validate()
            transaction_key(message)
            if makes_dialog(message):
                dialog_headers(message)
        except ParseError as error:
            answer = None
            if isinstance(message, Request):
                answer = error_answer(message, error.status, self.new_tag())
            self._answer_bad(answer, error, addr)
            return
        try:
            if isinstance(message, Request):
                self._on_request(message, addr, now)
            else:
                self._on_response(message, addr, now)
        except TransactionError as error:  # the peer broke a transaction's order
            self._events.append(BadMessage(addr, error, False))

    def _answer_bad(self, answer: Response | None, error: ProtocolError, addr: Addr) -> None:
        if answer is None:
            self.dropped += 1
        else:
            self._out.append((answer.serialize(), addr))
        self._events.append(BadMessage(addr, error, answer is not None))

    def _on_request(self, request: Request, addr: Addr, now: float) -> None:
        key = transaction_key(request)
        entry = self._server.get(key)
        if request.method == "ACK":
            if entry is not None and TransactionAction.PASS not in self._step(
                entry, TransactionInput.RECV_ACK, now
            ):
                return
            self._on_ack(request, now)
            return
        if entry is not None:  # a retransmission
            self._step(entry, TransactionInput.RECV_REQUEST, now)
            return
        if len(self._server) >= self.max_transactions:
            busy = error_answer(request, 503, self.new_tag())
            if busy is not None:
                self._out.append((busy.serialize(), addr))
            return
        kind = (
            TransactionKind.INVITE_SERVER
            if request.method == "INVITE"
            else TransactionKind.NON_INVITE_SERVER
        )
        entry = Tx(Transaction(kind, self.config), key, request, addr)
        self._server[key] = entry
        if request.method == "CANCEL":
            self._on_cancel(entry, now)
            return
        merge = merge_key(request)
        if merge is not None:
            if self._server.get(self._requests.get(merge, ())) is not None:
                self._answer(entry, 482, now, reason="Loop Detected")  # §8.2.2.2: forked twice
                return
            self._requests[merge] = key
        to = request.to
        dialog = None
        if to is not None and to.tag:
            dialog = self._dialog_of(request, local=False)
            if dialog is None:
                self._answer(entry, 481, now)
                return
            cseq = request.cseq.number  # type: ignore[union-attr]
            if dialog.remote_cseq is not None and cseq < dialog.remote_cseq:
                self._answer(entry, 500, now, reason="CSeq Out of Order")
                return
            dialog.remote_cseq = cseq
            dialog.addr = addr
        if request.method == "UPDATE":
            self._answer(entry, 501, now, headers=[("Allow", ", ".join(ALLOW))])
            return
        if dialog is not None and request.method == "BYE":
            early = dialog.state is DialogState.EARLY
            self._end(dialog, "BYE received")
            self._answer(entry, 200, now)
            if early:  # the INVITE still waits for its final response: 487 (§15.1.2)
                self._terminate_invite(dialog.id, request, now)
            return
        actions = self._step(entry, TransactionInput.RECV_REQUEST, now)
        if TransactionAction.PASS in actions:
            self._events.append(
                RequestReceived(request, addr, dialog.id if dialog is not None else None)
            )

    def _terminate_invite(self, dialog: DialogId, bye: Request, now: float) -> None:
        for entry in list(self._server.values()):
            request = entry.request
            if (
                request.method == "INVITE"
                and entry.tx.state is TransactionState.PROCEEDING
                and request.call_id == dialog.call_id
                and tag_of(request.from_) == dialog.remote_tag
            ):
                self._answer(entry, 487, now)
                self._events.append(CallCancelled(request, bye))

    def _on_ack(self, ack: Request, now: float) -> None:
        """An ACK for a 2xx: it stops the 2xx's retransmissions (and lets a held BYE go)."""
        dialog = DialogId(ack.call_id or "", tag_of(ack.to), tag_of(ack.from_))
        pending = self._pending.pop((dialog, ack.cseq.number), None)  # type: ignore[union-attr]
        if pending is None:
            self.stray += 1  # a retransmitted ACK, or one for nothing
            return
        self._release(pending, now, acked=True)

    def _on_cancel(self, entry: Tx, now: float) -> None:
        cancel = entry.request
        invite = self._server.get((*entry.key[:-1], "INVITE"))
        if invite is None:
            self._answer(entry, 481, now)
            return
        self._answer(entry, 200, now)
        if invite.tx.state is TransactionState.PROCEEDING:
            self._answer(invite, 487, now)
            self._events.append(CallCancelled(invite.request, cancel))

    def _on_response(self, response: Response, addr: Addr, now: float) -> None:
        entry = self._client.get(transaction_key(response))
        if entry is None:
            self.stray += 1  # RFC 3261 §18.1.2: discarded
            return
        request, status = entry.request, response.status
        invite = request.method == "INVITE"
        if invite and status >= 300 and "" not in entry.acks:
            entry.acks[""] = non_2xx_ack(request, response)
        ack = entry.acks.get(tag_of(response.to)) if invite and status < 300 else None
        actions = self._step(entry, input_of_status(status, sent=False), now)
        if TransactionAction.PASS not in actions:
            return
        if ack is not None:  # a 2xx again: acknowledged again (whatever became of the
            self._out.append((ack, entry.addr))  # dialog since), reported once
            return
        if invite:
            dialog_id = self._uac_dialog(entry, response, now)
            if status < 200 and entry.cancel is not None:
                self._send_cancel(entry, now)
        else:
            dialog_id = dialog_id_of(request)
        self._events.append(ResponseReceived(response, request, dialog_id))

    # -- transactions --------------------------------------------------------------------

    def _step(
        self,
        entry: Tx,
        input_: TransactionInput,
        now: float,
        *,
        fired: TransactionTimer | None = None,
    ) -> tuple[TransactionAction, ...]:
        tx = entry.tx
        try:
            actions = tx.fire(fired, now=now) if fired is not None else tx.step(input_, now=now)
        finally:
            if tx.state is TransactionState.TERMINATED:
                table = self._table_of(entry)
                if table.get(entry.key) is entry:
                    del table[entry.key]
                merge = merge_key(entry.request)
                if merge is not None and self._requests.get(merge) == entry.key:
                    del self._requests[merge]
                if tx.kind is TransactionKind.INVITE_CLIENT:  # §13.2.2.4: no final, no dialog
                    self._fail_early(
                        entry.request,
                        local_tag=tag_of(entry.request.from_),
                        reason="no final response",
                    )
        for action in actions:
            self._act(entry, action)
        for timer, at in tx.take_armed():
            heapq.heappush(self._timers, (at, next(self._seq), entry, timer))
        return actions

    def _act(self, entry: Tx, action: TransactionAction) -> None:
        out = self._out
        if action is TransactionAction.SEND_REQUEST or action is TransactionAction.RESEND_REQUEST:
            out.append((entry.wire, entry.addr))
        elif (
            action is TransactionAction.SEND_RESPONSE or action is TransactionAction.RESEND_RESPONSE
        ):
            if entry.last is not None:
                out.append((entry.last, entry.addr))
        elif action is TransactionAction.SEND_TRYING:
            entry.last = make_response(entry.request, 100)._freeze()
            out.append((entry.last, entry.addr))
        elif action is TransactionAction.SEND_ACK:
            out.append((entry.acks[""], entry.addr))
        elif action is TransactionAction.TIMEOUT:
            self._events.append(TransactionTimedOut(entry.request))

    def _answer(
        self,
        entry: Tx,
        status: int,
        now: float,
        *,
        reason: str = "",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """The endpoint's own answer in a server transaction (481, 487, 200 to BYE ...)."""
        if entry.tx.state is TransactionState.INITIAL:
            self._step(entry, TransactionInput.RECV_REQUEST, now)
        tag = self._to_tag(entry, status)
        response = make_response(
            entry.request, status, reason=reason, to_tag=tag, headers=headers or ()
        )
        self._respond(entry, response, now)

    def _send_cancel(self, entry: Tx, now: float) -> None:
        cancel = entry.cancel
        assert cancel is not None
        if transaction_key(cancel) not in self._client:
            self._launch(cancel, entry.addr, now)

    # -- small things --------------------------------------------------------------------

    def _table_of(self, entry: Tx) -> dict[TxKey, Tx]:
        """The client or server transactions, whichever ``entry`` is one of."""
        return self._client if entry.tx.kind in _CLIENT_KINDS else self._server

    def _live(self, entry: tuple[float, int, object, object]) -> bool:
        at, _, owner, timer = entry
        if isinstance(owner, Pending2xx):
            return owner.deadline == at and self._pending.get(owner.key) is owner
        assert isinstance(owner, Tx)
        assert isinstance(timer, TransactionTimer)
        table = self._table_of(owner)
        return table.get(owner.key) is owner and owner.tx.deadlines.get(timer) == at

    def _to_tag(self, entry: Tx, status: int) -> str | None:
        """The tag a response adds to To: none for 100 or when the request has one (a peer's
        tag is copied as it came, whatever its spelling)."""
        if status == 100 or tag_of(entry.request.to):
            return None
        return self._tag_of(entry)

    def _tag_of(self, entry: Tx) -> str:
        if not entry.tag:
            to = entry.request.to
            entry.tag = (to.tag if to is not None and to.tag else None) or self.new_tag()
        return entry.tag

    @staticmethod
    def _key(message: Request | Response, error: type[ProtocolError]) -> TxKey:
        try:
            message.validate()
            return transaction_key(message)
        except ParseError as problem:
            raise error(f"{message!r}: {problem}") from None
