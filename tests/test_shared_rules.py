"""Rules written once and shared: a CIDR match, a sliding-window count, a prefix check. Every
user of a rule must answer as the one implementation (and a plain model) does."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine import InvalidArgument, InvalidArgumentType
from vosengine.abuse import SlidingWindowCounter
from vosengine.numbering import NumberSection
from vosengine.policy import Admin, Policy, Role
from vosengine.prefix import check_prefix
from vosengine.rating import Rate
from vosengine.sip import AuthMethod, Blacklist, SipAccount

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)

_v4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
_v6 = st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
_networks = st.one_of(
    st.tuples(_v4, st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.tuples(_v6, st.integers(0, 128)).map(lambda t: f"{t[0]}/{t[1]}"),
    _v4,
)
# addresses near the networks' edges come from the networks themselves
_addresses = st.one_of(_v4, _v6, _v4.map(lambda a: f"::ffff:{a}"))


def _model(networks: list[str], ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


@given(networks=st.lists(_networks, min_size=1, max_size=5), ip=_addresses, data=st.data())
def test_every_ip_match_is_the_one_cidr_rule(
    networks: list[str], ip: str, data: st.DataObject
) -> None:
    if data.draw(st.booleans()):  # an address inside one of the networks, at an edge or not
        network = ipaddress.ip_network(data.draw(st.sampled_from(networks)), strict=False)
        offset = data.draw(st.sampled_from([0, network.num_addresses - 1]))
        ip = str(network.network_address + offset)
    expected = _model(networks, ip)
    policy = Policy()
    policy.add_admin(Admin(name="a", role=Role.ADMIN, ip_whitelist=tuple(networks)))
    assert bool(policy.check_module("a", "rate", "view", ip=ip, now=NOW)) == expected
    account = SipAccount(username="u", auth=AuthMethod.IP, addresses=tuple(networks))
    assert account.address_allowed(ip) == expected
    assert Blacklist(whitelist=networks).trusted(ip) == expected


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "ten", "10.0.0.1/8/8", ""])
def test_a_bad_cidr_is_refused_by_every_user_naming_its_field(bad: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^ip_whitelist: {bad!r} is not an IP address"):
        Policy().add_admin(Admin(name="a", role=Role.ADMIN, ip_whitelist=(bad,)))
    with pytest.raises(InvalidArgument, match=f"^addresses: {bad!r} is not an IP address"):
        SipAccount(username="u", auth=AuthMethod.IP, addresses=(bad,))
    with pytest.raises(InvalidArgument, match=f"^whitelist: {bad!r} is not an IP address"):
        Blacklist(whitelist=[bad])


# -- the one sliding-window counter ---------------------------------------------------------


@given(
    window=st.sampled_from([0.5, 1.0, 10.0]),
    limit=st.integers(1, 6),
    steps=st.lists(st.tuples(st.sampled_from("abcd"), st.floats(0, 3), st.booleans()), max_size=80),
)
def test_the_counter_counts_as_a_plain_list_of_events(
    window: float, limit: int, steps: list[tuple[str, float, bool]]
) -> None:
    counter: SlidingWindowCounter[str] = SlidingWindowCounter(window=window, limit=limit)
    events: dict[str, list[float]] = {}
    now = 0.0
    for key, step, hit in steps:
        now += step
        if hit:
            events.setdefault(key, []).append(now)
            got = counter.hit(key, now=now)
        else:
            got = counter.count(key, now=now)
        expected = sum(1 for t in events.get(key, []) if now - window < t)
        assert got == min(limit, expected)
        counter._check()
    counter.prune(now=now + 2 * window)
    assert len(counter) == 0


@given(st.lists(st.integers(0, 1_000), min_size=1, max_size=300), st.integers(1, 20))
def test_the_counter_holds_at_most_max_keys(keys: list[int], max_keys: int) -> None:
    counter: SlidingWindowCounter[int] = SlidingWindowCounter(
        window=100.0, limit=3, max_keys=max_keys
    )
    for index, key in enumerate(keys):
        assert counter.hit(key, now=float(index)) >= 1
        assert len(counter) <= max_keys
        counter._check()
    # the most recently hit key is always remembered
    assert counter.count(keys[-1], now=float(len(keys))) >= 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"window": 0}, "window: 0 is not positive"),
        ({"window": float("nan")}, "window: nan is not positive"),
        ({"limit": 0}, "limit: 0 is not positive"),
        ({"limit": 2.5}, "limit: expected a positive number"),
        ({"max_keys": True}, "max_keys: expected a positive number"),
    ],
)
def test_a_bad_counter_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        SlidingWindowCounter(**({"window": 1.0, "limit": 1} | fields))  # type: ignore[arg-type]


# -- the one prefix rule ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "12a", "+44", "\u0663", "4 4"])
def test_every_prefix_check_is_the_one_rule(table_cls: Any, bad: str) -> None:
    with pytest.raises(InvalidArgument) as expected:
        check_prefix(bad, "X")
    message = str(expected.value).removeprefix("X: ")
    with pytest.raises(InvalidArgument) as trie:
        table_cls([(bad, 1)])
    assert str(trie.value) == f"item 0: {message}"
    with pytest.raises(InvalidArgument) as section:
        NumberSection(blocked={bad})
    assert str(section.value) == f"blocked: {message}"
    with pytest.raises(InvalidArgument) as rate:
        Rate(prefix=bad, price="0.01")
    assert str(rate.value) == f"prefix: {message}"


@pytest.mark.parametrize("bad", [44, None, b"44"])
def test_a_prefix_that_is_no_str_is_an_invalid_argument_type(table_cls: Any, bad: object) -> None:
    for build in (
        lambda: table_cls([(bad, 1)]),
        lambda: NumberSection(allowed={bad}),  # type: ignore[arg-type]
        lambda: Rate(prefix=bad, price="0.01"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidArgumentType, match="expected a str"):
            build()
