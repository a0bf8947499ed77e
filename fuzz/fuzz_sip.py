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
    from vosengine.sip import ParseError, parse


def check(data: bytes) -> None:
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
