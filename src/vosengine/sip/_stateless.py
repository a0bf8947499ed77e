"""The endpoint's rules about single messages, apart from any state: which transaction a
message belongs to (RFC 3261 §17.1.3 and §17.2.3) and which request it repeats (§8.2.2.2);
the error response to a request it cannot accept (§8.2, stateless), read from the raw
headers when the message did not even parse; and the messages made from another one (the
ACK of a non-2xx final response, a CANCEL)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._errors import LocalProtocolError, ParseError
from ._message import Message, Request, Response
from ._names import TOKEN_FULL, key_of
from ._values import NameAddr

__all__ = [
    "MAGIC",
    "TAG",
    "TxKey",
    "cancel_of",
    "dialog_id_of_uac",
    "error_answer",
    "makes_dialog",
    "merge_key",
    "non_2xx_ack",
    "salvaged_answer",
    "tag_of",
    "transaction_key",
]

#: the branch prefix of RFC 3261 (a branch without it comes from an RFC 2543 element)
MAGIC = "z9hG4bK"

TxKey = tuple[object, ...]

#: the headers every response copies from its request
_NEEDED = ("via", "from", "to", "call-id", "cseq")
#: a ``;tag=`` parameter in a From or To value as written
TAG = re.compile(r";\s*tag\s*=", re.I)
# the last word of a request line good enough to answer: a SIP version
_VERSION = re.compile(r"SIP/[0-9]+\.[0-9]+\Z", re.I)


def transaction_key(message: Message) -> TxKey:
    """The key of the transaction ``message`` belongs to; the same for a request and every
    response to it, and for an ACK to a non-2xx response and its INVITE.

    With an RFC 3261 branch: the branch, the top Via's sent-by and the CSeq method (INVITE
    for an ACK). Without one (RFC 2543): the top Via as sent, Call-ID, CSeq number, From tag
    and method. The message must have been validated (its Via, From, CSeq are readable)."""
    via = message.top_via
    cseq = message.cseq
    if via is None or cseq is None:
        raise ParseError("a message without Via or CSeq belongs to no transaction")
    method = "INVITE" if cseq.method == "ACK" else cseq.method
    branch = via.branch
    if branch and branch.startswith(MAGIC):
        return (branch, via.host.lower(), via.port, method)
    sender = message.from_
    return (None, str(via), message.call_id, cseq.number, sender and sender.tag, method)


def _with_tag(to: str, tag: str) -> str:
    return to if TAG.search(to) else f"{to};tag={tag}"


def error_answer(request: Request, status: int, tag: str) -> Response | None:
    """The error response to a request that parsed but is not acceptable, or None when the
    headers a response needs are missing (an ACK is never answered)."""
    if request.method == "ACK":
        return None
    return _answer(request._index, status, tag)


def salvaged_answer(data: bytes, status: int, tag: str) -> Response | None:
    """The error response to bytes that did not parse, built from the raw Via, From, To,
    Call-ID and CSeq lines; None when it is not a request (never answer a response or an
    ACK) or those lines are not all there."""
    end = data.find(b"\r\n\r\n")
    head = data if end == -1 else data[:end]
    text = head.decode("utf-8", "replace").replace("\r\n", "\n")
    text = re.sub(r"\n[ \t]+", " ", text)
    lines = text.lstrip("\n").split("\n")
    words = lines[0].split()  # a method token, something, a SIP version
    if len(words) < 3 or not _VERSION.match(words[-1]) or not TOKEN_FULL.match(words[0]):
        return None
    if words[0] == "ACK":
        return None
    found: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        try:
            key = key_of(name)
        except ParseError:
            continue
        if key in _NEEDED and "\r" not in value:
            found.setdefault(key, []).append(value.strip(" \t"))
    return _answer(found, status, tag)


def _answer(headers: Mapping[str, list[str]], status: int, tag: str) -> Response | None:
    """The response of ``status`` built from a request's raw header values (key -> values):
    every Via, the first From, To (with ``tag`` unless it has one), Call-ID and CSeq; None
    when one of them is missing."""
    if any(not headers.get(key) for key in _NEEDED):
        return None
    fields = [("Via", value) for value in headers["via"]]
    fields += [
        ("From", headers["from"][0]),
        ("To", _with_tag(headers["to"][0], tag)),
        ("Call-ID", headers["call-id"][0]),
        ("CSeq", headers["cseq"][0]),
    ]
    try:
        return Response(status, fields=fields)
    except LocalProtocolError:
        return None


def tag_of(value: NameAddr | None) -> str:
    """The tag of a From or To value ('' when it has none)."""
    return (value.tag if value is not None else None) or ""


def dialog_id_of_uac(invite: Request) -> tuple[str, str]:
    """The Call-ID and local tag of the dialogs an INVITE we sent makes."""
    return (invite.call_id or "", tag_of(invite.from_))


def merge_key(request: Request) -> tuple[str, str, int, str] | None:
    """What makes a request outside a dialog the same request whatever path it took (RFC
    3261 §8.2.2.2), or None for a request in a dialog or a CANCEL."""
    if tag_of(request.to) or request.method == "CANCEL" or request.cseq is None:
        return None
    return (request.call_id or "", tag_of(request.from_), request.cseq.number, request.method)


def makes_dialog(message: Request | Response) -> bool:
    """Whether a message makes or refreshes a dialog: an INVITE, or a 101-299 answer to one."""
    if isinstance(message, Request):
        return message.method == "INVITE"
    return (
        100 < message.status < 300
        and message.cseq is not None
        and (message.cseq.method == "INVITE")
    )


def non_2xx_ack(invite: Request, response: Response) -> bytes:
    """The ACK of a non-2xx final response (§17.1.1.3): the INVITE's Request-URI, top Via,
    Call-ID, From, CSeq number and Route, and the response's To."""
    index = invite._index
    fields = [("Via", index["via"][0])]
    fields += [("Route", value) for value in index.get("route", ())]
    fields += [
        ("From", index["from"][0]),
        ("To", response._index["to"][0]),
        ("Call-ID", index["call-id"][0]),
        ("CSeq", f"{invite.cseq.number} ACK"),  # type: ignore[union-attr]
        ("Max-Forwards", "70"),
    ]
    return Request("ACK", invite.uri_text, fields=fields)._freeze()


def cancel_of(invite: Request) -> Request:
    """The CANCEL of an INVITE we sent (§9.1): its Request-URI, top Via, Route, Call-ID, From,
    To and CSeq number."""
    index = invite._index
    fields = [("Via", index["via"][0])]
    fields += [("Route", value) for value in index.get("route", ())]
    fields += [(name, index[key][0]) for key, name in _COPIED]
    fields += [("CSeq", f"{invite.cseq.number} CANCEL"), ("Max-Forwards", "70")]  # type: ignore[union-attr]
    return Request("CANCEL", invite.uri_text, fields=fields)


_COPIED = (("call-id", "Call-ID"), ("from", "From"), ("to", "To"))
