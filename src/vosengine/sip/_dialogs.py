"""Dialogs (RFC 3261 §12): the peer-to-peer relationship an INVITE creates.

A :class:`Dialog` is identified by Call-ID, local tag and remote tag (:class:`DialogId`) and
keeps what in-dialog requests need: the local and remote URIs, the remote target (the peer's
Contact), the route set (from Record-Route: reversed on the side that sent the INVITE), and
both CSeq counters. It is ``EARLY`` from a provisional response with a To tag, ``CONFIRMED``
from a 2xx, and ``TERMINATED`` by a BYE, a failure, a CANCEL or a lost ACK.

The endpoint owns its dialogs and changes them; a host reads them (``Endpoint.dialog``) and
builds in-dialog requests through ``Endpoint.dialog_request``.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

import attrs

from .._checks import check_type
from ._errors import LocalProtocolError
from ._headers import parse_name_addrs
from ._message import Request, Response
from ._parse import check_request_uri
from ._uri import parse_uri

__all__ = ["Dialog", "DialogId", "DialogRole", "DialogState", "dialog_headers"]


class DialogState(enum.Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class DialogRole(enum.Enum):
    UAC = "UAC"  # this endpoint sent the INVITE
    UAS = "UAS"  # this endpoint received it


class DialogId(NamedTuple):
    call_id: str
    local_tag: str
    remote_tag: str


def dialog_headers(message: Request | Response) -> tuple[tuple[str, ...], str | None]:
    """The Record-Route entries (each a name-addr, as text) and the Contact URI of a message
    that makes or refreshes a dialog, each checked to be a URI a request can go to;
    :class:`~vosengine.sip.ParseError` naming the header otherwise. The endpoint reads them
    before the message moves any state."""
    routes = []
    for value in message.headers("Record-Route"):
        for item in parse_name_addrs(value, "Record-Route"):
            parse_uri(item.uri_text, where="Record-Route")
            check_request_uri(item.uri_text, "Record-Route")  # a strict router's is one
            routes.append(str(item))
    contacts = message.contacts
    target = contacts[0].uri_text if contacts else None
    if target is not None:
        parse_uri(target, where="Contact")
        check_request_uri(target, "Contact")
    return tuple(routes), target


def _loose(route: str) -> bool:
    """Whether a route entry is a loose router (its URI has ``lr``), as RFC 3261 ones are."""
    uri = parse_uri(route.partition("<")[2].rpartition(">")[0])
    return any(name == "lr" for name, _ in getattr(uri, "params", ()))


@attrs.define(eq=False)
class Dialog:
    """One dialog's state. Changed only by its endpoint; not thread-safe."""

    id: DialogId
    role: DialogRole
    state: DialogState
    local_uri: str
    remote_uri: str
    remote_target: str
    route_set: tuple[str, ...]
    local_cseq: int
    remote_cseq: int | None
    #: where the peer's messages come from: in-dialog requests go there by default
    addr: tuple[str, int]
    #: the CSeq number of the INVITE that created or last refreshed the dialog
    invite_cseq: int

    @classmethod
    def as_uac(cls, request: Request, response: Response, addr: tuple[str, int]) -> Dialog:
        """The dialog a provisional (with To tag) or 2xx response to our INVITE creates."""
        _check_pair(request, response, addr, our_tag=True)
        assert request.from_ is not None
        assert response.to is not None
        assert request.cseq
        to_tag = response.to.tag
        assert to_tag is not None
        assert request.from_.tag is not None
        routes, target = dialog_headers(response)
        return cls(
            id=DialogId(request.call_id or "", request.from_.tag, to_tag),
            role=DialogRole.UAC,
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
            local_uri=request._index["from"][0],
            remote_uri=response._index["to"][0],
            remote_target=target or request.uri_text,
            route_set=tuple(reversed(routes)),
            local_cseq=request.cseq.number,
            remote_cseq=None,
            addr=addr,
            invite_cseq=request.cseq.number,
        )

    @classmethod
    def as_uas(cls, request: Request, response: Response, addr: tuple[str, int]) -> Dialog:
        """The dialog our provisional (with To tag) or 2xx response to an INVITE creates."""
        _check_pair(request, response, addr, our_tag=False)
        assert request.from_ is not None
        assert response.to is not None
        assert request.cseq
        local_tag = response.to.tag
        assert local_tag is not None
        routes, target = dialog_headers(request)
        return cls(
            id=DialogId(request.call_id or "", local_tag, request.from_.tag or ""),
            role=DialogRole.UAS,
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
            local_uri=response._index["to"][0],
            remote_uri=request._index["from"][0],
            remote_target=target or str(request.from_.uri_text),
            route_set=routes,
            local_cseq=0,
            remote_cseq=request.cseq.number,
            addr=addr,
            invite_cseq=request.cseq.number,
        )

    def confirm(self, message: Request | Response) -> None:
        """A 2xx (UAC) or our 2xx (UAS) confirms the dialog; its Contact refreshes the
        remote target (a re-INVITE's 2xx does too)."""
        self.state = DialogState.CONFIRMED
        if self.role is DialogRole.UAC and isinstance(message, Response):
            routes, target = dialog_headers(message)
            if target is not None:
                self.remote_target = target
            if not self.route_set and message.status < 300:
                self.route_set = tuple(reversed(routes))

    def build_request(
        self,
        method: str,
        *,
        via: str,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        cseq: int | None = None,
    ) -> Request:
        """An in-dialog request (§12.2.1.1) with the top Via ``via``: Request-URI the remote
        target, Route the route set, From and To with both tags, the dialog's Call-ID, and the
        next local CSeq (or ``cseq``: an ACK reuses the INVITE's)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        uri = self.remote_target
        routes = list(self.route_set)
        if routes and not _loose(routes[0]):  # a strict router: RFC 3261 §12.2.1.1
            uri = routes[0].partition("<")[2].rpartition(">")[0]
            routes = [*routes[1:], f"<{self.remote_target}>"]
        fields: list[tuple[str, str]] = [("Via", via)]
        fields += [("Route", route) for route in routes]
        fields += [
            ("From", self.local_uri),
            ("To", self.remote_uri),
            ("Call-ID", self.id.call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Max-Forwards", "70"),
            *headers,
        ]
        return Request(method, uri, fields=fields, body=body)


def _check_pair(request: Request, response: Response, addr: object, *, our_tag: bool) -> None:
    """What a dialog is made of is there: a request with From (and, for our INVITE, its tag)
    and CSeq, a response with a To tag (``addr`` is the host's, as it gave it); else
    :class:`LocalProtocolError`."""
    check_type(request, Request, "request"), check_type(response, Response, "response")
    if (
        request.from_ is None
        or not request.cseq
        or response.to is None
        or response.to.tag is None
        or (our_tag and request.from_.tag is None)
    ):
        raise LocalProtocolError(
            "a dialog needs the request's From (with its tag on our side) and CSeq, and the"
            " response's To tag"
        )
