"""vosengine: an embeddable policy-and-rating engine for VoIP softswitches.

The rules of a VOS3000-style softswitch (accounts and agents, policy, rating and money,
routing, SIP registration) as pure functions and state machines: the host passes in bytes,
clocks and events and gets back decisions, events and bytes to send.
"""

from __future__ import annotations

from .errors import InvalidArgument, InvalidArgumentType, NotFound, VosEngineError
from .prefix import PrefixTable

__all__ = [
    "InvalidArgument",
    "InvalidArgumentType",
    "NotFound",
    "PrefixTable",
    "VosEngineError",
]

__version__ = "0.1.0.dev0"
