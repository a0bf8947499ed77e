"""The pure-Python twin of the compiled SIP fast paths (``vosengine.sip._sipfast``).

Same names, same signatures, same results; ``vosengine.sip._fast`` hands out one or the other.
The compiled value fast paths (``via``, ``name_addr``, ``cseq``, ``uint``, ``auth_params``,
``request_line``, ``status_line``, ``parse_datagram``) answer the common shape of a value or
``None``, and ``None`` hands the value to the Python parsers. In pure Python those parsers are
already the shortest way to the answer, so each twin here answers ``None``: the contract
allows it, and it leaves one Python rule per value. ``MessageBase`` and its two subclasses are
the storage of a message and its hot accessors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._values import CSeq, NameAddr, Via

__all__ = [
    "MessageBase",
    "RequestBase",
    "ResponseBase",
    "auth_params",
    "cseq",
    "name_addr",
    "parse_datagram",
    "request_line",
    "split_head",
    "status_line",
    "uint",
    "via",
]

_MISSING = object()

Fields = list[tuple[str, str, str]]
Index = dict[str, list[str]]


def split_head(data: bytes, start: int, end: int) -> tuple[str, Fields, Index] | None:
    """The start line, ``(key, name, value)`` fields and per-key value lists of the header
    block ``data[start:end]`` with CRLF line ends, or None: here always None."""
    return None


def parse_datagram(data: bytes, request_type: type[Any], response_type: type[Any]) -> Any:
    """The whole message in its common shape, or None: here always None (``parse`` reads it)."""
    return None


def request_line(line: str) -> tuple[str, str] | None:
    """``(method, uri)`` of a plain request line, or None: here always None."""
    return None


def status_line(line: str) -> tuple[int, str] | None:
    """``(code, reason)`` of a plain status line, or None: here always None."""
    return None


def via(value: str) -> tuple[str, str, int | None, tuple[tuple[str, str | None], ...]] | None:
    """``(transport, host, port, params)`` of a plain Via, or None: here always None."""
    return None


def name_addr(value: str) -> tuple[str | None, str, tuple[tuple[str, str | None], ...]] | None:
    """``(display, uri, params)`` of a plain name-addr, or None: here always None."""
    return None


def cseq(value: str) -> tuple[int, str] | None:
    """``(number, method)`` of a plain CSeq, or None: here always None."""
    return None


def uint(value: str, maximum: int) -> int | None:
    """The value of plain digits up to ``maximum``, or None: here always None."""
    return None


def auth_params(rest: str) -> dict[str, str] | None:
    """The parameters of plain ``name=value, ...`` credentials, or None: here always None."""
    return None


class MessageBase:
    """The storage of a SIP message and the accessors of the hot path (``top_via``,
    ``from_``, ``to``, ``call_id``, ``cseq``). A value is parsed once by the message's
    ``_typed`` and cached; ``_first_via`` reads the top Via of several Via fields without
    parsing the others."""

    __slots__ = ("_cache", "_index", "body", "fields", "version")

    _cache: dict[str, Any]
    _index: Index
    body: bytes
    fields: Fields
    version: str

    def _typed(self, key: str) -> Any:
        raise NotImplementedError

    def _first_via(self, value: str) -> Via:
        raise NotImplementedError

    @property
    def top_via(self) -> Via | None:
        vias = self._cache.get("via", _MISSING)
        if vias is _MISSING:
            values = self._index.get("via")
            if not values:
                return None
            if len(values) > 1:  # the first field is enough; .via parses the rest
                return self._first_via(values[0])
            vias = self._typed("via")
        return vias[0] if vias else None

    @property
    def from_(self) -> NameAddr | None:
        value = self._cache.get("from", _MISSING)
        return self._typed("from") if value is _MISSING else value  # type: ignore[no-any-return]

    @property
    def to(self) -> NameAddr | None:
        value = self._cache.get("to", _MISSING)
        return self._typed("to") if value is _MISSING else value  # type: ignore[no-any-return]

    @property
    def call_id(self) -> str | None:
        cache = self._cache
        value = cache.get("call-id", _MISSING)
        if value is _MISSING:
            values = self._index.get("call-id")
            if values is not None and len(values) == 1:
                value = values[0]
                if value and " " not in value and "\t" not in value:
                    cache["call-id"] = value
                    return value
            value = self._typed("call-id")
        return value  # type: ignore[no-any-return]

    @property
    def cseq(self) -> CSeq | None:
        value = self._cache.get("cseq", _MISSING)
        return self._typed("cseq") if value is _MISSING else value  # type: ignore[no-any-return]


class RequestBase(MessageBase):
    """The storage of a request: its method and Request-URI text."""

    __slots__ = ("method", "uri_text")

    method: str
    uri_text: str


class ResponseBase(MessageBase):
    """The storage of a response: its status code and reason phrase."""

    __slots__ = ("reason", "status")

    reason: str
    status: int
