"""Coverage-guided fuzzing of the SIP parser and endpoint with atheris.

The invariants (as h11's fuzz/afl-server.py states one): any input either parses -- and then
validates, re-serialises and re-parses to an equal message -- or raises
``vosengine.sip.ParseError``; and any datagram given to an ``Endpoint`` (twice, then its
timers run out) raises nothing, and whatever the endpoint sends back parses. Anything else is
a crash the fuzzer reports.

    python fuzz/fuzz_sip.py -max_total_time=60 fuzz/corpus
    VOSENGINE_NO_EXTENSIONS=1 python fuzz/fuzz_sip.py -max_total_time=60 fuzz/corpus
"""

from __future__ import annotations

import random
import sys

import atheris

with atheris.instrument_imports():
    from vosengine.sip import (
        Endpoint,
        ParseError,
        _fast,
        _message,
        _parse,
        _sipfast_py,
        parse,
    )

COMPILED = _fast.IMPL if _fast.IMPL is not _sipfast_py else None


def same_split(data: bytes) -> None:
    """The compiled header splitter agrees with the Python one (or defers to it)."""
    end = data.find(b"\r\n\r\n")
    if COMPILED is None or end == -1:
        return
    try:
        fast = COMPILED.split_head(data, 0, end)
    except ParseError:
        fast = "error"
    if fast is None:
        return  # the compiled splitter deferred to the Python one
    try:
        twin = _parse._split_head(data[:end])
    except ParseError:
        twin = "error"
    if twin != fast:
        raise AssertionError(f"compiled and Python splitters differ on {data!r}")


def _parsed(data: bytes, impl: object) -> object:
    """The message ``parse`` makes on ``impl`` and its hot accessors, or "error"."""
    saved, _fast.IMPL = _fast.IMPL, impl
    try:
        message = parse(data)
        hot: list[object] = []
        for name in _message.HOT_ACCESSORS:
            try:
                hot.append(getattr(message, name))
            except ParseError as error:
                hot.append(("error", error.status))
        return message, message.body, hot
    except ParseError:
        return "error"
    finally:
        _fast.IMPL = saved


def same_parse(data: bytes) -> None:
    """The compiled implementation gives the message, body and hot values the Python twin
    gives, or the same error."""
    if COMPILED is None:
        return
    if _parsed(data, COMPILED) != _parsed(data, _sipfast_py):
        raise AssertionError(f"compiled and Python parses differ on {data!r}")


def endpoint_never_raises(data: bytes) -> None:
    """The endpoint answers, absorbs or drops the datagram; what it sends is valid SIP."""
    endpoint = Endpoint(host="192.0.2.2", port=5060, rng=random.Random(0))
    endpoint.receive_datagram(data, ("192.0.2.1", 5060), now=0.0)
    endpoint.receive_datagram(data, ("192.0.2.1", 5060), now=0.1)  # a retransmission
    endpoint.handle_timer(now=1000.0)
    for sent, _ in endpoint.datagrams_to_send():
        parse(sent)


def check(data: bytes) -> None:
    same_split(data)
    same_parse(data)
    endpoint_never_raises(data)
    try:
        message = parse(data)
        message.validate()
        for contact in message.contacts:
            contact.uri  # noqa: B018
        for name in ("authorization", "www-authenticate", "proxy-authorization"):
            message.auth(name=name)
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
