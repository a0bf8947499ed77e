"""Parsing and framing: bytes into a :class:`~vosengine.sip.Request` or
:class:`~vosengine.sip.Response`.

``parse(data)`` reads one message (a datagram: octets after the declared body are ignored).
:class:`StreamFramer` cuts a TCP byte stream into messages by Content-Length.

``parse`` checks the framing at once: the start line, header syntax (folding undone, compact
names expanded), and Content-Length against the body; typed header values are parsed when
they are read (see ``_message``). A datagram of the common shape goes through the fast path
behind ``_fast`` in one call; anything else, and everything when that path declines, is read
here. **Any input either parses or raises** ``ParseError``, nothing else.
"""

from __future__ import annotations

import re
from typing import TypeVar

from .._checks import check_type
from ..errors import InvalidArgumentType
from . import _fast
from ._errors import ParseError
from ._message import CONCRETE, MAX_CONTENT_LENGTH, Request, Response
from ._names import KEYS, TOKEN_FULL, key_of

__all__ = ["MAX_BODY_BYTES", "MAX_HEADER_BYTES", "StreamFramer", "parse"]

#: Largest header block ``StreamFramer`` buffers before giving up on a peer.
MAX_HEADER_BYTES = 65_536
#: Largest body ``StreamFramer`` accepts.
MAX_BODY_BYTES = 16 * 1024 * 1024

_FOLD = re.compile(r"\r?\n[ \t]+")
_VERSION = re.compile(r"SIP/([0-9]+)\.([0-9]+)\Z", re.I)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")

Fields = list[tuple[str, str, str]]
Index = dict[str, list[str]]
_M = TypeVar("_M", Request, Response)


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
    impl = _fast.IMPL
    request_type, response_type = CONCRETE[impl]
    fast = impl.parse_datagram(data, request_type, response_type)
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
        if len(lengths) == 1:
            length = impl.uint(lengths[0], MAX_CONTENT_LENGTH)
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
    impl = _fast.IMPL
    split = impl.split_head(data, start, end)
    if split is None:
        split = _split_head(data[start:end])
    first, fields, index = split
    message: Request | Response
    if first[:4] == "SIP/" or first[:4].upper() == "SIP/":
        message = _status_line(first)
    else:
        message = _request_line(first)
    message.fields = fields
    message._index = index
    return message


def _fill(message: _M, fields: Fields, index: Index, version: str = "SIP/2.0") -> _M:
    """Set what every parsed message starts with: its version, headers and no body yet."""
    message.version = version
    message.fields = fields
    message._index = index
    message.body = b""
    message._cache = {}
    return message


def _split_head(raw: bytes) -> tuple[str, Fields, Index]:
    """The start line, ``(key, name, value)`` fields and per-key value lists of a header
    block: folding undone, values trimmed, bare-LF line ends accepted. A stray CR or LF, a
    line without ``:`` or a bad header name is a :class:`~vosengine.sip.ParseError`."""
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
    keys = KEYS
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ParseError(f"header line without ':': {line[:40]!r}")
        key = keys.get(name) or key_of(name)
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
    fast = _fast.IMPL.request_line(line)
    if fast is not None:
        return _new_request(fast[0], fast[1], "SIP/2.0")
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise ParseError(f"request line {line[:80]!r} is not 'METHOD SP URI SP SIP/2.0'")
    method, uri, version = parts
    if not TOKEN_FULL.match(method):
        raise ParseError(f"request line: method {method[:30]!r} is not a token")
    version = _version(version, "request line")
    check_request_uri(uri)
    return _new_request(method, uri, version)


def _new_request(method: str, uri: str, version: str) -> Request:
    request = Request.__new__(Request)
    request.method = method
    request.uri_text = uri
    return _fill(request, [], {}, version)


def check_request_uri(uri: str, where: str = "Request-URI") -> None:
    """Raise :class:`ParseError` unless ``uri`` may be a Request-URI: what a request line
    carries, and what a dialog's remote target or route entry must be, since its next request
    goes to it (``where`` names the header it came from)."""
    scheme, colon, rest = uri.partition(":")
    if not colon or not scheme or uri.startswith("<"):
        raise ParseError(f"{where} {uri[:60]!r} is not a URI")
    lowered = scheme.lower()
    if lowered in ("sip", "sips"):
        at = rest.find("@")
        hostpart = rest[at + 1 :] if at != -1 else rest
        if "?" in hostpart:
            raise ParseError(f"{where} {uri[:60]!r} may not carry headers")
        if not hostpart or "<" in uri or ">" in uri or '"' in uri:
            raise ParseError(f"{where} {uri[:60]!r} is malformed")
    elif lowered != "tel":
        if not _SCHEME.match(scheme):
            raise ParseError(f"{where} {uri[:60]!r} is not a URI")
        raise ParseError(f"{where} scheme {scheme!r} is not supported", status=416)


def _status_line(line: str) -> Response:
    fast = _fast.IMPL.status_line(line)
    if fast is not None:
        return _new_response(fast[0], fast[1], "SIP/2.0")
    version, _, rest = line.partition(" ")
    version = _version(version, "status line")
    code, _, reason = rest.partition(" ")
    if len(code) != 3 or not code.isdigit() or not code.isascii() or not 100 <= int(code) <= 699:
        raise ParseError(f"status line: {code[:20]!r} is not a status code 100-699")
    return _new_response(int(code), reason, version)


def _new_response(status: int, reason: str, version: str) -> Response:
    response = Response.__new__(Response)
    response.status = status
    response.reason = reason
    return _fill(response, [], {}, version)


# -- stream framing ----------------------------------------------------------------------


class StreamFramer:
    """Cuts a stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 §18.3).

    ``feed(data)`` adds bytes; ``next_message()`` returns the next complete message or None.
    A message without Content-Length, or a header block or body beyond the limits, raises
    :class:`~vosengine.sip.ParseError` (413 for the limits): the stream cannot be
    resynchronised, close it.

    Framing is linear in the bytes fed however they are cut: the search for the end of the
    header block resumes where it stopped, and the header block is parsed once, however
    many calls the body takes to arrive.
    """

    def __init__(
        self, *, max_header_bytes: int = MAX_HEADER_BYTES, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self._buffer = bytearray()
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self._scanned = 0  # how much of the buffer holds no end of a header block
        # the message whose header block is parsed, with where its body starts and ends
        self._pending: tuple[Request | Response, int, int] | None = None

    def feed(self, data: bytes) -> None:
        self._buffer += check_type(data, (bytes, bytearray, memoryview), "data")

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def next_message(self) -> Request | Response | None:
        buffer = self._buffer
        pending = self._pending
        if pending is None:
            pending = self._head()
            if pending is None:
                return None
        message, body_start, total = pending
        if len(buffer) < total:
            return None
        message.body = bytes(buffer[body_start:total])
        del buffer[:total]
        self._pending = None
        self._scanned = 0
        return message

    def _head(self) -> tuple[Request | Response, int, int] | None:
        """Parse the next header block once it is complete (None until then)."""
        buffer = self._buffer
        skip = 0
        while buffer.startswith(b"\r\n", skip):  # keep-alive CRLFs between messages
            skip += 2
        if skip:
            del buffer[:skip]
            self._scanned = max(0, self._scanned - skip)
        end = buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
        if end == -1:
            self._scanned = len(buffer)
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
        self._pending = (message, end + 4, end + 4 + length)
        return self._pending

    def messages(self) -> list[Request | Response]:
        """Every complete message buffered now."""
        out = []
        while (message := self.next_message()) is not None:
            out.append(message)
        return out
