"""The time model, written once: every package refuses a naive or wrong-typed instant with the
same error, and tariff windows and login windows are the same weekly window."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine import InvalidArgument, InvalidArgumentType
from vosengine.accounts import Account, AccountDirectory, Operator
from vosengine.cdr import CDR
from vosengine.policy import LoginLockout, LoginWindow, session_expired
from vosengine.rating import Rate, RateTable, TariffWindow

from .public_api import public_signatures

NAIVE = datetime(2026, 3, 2, 9, 30)
AWARE = NAIVE.replace(tzinfo=UTC)


def _directory() -> AccountDirectory:
    directory = AccountDirectory()
    directory.add(Account(id="a1"), actor=Operator(name="root"), now=AWARE)
    return directory


def _windowed() -> RateTable:
    peak = TariffWindow(name="peak", days={0}, start=time(8), end=time(18))
    return RateTable([Rate(prefix="44", price="0.01")], windows=[peak])


def _table() -> RateTable:
    return RateTable([Rate(prefix="44", price="0.01")])


ENTRY_POINTS: list[tuple[str, Any]] = [
    ("now", lambda when: _directory().status_verdict("a1", now=when)),
    ("now", lambda when: _directory().effective_status("a1", now=when)),
    ("expires_at", lambda when: Account(id="a1", expires_at=when)),
    ("effective_from", lambda when: Rate(prefix="44", price="0.01", effective_from=when)),
    ("at", lambda when: _table().price("4420", 60_000, at=when)),
    ("at", lambda when: _table().lookup("4420", at=when)),
    ("at", lambda when: _windowed().window_at(at=when)),
    (
        "start",
        lambda when: CDR(
            call_id="c1",
            account_id="a1",
            caller="100",
            callee="44",
            start=when,
            end=AWARE + timedelta(hours=1),
            answer=None,
            duration_ms=0,
        ),
    ),
    (
        "now",
        lambda when: LoginWindow(days={0}, start=time(9), end=time(17)).contains(now=when),
    ),
    ("now", lambda when: LoginLockout().locked_until("ann", now=when)),
    ("now", lambda when: LoginLockout().record_failure("ann", now=when)),
    ("now", lambda when: session_expired(AWARE, now=when, idle=timedelta(minutes=5))),
]


@pytest.mark.parametrize(("field", "call"), ENTRY_POINTS)
def test_a_naive_instant_is_refused_the_same_way_everywhere(field: str, call: Any) -> None:
    with pytest.raises(InvalidArgument, match=f"^{field}: 2026-03-02T09:30:00 has no time zone; "):
        call(NAIVE)


@pytest.mark.parametrize(("field", "call"), ENTRY_POINTS)
def test_a_wrong_typed_instant_is_an_invalid_argument_type(field: str, call: Any) -> None:
    with pytest.raises(InvalidArgumentType, match=f"^{field}: expected an aware datetime"):
        call("2026-03-02T09:30:00Z")


@pytest.mark.parametrize(("field", "call"), ENTRY_POINTS)
def test_an_aware_instant_is_accepted(field: str, call: Any) -> None:
    call(AWARE)


_clock = st.times().map(lambda t: t.replace(microsecond=0))


@given(
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=_clock,
    end=_clock,
    at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
)
def test_tariff_and_login_windows_are_the_same_weekly_window(
    days: frozenset[int], start: time, end: time, at: datetime
) -> None:
    try:
        tariff = TariffWindow(name="peak", days=days, start=start, end=end)
    except InvalidArgument as refused:
        with pytest.raises(InvalidArgument, match=str(refused).split(":")[0]):
            LoginWindow(days=days, start=start, end=end)
        return
    login = LoginWindow(days=days, start=start, end=end, timezone="Europe/Paris")
    local = at.astimezone(ZoneInfo("Europe/Paris"))
    assert login.contains(now=at) == tariff.contains(local.weekday(), local.time())
    table = RateTable([Rate(prefix="1", price="0.01")], windows=[tariff], timezone="Europe/Paris")
    assert (table.window_at(at=at) == "peak") == login.contains(now=at)


def test_a_login_window_may_end_at_midnight() -> None:
    window = LoginWindow(days={4}, start=time(18), end=time(0), timezone="UTC")
    assert window.contains(now=datetime(2026, 3, 6, 23, 59, 59, tzinfo=UTC))
    assert not window.contains(now=datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    assert not window.contains(now=datetime(2026, 3, 6, 17, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"days": set()}, InvalidArgument, "days: .* must be weekdays"),
        ({"days": {7}}, InvalidArgument, "days: .* must be weekdays"),
        ({"days": {True}}, InvalidArgument, "days: .* must be weekdays"),
        ({"days": "01234"}, InvalidArgumentType, "days: expected weekday numbers"),
        ({"start": "09:00"}, InvalidArgumentType, "start: expected a naive time of day"),
        ({"end": time(8)}, InvalidArgument, "end: 08:00:00 is not after start 09:00:00"),
        ({"timezone": "Mars/Olympus"}, InvalidArgument, "timezone: unknown time zone"),
    ],
)
def test_bad_login_windows(fields: dict[str, Any], error: type, message: str) -> None:
    window = {"days": {0}, "start": time(9), "end": time(17)} | fields
    with pytest.raises(error, match=message):
        LoginWindow(**window)


def test_one_time_zone_reader() -> None:
    with pytest.raises(InvalidArgument, match=r"^timezone: unknown time zone 'Nowhere/At_All'$"):
        RateTable([], timezone="Nowhere/At_All")
    with pytest.raises(InvalidArgument, match=r"^timezone: unknown time zone 'Nowhere/At_All'$"):
        LoginWindow(days={0}, start=time(9), end=time(17), timezone="Nowhere/At_All")


def _time_parameters() -> list[tuple[str, inspect.Parameter]]:
    """Every ``now`` / ``at`` parameter of the public API (functions and methods)."""
    return [
        (where, p)
        for where, signature in public_signatures()
        for p in signature.parameters.values()
        if p.name in ("now", "at")
    ]


def test_now_and_at_are_keyword_only_and_required_everywhere() -> None:
    parameters = _time_parameters()
    assert len(parameters) >= 40
    wrong = [
        f"{where}({p})"
        for where, p in parameters
        if p.kind is not inspect.Parameter.KEYWORD_ONLY or p.default is not inspect.Parameter.empty
    ]
    assert wrong == []


# -- the protocol clock -----------------------------------------------------------------------


def _protocol_entry_points() -> list[Any]:
    from vosengine.abuse import SlidingWindowCounter
    from vosengine.sip import Blacklist, DigestAuthenticator, Registrar, parse
    from vosengine.sip._headers import parse_auth

    class Store:
        def lookup(self, username: str, *, now: float) -> None:
            return None

    auth = DigestAuthenticator("example.com", b"0123456789abcdef-secret")
    credentials = parse_auth(
        'Digest username="a", realm="example.com", nonce="n", uri="sip:x", response="r"',
        "Authorization",
    )
    request = parse(
        b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c\r\n"
        b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
    )
    counter: SlidingWindowCounter[str] = SlidingWindowCounter(window=1.0, limit=1)
    return [
        lambda now: Blacklist().is_blocked("192.0.2.1", now=now),
        lambda now: Blacklist().record_failure("192.0.2.1", now=now),
        lambda now: Blacklist().blocks(now=now),
        lambda now: auth.challenge(now=now),
        lambda now: auth.verify(credentials, method="REGISTER", now=now, password="p"),
        lambda now: Registrar(Store(), auth).handle(request, ("192.0.2.1", 5060), now=now),
        lambda now: Registrar(Store(), auth).expire(now=now),
        lambda now: counter.hit("k", now=now),
        lambda now: counter.count("k", now=now),
        lambda now: endpoint().receive_datagram(b"\r\n", ("192.0.2.1", 5060), now=now),
        lambda now: endpoint().handle_timer(now=now),
        lambda now: endpoint().send(options(endpoint()), addr=("192.0.2.1", 5060), now=now),
        lambda now: endpoint().cancel(invited(), now=now),
    ]


def endpoint() -> Any:
    from vosengine.sip import Endpoint

    return Endpoint(host="192.0.2.2", port=5060)


def options(end: Any) -> Any:
    return end.request("OPTIONS", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")


def invited() -> Any:
    end = endpoint()
    invite = end.request("INVITE", "sip:b@x", from_="<sip:a@x>", to="<sip:b@x>")
    return end.send(invite, addr=("192.0.2.1", 5060), now=0.0)


@pytest.mark.parametrize("index", range(13))
def test_the_protocol_clock_refuses_the_business_clock(index: int) -> None:
    call = _protocol_entry_points()[index]
    with pytest.raises(InvalidArgumentType, match=r"^now: expected monotonic seconds .* datetime"):
        call(AWARE)
    with pytest.raises(InvalidArgument, match=r"^now: nan is no reading of a monotonic clock"):
        call(float("nan"))
    with pytest.raises(InvalidArgument, match=r"^now: 1000000000000000.0 is no reading of a mono"):
        call(1e15)
    call(12.5)
    call(13)
