"""Sans-IO SIP: bytes, source address and ``now`` in; messages, decisions, events and bytes
out. No sockets, no clock reads, no threads.

* :func:`parse` / ``bytes(message)`` -- RFC 3261 messages, with :class:`StreamFramer` for TCP;
* :class:`DigestAuthenticator` / :func:`answer_challenge` -- RFC 7616 / RFC 8760 digest;
* :class:`Registrar` -- REGISTER handling with bindings, expiry, events and answers to
  retransmissions;
* :class:`Blacklist` -- the dynamic blacklist of failed authentications, bounded;
* :class:`Endpoint` -- transactions (RFC 3261 §17, as the transition tables in
  :data:`TRANSACTION_TABLES`) and dialogs (§12) behind ``receive_datagram`` /
  ``next_event`` / ``send`` / ``datagrams_to_send`` / ``handle_timer``.
"""

from ._blacklist import Blacklist, BlockEntry
from ._dialogs import Dialog, DialogId, DialogRole, DialogState
from ._digest import (
    ALGORITHMS,
    DigestAuthenticator,
    DigestOutcome,
    DigestResult,
    answer_challenge,
    digest_response,
    ha1,
)
from ._endpoint import ALLOW, MAX_DIALOGS, MAX_TRANSACTIONS, Endpoint
from ._errors import LocalProtocolError, ParseError, ProtocolError
from ._events import (
    BadMessage,
    CallCancelled,
    DialogChanged,
    Event,
    RequestReceived,
    ResponseReceived,
    TransactionTimedOut,
)
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
from ._transactions import HOLDS as TIMERS_HELD
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
)
from ._transactions import TABLES as TRANSACTION_TABLES
from ._transactions import diagram as transaction_diagram
from ._uri import SipUri, TelUri, Uri, parse_uri
from ._values import Challenge, CSeq, NameAddr, Via

__all__ = [
    "ALGORITHMS",
    "ALLOW",
    "MAX_DIALOGS",
    "MAX_TRANSACTIONS",
    "RETRANSMISSION_WINDOW",
    "T1",
    "T2",
    "T4",
    "TIMERS_HELD",
    "TRANSACTION_TABLES",
    "TransactionAction",
    "AuthMethod",
    "BadMessage",
    "Binding",
    "Blacklist",
    "BlockEntry",
    "CSeq",
    "CallCancelled",
    "Challenge",
    "CredentialStore",
    "Dialog",
    "DialogChanged",
    "DialogId",
    "DialogState",
    "DigestAuthenticator",
    "DigestOutcome",
    "DigestResult",
    "Endpoint",
    "Event",
    "TransactionInput",
    "TransactionKind",
    "LocalProtocolError",
    "Message",
    "NameAddr",
    "ParseError",
    "ProtocolError",
    "Registrar",
    "RegistrarEvent",
    "RegistrarEventKind",
    "Request",
    "RequestReceived",
    "Response",
    "ResponseReceived",
    "DialogRole",
    "SipAccount",
    "SipUri",
    "TransactionState",
    "StreamFramer",
    "TelUri",
    "TransactionTimer",
    "TimerConfig",
    "Transaction",
    "TransactionError",
    "TransactionTimedOut",
    "Uri",
    "Via",
    "answer_challenge",
    "digest_response",
    "ha1",
    "make_response",
    "parse",
    "parse_uri",
    "transaction_diagram",
]
