"""SIP parsing and registration throughput against sippy and sipmessage, in one run.

Corpus: realistic INVITE, REGISTER (with digest credentials), 200 OK and BYE messages. For each
message every parser produces the same parsed values: the top Via's host, port and branch, the
From and To tags, the Call-ID, and the CSeq number and method. The floor is a bare split of the
bytes into a header dict (no unfolding, no compact forms, no values parsed).

Then the registrar: a REGISTER carrying valid digest credentials for one of 1,000 users, handled
end to end (parse, validate, verify the digest, update the binding, build and serialize the
200), on one core.

    pip install -e '.[bench]'
    python benchmarks/compare_sip.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vosengine.sip import (
    DigestAuthenticator,
    Registrar,
    SipAccount,
    answer_challenge,
    parse,
)
from vosengine.sip._headers import parse_auth

REALM = "127.0.0.1"
SECRET = b"benchmark-secret-0123456789"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


INVITE = crlf(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 127\n\n"
    "v=0\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\ns=-\n"
    "c=IN IP4 192.0.2.101\nt=0 0\nm=audio 49172 RTP/AVP 0\n"
)
OK = crlf(
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:bob@192.0.2.4>\n"
    "Content-Length: 0\n\n"
)
BYE = crlf(
    "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\n"
    "Max-Forwards: 70\n"
    "From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n"
    "To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 231 BYE\n"
    "Content-Length: 0\n\n"
)


def register_bytes(user: int, cseq: int, authorization: str | None) -> bytes:
    text = (
        f"REGISTER sip:{REALM} SIP/2.0\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{user}-{cseq};rport\n"
        "Max-Forwards: 70\n"
        f"From: <sip:{user}@{REALM}>;tag={user}x{cseq}\n"
        f"To: <sip:{user}@{REALM}>\n"
        f"Call-ID: reg-{user}@127.0.0.1\n"
        f"CSeq: {cseq} REGISTER\n"
        f"Contact: <sip:{user}@127.0.0.1:5061>\n"
        "Expires: 3600\n"
    )
    if authorization:
        text += f"Authorization: {authorization}\n"
    return crlf(text + "Content-Length: 0\n\n")


def corpus() -> list[bytes]:
    auth = DigestAuthenticator(REALM, SECRET, algorithms=("MD5",))
    challenge = parse_auth(auth.challenge(now=0.0)[0], "WWW-Authenticate")
    answer = answer_challenge(
        challenge,
        method="REGISTER",
        uri=f"sip:{REALM}",
        username="1000",
        password="secret",
        cnonce="abc",
    )
    return [INVITE, register_bytes(1000, 2, answer), OK, BYE]


def ours(data: bytes) -> tuple[Any, ...]:
    m = parse(data)
    via = m.top_via
    cseq = m.cseq
    return (
        via.host,
        via.port,
        via.branch,
        m.from_.tag,
        m.to.tag,
        m.call_id,  # type: ignore[union-attr]
        cseq.number,
        cseq.method,
    )  # type: ignore[union-attr]


def floor(data: bytes) -> dict[bytes, bytes]:
    head, _, _ = data.partition(b"\r\n\r\n")
    return {k: v for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])}


def sippy_parser() -> Callable[[bytes], tuple[Any, ...]] | None:
    try:
        from sippy.SipRequest import SipRequest
        from sippy.SipResponse import SipResponse
    except ImportError:
        return None

    def run(data: bytes) -> tuple[Any, ...]:
        text = data.decode()
        message = SipResponse(text) if text.startswith("SIP/") else SipRequest(text)
        via = message.getHFBody("via")
        host, port = via.getAddr()
        number, method = message.getHFBody("cseq").getCSeq()
        return (
            host,
            port,
            via.getBranch(),
            message.getHFBody("from").getTag(),
            message.getHFBody("to").getTag(),
            str(message.getHFBody("call-id")),
            number,
            method,
        )

    return run


def sipmessage_parser() -> Callable[[bytes], tuple[Any, ...]] | None:
    try:
        import sipmessage
    except ImportError:
        return None

    def run(data: bytes) -> tuple[Any, ...]:
        message = sipmessage.Message.parse(data)
        via = message.via[0]
        cseq = message.cseq
        return (
            via.host,
            via.port,
            via.parameters.get("branch"),
            message.from_address.parameters.get("tag"),
            message.to_address.parameters.get("tag"),
            message.call_id,
            cseq.sequence,
            cseq.method,
        )

    return run


def per_message_us(fn: Callable[[bytes], object], messages: list[bytes], rounds: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for data in messages:
                fn(data)
        samples.append((time.perf_counter() - start) / (rounds * len(messages)) * 1e6)
    return statistics.median(samples)


def registrar_rate(users: int = 1000, requests: int = 20_000, passes: int = 5) -> float:
    """REGISTERs per second, the median of ``passes`` passes over the same requests (each
    pass on a new registrar and authenticator with the same secret)."""
    store = {
        str(1000 + i): SipAccount(username=str(1000 + i), password="secret") for i in range(users)
    }

    class Store:
        def lookup(self, username: str, now: float) -> SipAccount | None:
            return store.get(username)

    def authenticator() -> DigestAuthenticator:
        return DigestAuthenticator(REALM, SECRET, algorithms=("MD5",), nonce_lifetime=3600)

    auth = authenticator()
    # each phone was challenged once, at its own time (so each has its own nonce)
    challenges = [
        parse_auth(auth.challenge(now=i * 1e-3)[0], "WWW-Authenticate") for i in range(users)
    ]
    wire = []
    for i in range(requests):
        user = 1000 + i % users
        cseq = 2 + i // users
        answer = answer_challenge(
            challenges[i % users],
            method="REGISTER",
            uri=f"sip:{REALM}",
            username=str(user),
            password="secret",
            cnonce=f"c{i}",
            nc=1 + i // users,
        )
        wire.append(register_bytes(user, cseq, answer))
    source = ("127.0.0.1", 5061)
    rates = []
    for _ in range(passes):
        registrar = Registrar(Store(), authenticator())
        start = time.perf_counter()
        for index, data in enumerate(wire):
            response = registrar.handle(parse(data), source, now=1.0 + index * 1e-4)  # type: ignore[arg-type]
            out = bytes(response)
        elapsed = time.perf_counter() - start
        assert response.status == 200, out
        assert len(registrar.online()) == users
        rates.append(requests / elapsed)
    return statistics.median(rates)


def main() -> None:
    messages = corpus()
    expected = [ours(m) for m in messages]
    rows = [("floor: bare split into a header dict", per_message_us(floor, messages, 2000))]
    mine = per_message_us(ours, messages, 2000)
    rows.append(("vosengine.sip.parse + the values", mine))
    for name, factory in (("sippy", sippy_parser), ("sipmessage", sipmessage_parser)):
        parser = factory()
        if parser is None:
            print(f"({name} is not installed: pip install -e '.[bench]')")
            continue
        got = [parser(m) for m in messages]
        for mine_values, theirs in zip(expected, got, strict=True):
            assert tuple(str(x) for x in mine_values) == tuple(str(x) for x in theirs), (
                name,
                mine_values,
                theirs,
            )
        rows.append((name, per_message_us(parser, messages, 500)))
    print("| parser | µs per message | vosengine is × faster |")
    print("|---|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.2f} | {us / mine:.2f}× |")
    rate = registrar_rate()
    print(
        f"\nregistrar: REGISTER with digest (MD5), parse to serialized 200: {rate:,.0f}/s"
        " (median of 5 passes)"
    )


if __name__ == "__main__":
    main()
