"""SIP messages: parse bytes into a :class:`Request` or :class:`Response`, and back.

``parse(data)`` reads one message (a datagram: octets after the declared body are ignored).
:class:`StreamFramer` cuts a TCP byte stream into messages by Content-Length.

``parse`` checks the framing at once: the start line, header syntax (folding undone,
compact names expanded), and Content-Length against the body. Typed header values are
parsed lazily, on first access, and cached (a proxy that reads three headers pays for three);
a malformed value raises :class:`~vosengine.sip.ParseError` when it is read.
:meth:`Message.validate` reads every header an element needs (Via, From, To, Call-ID, CSeq
and its match with the method, Max-Forwards, Content-Length, Contact, Expires, Date, the
Request-URI) in one go: ``parse(data).validate()`` is the strict check a registrar or proxy
runs before acting. **Any input either parses or raises** ``ParseError``, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _extensions
from ..errors import InvalidArgumentType
from ._errors import LocalProtocolError, ParseError
from ._headers import (
    _TOKEN_FULL,
    Challenge,
    CSeq,
    NameAddr,
    Via,
    parse_auth,
    parse_cseq,
    parse_name_addr,
    parse_name_addrs,
    parse_uint,
    parse_vias,
)
from ._uri import Uri, parse_uri

__all__ = [
    "MAX_HEADER_BYTES",
    "Message",
    "Request",
    "Response",
    "StreamFramer",
    "make_response",
    "parse",
]

#: Largest header block ``StreamFramer`` buffers before giving up on a peer.
MAX_HEADER_BYTES = 65_536
#: The largest Content-Length a message may declare.
MAX_CONTENT_LENGTH = 2**31 - 1
#: Largest body ``StreamFramer`` accepts.
MAX_BODY_BYTES = 16 * 1024 * 1024

COMPACT = {
    "v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact",
    "l": "content-length", "c": "content-type", "k": "supported", "s": "subject",
    "e": "content-encoding", "o": "event", "u": "allow-events", "r": "refer-to",
    "b": "referred-by", "x": "session-expires", "y": "identity", "a": "accept-contact",
    "j": "reject-contact", "d": "request-disposition", "n": "identity-info",
}  # fmt: skip
_SPELLING = {
    "call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version", "rack": "RAck", "rseq": "RSeq", "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match", "identity-info": "Identity-Info",
}  # fmt: skip
_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length", "expires")
_KEYS: dict[str, str] = {}
_MISSING = object()
_M = TypeVar("_M", "Request", "Response")


def _load_fast() -> Any:
    """The compiled fast paths (``vosengine.sip._sipfast``), or None (pure-Python twins)."""
    return _extensions.load("vosengine.sip._sipfast")[0]


_C = _load_fast()
_FAST = _C.split_head if _C is not None else None
_COMMON_NAMES = (
    "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
    "Content-Type", "Expires", "Authorization", "WWW-Authenticate", "Route", "Record-Route",
    "User-Agent", "Allow", "Supported", "Accept", "Server", "Date", "Min-Expires",
    "v", "f", "t", "i", "m", "l", "c", "k", "s",
)  # fmt: skip
_C_VIA = _C.via if _C is not None else None
_C_NAME_ADDR = _C.name_addr if _C is not None else None
_C_CSEQ = _C.cseq if _C is not None else None
_C_STATUS_LINE = _C.status_line if _C is not None else None
_C_UINT = _C.uint if _C is not None else None
_C_REQUEST_LINE = _C.request_line if _C is not None else None
_C_PARSE = _C.parse_datagram if _C is not None else None
_FOLD = re.compile(r"\r?\n[ \t]+")
_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
_VERSION = re.compile(r"^SIP/(\d+)\.(\d+)$", re.I)


def spelling(key: str) -> str:
    """How a header name is written on the wire (``call-id`` -> ``Call-ID``)."""
    return _SPELLING.get(key) or "-".join(part.capitalize() for part in key.split("-"))


def _key(name: str) -> str:
    """The canonical key (lower case, compact form expanded) of a raw header name."""
    key = _KEYS.get(name)
    if key is not None:
        return key
    stripped = name.rstrip(" \t")
    if not _TOKEN_FULL.match(stripped):
        raise ParseError(f"bad header name {name!r}")
    lowered = stripped.lower()
    key = COMPACT.get(lowered, lowered)
    if len(_KEYS) < 2048:
        _KEYS[name] = key
    return key


class _MessageBasePy:
    """The storage of a SIP message and the accessors of the hot path (``top_via``,
    ``from_``, ``to``, ``call_id``, ``cseq``): the pure-Python twin of the compiled
    ``vosengine.sip._sipfast.MessageBase``. Values the fast paths do not take go to
    ``Message._typed`` and its parsers."""

    __slots__ = ("_cache", "_index", "body", "fields")

    _cache: dict[str, Any]
    _index: dict[str, list[str]]
    body: bytes
    fields: list[tuple[str, str, str]]

    def _typed(self, key: str) -> Any:
        raise NotImplementedError

    @property
    def top_via(self) -> Via | None:
        cache = self._cache
        vias = cache.get("via", _MISSING)
        if vias is _MISSING:
            values = self._index.get("via")
            if not values:
                return None
            if len(values) > 1:  # the first field is enough; .via parses the rest
                return parse_vias(values[0])[0]
            fast = _C_VIA(values[0]) if _C_VIA is not None else None
            if fast is not None:
                top: Via = tuple.__new__(Via, fast)
                cache["via"] = [top]
                return top
            vias = self._typed("via")
        return vias[0] if vias else None

    @property
    def from_(self) -> NameAddr | None:
        value = self._cache.get("from", _MISSING)
        return _name_addr_of(self, "from") if value is _MISSING else value

    @property
    def to(self) -> NameAddr | None:
        value = self._cache.get("to", _MISSING)
        return _name_addr_of(self, "to") if value is _MISSING else value

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
        cache = self._cache
        value = cache.get("cseq", _MISSING)
        if value is _MISSING:
            values = self._index.get("cseq")
            fast = (
                _C_CSEQ(values[0])
                if _C_CSEQ is not None and values is not None and len(values) == 1
                else None
            )
            if fast is not None:
                value = cache["cseq"] = tuple.__new__(CSeq, fast)
                return value
            value = self._typed("cseq")
        return value  # type: ignore[no-any-return]


def _name_addr_of(message: _MessageBasePy, key: str) -> NameAddr | None:
    """From / To through the compiled fast path when it applies, else the parser."""
    cache = message._cache
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        values = message._index.get(key)
        fast = (
            _C_NAME_ADDR(values[0])
            if _C_NAME_ADDR is not None and values is not None and len(values) == 1
            else None
        )
        if fast is not None:
            value = cache[key] = tuple.__new__(NameAddr, fast)
        else:
            value = message._typed(key)
    return value  # type: ignore[no-any-return]


#: the accessors of the hot path, in the order the twins define them
_HOT_ACCESSORS = ("top_via", "from_", "to", "call_id", "cseq")

if TYPE_CHECKING:
    _Base = _MessageBasePy
else:
    _Base = _C.MessageBase if _C is not None else _MessageBasePy


class Message(_Base):
    """Headers and body common to requests and responses.

    ``fields`` is the header list in order: ``(key, name, value)`` with ``key`` the
    canonical lower-case name (compact forms expanded), ``name`` as it will be written, and
    ``value`` the unfolded text. Typed values (``via``, ``from_``, ``cseq`` ...) are parsed
    once and cached; a message is not meant to be changed after parsing -- build a new one.
    """

    __slots__ = ()

    def __init__(self, fields: Iterable[tuple[str, str]] = (), body: bytes = b"") -> None:
        built: list[tuple[str, str, str]] = []
        index: dict[str, list[str]] = {}
        for name, value in fields:
            if not isinstance(name, str) or not isinstance(value, str):
                raise LocalProtocolError(f"header {name!r}: name and value must be str")
            if "\r" in value or "\n" in value:
                raise LocalProtocolError(f"header {name!r}: a value may not hold CR or LF")
            try:
                key = _key(name)
            except ParseError as error:
                raise LocalProtocolError(str(error)) from None
            built.append(
                (key, spelling(key) if key != name.lower() or key in _SPELLING else name, value)
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
        values = self._index.get(_key(name))
        return values[0] if values else None

    def headers(self, name: str) -> list[str]:
        """Every value of a header, in order (each field's text as sent)."""
        return list(self._index.get(_key(name), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._index

    # -- typed access --------------------------------------------------------------------------

    def _typed(self, key: str) -> Any:
        cache = self._cache
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = cache[key] = _PARSERS[key](self)
        return value

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
        for key in _EAGER:
            if key in cache:
                continue
            cache[key] = _PARSERS[key](self) if key in index else _ABSENT.get(key)
        if isinstance(self, Request):
            for key in ("via", "from", "to", "call-id", "cseq"):
                if key not in self._index:
                    raise ParseError(f"missing {spelling(key)} header")
            cseq = self._typed("cseq")
            if cseq.method != self.method:
                raise ParseError(f"CSeq method {cseq.method!r} does not match {self.method!r}")
            self.uri  # noqa: B018 - parse the Request-URI too

    def auth(self, name: str = "Authorization") -> list[Challenge]:
        """Parsed Authorization / Proxy-Authorization / WWW-Authenticate values."""
        key = "auth:" + _key(name)
        cache = self._cache
        if key not in cache:
            where = spelling(_key(name))
            cache[key] = [parse_auth(value, where) for value in self._index.get(_key(name), ())]
        return cache[key]  # type: ignore[no-any-return]

    # -- bytes -----------------------------------------------------------------------------------

    def start_line(self) -> str:
        raise NotImplementedError

    def serialize(self) -> bytes:
        """The message as bytes. Content-Length, when the message has one (every message the
        host builds does), is written to match the body."""
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

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles the same way whichever base (compiled or Python) the message has."""
        names = ("fields", "_index", "body", "_cache", *type(self).__slots__)
        return _restore, (type(self), {name: getattr(self, name) for name in names})

    def _same(self, other: Message) -> bool:
        return [(k, v) for k, _, v in self.fields] == [
            (k, v) for k, _, v in other.fields
        ] and self.body == other.body


class Request(Message):
    """A SIP request: ``method``, the Request-URI's text (``uri`` parses it) and headers."""

    __slots__ = ("method", "uri_text", "version")

    def __init__(
        self,
        method: str,
        uri: str,
        fields: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        version: str = "SIP/2.0",
    ) -> None:
        if not isinstance(method, str) or not _TOKEN_FULL.match(method):
            raise LocalProtocolError(f"method: {method!r} is not a token")
        if not isinstance(uri, str) or not uri or any(c in uri for c in " \t\r\n<>"):
            raise LocalProtocolError(f"uri: {uri!r} is not a Request-URI")
        super().__init__(fields, body)
        self.method = method
        self.uri_text = uri
        self.version = version

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

    __slots__ = ("reason", "status", "version")

    def __init__(
        self,
        status: int,
        reason: str = "",
        fields: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        version: str = "SIP/2.0",
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 699:
            raise LocalProtocolError(f"status: {status!r} is not a SIP status code (100-699)")
        if not isinstance(reason, str) or "\r" in reason or "\n" in reason:
            raise LocalProtocolError(f"reason: {reason!r} is not a reason phrase")
        super().__init__(fields, body)
        self.status = status
        self.reason = reason or REASONS.get(status, "")
        self.version = version

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


REASONS = {
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
}  # fmt: skip


# -- typed parsers (run by parse() for the core headers, else on first access) --------------


def _values(message: Message, key: str) -> list[str]:
    return message._index.get(key, [])


def _one(message: Message, key: str) -> str | None:
    values = message._index.get(key)
    if not values:
        return None
    if len(values) > 1:
        raise ParseError(f"{spelling(key)}: appears {len(values)} times")
    return values[0]


def _p_via(message: Message) -> list[Via]:
    values = message._index.get("via")
    if not values:
        return []
    if len(values) == 1:
        return parse_vias(values[0])
    out: list[Via] = []
    for value in values:
        out.extend(parse_vias(value))
    return out


def _p_name_addr(key: str) -> Any:
    where = spelling(key)

    def parse(message: Message) -> NameAddr | None:
        value = _one(message, key)
        return None if value is None else parse_name_addr(value, where)

    return parse


def _p_call_id(message: Message) -> str | None:
    value = _one(message, "call-id")
    if value is not None and (not value or " " in value or "\t" in value):
        raise ParseError(f"Call-ID: {value!r} is not a word[@word]")
    return value


def _p_cseq(message: Message) -> CSeq | None:
    value = _one(message, "cseq")
    if value is None:
        return None
    if _C_CSEQ is not None:
        fast = _C_CSEQ(value)
        if fast is not None:
            return tuple.__new__(CSeq, fast)
    return parse_cseq(value)


def _p_uint(key: str, maximum: int) -> Any:
    where = spelling(key)

    def parse(message: Message) -> int | None:
        value = _one(message, key)
        if value is None:
            return None
        if _C_UINT is not None:
            fast = _C_UINT(value, maximum)
            if fast is not None:
                return fast  # type: ignore[no-any-return]
        return parse_uint(value, where, maximum)

    return parse


def _p_contact(message: Message) -> tuple[bool, list[NameAddr]]:
    out: list[NameAddr] = []
    star = False
    for value in _values(message, "contact"):
        if value.strip(" \t") == "*":
            star = True
            continue
        out.extend(parse_name_addrs(value, "Contact"))
    if star and (out or len(_values(message, "contact")) > 1):
        raise ParseError("Contact: '*' cannot be combined with other contacts")
    for contact in out:
        expires = contact.param("expires")
        if expires is not None:
            parse_uint(expires, "Contact expires", 2**32 - 1)
    return star, out


def _p_date(message: Message) -> str | None:
    value = _one(message, "date")
    if value is not None and not _DATE.match(value):
        raise ParseError(f"Date: {value!r} is not an RFC 1123 date in GMT")
    return value


_PARSERS: dict[str, Any] = {
    "via": _p_via,
    "from": _p_name_addr("from"),
    "to": _p_name_addr("to"),
    "call-id": _p_call_id,
    "cseq": _p_cseq,
    "max-forwards": _p_uint("max-forwards", 255),
    "content-length": _p_uint("content-length", MAX_CONTENT_LENGTH),
    "contact": _p_contact,
    "expires": _p_uint("expires", 2**32 - 1),
    "date": _p_date,
}
_EAGER = tuple(_PARSERS)
# what the parsers give for a header that is not there
_ABSENT: dict[str, Any] = {"via": [], "contact": (False, [])}


# -- parse -------------------------------------------------------------------------------


def parse(data: bytes) -> Request | Response:
    """Parse one SIP message from a datagram (or a complete buffer).

    Raises :class:`~vosengine.sip.ParseError` (with the status a host should answer) for any
    malformed input, and for nothing else.

    >>> msg = parse(b"OPTIONS sip:bob@example.com SIP/2.0\\r\\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
    ...             b"\\r\\nFrom: <sip:a@x>;tag=1\\r\\nTo: <sip:bob@example.com>\\r\\nCall-ID: c1"
    ...             b"\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n")
    >>> msg.method, msg.top_via.branch, msg.from_.tag, msg.cseq.number
    ('OPTIONS', 'z9hG4bK1', '1', 1)
    """
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgumentType(f"data: expected bytes, got {type(data).__name__}")
        data = bytes(data)
    if _C_PARSE is not None:
        fast = _C_PARSE(data, Request, Response, _KEYS, _key)
        if fast is not None:
            return fast  # type: ignore[no-any-return]
    start = 0
    if data[:2] == b"\r\n":
        while data.startswith(b"\r\n", start):  # keep-alive CRLFs before a message
            start += 2
    end = data.find(b"\r\n\r\n", start)
    gap = 4
    if end == -1:
        end = data.find(b"\n\n", start)
        gap = 2
        if end == -1:
            raise ParseError("incomplete message: no empty line after the headers")
    message = _head(data, start, end)
    body_start = end + gap
    lengths = message._index.get("content-length")
    length = None
    if lengths is not None:
        if len(lengths) == 1 and _C_UINT is not None:
            length = _C_UINT(lengths[0], MAX_CONTENT_LENGTH)
        if length is None:
            length = message._typed("content-length")  # the checks, and their errors
        else:
            message._cache["content-length"] = length
    available = len(data) - body_start
    if length is None:
        message.body = data[body_start:]
    else:
        if length > available:
            raise ParseError(
                f"Content-Length: {length} is larger than the {available} octets of body"
            )
        message.body = data[body_start : body_start + length]
    return message


def _head(data: bytes, start: int, end: int) -> Request | Response:
    """The message (without body) of the header block ``data[start:end]``."""
    split = _FAST(data, start, end, _KEYS, _key) if _FAST is not None else None
    if split is None:
        split = _split_head_py(data[start:end])
    first, fields, index = split
    message: Request | Response
    if first[:4] == "SIP/" or first[:4].upper() == "SIP/":
        status = _C_STATUS_LINE(first) if _C_STATUS_LINE is not None else None
        if status is not None:  # the common status line, built without a detour
            response = Response.__new__(Response)
            response.status, response.reason = status
            return _fill(response, fields, index)
        message = _status_line(first)
    else:
        fast = _C_REQUEST_LINE(first) if _C_REQUEST_LINE is not None else None
        if fast is not None:  # the common request line, built without a detour
            request = Request.__new__(Request)
            request.method, request.uri_text = fast
            return _fill(request, fields, index)
        message = _request_line(first)
    message.fields = fields
    message._index = index
    return message


def _restore(cls: type[_M], state: dict[str, Any]) -> _M:
    """A message from what ``Message.__reduce__`` saved."""
    message = cls.__new__(cls)
    for name, value in state.items():
        setattr(message, name, value)
    return message


def _fill(message: _M, fields: list[tuple[str, str, str]], index: dict[str, list[str]]) -> _M:
    """Set what every parsed SIP/2.0 message starts with."""
    message.version = "SIP/2.0"
    message.fields = fields
    message._index = index
    message.body = b""
    message._cache = {}
    return message


def _split_head_py(raw: bytes) -> tuple[str, list[tuple[str, str, str]], dict[str, list[str]]]:
    """The pure-Python twin of the compiled splitter (``vosengine.sip._sipfast``)."""
    head = raw.decode("utf-8", "surrogateescape")
    if "\n " in head or "\n\t" in head:
        head = _FOLD.sub(" ", head)
    lines = head.split("\r\n")
    breaks = len(lines) - 1
    if head.count("\n") != breaks or head.count("\r") != breaks:
        if "\r" in head:
            raise ParseError("stray CR or LF in the header block")
        lines = head.split("\n")  # bare LF line ends, as some peers send
    fields: list[tuple[str, str, str]] = []
    index: dict[str, list[str]] = {}
    keys = _KEYS
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ParseError(f"header line without ':': {line[:40]!r}")
        key = keys.get(name) or _key(name)
        if value[:1] in " \t" or value[-1:] in " \t":
            value = value.strip(" \t")
        fields.append((key, name, value))
        bucket = index.get(key)
        if bucket is None:
            index[key] = [value]
        else:
            bucket.append(value)
    return lines[0], fields, index


def _version(text: str, where: str) -> str:
    if text == "SIP/2.0":
        return text
    match = _VERSION.match(text)
    if not match:
        raise ParseError(f"{where}: {text[:20]!r} is not a SIP version")
    if (match.group(1), match.group(2)) != ("2", "0"):
        raise ParseError(f"{where}: SIP version {text} is not supported", status=505)
    return "SIP/2.0"


def _request_line(line: str) -> Request:
    fast = _C_REQUEST_LINE(line) if _C_REQUEST_LINE is not None else None
    if fast is not None:
        return _new_request(fast[0], fast[1], "SIP/2.0")
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise ParseError(f"request line {line[:80]!r} is not 'METHOD SP URI SP SIP/2.0'")
    method, uri, version = parts
    if not _TOKEN_FULL.match(method):
        raise ParseError(f"request line: method {method[:30]!r} is not a token")
    version = _version(version, "request line")
    _check_request_uri(uri)
    return _new_request(method, uri, version)


def _new_request(method: str, uri: str, version: str) -> Request:
    request = Request.__new__(Request)
    request.method = method
    request.uri_text = uri
    request.version = version
    request.fields = []
    request._index = {}
    request.body = b""
    request._cache = {}
    return request


def _check_request_uri(uri: str) -> None:
    scheme, colon, rest = uri.partition(":")
    if not colon or not scheme or uri.startswith("<"):
        raise ParseError(f"Request-URI {uri[:60]!r} is not a URI")
    lowered = scheme.lower()
    if lowered in ("sip", "sips"):
        at = rest.find("@")
        hostpart = rest[at + 1 :] if at != -1 else rest
        if "?" in hostpart:
            raise ParseError(f"Request-URI {uri[:60]!r} may not carry headers")
        if not hostpart or "<" in uri or ">" in uri or '"' in uri:
            raise ParseError(f"Request-URI {uri[:60]!r} is malformed")
    elif lowered != "tel":
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", scheme):
            raise ParseError(f"Request-URI {uri[:60]!r} is not a URI")
        raise ParseError(f"Request-URI scheme {scheme!r} is not supported", status=416)


def _status_line(line: str) -> Response:
    version, _, rest = line.partition(" ")
    version = _version(version, "status line")
    code, _, reason = rest.partition(" ")
    if len(code) != 3 or not code.isdigit() or not code.isascii() or not 100 <= int(code) <= 699:
        raise ParseError(f"status line: {code[:20]!r} is not a status code 100-699")
    response = Response.__new__(Response)
    response.status = int(code)
    response.reason = reason
    response.version = version
    response.fields = []
    response._index = {}
    response.body = b""
    response._cache = {}
    return response


# -- building responses ------------------------------------------------------------------


def make_response(
    request: Request,
    status: int,
    reason: str = "",
    *,
    to_tag: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """A response to ``request`` (RFC 3261 §8.2.6): its Via, From, To (with ``to_tag``
    added when the request's To has none), Call-ID and CSeq, then ``headers``."""
    extra = Response(status, reason, headers, body)  # checks status, reason, headers, body
    index = request._index
    vias = index.get("via") or []
    first = [(index.get(key) or ("",))[0] for key in _COPIED_KEYS]
    if to_tag is not None:
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


# -- stream framing ----------------------------------------------------------------------


class StreamFramer:
    """Cuts a stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 §18.3).

    ``feed(data)`` adds bytes; ``next_message()`` returns the next complete message or None.
    A message without Content-Length, or a header block or body beyond the limits, raises
    :class:`~vosengine.sip.ParseError`: the stream cannot be resynchronised, close it.
    """

    def __init__(
        self, *, max_header_bytes: int = MAX_HEADER_BYTES, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self._buffer = bytearray()
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def next_message(self) -> Request | Response | None:
        buffer = self._buffer
        while buffer.startswith(b"\r\n"):
            del buffer[:2]
        end = buffer.find(b"\r\n\r\n")
        if end == -1:
            if len(buffer) > self.max_header_bytes:
                raise ParseError("header block too large", status=413)
            return None
        if end > self.max_header_bytes:
            raise ParseError("header block too large", status=413)
        message = _head(bytes(buffer[:end]), 0, end)
        length = message._typed("content-length")
        if length is None:
            raise ParseError("a message on a stream needs Content-Length")
        if length > self.max_body_bytes:
            raise ParseError(f"body of {length} octets is too large", status=413)
        total = end + 4 + length
        if len(buffer) < total:
            return None
        message.body = bytes(buffer[end + 4 : total])
        del buffer[:total]
        return message

    def messages(self) -> list[Request | Response]:
        """Every complete message buffered now."""
        out = []
        while (message := self.next_message()) is not None:
            out.append(message)
        return out


if _C is not None:
    _C.set_known_names([(name, _key(name)) for name in _COMMON_NAMES])
    _C.configure(Via, NameAddr, CSeq, parse_vias)
