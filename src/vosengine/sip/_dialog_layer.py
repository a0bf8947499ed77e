"""The endpoint's dialog work (RFC 3261 §12-§13): the dialogs its INVITEs make on either
side, the ACK of a 2xx, the retransmission of its own 2xx until the ACK comes, and the end of
dialogs. A part of :class:`~vosengine.sip.Endpoint`, kept apart because it is one
responsibility; it shares the endpoint's state and is not used alone."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .._checks import check_rows, check_type
from ._dialogs import Dialog, DialogId, DialogState
from ._errors import LocalProtocolError
from ._events import Addr, DialogChanged, Event
from ._message import Request, Response
from ._stateless import MAGIC, TxKey, tag_of
from ._transactions import TimerConfig, Transaction

__all__ = ["DialogLayer", "Pending2xx", "Tx", "dialog_id_of"]


class Tx:
    """A transaction with what the endpoint keeps for it."""

    __slots__ = ("acks", "addr", "cancel", "ended", "key", "last", "request", "tag", "tx", "wire")

    def __init__(self, tx: Transaction, key: TxKey, request: Request, addr: Addr) -> None:
        self.tx = tx
        self.key = key
        self.request = request
        self.wire = b""  # the request as sent (client)
        self.addr = addr
        self.last: bytes | None = None  # the last response sent (server)
        self.tag = ""  # our To tag (server)
        self.acks: dict[str, bytes] = {}  # remote tag -> the ACK for its 2xx (INVITE client)
        self.cancel: Request | None = None  # the CANCEL the host asked for (INVITE client)
        self.ended: set[str] = set()  # remote tags of early dialogs the host ended with BYE


class Pending2xx:
    """A 2xx we sent to an INVITE, retransmitted until its ACK arrives (§13.3.1.4), and the
    host's BYE held until then (§15: the callee does not send BYE before the ACK)."""

    __slots__ = ("addr", "deadline", "give_up", "held", "interval", "key", "wire")

    def __init__(
        self, key: tuple[DialogId, int], wire: bytes, addr: Addr, now: float, t1: float
    ) -> None:
        self.key = key
        self.wire = wire
        self.addr = addr
        self.interval = t1
        self.deadline = now + t1
        self.give_up = now + 64 * t1
        self.held: tuple[Request, Addr] | None = None


class DialogLayer:
    """The dialog half of the endpoint (a mixin: the state is the endpoint's)."""

    host: str
    port: int
    transport: str
    config: TimerConfig
    max_dialogs: int
    _rng: random.Random
    _dialogs: dict[DialogId, Dialog]
    _pending: dict[tuple[DialogId, int], Pending2xx]
    _events: deque[Event]
    _out: list[tuple[bytes, Addr]]
    _timers: list[tuple[float, int, object, object]]
    _seq: itertools.count[int]

    @property
    def dialogs(self) -> Mapping[DialogId, Dialog]:
        """The dialogs in progress (early and confirmed), by id; read-only."""
        return MappingProxyType(self._dialogs)

    def new_tag(self) -> str:
        return f"{self._rng.getrandbits(48):012x}"

    def dialog_request(
        self,
        dialog: DialogId,
        method: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Request:
        """The next request in ``dialog`` (BYE, re-INVITE, OPTIONS, INFO ...), built from its
        state with the next local CSeq. Send it with :meth:`send`."""
        found = self._dialog(dialog)
        if method in ("ACK", "CANCEL"):
            raise LocalProtocolError(f"{method}: the endpoint sends ACK and CANCEL itself")
        extra = check_rows(headers, "headers", 2)
        if method == "INVITE":
            extra.append(("Contact", self._contact()))
        return found.build_request(method, via=self._via(), headers=tuple(extra), body=body)

    # -- dialogs -------------------------------------------------------------------------

    def _uac_dialog(self, entry: Tx, response: Response, now: float) -> DialogId | None:
        """Dialog work for a response to our INVITE, and the ACK of a 2xx (sent again for
        each retransmission of it)."""
        request = entry.request
        status = response.status
        if status >= 300:
            self._fail_early(request, local_tag=tag_of(request.from_), reason=str(status))
            return None
        tag = tag_of(response.to)
        if not tag or status == 100:
            return None
        dialog_id = DialogId(request.call_id or "", tag_of(request.from_), tag)
        if status >= 200 and tag not in entry.acks and (entry.cancel or tag in entry.ended):
            self._hang_up(entry, response, dialog_id, now)  # the host ended this call already
            return None
        dialog = self._dialogs.get(dialog_id)
        if dialog is None:
            if len(self._dialogs) >= self.max_dialogs:
                return None
            dialog = self._dialogs[dialog_id] = Dialog.as_uac(request, response, entry.addr)
            self._events.append(DialogChanged(dialog_id, dialog.state, str(status)))
        elif status >= 200:
            early = dialog.state is DialogState.EARLY
            dialog.confirm(response)  # a re-INVITE's 2xx refreshes the target
            if early:
                self._events.append(DialogChanged(dialog_id, dialog.state, str(status)))
        if status >= 200:
            wire = entry.acks.get(tag)
            if wire is None:
                cseq = request.cseq.number  # type: ignore[union-attr]
                ack = dialog.build_request("ACK", via=self._via(), cseq=cseq)
                wire = entry.acks[tag] = ack._freeze()
            self._out.append((wire, dialog.addr))
        return dialog_id

    def _hang_up(self, entry: Tx, response: Response, dialog_id: DialogId, now: float) -> None:
        """A 2xx for a call the host cancelled, or whose early dialog it ended with BYE: the
        2xx is acknowledged and the dialog it made ended at once with a BYE (§9.1, §15)."""
        early = self._dialogs.get(dialog_id)
        if early is not None:
            self._end(early, "cancelled" if entry.cancel else "BYE sent")
        dialog = Dialog.as_uac(entry.request, response, entry.addr)  # never kept
        cseq = entry.request.cseq.number  # type: ignore[union-attr]
        ack = dialog.build_request("ACK", via=self._via(), cseq=cseq)
        wire = entry.acks[dialog_id.remote_tag] = ack._freeze()
        self._out.append((wire, dialog.addr))
        self._launch(dialog.build_request("BYE", via=self._via()), dialog.addr, now)

    def _uas_dialog(self, entry: Tx, response: Response, now: float) -> None:
        request, status = entry.request, response.status
        to = response.to
        assert to is not None
        assert to.tag
        dialog_id = DialogId(request.call_id or "", to.tag, tag_of(request.from_))
        dialog = self._dialogs.get(dialog_id)
        if dialog is None:
            if len(self._dialogs) >= self.max_dialogs:
                raise LocalProtocolError(f"{self.max_dialogs} dialogs in progress")
            dialog = self._dialogs[dialog_id] = Dialog.as_uas(request, response, entry.addr)
            self._events.append(DialogChanged(dialog_id, dialog.state, str(status)))
        elif status >= 200 and dialog.state is DialogState.EARLY:
            dialog.confirm(response)
            self._events.append(DialogChanged(dialog_id, dialog.state, str(status)))
        if status >= 200:
            dialog.invite_cseq = request.cseq.number  # type: ignore[union-attr]
            key = (dialog_id, dialog.invite_cseq)
            pending = Pending2xx(key, response.serialize(), entry.addr, now, self.config.t1)
            if self.config.reliable:  # nothing to retransmit: only wait for the ACK
                pending.deadline = pending.give_up
            self._pending[key] = pending
            heapq.heappush(self._timers, (pending.deadline, next(self._seq), pending, None))

    def _retransmit_2xx(self, pending: Pending2xx, now: float) -> None:
        if now >= pending.give_up:
            del self._pending[pending.key]
            self._release(pending, now, acked=False)
            return
        self._out.append((pending.wire, pending.addr))
        pending.interval = min(2 * pending.interval, self.config.t2)
        pending.deadline = min(now + pending.interval, pending.give_up)
        heapq.heappush(self._timers, (pending.deadline, next(self._seq), pending, None))

    def _release(self, pending: Pending2xx, now: float, *, acked: bool) -> None:
        """The 2xx is acknowledged, or given up on (§13.3.1.4: then the session ends with a
        BYE). A BYE the host sent meanwhile goes now."""
        if pending.held is not None:
            self._launch(*pending.held, now)
            return
        dialog = self._dialogs.get(pending.key[0])
        if not acked and dialog is not None:
            bye = dialog.build_request("BYE", via=self._via())
            self._end(dialog, "no ACK for the 2xx")
            self._launch(bye, dialog.addr, now)

    def _launch(self, request: Request, addr: Addr, now: float) -> None:
        """Start a client transaction for ``request`` (the endpoint's)."""
        raise NotImplementedError

    def _fail_early(self, invite: Request, *, local_tag: str, reason: str) -> None:
        """End the early dialogs an INVITE made, once it failed."""
        call_id = invite.call_id
        for dialog in list(self._dialogs.values()):
            if (
                dialog.state is DialogState.EARLY
                and dialog.id.call_id == call_id
                and dialog.id.local_tag == local_tag
            ):
                self._end(dialog, reason)

    def _end(self, dialog: Dialog, reason: str) -> None:
        dialog.state = DialogState.TERMINATED
        self._dialogs.pop(dialog.id, None)
        # a 2xx awaiting its ACK goes on being retransmitted: it is the INVITE's reliability,
        # and without it a caller whose 2xx was lost would wait for its final response forever
        self._events.append(DialogChanged(dialog.id, DialogState.TERMINATED, reason))

    def _dialog_of(self, message: Request, *, local: bool) -> Dialog | None:
        """The dialog of a request we send (``local``: From holds our tag) or receive."""
        sender, receiver = message.from_, message.to
        if sender is None or receiver is None or not receiver.tag:
            return None
        ours, theirs = (sender.tag, receiver.tag) if local else (receiver.tag, sender.tag)
        return self._dialogs.get(DialogId(message.call_id or "", ours or "", theirs or ""))

    def _dialog(self, dialog: DialogId) -> Dialog:
        try:
            found = self._dialogs.get(dialog)
        except TypeError:
            found = None
        if found is None:
            check_type(dialog, DialogId, "dialog")
            raise LocalProtocolError(f"no dialog {dialog!r} in progress")
        return found

    def _via(self) -> str:
        """A top Via of this endpoint with a new branch."""
        return f"SIP/2.0/{self.transport} {self.host}:{self.port};branch={self._branch()}"

    def _branch(self) -> str:
        return f"{MAGIC}{self._rng.getrandbits(64):016x}"

    def _contact(self) -> str:
        return f"<sip:{self.host}:{self.port};transport={self.transport.lower()}>"


def dialog_id_of(request: Request) -> DialogId | None:
    """The id of the dialog a request we sent belongs to (None without a To tag)."""
    tag = tag_of(request.to)
    return DialogId(request.call_id or "", tag_of(request.from_), tag) if tag else None
