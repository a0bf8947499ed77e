"""Coverage-guided fuzzing of the SIP parser with atheris.

The invariant (as h11's fuzz/afl-server.py states it): any input either parses -- and then
validates, re-serialises and re-parses to an equal message -- or raises
``vosengine.sip.ParseError``. Anything else is a crash the fuzzer reports.

    python fuzz/fuzz_sip.py -max_total_time=60 fuzz/corpus
    VOSENGINE_NO_EXTENSIONS=1 python fuzz/fuzz_sip.py -max_total_time=60 fuzz/corpus
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from vosengine.sip import ParseError, _message, parse


def same_split(data: bytes) -> None:
    """The compiled header splitter agrees with its Python twin (or defers to it)."""
    end = data.find(b"\r\n\r\n")
    if _message._FAST is None or end == -1:
        return
    try:
        fast = _message._FAST(data, 0, end, _message._KEYS, _message._key)
    except ParseError:
        fast = "error"
    if fast is None:
        return  # the compiled splitter deferred to the twin
    try:
        twin = _message._split_head_py(data[:end])
    except ParseError:
        twin = "error"
    if twin != fast:
        raise AssertionError(f"compiled and Python splitters differ on {data!r}")


def _hot(message: object, accessors: dict[str, object]) -> list[object]:
    out: list[object] = []
    for name in _message._HOT_ACCESSORS:
        try:
            out.append(accessors[name].__get__(message))  # type: ignore[attr-defined]
        except ParseError as error:
            out.append(("error", error.status))
    return out


COMPILED = {name: getattr(_message._Base, name) for name in _message._HOT_ACCESSORS}
TWIN = {name: vars(_message._MessageBasePy)[name] for name in _message._HOT_ACCESSORS}


def same_parse(data: bytes) -> None:
    """The compiled datagram parse gives the message the Python path gives (or defers), and
    the compiled accessors read from it what the Python twins read."""
    if _message._C_PARSE is None:
        return
    fast: object
    twin: object
    try:
        fast = _message._C_PARSE(
            data, _message.Request, _message.Response, _message._KEYS, _message._key
        )
    except ParseError:
        fast = "error"
    if fast is None:
        return
    saved, _message._C_PARSE = _message._C_PARSE, None
    try:
        twin = parse(data)
    except ParseError:
        twin = "error"
    finally:
        _message._C_PARSE = saved
    if fast == "error" or twin == "error":
        if fast != twin:
            raise AssertionError(f"compiled and Python parses differ on {data!r}")
        return
    if twin != fast or twin.body != fast.body:
        raise AssertionError(f"compiled and Python parses differ on {data!r}")
    if _hot(fast, COMPILED) != _hot(twin, TWIN):
        raise AssertionError(f"compiled and Python accessors differ on {data!r}")


def check(data: bytes) -> None:
    same_split(data)
    same_parse(data)
    try:
        message = parse(data)
        message.validate()
        for contact in message.contacts:
            contact.uri  # noqa: B018
        for name in ("authorization", "www-authenticate", "proxy-authorization"):
            message.auth(name)
    except ParseError:
        return
    again = parse(bytes(message))
    if again != message:
        raise AssertionError(f"round trip changed the message: {data!r}")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
