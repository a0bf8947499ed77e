"""What an :class:`~vosengine.sip.Endpoint` tells its host: frozen event values, read one at
a time with ``Endpoint.next_event()``."""

from __future__ import annotations

import attrs

from ._dialogs import DialogId, DialogState
from ._errors import ProtocolError
from ._message import Request, Response

__all__ = [
    "Addr",
    "BadMessage",
    "CallCancelled",
    "DialogChanged",
    "Event",
    "RequestReceived",
    "ResponseReceived",
    "TransactionTimedOut",
]

Addr = tuple[str, int]


@attrs.frozen
class RequestReceived:
    """A new request for the host to answer with ``Endpoint.send(Endpoint.response(...))``.
    ``dialog`` is the dialog it belongs to (None out of dialog). An INVITE has already had
    its 100 Trying; retransmissions are answered by the endpoint and never show up here."""

    request: Request
    addr: Addr
    dialog: DialogId | None


@attrs.frozen
class ResponseReceived:
    """A response to a request the host sent (``request``, as it was sent). Retransmitted
    responses are absorbed, except a 2xx to an INVITE, which the endpoint acknowledges again
    and does not report twice."""

    response: Response
    request: Request
    dialog: DialogId | None


@attrs.frozen
class TransactionTimedOut:
    """No final response came for ``request`` (timer B or F), or no ACK for the non-2xx
    final response this endpoint sent to it (timer H). Treat it as a 408."""

    request: Request


@attrs.frozen
class CallCancelled:
    """The peer cancelled ``invite`` before its final response, with ``cancel``: a CANCEL, or
    a BYE on the early dialog (RFC 3261 §15.1.2). The endpoint answered it with 200 and the
    INVITE with 487; the host must not answer the INVITE any more."""

    invite: Request
    cancel: Request


@attrs.frozen
class DialogChanged:
    """A dialog was created (``EARLY`` or ``CONFIRMED``), confirmed, or ended. ``reason`` says
    why: the status of the response that made or confirmed it (``"180"``, ``"200"``), or
    what ended it (``"BYE received"``, ``"BYE sent"``, ``"487"``, ``"timeout"``, ``"no ACK for
    the 2xx"``)."""

    dialog: DialogId
    state: DialogState
    reason: str


@attrs.frozen
class BadMessage:
    """Bytes from ``addr`` that broke the protocol. ``answered`` says whether the endpoint sent
    an error response (it does whenever it can read the headers a response needs); otherwise
    they were dropped. The error's ``status`` is the status answered (or that would have
    been)."""

    addr: Addr
    error: ProtocolError
    answered: bool


Event = (
    RequestReceived
    | ResponseReceived
    | TransactionTimedOut
    | CallCancelled
    | DialogChanged
    | BadMessage
)
