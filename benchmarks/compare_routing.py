"""Routing throughput: ``RouteTable.route()`` against a brute-force scan of every gateway.

One run, one world: real geographic prefixes (``phonenumbers``), a customer deck and
``--vendors`` vendor decks of ``--prefixes`` rates each (seeded prices), ``--gateways``
gateways spread over the vendors, each serving a seeded share of the country codes with a
priority, a weight and a capacity; numbers extend real prefixes to 11-13 digits. Both sides
apply the same rules -- client binding, capacity through a ``Load``, min profit against the
customer rate -- and rank by cost. The baseline, written here, scans every gateway's prefixes,
finds each vendor's rate with a dict scan for the longest prefix, compares exact
``Fraction`` prices and sorts; it is checked to agree with vosengine on every number of a
sample before anything is timed.

    python benchmarks/compare_routing.py                  # 200,000-prefix decks, 50 gateways
    python benchmarks/compare_routing.py --prefixes 20000 --numbers 20000
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import real_numbers, real_prefixes
from vosengine.rating import Rate, RateTable
from vosengine.routing import Gateway, Load, Ordering, RouteSettings, RouteTable

AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
CLIENT = "customer-1"


def build_world(args: argparse.Namespace) -> dict[str, Any]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    rng = random.Random(28)
    plan = real_prefixes()
    keys = [prefix for prefix, _ in plan]
    codes = sorted(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)

    def deck(seed: int, low: int, high: int) -> list[Rate]:
        pick = random.Random(seed)
        chosen = pick.sample(plan, min(args.prefixes, len(plan)))
        return [
            Rate(prefix=p, area=a, price=Decimal(pick.randint(low, high)).scaleb(-5))
            for p, a in chosen
        ]

    customer = deck(1, 2_000, 6_000)
    vendors = [RateTable(deck(100 + v, 500, 5_000)) for v in range(args.vendors)]
    gateways = []
    for index in range(args.gateways):
        served = set(rng.sample(codes, max(1, len(codes) * args.share // 100)))
        served.add(rng.choice(["1", "44", "86", "91", "33"]))  # busy destinations
        gateways.append(
            Gateway(
                id=f"gw{index:02}",
                vendor=f"vendor{index % args.vendors}",
                prefixes=served,
                priority=rng.randint(0, 3),
                weight=rng.randint(1, 5),
                rates=vendors[index % args.vendors],
                capacity=rng.choice([None, 500, 1_000]),
                clients_refused={CLIENT} if index % 17 == 16 else set(),
            )
        )
    load = Load()
    for call in range(2_000):  # calls in progress
        gateway = gateways[call % len(gateways)]
        load.acquire(gateway, f"call-{call}", now=0.0)
    return {
        "customer": {rate.prefix: rate for rate in customer},
        "customer_table": RateTable(customer),
        "gateways": gateways,
        "load": load,
        "numbers": real_numbers(keys, args.numbers, seed=29),
    }


def brute_force(world: dict[str, Any], settings: RouteSettings):  # type: ignore[no-untyped-def]
    """The baseline: scan every gateway and every prefix it serves, dict-scan each vendor
    deck, compare exact fractions, sort."""
    gateways = world["gateways"]
    load = world["load"]
    decks = {id(g.rates): {rate.prefix: rate for rate in g.rates} for g in gateways}
    floor = Fraction(settings.min_profit) / settings.per_seconds

    def longest(deck: dict[str, Rate], number: str) -> Rate | None:
        for length in range(len(number), 0, -1):
            rate = deck.get(number[:length])
            if rate is not None:
                return rate
        return None

    def route(number: str, customer: Rate) -> list[str]:
        kept = []
        sell = Fraction(customer.price) / customer.unit_seconds
        for g in gateways:
            if not any(number.startswith(p) for p in g.prefixes):
                continue
            if not g.enabled or CLIENT in g.clients_refused:
                continue
            if g.capacity is not None and load.concurrent(g.id) >= g.capacity:
                continue
            rate = longest(decks[id(g.rates)], number)
            if rate is None:
                continue
            cost = Fraction(rate.price) / rate.unit_seconds
            if sell - cost < floor:
                continue
            kept.append((cost, g.priority, g.id))
        kept.sort()
        return [gid for _, _, gid in kept]

    return route


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefixes", type=int, default=200_000)
    parser.add_argument("--vendors", type=int, default=5)
    parser.add_argument("--gateways", type=int, default=50)
    parser.add_argument("--share", type=int, default=10, help="%% of country codes per gateway")
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    world = build_world(args)
    world_s = time.perf_counter() - start
    settings = RouteSettings(ordering=Ordering.COST, min_profit="0")
    start = time.perf_counter()
    table = RouteTable(world["gateways"], settings=settings)
    build_s = time.perf_counter() - start
    customer_table: RateTable = world["customer_table"]
    # the customer rate of each number is what admission would have found before routing
    calls = []
    for number in world["numbers"]:
        rate = customer_table.lookup(number, at=AT)
        if rate is not None:
            calls.append((number, rate))
    naive = brute_force(world, settings)
    load = world["load"]
    sizes = []
    for number, rate in calls[:5_000]:
        got = table.route(number, client=CLIENT, at=AT, now=1.0, customer_rate=rate, load=load)
        assert [r.gateway.id for r in got] == naive(number, rate), number
        sizes.append(len(got))
    # the millions of objects of the world and the table stay for the whole run: out of the
    # collector's reach (as a long-running host freezes what it loaded), so that a full
    # collection over them does not land in one contender's pass
    gc.collect()
    gc.freeze()

    def run_naive() -> None:
        for number, rate in calls:
            naive(number, rate)

    def run_table() -> None:
        route = table.route
        for number, rate in calls:
            route(number, client=CLIENT, at=AT, now=1.0, customer_rate=rate, load=load)

    def run_first() -> None:
        route = table.route
        for number, rate in calls:
            routes = route(number, client=CLIENT, at=AT, now=1.0, customer_rate=rate, load=load)
            if routes:
                routes[0]

    best = [float("inf"), float("inf"), float("inf")]
    for _ in range(args.passes):  # the contenders take turns, so noise hits all
        for index, fn in enumerate((run_naive, run_table, run_first)):
            start = time.perf_counter()
            fn()
            best[index] = min(best[index], time.perf_counter() - start)
    naive_s, table_s, first_s = best
    n = len(calls)
    print(
        f"world: {len(world['gateways'])} gateways over {args.vendors} vendor decks of"
        f" {args.prefixes:,} rates, a customer deck of {args.prefixes:,}; built in"
        f" {world_s:.1f} s; route table built in {build_s:.2f} s; {n:,} calls with a customer"
        f" rate, {sum(sizes) / len(sizes):.1f} routes each on average\n"
    )
    print("| what | decisions/s | × baseline |")
    print("|---|---:|---:|")
    print(f"| baseline: scan every gateway, dict-scan each deck | {n / naive_s:,.0f} | 1.0× |")
    print(f"| `RouteTable.route()` | {n / table_s:,.0f} | {naive_s / table_s:.1f}× |")
    print(
        f"| `route()`, then read the first `Route` | {n / first_s:,.0f}"
        f" | {naive_s / first_s:.1f}× |"
    )


if __name__ == "__main__":
    main()
