"""IP addresses and networks, written once: the one form an address is compared in, and the
set of networks that admin IP whitelists, SIP IP authentication and the blacklist's trusted
networks all match against."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ._checks import check_str, iterate
from .errors import InvalidArgument, InvalidArgumentType

__all__ = ["Networks", "address_key", "normalize_ip"]


def normalize_ip(ip: str) -> str:
    """The one form an address is compared in: IPv4-mapped IPv6 as IPv4, IPv6 compressed and
    lower-cased, an IPv6 zone kept; text that is no IP address is returned as it is.

    >>> normalize_ip("::FFFF:10.1.2.3"), normalize_ip("2001:DB8:0::1"), normalize_ip("10.0.0.1")
    ('10.1.2.3', '2001:db8::1', '10.0.0.1')
    """
    if type(ip) is not str:
        check_str(ip, "ip")
    if ":" not in ip:
        return ip  # IPv4 (or a name): already in its one form
    try:
        address = ipaddress.IPv6Address(ip.strip("[]"))
    except ValueError:
        return ip
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else str(address)


def address_key(ip: object) -> tuple[int, int] | None:
    """``(version, integer)`` of an IP address (an IPv4-mapped IPv6 address is its IPv4
    address), or None when ``ip`` is no IP address.

    >>> address_key("10.0.0.1"), address_key("::ffff:10.0.0.1"), address_key("ten")
    ((4, 167772161), (4, 167772161), None)
    """
    if not isinstance(ip, str):
        return None
    try:
        address = ipaddress.ip_address(ip.strip("[]") if ":" in ip else ip)
    except ValueError:
        return None
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            return 4, int(mapped)
    return address.version, int(address)


class Networks:
    """An immutable set of IP networks (CIDRs; a bare address is a /32 or /128), matched as
    integers: ``ip in networks`` costs O(networks) integer operations and no allocation but
    the address parse. A text that is no address or network is refused at construction,
    naming ``field``.

    >>> trusted = Networks(["10.0.0.0/8", "2001:db8::/32"], field="whitelist")
    >>> "10.1.2.3" in trusted, "::ffff:10.1.2.3" in trusted, "192.0.2.1" in trusted
    (True, True, False)
    """

    __slots__ = ("_networks", "texts")

    def __init__(self, items: Iterable[str], *, field: str) -> None:
        if isinstance(items, str):
            raise InvalidArgumentType(f"{field}: expected a list of CIDRs, got the str {items!r}")
        texts = tuple(iterate(items, field))
        networks = []
        for item in texts:
            if not isinstance(item, str):
                raise InvalidArgumentType(f"{field}: expected a CIDR str, got {item!r}")
            try:
                network = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise InvalidArgument(f"{field}: {item!r} is not an IP address or CIDR") from None
            networks.append((network.version, int(network.network_address), int(network.netmask)))
        self.texts = texts
        self._networks = tuple(networks)

    def __contains__(self, ip: object) -> bool:
        key = address_key(ip)
        return key is not None and self.contains_key(key)

    def contains_key(self, key: tuple[int, int]) -> bool:
        """Whether the address of :func:`address_key` ``key`` lies in one of the networks."""
        version, value = key
        for net_version, network, mask in self._networks:
            if net_version == version and value & mask == network:
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __and__(self, other: Networks) -> Networks:
        """The addresses in both sets, as networks: two CIDRs are nested or apart, so the
        intersection is the smaller of each nested pair."""
        mine = [ipaddress.ip_network(text, strict=False) for text in self.texts]
        theirs = [ipaddress.ip_network(text, strict=False) for text in other.texts]
        both = [
            str(inner)
            for a in mine
            for b in theirs
            if a.version == b.version
            for inner in ((a,) if a.subnet_of(b) else (b,) if b.subnet_of(a) else ())  # type: ignore[arg-type]
        ]
        return Networks(dict.fromkeys(both), field="networks")

    def __repr__(self) -> str:
        return f"Networks({list(self.texts)!r})"
