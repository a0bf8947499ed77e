"""Which item a source address belongs to: the most specific of the networks that hold it."""

from __future__ import annotations

import ipaddress
import socket
from typing import Generic, TypeVar

from .._net import address_key

__all__ = ["NetworkIndex", "network_key"]

V = TypeVar("V")

_WIDTH = {4: 32, 6: 128}


def network_key(text: str) -> tuple[int, int, int]:
    """``(version, prefix length, network as an integer)`` of a CIDR already checked (a bare
    address is a /32 or a /128; an IPv4-mapped IPv6 network is its IPv4 network)."""
    network = ipaddress.ip_network(text, strict=False)
    if network.version == 6 and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return 4, network.prefixlen - 96, int(mapped)
    return network.version, network.prefixlen, int(network.network_address)


class NetworkIndex(Generic[V]):
    """Networks to values: :meth:`find` gives the value of the longest network that holds an
    address. One dictionary per prefix length in use, asked from the longest down: a
    look-up costs one parse and at most one dictionary probe per length in use (a handful
    in practice, 33 or 129 at worst), whatever the number of networks.

    Not thread-safe for writers (the inventory changes it under its lock); a reader sees
    each network added or removed whole."""

    __slots__ = ("_lengths", "_tables")

    def __init__(self) -> None:
        self._tables: dict[tuple[int, int], dict[int, V]] = {}
        # per version, the lengths in use, longest first, with their tables
        self._lengths: dict[int, tuple[tuple[int, dict[int, V]], ...]] = {4: (), 6: ()}

    def get(self, text: str) -> V | None:
        """The value of exactly this network, or ``None``."""
        version, length, value = network_key(text)
        return self._tables.get((version, length), {}).get(value)

    def add(self, text: str, value: V) -> None:
        """Map the network ``text`` to ``value`` (it must not be mapped yet)."""
        version, length, network = network_key(text)
        table = self._tables.get((version, length))
        if table is None:
            table = self._tables[(version, length)] = {}
            self._relist(version)
        assert network not in table, text
        table[network] = value

    def remove(self, text: str) -> None:
        """Forget the network ``text`` (it must be mapped)."""
        version, length, network = network_key(text)
        table = self._tables[(version, length)]
        del table[network]
        if not table:
            del self._tables[(version, length)]
            self._relist(version)

    def _relist(self, version: int) -> None:
        width = _WIDTH[version]
        self._lengths[version] = tuple(
            (width - length, self._tables[(v, length)])
            for v, length in sorted(self._tables, key=lambda key: -key[1])
            if v == version
        )

    def find(self, ip: str) -> V | None:
        """The value of the longest network holding ``ip`` (an IPv4-mapped IPv6 address
        counts as its IPv4 address), or ``None``; ``None`` too for text that is no
        address."""
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big")
            version = 4
        except (OSError, TypeError, ValueError):
            key = address_key(ip)
            if key is None:
                return None
            version, value = key
        for shift, table in self._lengths[version]:
            found = table.get(value >> shift << shift)
            if found is not None:
                return found
        return None

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())
