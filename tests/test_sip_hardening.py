"""SIP under hostile input: numbers that would not fit, values the host passes that would
inject headers, values that would make a parser backtrack, and the compiled and Python paths
agreeing on generated values. Every test runs on both implementations (``sip_impl``)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_sip_parse import both_ways
from tests.test_sip_registrar import REALM, SECRET, SOURCE, authorized, make, register
from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.sip import (
    RETRANSMISSION_WINDOW,
    AuthMethod,
    Blacklist,
    Challenge,
    CredentialStore,
    DigestAuthenticator,
    DigestOutcome,
    LocalProtocolError,
    ParseError,
    Registrar,
    RegistrarEventKind,
    Request,
    Response,
    SipAccount,
    StreamFramer,
    _headers,
    _names,
    answer_challenge,
    make_response,
    parse,
    parse_uri,
)
from vosengine.sip._headers import parse_auth

pytestmark = pytest.mark.usefixtures("sip_impl")

HUGE = "9" * 5000  # beyond Python's 4300-digit limit for int()


def options(**headers: str) -> bytes:
    fields = {
        "via": "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1",
        "from": "From: <sip:a@example.com>;tag=1",
        "to": "To: <sip:b@example.com>",
        "call-id": "Call-ID: c1",
        "cseq": "CSeq: 1 OPTIONS",
        "len": "Content-Length: 0",
    }
    fields.update(headers)
    start = fields.pop("start", "OPTIONS sip:b@example.com SIP/2.0")
    return ("\r\n".join([start, *fields.values()]) + "\r\n\r\n").encode()


# -- 1. every integer is bounded before conversion ------------------------------------------


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("to", f"To: <sip:1001@{REALM}:{HUGE}>"),
        ("contact", f"Contact: <sip:1001@192.0.2.10:{HUGE}>"),
        ("start", f"REGISTER sip:{REALM}:{HUGE} SIP/2.0"),
        ("via", f"Via: SIP/2.0/UDP 192.0.2.10:{HUGE};branch=z9hG4bK1"),
        ("cseq", f"CSeq: {HUGE} REGISTER"),
        ("expires", f"Expires: {HUGE}"),
        ("contact", f"Contact: <sip:1001@192.0.2.10>;expires={HUGE}"),
        ("max-forwards", f"Max-Forwards: {HUGE}"),
    ],
)
def test_a_huge_number_anywhere_is_a_400_from_the_registrar(where: str, value: str) -> None:
    lines = {
        "start": f"REGISTER sip:{REALM} SIP/2.0",
        "via": "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1",
        "from": f"From: <sip:1001@{REALM}>;tag=f1",
        "to": f"To: <sip:1001@{REALM}>",
        "call-id": "Call-ID: huge",
        "cseq": "CSeq: 1 REGISTER",
        "contact": "Contact: <sip:1001@192.0.2.10:5060>",
        "len": "Content-Length: 0",
    }
    lines[where] = value
    data = ("\r\n".join(lines.values()) + "\r\n\r\n").encode()
    try:
        request = parse(data)
    except ParseError as error:
        status = error.status
    else:
        assert isinstance(request, Request)
        status = make().handle(request, SOURCE, now=1.0).status
    assert status == 400


def test_a_huge_uri_port_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="port"):
        parse_uri(f"sip:a@example.com:{HUGE}")
    with pytest.raises(ParseError, match="port"):
        parse_uri("sip:a@example.com:65536")
    assert parse_uri("sip:a@example.com:000000000000000000005060").port == 5060


def test_unicode_digits_are_not_an_ipv4_address() -> None:
    with pytest.raises(ParseError, match="host"):
        parse_uri("sip:a@\u0661.\u0662.\u0663.\u0664")


# -- 2. what the host passes in cannot inject a header --------------------------------------


def test_values_the_host_passes_are_checked() -> None:
    request = parse(options())
    assert isinstance(request, Request)
    for tag in ("t\r\nX-Injected: 1", "t\n", "a b", "", "t;x=y"):
        with pytest.raises(LocalProtocolError, match="to_tag"):
            make_response(request, 200, to_tag=tag)
    for version in ("SIP/2.0\r\nX: 1", "SIP/2.0\n", "HTTP/1.1", ""):
        with pytest.raises(LocalProtocolError, match="version"):
            Request("OPTIONS", "sip:a@b", version=version)
        with pytest.raises(LocalProtocolError, match="version"):
            Response(200, version=version)
    for method in ("OPTIONS\n", "OPT IONS", "OPTIONS\r\n"):
        with pytest.raises(LocalProtocolError, match="method"):
            Request(method, "sip:a@b")
    for name in ("Via\n", "X-Evil\r\n", "Via\nX"):
        with pytest.raises(LocalProtocolError):
            Request("OPTIONS", "sip:a@b", fields=[(name, "v")])
    for value in ("v\r\nX: 1", "v\n", "v\r"):
        with pytest.raises(LocalProtocolError):
            Request("OPTIONS", "sip:a@b", fields=[("X-Note", value)])
    with pytest.raises(LocalProtocolError, match="uri"):
        Request("OPTIONS", "sip:a@b\r\nX: 1")
    # and what is accepted reads back as what was written, one header per field
    built = make_response(request, 200, to_tag="abc.123-x")
    again = parse(bytes(built))
    assert again.to is not None and again.to.tag == "abc.123-x"
    assert [k for k, _, _ in again.fields] == [k for k, _, _ in built.fields]


def test_a_token_with_a_trailing_newline_is_not_a_token() -> None:
    assert _names.TOKEN_FULL.match("INVITE\n") is None
    with pytest.raises(ParseError):
        _names.key_of("Via\n")


# -- 6. the compiled and Python paths agree on generated values -----------------------------

VALUE_CHARS = ' \t"<>;=,:@\\abcAB09.-_~%\u00e9'


def _fast_vs_python(fast: Any, python: Any) -> None:
    """The fast path's answer (None: it defers) against the Python parser's, both on the
    implementation the seam points at and on the other one."""
    from tests.conftest import sip_implementation
    from vosengine.sip import _fast

    outcomes = []
    for name in ("compiled", "python"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_fast, "IMPL", sip_implementation(name))
            try:
                outcomes.append(python())
            except ParseError:
                outcomes.append("error")
    assert outcomes[0] == outcomes[1]
    answer = fast()
    if answer is not None:
        assert answer == outcomes[1]


@given(st.text(alphabet=VALUE_CHARS, max_size=30))
def test_generated_name_addrs_agree(value: str) -> None:
    from tests.conftest import sip_implementation

    compiled = sip_implementation("compiled")

    def fast() -> object:
        answer = compiled.name_addr(value)
        return None if answer is None else tuple(answer)

    _fast_vs_python(fast, lambda: tuple(_headers.parse_name_addr(value, "From")))


@given(st.text(alphabet=" \t0123456789ABCDEFGHIJ\u0663", max_size=30))
def test_generated_cseqs_and_numbers_agree(value: str) -> None:
    from tests.conftest import sip_implementation

    compiled = sip_implementation("compiled")
    _fast_vs_python(
        lambda: compiled.cseq(value),
        lambda: tuple(_headers.parse_cseq(value)),
    )
    _fast_vs_python(
        lambda: compiled.uint(value, 2**32 - 1),
        lambda: _headers.parse_uint(value, "Expires", 2**32 - 1),
    )


@given(st.text(alphabet=VALUE_CHARS + "/SIP2UDP", max_size=40))
def test_generated_vias_agree(value: str) -> None:
    from tests.conftest import sip_implementation

    compiled = sip_implementation("compiled")
    _fast_vs_python(
        lambda: compiled.via(value),
        lambda: tuple(_headers.parse_vias(value)[0]) if "," not in value else None,
    )


@given(
    st.text(alphabet="ab \t", max_size=6),
    st.sampled_from(["<sip:x@y>", "<sip:x@y>;tag=1", "sip:x@y"]),
)
def test_host_built_name_addrs_read_the_same_on_both_paths(display: str, addr: str) -> None:
    """A host-built From with white space around its display name: the value a host passes
    in is read as it will be read once sent and parsed again."""

    def read() -> object:
        built = Request("OPTIONS", "sip:a@b", fields=[("From", f"{display}{addr}")])
        return built.from_

    _fast_vs_python(lambda: None, read)


def test_a_host_built_display_name_with_a_leading_space() -> None:
    built = Request("OPTIONS", "sip:a@b", fields=[("From", " a <sip:x@y>")])
    assert built.from_ is not None and built.from_.display_name == "a"
    assert parse(bytes(built)).from_ == built.from_


# -- 13. every parser is linear in its input ------------------------------------------------

ADVERSARIAL = st.sampled_from([" ", "  ", '"', "<", ">", "\\", "a", ";", "=", "-", ".", ":", "@"])
MAX_SECONDS_PER_BYTE = 20e-6  # linear parsing costs well under 1 µs a byte; quadratic, far more


def _cpu_per_byte(read: Any, value: str) -> float:
    start = time.process_time()
    with contextlib.suppress(ParseError):
        read(value)
    return (time.process_time() - start) / max(1, len(value))


READERS = {
    "name-addr": lambda v: _headers.parse_name_addr(v, "From"),
    "name-addrs": lambda v: _headers.parse_name_addrs(v, "Contact"),
    "via": lambda v: _headers.parse_vias(v),
    "auth": lambda v: _headers.parse_auth(v, "Authorization"),
    "params": lambda v: _headers.parse_params(v, "To"),
    "uri": lambda v: parse_uri(v),
    "cseq": lambda v: _headers.parse_cseq(v),
    "message": lambda v: parse(options(**{"from": "From: " + v, "to": "To: " + v})).validate(),
}


@settings(max_examples=30)
@given(
    reader=st.sampled_from(sorted(READERS)),
    prefix=st.text(alphabet='xa<" ;sip:', max_size=8),
    unit=st.lists(ADVERSARIAL, min_size=1, max_size=4).map("".join),
    suffix=st.text(alphabet='y>";@=', max_size=4),
)
def test_parsing_time_is_bounded_per_byte(reader: str, prefix: str, unit: str, suffix: str) -> None:
    """Long adversarial values (runs of spaces, quotes, angle brackets, backslashes): the CPU
    time per byte stays within a bound that quadratic parsing exceeds by far at 40 KB."""
    value = prefix + unit * (40_000 // len(unit)) + suffix
    assert _cpu_per_byte(READERS[reader], value) < MAX_SECONDS_PER_BYTE, (reader, value[:40])


def test_the_reported_quadratic_from_is_linear() -> None:
    value = "x" + " " * 60_000 + "y"
    assert _cpu_per_byte(READERS["name-addr"], value) < MAX_SECONDS_PER_BYTE
    with pytest.raises(ParseError):
        parse(options(**{"from": "From: " + value})).validate()


# -- 3, 11. digest: unique nonces, bounded replay table, qop, the default algorithm ----------


def _answer(challenge: Challenge, user: str = "u", nc: int = 1) -> Challenge:
    """The parsed credentials of ``user`` (password ``p``) answering ``challenge``."""
    answer = answer_challenge(
        challenge, method="REGISTER", uri="sip:x", username=user, password="p",
        cnonce=f"c-{user}", nc=nc,
    )  # fmt: skip
    return parse_auth(answer, "Authorization")


def _login(auth: DigestAuthenticator, now: float, user: str = "u") -> Challenge:
    """Credentials answering a fresh challenge of ``auth`` at ``now``."""
    return _answer(parse_auth(auth.challenge(now=now)[0], "WWW-Authenticate"), user)


def test_two_users_challenged_in_the_same_tick_both_get_in() -> None:
    auth = DigestAuthenticator(REALM, SECRET)
    first, second = _login(auth, 5.0, "alice"), _login(auth, 5.0, "bob")
    assert first.params["nonce"] != second.params["nonce"]
    for credentials in (first, second):
        result = auth.verify(credentials, method="REGISTER", now=5.5, password="p")
        assert result.outcome is DigestOutcome.OK, result.reason


def test_an_evicted_nonce_is_stale_never_fresh() -> None:
    auth = DigestAuthenticator(REALM, SECRET, max_tracked_nonces=3)
    old = _login(auth, 10.0, "victim")
    assert auth.verify(old, method="REGISTER", now=10.1, password="p")
    for index in range(5):  # other users fill the table and push the old nonce out
        other = _login(auth, 11.0 + index, f"user{index}")
        assert auth.verify(other, method="REGISTER", now=11.1 + index, password="p")
    assert len(auth._seen) <= 3
    replayed = auth.verify(old, method="REGISTER", now=20.0, password="p")
    assert replayed.outcome is DigestOutcome.STALE, replayed.reason
    # nonces issued after the one forgotten are still tracked exactly
    late = _login(auth, 30.0, "late")
    assert auth.verify(late, method="REGISTER", now=30.1, password="p")
    again = auth.verify(late, method="REGISTER", now=30.2, password="p")
    assert again.outcome is DigestOutcome.REPLAY


@settings(max_examples=50)
@given(
    limit=st.integers(1, 6),
    steps=st.lists(st.tuples(st.integers(0, 9), st.integers(1, 3)), min_size=1, max_size=40),
)
def test_no_replay_is_ever_accepted_whatever_the_table_size(limit: int, steps: list) -> None:  # type: ignore[type-arg]
    """Model: a (nonce, nc) pair is accepted at most once, and a higher nc on a nonce still
    in its lifetime is accepted unless the nonce had to be forgotten."""
    auth = DigestAuthenticator(REALM, SECRET, max_tracked_nonces=limit, nonce_lifetime=1e9)
    challenges = [
        parse_auth(auth.challenge(now=float(index))[0], "WWW-Authenticate") for index in range(10)
    ]
    accepted: set[tuple[int, int]] = set()
    highest: dict[int, int] = {}
    for now, (which, nc) in enumerate(steps, start=100):
        credentials = _answer(challenges[which], nc=nc)
        result = auth.verify(credentials, method="REGISTER", now=float(now), password="p")
        if result:
            assert (which, nc) not in accepted
            assert nc > highest.get(which, 0)
            accepted.add((which, nc))
            highest[which] = nc
        else:
            assert result.outcome in (DigestOutcome.REPLAY, DigestOutcome.STALE)
        assert len(auth._seen) <= limit


def test_running_without_qop_is_an_explicit_opt_in() -> None:
    with pytest.raises(InvalidArgument, match="allow_no_qop"):
        DigestAuthenticator(REALM, SECRET, qop=())
    auth = DigestAuthenticator(REALM, SECRET, qop=(), allow_no_qop=True)
    credentials = _login(auth, 1.0)
    assert "qop" not in credentials.params
    assert auth.verify(credentials, method="REGISTER", now=1.5, password="p")
    replay = auth.verify(credentials, method="REGISTER", now=1.6, password="p")
    assert replay.outcome is DigestOutcome.REPLAY


def test_md5_is_the_default_and_several_are_listed_strongest_first() -> None:
    assert DigestAuthenticator(REALM, SECRET).algorithms == ("MD5",)
    auth = DigestAuthenticator(REALM, SECRET, algorithms=("MD5", "SHA-512-256", "SHA-256"))
    assert auth.algorithms == ("SHA-512-256", "SHA-256", "MD5")
    offered = [
        parse_auth(v, "WWW-Authenticate").params["algorithm"] for v in auth.challenge(now=1.0)
    ]
    assert offered == ["SHA-512-256", "SHA-256", "MD5"]


def test_nc_must_be_eight_hex_digits() -> None:
    auth = DigestAuthenticator(REALM, SECRET)
    credentials = _login(auth, 1.0)
    for nc in ("+0000001", "0_000001", "\u0660" * 7 + "1", " 0000001"):
        odd = Challenge(credentials.scheme, {**credentials.params, "nc": nc})
        result = auth.verify(odd, method="REGISTER", now=1.5, password="p")
        assert result.outcome is DigestOutcome.MALFORMED, nc


# -- 4. the blacklist: one form of an address, bounded tables, pruned on use ---------------


def test_an_ipv4_mapped_address_is_its_ipv4_address() -> None:
    blacklist = Blacklist(threshold=2, whitelist=["10.1.0.0/16"])
    for now in (1.0, 2.0, 3.0):
        assert blacklist.record_failure("::ffff:10.1.2.3", now=now) == []
    assert blacklist.is_blocked("::ffff:10.1.2.3", now=4.0) is None
    assert blacklist.trusted("::FFFF:10.1.2.3")
    # a mapped and a plain address are one source: their failures add up
    blacklist.record_failure("::ffff:192.0.2.7", now=5.0)
    [block] = blacklist.record_failure("192.0.2.7", now=6.0)
    assert block.key == "192.0.2.7"
    assert blacklist.is_blocked("::ffff:192.0.2.7", now=7.0) == block
    assert blacklist.is_blocked("0:0:0:0:0:ffff:c000:207", now=7.0) == block
    blacklist.unblock("::ffff:192.0.2.7")
    assert blacklist.is_blocked("192.0.2.7", now=8.0) is None
    account = SipAccount(username="u", auth=AuthMethod.IP, addresses=("10.1.0.0/16",))
    assert account.address_allowed("::ffff:10.1.9.9")


def test_the_tables_are_bounded_and_shrink_on_use() -> None:
    blacklist = Blacklist(threshold=2, window=60, block_for=60, max_entries=100)
    for index in range(1_000):  # one-off failing sources
        blacklist.record_failure(f"198.51.{index // 256}.{index % 256}", now=1.0)
        assert blacklist.tracked <= 100
    for index in range(150):  # sources that get blocked
        ip = f"203.0.{index // 256}.{index % 256}"
        blacklist.record_failure(ip, now=2.0)
        blacklist.record_failure(ip, now=2.0)
        assert len(blacklist._blocks) <= 100 and len(blacklist._ip_failures) <= 100
    assert blacklist.is_blocked("203.0.0.149", now=3.0) is not None
    # once every count and block has ended, ordinary traffic empties the tables
    for index in range(120):
        assert blacklist.is_blocked("192.0.2.1", now=200.0 + index) is None
    assert blacklist.tracked == 0


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 5), st.booleans()), min_size=1, max_size=80
    )
)
def test_the_bounded_blacklist_blocks_as_the_unbounded_model(steps: list) -> None:  # type: ignore[type-arg]
    """While the table is large enough, pruning on use changes no decision: compared with a
    plain model that keeps every failure for ever."""
    blacklist = Blacklist(threshold=3, window=10, block_for=5, max_entries=64)
    failures: dict[str, list[float]] = {}
    blocked_until: dict[str, float] = {}
    now = 0.0
    for step, source, fail in steps:
        now += step / 4
        ip = f"192.0.2.{source}"
        expected = ip if blocked_until.get(ip, -1.0) > now else None
        entry = blacklist.is_blocked(ip, now=now)
        assert (entry.key if entry else None) == expected
        if fail:
            started = blacklist.record_failure(ip, now=now)
            if blocked_until.get(ip, -1.0) > now:
                assert started == []
                continue
            recent = [t for t in failures.get(ip, []) if t > now - 10] + [now]
            if len(recent) >= 3:
                assert [e.key for e in started] == [ip]
                blocked_until[ip] = now + 5
                failures[ip] = []
            else:
                assert started == []
                failures[ip] = recent


# -- 7, 9, 12, 14, 8. the registrar -----------------------------------------------------------


def test_a_retransmission_gets_the_same_answer_and_is_never_a_failure() -> None:
    registrar = make(blacklist=Blacklist(threshold=3))
    request = authorized(registrar, 10.0)
    first = registrar.handle(request, SOURCE, now=10.0)
    assert first.status == 200
    registrar.drain_events()
    for copy in range(8):  # the client resends the same bytes while the 200 is lost
        again = parse(bytes(request))
        assert isinstance(again, Request)
        response = registrar.handle(again, SOURCE, now=10.5 + copy)
        assert response.status == 200 and bytes(response) == bytes(first)
    assert registrar.drain_events() == []
    assert registrar.blacklist.tracked == 0
    # a genuine replay: the same credentials (same nonce count) in a new transaction
    replay = parse(bytes(request).replace(b"branch=z9hG4bK2", b"branch=z9hG4bKnew"))
    assert isinstance(replay, Request)
    refused = registrar.handle(replay, SOURCE, now=12.0)
    assert refused.status == 401
    [event] = registrar.drain_events()
    assert event.kind is RegistrarEventKind.AUTH_FAILED and "used already" in event.detail
    # the same branch with another request is handled as new, not answered from memory
    changed = parse(bytes(request).replace(b"CSeq: 2 REGISTER", b"CSeq: 3 REGISTER"))
    assert isinstance(changed, Request)
    assert registrar.handle(changed, SOURCE, now=12.5).status == 401
    # past the window a copy is a new request again (here: a replay)
    late = parse(bytes(request))
    assert isinstance(late, Request)
    # (the third failure from the source, so it starts a block)
    assert registrar.handle(late, SOURCE, now=10.0 + RETRANSMISSION_WINDOW + 1).status == 403


def test_the_retransmission_memory_is_bounded() -> None:
    registrar = make(max_retransmissions=5)
    for index in range(20):
        registrar.handle(register(cseq=index), SOURCE, now=float(index))
        assert len(registrar._answered) <= 5


def test_a_blocked_source_gets_403_for_everything_before_any_other_work() -> None:
    registrar = make(blacklist=Blacklist(threshold=1))
    registrar.blacklist.record_failure(SOURCE[0], now=1.0)
    options_request = parse(options())
    broken = parse(register(cseq=1).serialize().replace(b"CSeq: 1 REGISTER", b"CSeq: x"))
    for request in (options_request, broken, register()):
        assert isinstance(request, Request)
        response = registrar.handle(request, SOURCE, now=2.0)
        assert response.status == 403, response
        assert response.header("www-authenticate") is None
        assert "cseq" not in request._cache  # not even parsed
    assert registrar.blocked_requests == 3
    assert registrar.drain_events() == []


def test_superseded_deadlines_do_not_pile_up() -> None:
    registrar = make(
        *[
            SipAccount(username=f"u{i}", auth=AuthMethod.IP, addresses=("192.0.2.0/24",))
            for i in range(50)
        ]
    )
    for round_ in range(20):
        for index in range(50):
            request = register(f"u{index}", cseq=round_ + 1, call_id=f"c{index}")
            assert registrar.handle(request, SOURCE, now=float(round_)).status == 200
        assert len(registrar._deadlines) <= 2 * len(registrar.online()) + 64
    assert registrar.next_deadline() == 19.0 + 3600
    assert len(registrar.expire(now=10_000.0)) == 50


def test_an_address_of_record_holds_at_most_max_contacts() -> None:
    account = SipAccount(username="1001", auth=AuthMethod.IP, addresses=("192.0.2.0/24",))
    registrar = make(account, max_contacts=3)
    contacts = ", ".join(f"<sip:1001@192.0.2.{i}>" for i in range(1, 4))
    assert registrar.handle(register(contact=contacts, cseq=1), SOURCE, now=1.0).status == 200
    too_many = registrar.handle(register(contact="<sip:1001@192.0.2.9>", cseq=2), SOURCE, now=2.0)
    assert (too_many.status, too_many.reason) == (503, "Too Many Registered Contacts")
    assert len(registrar.online()) == 3  # nothing changed
    # removing one and adding one in the same request fits
    swap = "<sip:1001@192.0.2.1>;expires=0, <sip:1001@192.0.2.9>"
    assert registrar.handle(register(contact=swap, cseq=3), SOURCE, now=3.0).status == 200
    assert sorted(b.contact for b in registrar.online())[-1] == "sip:1001@192.0.2.9"
    assert make().max_contacts == 10


def test_the_credential_store_is_checked_at_construction() -> None:
    def lookup(username: str, now: float) -> None:
        return None

    with pytest.raises(InvalidArgumentType, match=r"lookup\(username, now\)"):
        Registrar(lookup, DigestAuthenticator(REALM, SECRET))  # type: ignore[arg-type]
    assert "lookup(username, now)" in (CredentialStore.__doc__ or "")

    class Wrong:
        def lookup(self, username: str, now: float) -> object:
            return {"username": username}

    registrar = Registrar(Wrong(), DigestAuthenticator(REALM, SECRET))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentType, match="SipAccount"):
        registrar.handle(register(), SOURCE, now=1.0)


# -- 11. an MD5-only client over a real UDP socket ---------------------------------------------


def _md5_client_answer(challenge_value: str, user: str, password: str, uri: str) -> str:
    """What an MD5-only client (SIPp 3.6, many phones) does: read the first challenge, give
    up unless it is MD5, answer with qop=auth. Written from RFC 2617, not with the library."""
    import hashlib
    import re

    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge_value.partition(" ")[2]))
    assert fields.get("algorithm", "MD5").upper() == "MD5", "this client only computes MD5"

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1_value = md5(f"{user}:{fields['realm']}:{password}")
    response = md5(f"{ha1_value}:{fields['nonce']}:00000001:abc:auth:{md5('REGISTER:' + uri)}")
    return (
        f'Digest username="{user}", realm="{fields["realm"]}", nonce="{fields["nonce"]}", '
        f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc=00000001, '
        'cnonce="abc"'
    )


def test_the_default_challenge_works_with_an_md5_only_client_over_udp() -> None:
    import socket

    registrar = make()
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        server.bind(("127.0.0.1", 0))
        client.bind(("127.0.0.1", 0))
        server.settimeout(5)
        client.settimeout(5)
        port = client.getsockname()[1]

        def exchange(data: bytes, now: float) -> Response:
            client.sendto(data, server.getsockname())
            received, source = server.recvfrom(65535)
            request = parse(received)
            assert isinstance(request, Request)
            server.sendto(bytes(registrar.handle(request, source, now=now)), source)
            response = parse(client.recvfrom(65535)[0])
            assert isinstance(response, Response)
            return response

        def register_bytes(cseq: int, authorization: str | None = None) -> bytes:
            lines = [
                f"REGISTER sip:{REALM} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-md5-{cseq}",
                f"From: <sip:1001@{REALM}>;tag=md5",
                f"To: <sip:1001@{REALM}>",
                "Call-ID: md5-only-client",
                f"CSeq: {cseq} REGISTER",
                f"Contact: <sip:1001@127.0.0.1:{port}>",
                "Max-Forwards: 70",
            ]
            if authorization:
                lines.append(f"Authorization: {authorization}")
            return ("\r\n".join([*lines, "Content-Length: 0"]) + "\r\n\r\n").encode()

        challenge = exchange(register_bytes(1), 1.0)
        assert challenge.status == 401
        first = challenge.headers("www-authenticate")[0]
        answer = _md5_client_answer(first, "1001", "secret", f"sip:{REALM}")
        signed = register_bytes(2, answer)
        assert exchange(signed, 1.1).status == 200
        assert exchange(signed, 1.6).status == 200  # the client's retransmission
        [binding] = registrar.online()
        assert binding.contact == f"sip:1001@127.0.0.1:{port}"
    finally:
        server.close()
        client.close()


# -- 5. stream framing is linear -------------------------------------------------------------


def _big_message(header_bytes: int, body: bytes = b"") -> bytes:
    note = "X-Note: " + "n" * header_bytes
    return options(note=note, len=f"Content-Length: {len(body)}") + body


def test_a_header_fed_byte_by_byte_is_framed_in_linear_time() -> None:
    data = _big_message(300_000)  # quadratic framing took 80 µs a byte here
    framer = StreamFramer(max_header_bytes=400_000)
    start = time.process_time()
    found = []
    for index in range(len(data)):
        framer.feed(data[index : index + 1])
        message = framer.next_message()
        if message is not None:
            found.append(message)
    per_byte = (time.process_time() - start) / len(data)
    assert len(found) == 1 and found[0].header("x-note") == "n" * 300_000
    assert per_byte < MAX_SECONDS_PER_BYTE


def test_the_header_block_is_parsed_once_while_the_body_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vosengine.sip import _parse

    calls = []
    real = _parse._head

    def counting(data: bytes, start: int, end: int) -> Any:
        calls.append(end)
        return real(data, start, end)

    monkeypatch.setattr(_parse, "_head", counting)
    body = b"x" * 60_000
    data = b"\r\n\r\n" + _big_message(100, body) + _big_message(10)
    framer = StreamFramer()
    out = []
    for index in range(0, len(data), 7):
        framer.feed(data[index : index + 7])
        out.extend(framer.messages())
    assert [m.body for m in out] == [body, b""]
    assert len(calls) == 2  # one parse per message


def test_a_header_block_beyond_the_limit_is_refused() -> None:
    framer = StreamFramer(max_header_bytes=1_000)
    framer.feed(b"OPTIONS sip:a@b SIP/2.0\r\n" + b"X: " + b"y" * 2_000)
    with pytest.raises(ParseError, match="too large") as error:
        framer.next_message()
    assert error.value.status == 413
    framer = StreamFramer(max_header_bytes=1_000)
    framer.feed(_big_message(2_000))
    with pytest.raises(ParseError, match="too large"):
        framer.next_message()


# -- 6. whole generated messages: both implementations in one process -----------------------

HEADER_VALUE = st.text(alphabet=VALUE_CHARS + "0123456789/SIPUDP,*", max_size=24)


@st.composite
def generated_messages(draw: st.DrawFn) -> bytes:
    """A REGISTER or a response whose header values are drawn from characters that matter
    to the parsers, around valid shapes."""

    def value(valid: str) -> str:
        return draw(st.one_of(st.just(valid), HEADER_VALUE, HEADER_VALUE.map(valid.__add__)))

    start = draw(
        st.sampled_from(
            [f"REGISTER sip:{REALM} SIP/2.0", "SIP/2.0 200 OK", "INVITE sip:b@x;lr SIP/2.0"]
        )
    )
    lines = [
        start,
        "Via: " + value("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1"),
        "From: " + value('"A" <sip:a@x>;tag=1'),
        "To: " + value("b <sip:b@x>"),
        "Call-ID: " + value("c1"),
        "CSeq: " + value("1 REGISTER"),
        "Contact: " + value("<sip:a@192.0.2.1>;expires=60"),
        "Expires: " + value("60"),
        "Authorization: Digest " + value('username="a", nc=00000001'),
        "Content-Length: " + value("0"),
    ]
    order = draw(st.permutations(lines[1:]))
    return ("\r\n".join([lines[0], *order]) + "\r\n\r\n").encode("utf-8")


@given(generated_messages())
def test_generated_messages_read_the_same_on_both_implementations(data: bytes) -> None:
    compiled, python = both_ways(data)
    assert compiled == python


def test_session_variants_are_offered_and_accepted() -> None:
    auth = DigestAuthenticator(REALM, SECRET, algorithms=("MD5-sess", "SHA-256-sess"))
    assert auth.algorithms == ("SHA-256-sess", "MD5-sess")
    for index in range(2):  # answer each offered challenge, each from its own 401
        value = auth.challenge(now=1.0)[index]
        credentials = _answer(parse_auth(value, "WWW-Authenticate"), f"u{index}")
        assert auth.verify(credentials, method="REGISTER", now=1.5, password="p")


def test_a_nonce_of_the_earlier_format_is_stale_not_a_failure() -> None:
    """Phones registered before an upgrade still hold nonces without the random part: they
    are challenged again with stale=true, and nothing is counted against their address."""
    import base64
    import hashlib
    import hmac
    import struct

    stamp = struct.pack(">Q", 5_000_000)
    mac = hmac.new(SECRET, stamp + REALM.encode(), hashlib.sha256).digest()[:16]
    old_nonce = base64.urlsafe_b64encode(stamp + mac).decode().rstrip("=")
    challenge = Challenge("Digest", {"realm": REALM, "nonce": old_nonce, "qop": "auth"})
    registrar = make(blacklist=Blacklist(threshold=1))
    answer = answer_challenge(
        challenge, method="REGISTER", uri=f"sip:{REALM}", username="1001", password="secret",
        cnonce="c",
    )  # fmt: skip
    assert (
        registrar.authenticator.verify(
            parse_auth(answer, "Authorization"), method="REGISTER", now=6.0, password="secret"
        ).outcome
        is DigestOutcome.STALE
    )
    response = registrar.handle(register(cseq=2, authorization=answer), SOURCE, now=6.0)
    assert response.status == 401 and "stale=true" in (response.header("www-authenticate") or "")
    assert registrar.drain_events() == [] and registrar.blacklist.tracked == 0
    forged = old_nonce[:-2] + ("AA" if old_nonce[-2:] != "AA" else "BB")
    assert registrar.authenticator._nonce_time(forged) is None
