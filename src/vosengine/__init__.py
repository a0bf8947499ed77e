"""vosengine: an embeddable policy-and-rating engine for VoIP softswitches.

The rules of a VOS3000-style softswitch (accounts and agents, policy, rating and money,
routing, SIP registration) as pure functions and state machines: the host passes in bytes,
clocks and events and gets back decisions, events and bytes to send.

Time comes in on two clocks, never mixed up. Protocol timers (digest nonces, registrar
bindings, blacklist windows, rate limits, transactions) take ``now`` as float seconds of the
host's monotonic clock, so a wall-clock jump expires nothing. Business rules (account status and
expiry, tariff and login windows, ledger records, CDRs) take an aware ``datetime``; a naive one
is an :class:`InvalidArgument`, never read in the machine's time zone. Wherever a decision
depends on time, ``now`` (or ``at``, the instant a call was answered) is keyword-only and
required.
"""

from __future__ import annotations

from .errors import (
    InvalidArgument,
    InvalidArgumentType,
    NotFound,
    PermissionDenied,
    Refused,
    Unavailable,
    VosEngineError,
)
from .prefix import PrefixTable
from .verdicts import Decision, Verdict

__all__ = [
    "Decision",
    "InvalidArgument",
    "InvalidArgumentType",
    "NotFound",
    "PermissionDenied",
    "PrefixTable",
    "Refused",
    "Unavailable",
    "Verdict",
    "VosEngineError",
]

__version__ = "0.1.0.dev0"
