"""SIP message values: :class:`Message`, :class:`Request`, :class:`Response`, and
:func:`make_response`.

A message keeps its header fields as sent and parses typed values lazily, on first access, and
caches them (a proxy that reads three headers pays for three); a malformed value raises
:class:`~vosengine.sip.ParseError` when it is read. :meth:`Message.validate` reads every header
an element needs (Via, From, To, Call-ID, CSeq and its match with the method, Max-Forwards,
Content-Length, Contact, Expires, Date, the Request-URI) in one go:
``parse(data).validate()`` is the strict check a registrar or proxy runs before acting.

Storage and the hot accessors (``top_via``, ``from_``, ``to``, ``call_id``, ``cseq``) come
from the implementation behind ``_fast`` (compiled, or its pure-Python twin): ``Request`` and
``Response`` are the public types, and each instance is of the concrete class that joins one
to that implementation's storage, so ``isinstance(message, Request)`` holds either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from .._checks import check_rows
from ..errors import InvalidArgumentType
from . import _fast
from ._errors import LocalProtocolError, ParseError
from ._headers import (
    parse_auth,
    parse_vias,
)
from ._names import SPELLING, TOKEN_FULL, key_of, spelling
from ._typed import ABSENT, EAGER, MAX_CONTENT_LENGTH, PARSERS
from ._uri import Uri, parse_uri
from ._values import Challenge, NameAddr, Via

__all__ = [
    "HOT_ACCESSORS",
    "MAX_CONTENT_LENGTH",
    "REASONS",
    "Message",
    "Request",
    "Response",
    "make_response",
]

#: the accessors of the hot path, defined by the implementation's ``MessageBase``
HOT_ACCESSORS = ("top_via", "from_", "to", "call_id", "cseq")

_MISSING = object()
# the key of a frozen message's bytes in its cache (no header key holds a space)
_WIRE = " wire"
# the key that marks a message validated once (its cached values say the rest)
_VALID = " valid"
_M = TypeVar("_M", "Request", "Response")

if TYPE_CHECKING:
    from ._sipfast_py import MessageBase as _Storage
else:
    _Storage = object


class Message(_Storage):
    """Headers and body common to requests and responses.

    ``fields`` is the header list in order: ``(key, name, value)`` with ``key`` the
    canonical lower-case name (compact forms expanded), ``name`` as it will be written, and
    ``value`` the unfolded text. Typed values (``via``, ``from_``, ``cseq`` ...) are parsed
    once and cached; a message is not meant to be changed after parsing -- build a new one.
    """

    if not TYPE_CHECKING:
        __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """An instance of the concrete class of ``cls`` for the implementation in use (made
        on first use for a host's own subclass)."""
        impl = _fast.IMPL
        family = _FAMILIES[impl]
        concrete: type[Message] | None = family.get(cls)
        if concrete is None:
            concrete = cls if issubclass(cls, impl.MessageBase) else _join(cls, impl, family)
        return super(Message, concrete).__new__(concrete)  # type: ignore[return-value]

    def __init__(self, *, fields: Iterable[tuple[str, str]] = (), body: bytes = b"") -> None:
        built: list[tuple[str, str, str]] = []
        index: dict[str, list[str]] = {}
        for name, value in check_rows(fields, "fields", 2):
            if not isinstance(name, str) or not isinstance(value, str):
                raise LocalProtocolError(f"header {name!r}: name and value must be str")
            if "\r" in value or "\n" in value:
                raise LocalProtocolError(f"header {name!r}: a value may not hold CR or LF")
            value = value.strip(" \t")  # as it reads once sent and parsed again
            try:
                key = key_of(name)
            except ParseError as error:
                raise LocalProtocolError(str(error)) from None
            built.append(
                (key, spelling(key) if key != name.lower() or key in SPELLING else name, value)
            )
            index.setdefault(key, []).append(value)
        if not isinstance(body, bytes | bytearray):
            raise InvalidArgumentType(f"body: expected bytes, got {type(body).__name__}")
        if "content-length" not in index:  # a message the host builds always carries one
            built.append(("content-length", "Content-Length", str(len(body))))
            index["content-length"] = [str(len(body))]
        self.fields = built
        self._index = index
        self.body = bytes(body)
        self._cache: dict[str, Any] = {}

    # -- raw access ----------------------------------------------------------------------------

    def header(self, name: str) -> str | None:
        """The first value of a header (any spelling, compact or not), or None."""
        values = self._index.get(key_of(name))
        return values[0] if values else None

    def headers(self, name: str) -> list[str]:
        """Every value of a header, in order (each field's text as sent)."""
        return list(self._index.get(key_of(name), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and key_of(name) in self._index

    # -- typed access --------------------------------------------------------------------------

    def _typed(self, key: str) -> Any:
        cache = self._cache
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = cache[key] = PARSERS[key](self)
        return value

    def _first_via(self, value: str) -> Via:
        """The first Via of one field value (the top Via when there are several fields)."""
        return parse_vias(value)[0]

    @property
    def via(self) -> list[Via]:
        """Every Via, top first."""
        return self._typed("via")  # type: ignore[no-any-return]

    @property
    def max_forwards(self) -> int | None:
        return self._typed("max-forwards")  # type: ignore[no-any-return]

    @property
    def content_length(self) -> int | None:
        return self._typed("content-length")  # type: ignore[no-any-return]

    @property
    def contacts(self) -> list[NameAddr]:
        """Every Contact (empty for ``Contact: *``; see :attr:`contact_star`)."""
        return self._typed("contact")[1]  # type: ignore[no-any-return]

    @property
    def contact_star(self) -> bool:
        """Whether the message carries ``Contact: *`` (remove every binding)."""
        return self._typed("contact")[0]  # type: ignore[no-any-return]

    @property
    def expires(self) -> int | None:
        return self._typed("expires")  # type: ignore[no-any-return]

    def validate(self) -> None:
        """Parse every header an element needs (Via, From, To, Call-ID, CSeq, Max-Forwards,
        Content-Length, Contact, Expires, Date) and check the rules between them; raise
        :class:`~vosengine.sip.ParseError` for the first fault. Values stay cached."""
        cache, index = self._cache, self._index
        if _VALID in cache:
            return
        for key in EAGER:
            if key in cache:
                continue
            cache[key] = PARSERS[key](self) if key in index else ABSENT.get(key)
        if isinstance(self, Request):
            for key in ("via", "from", "to", "call-id", "cseq"):
                if key not in self._index:
                    raise ParseError(f"missing {spelling(key)} header")
            cseq = self._typed("cseq")
            if cseq.method != self.method:
                raise ParseError(f"CSeq method {cseq.method!r} does not match {self.method!r}")
            self.uri  # noqa: B018 - parse the Request-URI too
        cache[_VALID] = True

    def auth(self, *, name: str = "Authorization") -> list[Challenge]:
        """Parsed Authorization / Proxy-Authorization / WWW-Authenticate values."""
        key = "auth:" + key_of(name)
        cache = self._cache
        if key not in cache:
            where = spelling(key_of(name))
            cache[key] = [parse_auth(value, where) for value in self._index.get(key_of(name), ())]
        return cache[key]  # type: ignore[no-any-return]

    # -- bytes -----------------------------------------------------------------------------------

    def start_line(self) -> str:
        raise NotImplementedError

    def serialize(self) -> bytes:
        """The message as bytes. Content-Length, when the message has one (every message the
        host builds does), is written to match the body."""
        wire = self._cache.get(_WIRE)
        if wire is not None:
            return wire  # type: ignore[no-any-return]
        lines = [self.start_line()]
        has_length = False
        for key, name, value in self.fields:
            if key == "content-length":
                if has_length:
                    continue
                has_length = True
                if not (value.isdigit() and value.isascii() and int(value) == len(self.body)):
                    value = str(len(self.body))
            lines.append(f"{name.rstrip(' ' + chr(9))}: {value}")
        head = "\r\n".join(lines) + "\r\n\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body

    def __bytes__(self) -> bytes:
        return self.serialize()

    def _freeze(self) -> bytes:
        """Serialize once and keep the bytes, which ``serialize`` returns from then on: for a
        message that is final (a response the library made and remembers)."""
        wire = self._cache[_WIRE] = self.serialize()
        return wire

    _STATE: tuple[str, ...] = ()
    _PUBLIC: type[Message]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as the public class, so a message unpickles on either implementation."""
        public = self._PUBLIC
        return _restore, (public, {name: getattr(self, name) for name in public._STATE})

    def _same(self, other: Message) -> bool:
        return [(k, v) for k, _, v in self.fields] == [
            (k, v) for k, _, v in other.fields
        ] and self.body == other.body


class Request(Message):
    """A SIP request: ``method``, the Request-URI's text (``uri`` parses it) and headers."""

    if not TYPE_CHECKING:
        __slots__ = ()
    _STATE = ("fields", "_index", "body", "_cache", "version", "method", "uri_text")

    method: str
    uri_text: str

    def __init__(
        self,
        method: str,
        uri: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        version: str = "SIP/2.0",
    ) -> None:
        if not isinstance(method, str) or not TOKEN_FULL.match(method):
            raise LocalProtocolError(f"method: {method!r} is not a token")
        if not isinstance(uri, str) or not uri or any(c in uri for c in " \t\r\n<>"):
            raise LocalProtocolError(f"uri: {uri!r} is not a Request-URI")
        super().__init__(fields=fields, body=body)
        self.method = method
        self.uri_text = uri
        self.version = _checked_version(version)

    @property
    def uri(self) -> Uri:
        return parse_uri(self.uri_text, where="Request-URI")

    def start_line(self) -> str:
        return f"{self.method} {self.uri_text} {self.version}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return (self.method, self.uri_text, self.version) == (
            other.method,
            other.uri_text,
            other.version,
        ) and self._same(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri_text} call-id={self.header('call-id')!r}>"


class Response(Message):
    """A SIP response: ``status``, ``reason`` and headers."""

    if not TYPE_CHECKING:
        __slots__ = ()
    _STATE = ("fields", "_index", "body", "_cache", "version", "status", "reason")

    status: int
    reason: str

    def __init__(
        self,
        status: int,
        *,
        reason: str = "",
        fields: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        version: str = "SIP/2.0",
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 699:
            raise LocalProtocolError(f"status: {status!r} is not a SIP status code (100-699)")
        if not isinstance(reason, str) or "\r" in reason or "\n" in reason:
            raise LocalProtocolError(f"reason: {reason!r} is not a reason phrase")
        super().__init__(fields=fields, body=body)
        self.status = status
        self.reason = reason or REASONS.get(status, "")
        self.version = _checked_version(version)

    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.status, self.reason, self.version) == (
            other.status,
            other.reason,
            other.version,
        ) and self._same(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason} call-id={self.header('call-id')!r}>"


REASONS: Mapping[int, str] = MappingProxyType({
    100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 202: "Accepted",
    301: "Moved Permanently", 302: "Moved Temporarily", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 407: "Proxy Authentication Required", 408: "Request Timeout",
    413: "Request Entity Too Large", 415: "Unsupported Media Type",
    416: "Unsupported URI Scheme", 420: "Bad Extension", 423: "Interval Too Brief",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 486: "Busy Here",
    487: "Request Terminated", 488: "Not Acceptable Here", 500: "Server Internal Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported", 603: "Decline",
})  # fmt: skip


def _checked_version(version: object) -> str:
    """The SIP version a host passes in: ``SIP/2.0``, the one version this library speaks."""
    if version != "SIP/2.0":
        raise LocalProtocolError(f"version: {version!r} is not 'SIP/2.0'")
    return "SIP/2.0"


def _restore(cls: type[_M], state: dict[str, Any]) -> _M:
    """A message from what ``Message.__reduce__`` saved."""
    message = cls.__new__(cls)
    for name, value in state.items():
        setattr(message, name, value)
    return message


# -- building responses ------------------------------------------------------------------


def make_response(
    request: Request,
    status: int,
    *,
    reason: str = "",
    to_tag: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """A response to ``request`` (RFC 3261 §8.2.6): its Via, From, To (with ``to_tag``
    added when the request's To has none), Call-ID and CSeq, then ``headers``."""
    extra = Response(
        status, reason=reason, fields=headers, body=body
    )  # checks status, reason, headers, body
    index = request._index
    vias = index.get("via") or []
    first = [(index.get(key) or ("",))[0] for key in _COPIED_KEYS]
    if to_tag is not None:
        if not isinstance(to_tag, str) or not TOKEN_FULL.match(to_tag):
            raise LocalProtocolError(f"to_tag: {to_tag!r} is not a token")
        try:
            tagged = request.to is None or request.to.tag is not None
        except ParseError:  # a To we cannot read is copied as it came
            tagged = True
        if not tagged:
            first[1] = f"{first[1]};tag={to_tag}"
    copied: list[tuple[str, str, str]] = [("via", "Via", v) for v in vias]
    copied += zip(_COPIED_KEYS, _COPIED_NAMES, first, strict=True)
    out_index = extra._index
    for key, value in zip(_COPIED_KEYS, first, strict=True):
        out_index[key] = [value, *out_index.get(key, ())]
    if vias:
        out_index["via"] = [*vias, *out_index.get("via", ())]
    extra.fields[:0] = copied
    return extra


_COPIED_KEYS = ("from", "to", "call-id", "cseq")
_COPIED_NAMES = tuple(spelling(key) for key in _COPIED_KEYS)


# -- the concrete classes of each implementation ---------------------------------------------


def _join(cls: type[Message], impl: ModuleType, family: dict[Any, Any]) -> type[Message]:
    """The concrete class of ``cls`` on ``impl``: ``cls`` first (its methods), then the
    storage and hot accessors of ``impl``; kept in ``family``."""
    if issubclass(cls, Request):
        storage = impl.RequestBase
    elif issubclass(cls, Response):
        storage = impl.ResponseBase
    else:
        storage = impl.MessageBase
    short = impl.__name__.rpartition(".")[2]
    name = f"{cls.__name__}[{short}]"
    concrete: type[Message] = type(
        name, (cls, storage), {"__slots__": (), "_PUBLIC": cls, "__qualname__": name}
    )
    family[cls] = concrete
    return concrete


def _family(impl: ModuleType) -> dict[Any, Any]:
    """The concrete ``Request`` and ``Response`` of ``impl``."""
    family: dict[Any, Any] = {}
    for public in (Request, Response):
        _join(public, impl, family)
    return family


#: implementation module -> {public class: its concrete class}
_FAMILIES: dict[ModuleType, dict[Any, Any]] = {
    impl: _family(impl) for impl in _fast.IMPLEMENTATIONS
}


#: implementation module -> (its concrete Request, its concrete Response)
CONCRETE: dict[ModuleType, tuple[type[Request], type[Response]]] = {
    impl: (family[Request], family[Response]) for impl, family in _FAMILIES.items()
}


def concrete(impl: ModuleType | None = None) -> tuple[type[Request], type[Response]]:
    """The concrete request and response classes of ``impl`` (default: the one in use)."""
    return CONCRETE[_fast.IMPL if impl is None else impl]
