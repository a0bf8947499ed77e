"""vosengine: an embeddable policy-and-rating engine for VoIP softswitches.

The rules of a VOS3000-style softswitch (accounts and agents, policy, rating and money,
routing, SIP registration) as pure functions and state machines: the host passes in bytes,
clocks and events and gets back decisions, events and bytes to send.
"""

from __future__ import annotations

from .errors import (
    InvalidArgument,
    InvalidArgumentType,
    NotFound,
    PermissionDenied,
    Refused,
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
    "Verdict",
    "VosEngineError",
]

__version__ = "0.1.0.dev0"
