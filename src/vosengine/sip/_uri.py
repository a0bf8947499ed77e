"""SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966), parsed with %-escapes undone."""

from __future__ import annotations

import re
from typing import Any

import attrs

from .._checks import check_str
from ._errors import ParseError
from ._names import parse_uint

__all__ = ["SipUri", "TelUri", "Uri", "parse_uri", "unescape"]

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# a label is alphanumerics with inner hyphens; checked label by label (linear, no backtracking)
_LABEL = re.compile(r"[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*\Z")
_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")
_TEL_NUMBER = re.compile(r"\+?[0-9A-Fa-f*#().-]+\Z")
# characters that never appear unescaped in a SIP URI: white space, and the delimiters of
# the name-addr and header syntax around it
_FORBIDDEN = re.compile(r"[\s<>\"]")


def unescape(text: str) -> str:
    """Undo %HH escapes (bytes decoded as UTF-8, invalid sequences kept as escapes).

    >>> unescape("%75se%72")
    'user'
    """
    if "%" not in text:
        return text
    try:
        raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).encode("latin-1")
        return raw.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _check_escapes(text: str, where: str) -> None:
    index = text.find("%")
    while index != -1:
        if not _ESCAPE.match(text, index):
            raise ParseError(f"{where}: bad %-escape at {text[index : index + 3]!r}")
        index = text.find("%", index + 3)


def _params(text: str, where: str) -> tuple[tuple[str, str | None], ...]:
    out = []
    for raw in text.split(";"):
        if not raw:
            raise ParseError(f"{where}: empty URI parameter")
        name, eq, value = raw.partition("=")
        if not name:
            raise ParseError(f"{where}: URI parameter without a name")
        _check_escapes(raw, where)
        out.append((unescape(name).lower(), unescape(value) if eq else None))
    return tuple(out)


@attrs.frozen(kw_only=True)
class SipUri:
    """A ``sip:`` or ``sips:`` URI. ``user`` and ``password`` have %-escapes undone; ``host``
    is lower-cased (an IPv6 reference keeps its brackets); ``params`` and ``headers`` are
    ``(name, value)`` pairs in order (a parameter without ``=`` has value ``None``)."""

    scheme: str
    user: str | None
    password: str | None
    host: str
    port: int | None
    params: tuple[tuple[str, str | None], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    def param(self, name: str, default: str | None = None) -> str | None:
        name = check_str(name, "name").lower()
        for key, value in self.params:
            if key == name:
                return value if value is not None else ""
        return default

    def has_param(self, name: str) -> bool:
        name = check_str(name, "name").lower()
        return any(key == name for key, _ in self.params)

    @property
    def aor(self) -> str:
        """The address of record: ``scheme:user@host`` (no port, parameters or headers)."""
        user = f"{self.user}@" if self.user is not None else ""
        return f"{self.scheme}:{user}{self.host}"

    def __str__(self) -> str:
        from urllib.parse import quote

        text = self.scheme + ":"
        if self.user is not None:
            text += quote(self.user, safe="-_.!~*'()&=+$,;?/")
            if self.password is not None:
                text += ":" + quote(self.password, safe="-_.!~*'()&=+$,")
            text += "@"
        text += self.host
        if self.port is not None:
            text += f":{self.port}"
        for name, value in self.params:
            text += ";" + quote(name, safe="-_.!~*'()[]/:&+$")
            if value is not None:
                text += "=" + quote(value, safe="-_.!~*'()[]/:&+$")
        if self.headers:
            text += "?" + "&".join(
                f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in self.headers
            )
        return text


@attrs.frozen(kw_only=True)
class TelUri:
    """A ``tel:`` URI (RFC 3966): the number and its parameters."""

    number: str
    params: tuple[tuple[str, str | None], ...] = ()
    scheme: str = "tel"

    @property
    def aor(self) -> str:
        return f"tel:{self.number}"

    def __str__(self) -> str:
        text = f"tel:{self.number}"
        for name, value in self.params:
            text += f";{name}" + (f"={value}" if value is not None else "")
        return text


Uri = SipUri | TelUri
_CACHE: dict[str, Any] = {}


def parse_uri(text: str, *, where: str = "URI") -> Uri:
    """Parse a SIP, SIPS or TEL URI. An unsupported scheme raises :class:`ParseError` with
    status 416; any other fault, 400.

    >>> parse_uri("sip:alice:secret@Example.COM:5070;transport=tcp?subject=hi").host
    'example.com'
    """
    if type(text) is not str:
        check_str(text, "text")
    cached = _CACHE.get(text)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    uri = _parse_uri(text, check_str(where, "where"))
    if len(_CACHE) < 4096:
        _CACHE[text] = uri
    return uri


def _parse_uri(text: str, where: str) -> Uri:
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME.match(scheme):
        raise ParseError(f"{where}: {text!r} is not a URI")
    if _FORBIDDEN.search(text):
        raise ParseError(f"{where}: {text!r} contains white space, '<', '>' or '\"'")
    scheme = scheme.lower()
    if scheme == "tel":
        number, _, tel_params = rest.partition(";")
        if not _TEL_NUMBER.match(number):
            raise ParseError(f"{where}: {text!r} has no valid telephone number")
        return TelUri(number=number, params=_params(tel_params, where) if tel_params else ())
    if scheme not in ("sip", "sips"):
        raise ParseError(f"{where}: unsupported URI scheme {scheme!r}", status=416)
    at = rest.find("@")
    user = password = None
    if at != -1:
        userinfo, rest = rest[:at], rest[at + 1 :]
        if not userinfo:
            raise ParseError(f"{where}: {text!r} has an empty user part")
        _check_escapes(userinfo, where)
        raw_user, has_password, raw_password = userinfo.partition(":")
        user = unescape(raw_user)
        password = unescape(raw_password) if has_password else None
    hostport, _, headers_text = rest.partition("?")
    hostport, _, params_text = hostport.partition(";")
    host, port = _hostport(hostport, text, where)
    uri_params = _params(params_text, where) if params_text else ()
    headers: tuple[tuple[str, str], ...] = ()
    if headers_text:
        pairs = []
        for raw in headers_text.split("&"):
            name, eq, value = raw.partition("=")
            if not name or not eq:
                raise ParseError(f"{where}: bad URI header {raw!r}")
            _check_escapes(raw, where)
            pairs.append((unescape(name), unescape(value)))
        headers = tuple(pairs)
    return SipUri(
        scheme=scheme,
        user=user,
        password=password,
        host=host,
        port=port,
        params=uri_params,
        headers=headers,
    )


def _hostport(text: str, uri: str, where: str) -> tuple[str, int | None]:
    if text.startswith("["):
        close = text.find("]")
        if close == -1:
            raise ParseError(f"{where}: unterminated IPv6 reference in {uri!r}")
        host, rest = text[: close + 1], text[close + 1 :]
        if not _IPV6.match(host):
            raise ParseError(f"{where}: bad IPv6 reference {host!r}")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ParseError(f"{where}: junk after the IPv6 reference in {uri!r}")
    else:
        host, colon, port_text_raw = text.partition(":")
        port_text = port_text_raw if colon else None
        if not (_IPV4.match(host) or _hostname(host)):
            raise ParseError(f"{where}: bad host {host[:60]!r} in {uri[:80]!r}")
    port = None
    if port_text is not None:
        if not port_text:
            raise ParseError(f"{where}: empty port in {uri[:80]!r}")
        port = parse_uint(port_text, f"{where}: port", 65535)
    return host.lower(), port


def _hostname(host: str) -> bool:
    """Whether ``host`` is a domain name: labels of alphanumerics and inner hyphens, dotted,
    with an optional final dot."""
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return bool(host) and all(_LABEL.match(label) for label in labels)
