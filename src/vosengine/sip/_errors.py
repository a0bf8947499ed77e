"""SIP errors: bad bytes from the peer, and misuse by the host."""

from __future__ import annotations

from ..errors import InvalidArgument, VosEngineError

__all__ = ["LocalProtocolError", "ParseError", "ProtocolError"]


class ProtocolError(VosEngineError, ValueError):
    """A SIP protocol error. ``status`` is the response a host can send without knowing why
    (400 Bad Request unless a more precise code fits)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ParseError(ProtocolError):
    """The peer's bytes are not a valid SIP message; ``status`` suggests the answer (400;
    505 for an unsupported SIP version; 416 for an unsupported URI scheme ...)."""


class LocalProtocolError(ProtocolError, InvalidArgument):
    """The host asked for something SIP does not allow (building a bad message ...)."""
