"""Header names and the lexical rules every parser shares: the token grammar, compact forms,
canonical keys and wire spellings, and bounded non-negative integers (:func:`parse_uint`).

A header's *key* is its name in lower case with the compact form expanded (``v`` -> ``via``);
every look-up inside a message goes by key. ``key_of`` is called once per header field the
parser meets, so it keeps the keys of the names it has seen in :data:`KEYS`, a cache bounded at
:data:`MAX_CACHED_NAMES` entries: names beyond that are still canonicalised, just not kept, so
a peer sending a stream of invented names cannot grow it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .._checks import check_str
from ._errors import ParseError

__all__ = [
    "COMMON_NAMES",
    "COMPACT",
    "KEYS",
    "MAX_CACHED_NAMES",
    "TOKEN",
    "TOKEN_FULL",
    "key_of",
    "parse_uint",
    "spelling",
]

#: RFC 3261 ``token``.
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
TOKEN_RE = re.compile(TOKEN)
TOKEN_FULL = re.compile(rf"{TOKEN}\Z")  # \Z: "$" would also match before a final LF

COMPACT: Mapping[str, str] = MappingProxyType({
    "v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact",
    "l": "content-length", "c": "content-type", "k": "supported", "s": "subject",
    "e": "content-encoding", "o": "event", "u": "allow-events", "r": "refer-to",
    "b": "referred-by", "x": "session-expires", "y": "identity", "a": "accept-contact",
    "j": "reject-contact", "d": "request-disposition", "n": "identity-info",
})  # fmt: skip
#: keys whose wire spelling is not the capitalised words
SPELLING: Mapping[str, str] = MappingProxyType({
    "call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version", "rack": "RAck", "rseq": "RSeq", "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match", "identity-info": "Identity-Info",
})  # fmt: skip
#: Header names as peers usually spell them; the compiled splitter matches these bytes
#: without decoding them.
COMMON_NAMES = (
    "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
    "Content-Type", "Expires", "Authorization", "WWW-Authenticate", "Route", "Record-Route",
    "User-Agent", "Allow", "Supported", "Accept", "Server", "Date", "Min-Expires",
    "v", "f", "t", "i", "m", "l", "c", "k", "s",
)  # fmt: skip

#: The most raw names whose keys :data:`KEYS` keeps.
MAX_CACHED_NAMES = 2048
#: raw name (as sent) -> key, for the names met so far (at most MAX_CACHED_NAMES)
KEYS: dict[str, str] = {}


def spelling(key: str) -> str:
    """How a header name is written on the wire (``call-id`` -> ``Call-ID``)."""
    return SPELLING.get(key) or "-".join(part.capitalize() for part in key.split("-"))


def key_of(name: str) -> str:
    """The key (lower case, compact form expanded) of a raw header name, trailing white space
    ignored; :class:`~vosengine.sip.ParseError` when the name is not a token.

    >>> key_of("v"), key_of("CALL-ID "), key_of("X-Custom")
    ('via', 'call-id', 'x-custom')
    """
    if type(name) is not str:
        check_str(name, "name")
    key = KEYS.get(name)
    if key is not None:
        return key
    stripped = name.rstrip(" \t")
    if not TOKEN_FULL.match(stripped):
        raise ParseError(f"bad header name {name!r}")
    lowered = stripped.lower()
    key = COMPACT.get(lowered, lowered)
    if len(KEYS) < MAX_CACHED_NAMES:
        KEYS[name] = key
    return key


def _too_long(digits: str, most: int) -> bool:
    """Whether ``digits`` has more than ``most`` significant digits (a bound checked before
    ``int()``, so a peer cannot make the parser convert a huge number)."""
    return len(digits) > most and len(digits.lstrip("0")) > most


def parse_uint(value: str, where: str, maximum: int) -> int:
    """The value of ASCII digits (white space around them ignored) up to ``maximum``; every
    integer a peer sends is read here, its length bounded before it is converted.
    :class:`~vosengine.sip.ParseError` names ``where`` otherwise.

    >>> parse_uint(" 0003600", "Expires", 2**32 - 1)
    3600
    """
    text = value.strip(" \t")
    if not text.isdigit() or not text.isascii():
        raise ParseError(f"{where}: {value[:40]!r} is not a non-negative integer")
    if _too_long(text, len(str(maximum))) or int(text) > maximum:
        raise ParseError(f"{where}: {text[:40]} is larger than {maximum}")
    return int(text)
