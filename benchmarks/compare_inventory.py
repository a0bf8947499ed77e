"""The inventory's two hot look-ups, against a floor measured in the same run.

* ``Inventory.credentials(username, at=...)``: what the registrar asks on every REGISTER,
  over ``--phones`` phones (1,000,000 by default) under 1,000 customers of 10 agents, each
  answer checked against the phone's own state and its account chain's status. Floor: a bare
  ``dict.get`` of the same usernames.
* ``Inventory.gateway_for(ip)``: what an inbound INVITE asks to authenticate by source
  address, over ``--networks`` networks (100,000 by default: /24, /28, /30 and /32 IPv4
  networks and /48 IPv6 networks, some nested in others). Floor: the same addresses through
  ``ipaddress.ip_address`` alone (the parse every stdlib-based answer starts with); baseline:
  the stdlib answer, ``ipaddress`` networks probed from the longest length in use down.

    python benchmarks/compare_inventory.py
    python benchmarks/compare_inventory.py --phones 100000 --networks 20000   # a quick run
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vosengine.accounts import FULL, Account, AccountDirectory, Operator
from vosengine.inventory import Inventory, MappingGateway, Phone

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
OP = Operator(name="bench")
HA1 = {"MD5": "0" * 32}


def best(fn: Any, passes: int) -> float:
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=1_000_000)
    parser.add_argument("--networks", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(15)
    directory = AccountDirectory()
    for agent in range(10):
        directory.add(Account(id=f"a{agent}", authorizations=FULL), actor=OP, now=AT)
    for customer in range(1000):
        directory.add(Account(id=f"c{customer}", parent_id=f"a{customer % 10}"), actor=OP, now=AT)
    inventory = Inventory(directory, realm="bench.example")
    start = time.perf_counter()
    for index in range(args.phones):
        phone = Phone(number=str(10_000_000 + index), account_id=f"c{index % 1000}", ha1s=HA1)
        inventory.add_phone(phone, actor=OP, now=AT)
    phones_s = time.perf_counter() - start
    networks: list[str] = []
    start = time.perf_counter()
    taken: set[str] = set()
    while len(networks) < args.networks:
        kind = rng.random()
        if kind < 0.2:
            text = f"2001:db8:{rng.randrange(65536):x}::/48"
        else:
            length = rng.choice([24, 28, 30, 32])
            address = ipaddress.ip_address(rng.randrange(1 << 32))
            text = str(ipaddress.ip_network(f"{address}/{length}", strict=False))
        if text in taken:
            continue
        taken.add(text)
        networks.append(text)
        gateway = MappingGateway(id=f"g{len(networks)}", account_id="c1", networks=(text,))
        inventory.add_gateway(gateway, actor=OP, now=AT)
    gateways_s = time.perf_counter() - start
    usernames = [str(10_000_000 + rng.randrange(args.phones)) for _ in range(args.lookups)]
    # addresses: 3 of 4 inside a network (its first host), the rest anywhere
    addresses = []
    for _ in range(args.lookups):
        if rng.random() < 0.75:
            network = ipaddress.ip_network(rng.choice(networks))
            addresses.append(str(network.network_address + (1 if network.num_addresses > 1 else 0)))
        else:
            addresses.append(str(ipaddress.ip_address(rng.randrange(1 << 32))))
    stdlib: dict[int, dict[Any, str]] = {}
    for index, text in enumerate(networks):
        network = ipaddress.ip_network(text)
        stdlib.setdefault(network.prefixlen + (0 if network.version == 4 else 1000), {})[
            network
        ] = f"g{index + 1}"
    lengths = sorted(stdlib, reverse=True)

    def stdlib_find(ip: str) -> str | None:
        address = ipaddress.ip_address(ip)
        for key in lengths:
            version = 4 if key < 1000 else 6
            if version != address.version:
                continue
            found = stdlib[key].get(ipaddress.ip_network((address, key % 1000), strict=False))
            if found is not None:
                return found
        return None

    for ip in addresses[:2000]:  # both answer the same
        ours = inventory.gateway_for(ip)
        assert (ours.id if ours else None) == stdlib_find(ip), ip
    sip = {name: inventory.credentials(name, at=AT) for name in usernames[:1000]}
    assert all(account is not None and account.active for account in sip.values())
    plain = {p.number: inventory.credentials(p.number, at=AT) for p in inventory.phones()[:10]}
    plain.update(inventory._credentials)  # type: ignore[arg-type]
    gc.collect()
    gc.freeze()
    credentials = inventory.credentials
    gateway_for = inventory.gateway_for
    get = plain.get
    rows = [
        (
            "floor: `dict.get` of the username",
            best(lambda: [get(u) for u in usernames], args.passes),
        ),
        (
            "`Inventory.credentials(username, at=)`",
            best(lambda: [credentials(u, at=AT) for u in usernames], args.passes),
        ),
    ]
    parse = ipaddress.ip_address
    ip_rows = [
        (
            "floor: `ipaddress.ip_address` alone",
            best(lambda: [parse(a) for a in addresses], args.passes),
        ),
        (
            "baseline: `ipaddress` networks by length",
            best(lambda: [stdlib_find(a) for a in addresses[: len(addresses) // 10]], args.passes)
            * 10,
        ),
        (
            "`Inventory.gateway_for(ip)`",
            best(lambda: [gateway_for(a) for a in addresses], args.passes),
        ),
    ]
    n = len(usernames)
    print(
        f"{args.phones:,} phones (added in {phones_s:.1f} s), {args.networks:,} networks"
        f" ({len(lengths)} lengths in use; added in {gateways_s:.1f} s); {n:,} look-ups each,"
        f" best of {args.passes}\n"
    )
    print("| look-up | µs each | look-ups/s | × floor |")
    print("|---|---:|---:|---:|")
    for table in (rows, ip_rows):
        floor = table[0][1]
        for name, seconds in table:
            print(
                f"| {name} | {seconds / n * 1e6:.3f} | {n / seconds:,.0f} | {seconds / floor:.2f} |"
            )


if __name__ == "__main__":
    main()
