"""Digest authentication, the dynamic blacklist and the registrar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from vosengine.accounts import FULL, Account, AccountDirectory, AccountStatus, Operator
from vosengine.errors import InvalidArgument, NotFound
from vosengine.inventory import Inventory, PasswordPolicy, Phone
from vosengine.sip import (
    AuthMethod,
    Blacklist,
    Challenge,
    DigestAuthenticator,
    DigestOutcome,
    Registrar,
    RegistrarEventKind,
    Request,
    Response,
    SipAccount,
    answer_challenge,
    digest_response,
    ha1,
    parse,
)
from vosengine.sip._headers import parse_auth

pytestmark = pytest.mark.usefixtures("sip_impl")

SECRET = b"0123456789abcdef-server-secret"
REALM = "vos.example.com"


# -- digest ------------------------------------------------------------------------------------


def test_rfc7616_example_responses() -> None:
    """RFC 7616 §3.9.1: Mufasa / Circle of Life, MD5 and SHA-256."""
    common = dict(
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        method="GET",
        uri="/dir/index.html",
        qop="auth",
        nc="00000001",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    realm = "http-auth@example.org"
    md5 = digest_response(
        algorithm="MD5", ha1_value=ha1("Mufasa", realm, "Circle of Life", algorithm="MD5"), **common
    )
    assert md5 == "8ca523f5e9506fed4657c9700eebdbec"
    sha = digest_response(
        algorithm="SHA-256",
        ha1_value=ha1("Mufasa", realm, "Circle of Life", algorithm="SHA-256"),
        **common,
    )
    assert sha == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def challenge_of(authenticator: DigestAuthenticator, now: float, index: int = 0) -> Challenge:
    return parse_auth(authenticator.challenge(now=now)[index], "WWW-Authenticate")


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-256", "MD5-sess", "SHA-256-sess"])
@pytest.mark.parametrize("qop", ["auth", "auth-int"])
def test_challenge_answer_verify(algorithm: str, qop: str) -> None:
    base = algorithm.split("-sess")[0]
    auth = DigestAuthenticator(REALM, SECRET, algorithms=(base,), qop=(qop,))
    challenge = challenge_of(auth, 1000.0)
    assert challenge.params["algorithm"] == base
    challenge = Challenge(challenge.scheme, {**challenge.params, "algorithm": algorithm})
    body = b"v=0\r\n"
    answer = answer_challenge(
        challenge,
        method="REGISTER",
        uri="sip:vos.example.com",
        username="1001",
        password="secret",
        cnonce="c1",
        body=body,
    )
    credentials = parse_auth(answer, "Authorization")
    ok = auth.verify(credentials, method="REGISTER", now=1001.0, password="secret", body=body)
    assert ok.outcome is DigestOutcome.OK, ok.reason
    # the same nonce count again is a replay
    again = auth.verify(credentials, method="REGISTER", now=1002.0, password="secret", body=body)
    assert again.outcome is DigestOutcome.REPLAY
    wrong = parse_auth(
        answer_challenge(
            challenge,
            method="REGISTER",
            uri="sip:vos.example.com",
            username="1001",
            password="guess",
            cnonce="c2",
            body=body,
        ),
        "Authorization",
    )
    assert (
        auth.verify(wrong, method="REGISTER", now=1001.0, password="secret", body=body).outcome
        is DigestOutcome.FAILED
    )


def test_nonces_are_stateless_stale_and_unforgeable() -> None:
    auth = DigestAuthenticator(REALM, SECRET, nonce_lifetime=60)
    challenge = challenge_of(auth, 1000.0)
    answer = parse_auth(
        answer_challenge(
            challenge, method="REGISTER", uri="sip:x", username="u", password="p", cnonce="c"
        ),
        "A",
    )
    # a restarted node with the same secret accepts it
    twin = DigestAuthenticator(REALM, SECRET, nonce_lifetime=60)
    assert twin.verify(answer, method="REGISTER", now=1030.0, password="p")
    # past the lifetime: stale (the client retries with the new nonce, no new password)
    late = DigestAuthenticator(REALM, SECRET, nonce_lifetime=60)
    assert (
        late.verify(answer, method="REGISTER", now=1061.0, password="p").outcome
        is DigestOutcome.STALE
    )
    assert "stale=true" in auth.challenge(now=1061.0, stale=True)[0]
    # another secret: the nonce is not ours
    other = DigestAuthenticator(REALM, b"another-secret-of-16-bytes")
    assert (
        other.verify(answer, method="REGISTER", now=1001.0, password="p").outcome
        is DigestOutcome.FAILED
    )
    # malformed credentials
    partial = Challenge("Digest", {"username": "u", "realm": REALM})
    assert (
        auth.verify(partial, method="REGISTER", now=1.0, password="p").outcome
        is DigestOutcome.MALFORMED
    )


def test_authenticator_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgument, match="secret"):
        DigestAuthenticator(REALM, b"short")
    with pytest.raises(InvalidArgument, match="algorithm"):
        DigestAuthenticator(REALM, SECRET, algorithms=("SHA-1",))
    with pytest.raises(InvalidArgument, match="qop"):
        DigestAuthenticator(REALM, SECRET, qop=("auth-conf",))


# -- blacklist ---------------------------------------------------------------------------------


def test_blacklist_sliding_window_whitelist_and_unblock() -> None:
    bl = Blacklist(
        threshold=5, window=600, block_for=600, user_threshold=3, whitelist=["10.0.0.0/8", "::1"]
    )
    for t in (0, 100, 200, 300):
        assert bl.record_failure("203.0.113.9", now=float(t)) == []
    assert bl.is_blocked("203.0.113.9", now=301.0) is None
    # the failure at 0 slid out of the window: 4 failures in the last 600 s, not 5
    assert bl.record_failure("203.0.113.9", now=601.0) == []
    [entry] = bl.record_failure("203.0.113.9", now=650.0)
    assert (entry.kind, entry.key, entry.until) == ("ip", "203.0.113.9", 1250.0)
    assert bl.is_blocked("203.0.113.9", now=700.0) == entry
    assert bl.is_blocked("203.0.113.9", now=1250.0) is None  # served its time
    for t in range(10):
        assert bl.record_failure("10.1.2.3", now=float(t)) == []
    assert bl.is_blocked("10.1.2.3", now=10.0) is None  # trusted, never blocked
    started = []
    for t in range(3):
        started += bl.record_failure("198.51.100.1", now=2000.0 + t, user="1001")
    assert [(e.kind, e.key) for e in started] == [("user", "1001")]
    assert bl.is_blocked("198.51.100.7", now=2010.0, user="1001") is not None
    assert [e.key for e in bl.blocks(now=2010.0)] == ["1001"]
    bl.unblock("1001", kind="user")
    assert bl.is_blocked("198.51.100.7", now=2010.0, user="1001") is None
    with pytest.raises(NotFound):
        bl.unblock("192.0.2.1")
    with pytest.raises(InvalidArgument, match="whitelist"):
        Blacklist(whitelist=["not-an-ip"])


# -- registrar -----------------------------------------------------------------------------------


class Store:
    def __init__(self, *accounts: SipAccount) -> None:
        self.accounts = {a.username: a for a in accounts}

    def lookup(self, username: str, now: float) -> SipAccount | None:
        return self.accounts.get(username)


SOURCE = ("192.0.2.10", 5060)


def register(
    user: str = "1001",
    *,
    contact: str | None = "<sip:1001@192.0.2.10:5060>",
    expires: str | None = None,
    cseq: int = 1,
    call_id: str = "reg-1",
    authorization: str | None = None,
) -> Request:
    lines = [
        f"REGISTER sip:{REALM} SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" + str(cseq),
        "Max-Forwards: 70",
        f"From: <sip:{user}@{REALM}>;tag=f{cseq}",
        f"To: <sip:{user}@{REALM}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
    ]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if authorization is not None:
        lines.append(f"Authorization: {authorization}")
    lines.append("Content-Length: 0")
    request = parse(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(request, Request)
    return request


def authorized(
    registrar: Registrar,
    now: float,
    password: str = "secret",
    source: tuple[str, int] = SOURCE,
    **kw: object,
) -> Request:
    """Send a REGISTER, take the 401's challenge, answer it (what a phone does)."""
    first = registrar.handle(register(**kw), source, now=now)  # type: ignore[arg-type]
    assert first.status == 401, first
    challenge = first.auth(name="www-authenticate")[0]
    kw = dict(kw)
    kw["cseq"] = int(kw.get("cseq", 1)) + 1  # type: ignore[call-overload]
    user = str(kw.get("user", "1001"))
    answer = answer_challenge(
        challenge,
        method="REGISTER",
        uri=f"sip:{REALM}",
        username=user,
        password=password,
        cnonce=f"cn{now}",
    )
    return register(authorization=answer, **kw)  # type: ignore[arg-type]


#: Which credential store the registrar tests run on (see the ``store_kind`` fixture).
STORE_KIND = {"kind": "store"}


@pytest.fixture(params=["store", "inventory"])
def store_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a registrar test on a plain :class:`Store`, then on a
    :class:`vosengine.inventory.Inventory` holding the same users as phones."""
    STORE_KIND["kind"] = str(request.param)
    yield STORE_KIND["kind"]
    STORE_KIND["kind"] = "store"


def inventory_of(*accounts: SipAccount) -> Inventory:
    """The users as phones of an inventory: each the phone of its own customer, whose
    status is the user's (a locked user is a locked account)."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    root = Operator(name="root")
    directory = AccountDirectory()
    directory.add(Account(id="agent", authorizations=FULL), actor=root, now=at)
    lax = PasswordPolicy(min_length=1, min_classes=1, forbid_username=False)
    inventory = Inventory(directory, realm=REALM, password_policy=lax, business_time=lambda _: at)
    for index, account in enumerate(accounts):
        status = AccountStatus.ACTIVE if account.active else AccountStatus(account.status)
        customer = Account(id=f"c{index}", parent_id="agent", status=status)
        directory.add(customer, actor=root, now=at)
        phone = Phone(
            number=account.username,
            account_id=customer.id,
            auth=account.auth,
            networks=account.addresses,
        )
        inventory.add_phone(phone, password=account.password, actor="agent", now=at)
    return inventory


def make(*accounts: SipAccount, **kw: object) -> Registrar:
    accounts = accounts or (SipAccount(username="1001", password="secret"),)
    store = inventory_of(*accounts) if STORE_KIND["kind"] == "inventory" else Store(*accounts)
    return Registrar(store, DigestAuthenticator(REALM, SECRET), **kw)  # type: ignore[arg-type]


@pytest.mark.usefixtures("store_kind")
def test_register_flow_refresh_query_and_unregister() -> None:
    reg = make()
    response = reg.handle(authorized(reg, 100.0), SOURCE, now=100.5)
    assert response.status == 200
    assert response.to is not None and response.to.tag == "vosengine"
    assert response.contacts[0].param("expires") == "3600"
    [binding] = reg.online()
    assert (binding.aor, binding.contact) == (f"sip:1001@{REALM}", "sip:1001@192.0.2.10:5060")
    # refresh with a shorter interval, in the same dialog of REGISTERs
    refresh = reg.handle(authorized(reg, 200.0, expires="600", cseq=3), SOURCE, now=200.0)
    assert refresh.status == 200 and refresh.contacts[0].param("expires") == "600"
    # query: no Contact
    query = reg.handle(authorized(reg, 300.0, contact=None, cseq=5), SOURCE, now=300.0)
    assert [c.uri_text for c in query.contacts] == ["sip:1001@192.0.2.10:5060"]
    # remove with Expires: 0
    gone = reg.handle(authorized(reg, 400.0, expires="0", cseq=7), SOURCE, now=400.0)
    assert gone.status == 200 and gone.contacts == []
    kinds = [e.kind for e in reg.drain_events()]
    assert kinds == [
        RegistrarEventKind.REGISTERED,
        RegistrarEventKind.REFRESHED,
        RegistrarEventKind.UNREGISTERED,
    ]


@pytest.mark.usefixtures("store_kind")
def test_contact_star_interval_too_brief_and_out_of_order() -> None:
    reg = make()
    assert reg.handle(authorized(reg, 10.0), SOURCE, now=10.0).status == 200
    brief = reg.handle(authorized(reg, 11.0, expires="30", cseq=3), SOURCE, now=11.0)
    assert brief.status == 423 and brief.header("min-expires") == "60"
    stale = reg.handle(authorized(reg, 12.0, cseq=0), SOURCE, now=12.0)  # CSeq went backwards
    assert stale.status == 500
    star_bad = reg.handle(authorized(reg, 13.0, contact="*", cseq=9), SOURCE, now=13.0)
    assert star_bad.status == 400  # '*' needs Expires: 0
    star = reg.handle(authorized(reg, 14.0, contact="*", expires="0", cseq=11), SOURCE, now=14.0)
    assert star.status == 200
    assert reg.online() == []


@pytest.mark.usefixtures("store_kind")
def test_expiry_drives_the_timer() -> None:
    reg = make()
    reg.handle(authorized(reg, 0.0, expires="120"), SOURCE, now=0.0)
    reg.handle(
        authorized(reg, 1.0, contact="<sip:1001@192.0.2.99>", expires="300", call_id="other"),
        SOURCE,
        now=1.0,
    )
    assert reg.next_deadline() == 120.0
    assert reg.expire(now=119.0) == []
    [gone] = reg.expire(now=120.0)
    assert gone.contact == "sip:1001@192.0.2.10:5060"
    assert reg.next_deadline() == 301.0
    reg.drain_events()
    reg.expire(now=400.0)
    assert [e.kind for e in reg.drain_events()] == [RegistrarEventKind.EXPIRED]
    assert reg.next_deadline() is None


@pytest.mark.usefixtures("store_kind")
def test_account_states_ip_auth_and_both() -> None:
    locked = SipAccount(username="1001", password="secret", active=False, status="locked")
    reg = make(locked)
    denied = reg.handle(authorized(reg, 1.0), SOURCE, now=1.0)
    assert denied.status == 403 and denied.reason == "Account locked"
    by_ip = make(SipAccount(username="1001", auth=AuthMethod.IP, addresses=("192.0.2.0/24",)))
    assert by_ip.handle(register(), SOURCE, now=1.0).status == 200  # no challenge at all
    assert by_ip.handle(register(cseq=2), ("198.51.100.1", 5060), now=2.0).status == 403
    both = make(
        SipAccount(
            username="1001", auth=AuthMethod.BOTH, password="secret", addresses=("192.0.2.10",)
        )
    )
    assert both.handle(register(), ("198.51.100.1", 5060), now=1.0).status == 403
    assert both.handle(authorized(both, 2.0), SOURCE, now=2.0).status == 200


@pytest.mark.usefixtures("store_kind")
def test_brute_force_gets_the_source_blocked() -> None:
    reg = make(blacklist=Blacklist(threshold=5, window=600, block_for=600))
    statuses = [
        reg.handle(
            authorized(reg, float(t), password="guess", cseq=2 * t + 1), SOURCE, now=float(t)
        ).status
        for t in range(5)
    ]
    # the fifth failure starts the block: 403, no fresh challenge
    assert statuses == [401] * 4 + [403]
    for cseq in (99, 101, 103):
        blocked = reg.handle(register(cseq=cseq), SOURCE, now=10.0)
        assert blocked.status == 403
        assert blocked.header("www-authenticate") is None  # no challenge for a blocked source
    kinds = [e.kind for e in reg.drain_events()]
    assert kinds.count(RegistrarEventKind.AUTH_FAILED) == 5
    # one event when the block starts; the requests refused while it lasts are counted
    assert kinds.count(RegistrarEventKind.BLOCKED) == 1
    assert reg.blocked_requests == 3
    # the right password from elsewhere still works; the block lifts after 600 s
    other = ("192.0.2.77", 5060)
    assert reg.handle(authorized(reg, 11.0, source=other, cseq=201), other, now=11.0).status == 200
    assert reg.handle(authorized(reg, 700.0, cseq=301), SOURCE, now=700.0).status == 200


@pytest.mark.usefixtures("store_kind")
def test_unknown_users_and_other_methods() -> None:
    reg = make()
    assert reg.handle(register(user="9999"), SOURCE, now=1.0).status == 401
    answer = answer_challenge(
        parse_auth(reg.authenticator.challenge(now=1.0)[0], "WWW-Authenticate"),
        method="REGISTER",
        uri=f"sip:{REALM}",
        username="9999",
        password="x",
        cnonce="c",
    )
    assert (
        reg.handle(register(user="9999", authorization=answer, cseq=2), SOURCE, now=1.0).status
        == 401
    )
    options = parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    )
    assert isinstance(options, Request)
    response = reg.handle(options, SOURCE, now=1.0)
    assert isinstance(response, Response) and response.status == 405
    assert response.header("allow") == "REGISTER"


@pytest.mark.parametrize(
    ("contact", "to_user", "status"),
    [
        ("sip:1001@192.0.2.10?Route=x", "1001", 400),  # addr-spec with headers
        ('"unterminated <sip:1001@192.0.2.10>', "1001", 400),
        ("<sip:1001@192.0.2.10>", "1001 x", 400),  # white space inside the To URI
        ("<sip:1001@192.0.2.10>;expires=99999999999", "1001", 400),
    ],
)
@pytest.mark.usefixtures("store_kind")
def test_malformed_registers_get_an_error_response_and_change_nothing(
    contact: str, to_user: str, status: int
) -> None:
    reg = make()
    text = (
        f"REGISTER sip:{REALM} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
        f"From: <sip:1001@{REALM}>;tag=a\r\nTo: <sip:{to_user}@{REALM}>\r\nCall-ID: x\r\n"
        f"CSeq: 1 REGISTER\r\nContact: {contact}\r\nContent-Length: 0\r\n\r\n"
    )
    request = parse(text.encode())
    assert isinstance(request, Request)
    response = reg.handle(request, SOURCE, now=1.0)
    assert response.status == status
    assert reg.online() == []
    assert reg.drain_events() == []
    assert parse(bytes(response)).status == status  # type: ignore[union-attr]
