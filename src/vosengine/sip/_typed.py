"""The typed parsers of a message's core headers, by key: run by ``Message.validate`` for
every one of them, and by the typed accessors on first access. Each reads the header's raw
values from the message and raises :class:`~vosengine.sip.ParseError` naming the header."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import _fast
from ._errors import ParseError
from ._headers import parse_cseq, parse_name_addr, parse_name_addrs, parse_uint, parse_vias
from ._names import spelling
from ._uri import parse_uri
from ._values import CSeq, NameAddr, Via

if TYPE_CHECKING:
    from ._message import Message

__all__ = ["ABSENT", "EAGER", "MAX_CONTENT_LENGTH", "PARSERS"]

#: The largest Content-Length a message may declare.
MAX_CONTENT_LENGTH = 2**31 - 1

_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} GMT\Z",
    re.ASCII,
)


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
    fast = _fast.IMPL.cseq(value)
    if fast is not None:
        return tuple.__new__(CSeq, fast)
    return parse_cseq(value)


def _p_uint(key: str, maximum: int) -> Any:
    where = spelling(key)

    def parse(message: Message) -> int | None:
        value = _one(message, key)
        if value is None:
            return None
        fast = _fast.IMPL.uint(value, maximum)
        if fast is not None:
            return fast
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
        parse_uri(contact.uri_text, where="Contact")  # a binding is only made of a real URI
        expires = contact.param("expires")
        if expires is not None:
            parse_uint(expires, "Contact expires", 2**32 - 1)
    return star, out


def _p_date(message: Message) -> str | None:
    value = _one(message, "date")
    if value is not None and not _DATE.match(value):
        raise ParseError(f"Date: {value!r} is not an RFC 1123 date in GMT")
    return value


PARSERS: dict[str, Any] = {
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
EAGER = tuple(PARSERS)
# what the parsers give for a header that is not there
ABSENT: dict[str, Any] = {"via": [], "contact": (False, [])}
