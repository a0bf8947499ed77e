"""The parsers of SIP header field values, which make the typed values of ``_values``.

Each parser takes one header field value (already unfolded) and raises
:class:`~vosengine.sip.ParseError` naming the header when the value is malformed. Each has a
fast path (one regular expression for the shape real peers send) and a general path that
accepts every bit of linear white space RFC 3261 allows.
"""

from __future__ import annotations

import re

from . import _fast
from ._errors import ParseError
from ._names import TOKEN, TOKEN_FULL, TOKEN_RE, parse_uint
from ._values import Challenge, CSeq, NameAddr, Params, Via

__all__ = [
    "parse_auth",
    "parse_cseq",
    "parse_name_addr",
    "parse_name_addrs",
    "parse_params",
    "parse_uint",
    "parse_vias",
    "split_commas",
]

# builds a named tuple straight from a tuple of its fields (no argument parsing)
_new = tuple.__new__
_WS = " \t"


# -- generic pieces --------------------------------------------------------------------------


def _quoted(text: str, start: int, where: str) -> tuple[str, int]:
    """The quoted string opening at ``text[start]`` (escapes undone) and the index after it."""
    out: list[str] = []
    index = start + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char == '"':
            return "".join(out), index + 1
        if char == "\\":
            if index + 1 >= length:
                break
            out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    raise ParseError(f"{where}: unterminated quoted string")


def split_commas(value: str, where: str) -> list[str]:
    """Split a list-valued header at commas outside quotes and angle brackets."""
    if '"' not in value and "<" not in value:
        parts = value.split(",")
    else:
        parts = []
        depth = 0
        start = 0
        index = 0
        length = len(value)
        while index < length:
            char = value[index]
            if char == '"':
                _, index = _quoted(value, index, where)
                continue
            if char == "<":
                depth += 1
            elif char == ">":
                depth -= 1
            elif char == "," and depth == 0:
                parts.append(value[start:index])
                start = index + 1
            index += 1
        parts.append(value[start:])
    out = [part.strip(_WS) for part in parts]
    if any(not part for part in out):
        raise ParseError(f"{where}: empty element in a comma-separated list")
    return out


def parse_params(text: str, where: str) -> Params:
    """``;name[=value]`` pairs with optional white space; an empty parameter is an error."""
    text = text.strip(_WS)
    if not text:
        return ()
    if not text.startswith(";"):
        raise ParseError(f"{where}: unexpected {text[:20]!r}")
    out: list[tuple[str, str | None]] = []
    if '"' not in text:
        for raw in text[1:].split(";"):
            name, eq, value = raw.partition("=")
            name = name.strip(_WS)
            if not TOKEN_FULL.match(name):
                raise ParseError(f"{where}: bad parameter {raw.strip()!r}")
            if eq:
                value = value.strip(_WS)
                if not value or any(c in value for c in " \t"):
                    raise ParseError(f"{where}: bad value for parameter {name!r}")
                out.append((name.lower(), value))
            else:
                out.append((name.lower(), None))
        return tuple(out)
    # general path: quoted values may hold ';'
    index, length = 0, len(text)
    while index < length:
        if text[index] != ";":
            raise ParseError(f"{where}: unexpected {text[index : index + 20]!r}")
        index += 1
        while index < length and text[index] in _WS:
            index += 1
        match = TOKEN_RE.match(text, index)
        if not match:
            raise ParseError(f"{where}: parameter without a name")
        name = match.group().lower()
        index = match.end()
        while index < length and text[index] in _WS:
            index += 1
        found: str | None = None
        if index < length and text[index] == "=":
            index += 1
            while index < length and text[index] in _WS:
                index += 1
            if index < length and text[index] == '"':
                inner, index = _quoted(text, index, where)
                escaped = inner.replace("\\", "\\\\").replace('"', '\\"')
                found = f'"{escaped}"'
            else:
                end = index
                while end < length and text[end] not in ";" + _WS:
                    end += 1
                found = text[index:end]
                if not found:
                    raise ParseError(f"{where}: parameter {name!r} has an empty value")
                index = end
            while index < length and text[index] in _WS:
                index += 1
        out.append((name, found))
    return tuple(out)


# -- name-addr -------------------------------------------------------------------------------

# Linear: the two display-name forms start differently ('"' or a token character) and each
# runs up to a character it cannot hold, so a failing match backtracks one step at a time.
_NAME_ADDR_FAST = re.compile(
    r'(?:"([^"\\]*)" *|([A-Za-z0-9\-.!%*_+`\'~ ]*))<([^<>\s"]+)>((?:;[^;"\s]+)*)\Z'
)


def parse_name_addr(value: str, where: str) -> NameAddr:
    """A From / To / Contact / Route value: ``"Display" <uri>;params``, ``token <uri>``,
    ``<uri>`` or a bare addr-spec ``uri;params`` (its ``;params`` are header parameters)."""
    fast = _fast.IMPL.name_addr(value)
    if fast is not None:
        return _new(NameAddr, fast)
    display: str | None = None
    match = _NAME_ADDR_FAST.match(value)
    if match:
        quoted, plain, uri, params_text = match.groups()
        display = quoted if quoted is not None else (" ".join(plain.split()) or None)
        if not params_text:
            return NameAddr(display, uri, ())
        params = _fast_params(params_text[1:])
        return NameAddr(
            display, uri, params if params is not None else parse_params(params_text, where)
        )
    text = value.strip(_WS)
    if not text:
        raise ParseError(f"{where}: empty value")
    index = 0
    if text[0] == '"':
        display, index = _quoted(text, 0, where)
        while index < len(text) and text[index] in _WS:
            index += 1
        if index >= len(text) or text[index] != "<":
            raise ParseError(f"{where}: a quoted display name must be followed by <uri>")
    else:
        lt = text.find("<")
        if lt != -1:
            tokens = text[:lt].split()
            for token in tokens:
                if not TOKEN_FULL.match(token):
                    raise ParseError(f"{where}: display name {text[:lt].strip()!r} must be quoted")
            display = " ".join(tokens) or None
            index = lt
    if index < len(text) and text[index] == "<":
        close = text.find(">", index)
        if close == -1:
            raise ParseError(f"{where}: missing '>'")
        uri = text[index + 1 : close]
        if not uri or any(c in uri for c in ' \t"<'):
            raise ParseError(f"{where}: bad URI <{uri}>")
        rest = text[close + 1 :]
    else:
        semicolon = text.find(";")
        uri = text if semicolon == -1 else text[:semicolon]
        rest = "" if semicolon == -1 else text[semicolon:]
        uri = uri.rstrip(_WS)
        if not uri or any(c in uri for c in ' \t",?<>'):
            raise ParseError(f"{where}: {uri!r} must be enclosed in <> (RFC 3261 §20)")
    if ":" not in uri:
        raise ParseError(f"{where}: {uri!r} is not a URI")
    return NameAddr(display, uri, parse_params(rest, where))


def parse_name_addrs(value: str, where: str) -> list[NameAddr]:
    """A comma-separated list of name-addrs (Contact, Route, Record-Route ...)."""
    if "," not in value:
        return [parse_name_addr(value, where)]
    return [parse_name_addr(part, where) for part in split_commas(value, where)]


# -- Via -------------------------------------------------------------------------------------

_VIA_FAST = re.compile(
    r"^SIP/2\.0/([A-Za-z0-9\-.!%*_+`'~]+) ([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?"
    r"((?:;[^;,\s\"]+)*)\Z"
)
_VIA_GENERAL = re.compile(
    r"^[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*"
    rf"({TOKEN})[ \t]+([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])[ \t]*(?::[ \t]*([0-9]{{1,5}}))?"
    r"[ \t]*(.*)\Z",
    re.S,
)


_HOST_FAST = re.compile(r"[A-Za-z0-9.\-]+\Z")
_PORT = re.compile(r"[0-9]{1,5}\Z")


def _fast_params(text: str) -> Params | None:
    """``a=b;c`` (no leading ';') when it is plain tokens, else None for the general path."""
    out = []
    for raw in text.split(";"):
        name, eq, value = raw.partition("=")
        if not name or (eq and not value) or not TOKEN_FULL.match(name):
            return None
        if eq and not TOKEN_FULL.match(value) and not _HOST_FAST.match(value):
            return None
        out.append((name.lower(), value if eq else None))
    return tuple(out)


def parse_vias(value: str, where: str = "Via") -> list[Via]:
    """Every Via in one header field value."""
    fast = _fast.IMPL.via(value)
    if fast is not None:
        return [_new(Via, fast)]
    if value[:8] == "SIP/2.0/" and "," not in value and '"' not in value:
        transport, space, rest = value[8:].partition(" ")
        hostport, semicolon, params_text = rest.partition(";")
        if space and transport.isalnum() and hostport[:1] != "[" and " " not in rest:
            host, colon, port = hostport.partition(":")
            if _HOST_FAST.match(host) and (not colon or _PORT.match(port)):
                params = _fast_params(params_text) if semicolon else ()
                if params is not None:
                    return [
                        Via(
                            transport.upper(),
                            host.lower(),
                            _port(port, where) if colon else None,
                            params,
                        )
                    ]
    match = _VIA_FAST.match(value)
    if match:
        transport, host, port, params_text = match.groups()
        return [
            Via(
                transport.upper(),
                host.lower(),
                _port(port, where) if port else None,
                parse_params(params_text, where) if params_text else (),
            )
        ]
    out = []
    for part in split_commas(value, where):
        general = _VIA_GENERAL.match(part)
        if not general:
            raise ParseError(f"{where}: {part[:60]!r} is not a Via value")
        name, version, transport, host, port, rest = general.groups()
        if name.upper() != "SIP" or version != "2.0":
            raise ParseError(f"{where}: unsupported protocol {name}/{version}")
        out.append(
            Via(
                transport.upper(),
                host.lower(),
                _port(port, where) if port else None,
                parse_params(rest, where),
            )
        )
    return out


def _port(text: str, where: str) -> int:
    return parse_uint(text, f"{where}: port", 65535)


# -- CSeq, numbers ---------------------------------------------------------------------------

MAX_CSEQ = 2**31 - 1


def parse_cseq(value: str, where: str = "CSeq") -> CSeq:
    number, _, method = value.partition(" ")
    if method[:1] in _WS or method[-1:] in _WS or number[:1] in _WS:
        number, _, method = value.strip(_WS).partition(" ")
        method = method.strip(_WS)
    if not number.isdigit() or not number.isascii() or not TOKEN_FULL.match(method):
        raise ParseError(f"{where}: {value[:60]!r} is not '<number> <method>'")
    return CSeq(parse_uint(number, f"{where}: sequence number", MAX_CSEQ), method)


# -- authentication --------------------------------------------------------------------------

_UNQUOTE = re.compile(r"\\(.)", re.S)
_AUTH_PARAM = re.compile(
    rf'[ \t]*({TOKEN})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|({TOKEN}))[ \t]*(,|\Z)', re.S
)


def parse_auth(value: str, where: str) -> Challenge:
    """``Digest name=value, name="value" ...`` (credentials or a challenge)."""
    text = value.strip(_WS)
    scheme, _, rest = text.partition(" ")
    if not TOKEN_FULL.match(scheme):
        raise ParseError(f"{where}: missing authentication scheme")
    fast = _fast.IMPL.auth_params(rest)
    if fast is not None:
        return Challenge(scheme.capitalize() if scheme.lower() == "digest" else scheme, fast)
    params: dict[str, str] = {}
    index, length = 0, len(rest)
    while index < length:
        match = _AUTH_PARAM.match(rest, index)
        if not match:
            raise ParseError(
                f"{where}: bad authentication parameter near {rest[index : index + 30]!r}"
            )
        name = match.group(1).lower()
        quoted = match.group(2)
        if quoted is None:
            value_text = match.group(3)
        elif "\\" in quoted:
            value_text = _UNQUOTE.sub(r"\1", quoted)
        else:
            value_text = quoted
        if name in params:
            raise ParseError(f"{where}: parameter {name!r} appears twice")
        params[name] = value_text
        index = match.end()
        if match.group(4) == "" and index < length:
            raise ParseError(f"{where}: junk after the parameters")
    return Challenge(scheme.capitalize() if scheme.lower() == "digest" else scheme, params)
