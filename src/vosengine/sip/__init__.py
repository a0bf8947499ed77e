"""Sans-IO SIP: bytes, source address and ``now`` in; messages, decisions, events and bytes
out. No sockets, no clock reads, no threads.

* :func:`parse` / ``bytes(message)`` -- RFC 3261 messages, with :class:`StreamFramer` for TCP;
* :class:`DigestAuthenticator` / :func:`answer_challenge` -- RFC 7616 / RFC 8760 digest;
* :class:`Registrar` -- REGISTER handling with bindings, expiry, events and answers to
  retransmissions;
* :class:`Blacklist` -- the dynamic blacklist of failed authentications, bounded.
"""

from ._blacklist import Blacklist, BlockEntry
from ._digest import (
    ALGORITHMS,
    DigestAuthenticator,
    DigestOutcome,
    DigestResult,
    answer_challenge,
    digest_response,
    ha1,
)
from ._errors import LocalProtocolError, ParseError, ProtocolError
from ._message import Message, Request, Response, make_response
from ._parse import StreamFramer, parse
from ._registrar import (
    RETRANSMISSION_WINDOW,
    AuthMethod,
    Binding,
    CredentialStore,
    Registrar,
    RegistrarEvent,
    RegistrarEventKind,
    SipAccount,
)
from ._uri import SipUri, TelUri, Uri, parse_uri
from ._values import Challenge, CSeq, NameAddr, Via

__all__ = [
    "ALGORITHMS",
    "RETRANSMISSION_WINDOW",
    "AuthMethod",
    "Binding",
    "Blacklist",
    "BlockEntry",
    "CSeq",
    "Challenge",
    "CredentialStore",
    "DigestAuthenticator",
    "DigestOutcome",
    "DigestResult",
    "LocalProtocolError",
    "Message",
    "NameAddr",
    "ParseError",
    "ProtocolError",
    "Registrar",
    "RegistrarEvent",
    "RegistrarEventKind",
    "Request",
    "Response",
    "SipAccount",
    "SipUri",
    "StreamFramer",
    "TelUri",
    "Uri",
    "Via",
    "answer_challenge",
    "digest_response",
    "ha1",
    "make_response",
    "parse",
    "parse_uri",
]
