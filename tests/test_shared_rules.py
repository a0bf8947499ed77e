"""Rules written once and shared: a CIDR match, a sliding-window count, a prefix check. Every
user of a rule must answer as the one implementation (and a plain model) does."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine import InvalidArgument
from vosengine.policy import Admin, Policy, Role
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
