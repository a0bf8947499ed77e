"""The typed values of SIP header fields: :class:`Via`, :class:`NameAddr`, :class:`CSeq`,
:class:`Challenge`. Plain named tuples; the parsers that make them live in ``_headers`` (and
the fast paths behind ``_fast``, which build the same tuples)."""

from __future__ import annotations

from typing import NamedTuple

from ._uri import Uri, parse_uri

__all__ = ["CSeq", "Challenge", "NameAddr", "Params", "Via", "find_param", "params_text"]

#: ``;name=value`` parameters in order: names lower-cased, ``None`` for a flag without ``=``
Params = tuple[tuple[str, str | None], ...]


def params_text(params: Params) -> str:
    """``;name=value;flag`` as written in a header."""
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def find_param(params: Params, name: str) -> str | None:
    """The value of parameter ``name`` ('' for a flag), or None when absent."""
    for key, value in params:
        if key == name:
            return "" if value is None else value
    return None


class NameAddr(NamedTuple):
    """A From, To, Contact, Route ... value: display name (quotes and escapes undone, or
    None), the URI's text (parsed on access through :attr:`uri`) and the header parameters
    (names lower-cased, values as sent, ``None`` for a parameter without ``=``)."""

    display_name: str | None
    uri_text: str
    params: Params

    @property
    def uri(self) -> Uri:
        return parse_uri(self.uri_text)

    @property
    def tag(self) -> str | None:
        return find_param(self.params, "tag")

    def param(self, name: str) -> str | None:
        """The parameter's value ('' when it has none), or None when absent."""
        return find_param(self.params, name.lower())

    def __str__(self) -> str:
        text = ""
        if self.display_name is not None:
            escaped = self.display_name.replace("\\", "\\\\").replace('"', '\\"')
            text = f'"{escaped}" '
        return f"{text}<{self.uri_text}>{params_text(self.params)}"


class Via(NamedTuple):
    """One Via value: ``SIP/2.0/<transport> host[:port]`` and its parameters."""

    transport: str
    host: str
    port: int | None
    params: Params

    @property
    def branch(self) -> str | None:
        return find_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        return find_param(self.params, "received")

    @property
    def rport(self) -> str | None:
        """'' for a bare ``rport`` (a request for it), the port once filled in, else None."""
        return find_param(self.params, "rport")

    def param(self, name: str) -> str | None:
        return find_param(self.params, name.lower())

    def __str__(self) -> str:
        host = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"SIP/2.0/{self.transport} {host}{params_text(self.params)}"


class CSeq(NamedTuple):
    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


class Challenge(NamedTuple):
    """An Authorization / WWW-Authenticate / Proxy-* value: the scheme and its parameters
    (names lower-cased, quoted values unquoted)."""

    scheme: str
    params: dict[str, str]
