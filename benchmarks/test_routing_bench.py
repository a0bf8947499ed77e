"""pytest-benchmark suite for RouteTable.route(), with the brute-force scan of every gateway
beside it (the world of ``compare_routing.py``, smaller, so that the suite stays quick).

    python -m pytest benchmarks/test_routing_bench.py --benchmark-enable

(The test suite runs these once each with benchmarking disabled, as a smoke test.)
"""

from __future__ import annotations

import argparse
from functools import cache
from typing import Any

from benchmarks.compare_routing import AT, CLIENT, brute_force, build_world
from vosengine.routing import Ordering, RouteSettings, RouteTable

SETTINGS = RouteSettings(ordering=Ordering.COST, min_profit="0")


@cache
def world() -> tuple[dict[str, Any], RouteTable, list[tuple[str, Any]]]:
    args = argparse.Namespace(prefixes=5_000, vendors=5, gateways=50, share=10, numbers=5_000)
    built = build_world(args)
    table = RouteTable(built["gateways"], settings=SETTINGS)
    customer = built["customer_table"]
    calls = [(number, customer.lookup(number, at=AT)) for number in built["numbers"]]
    return built, table, [(number, rate) for number, rate in calls if rate is not None]


def test_route(benchmark: Any) -> None:
    built, table, calls = world()
    load = built["load"]

    def run() -> int:
        routes = 0
        for number, rate in calls:
            routes += len(
                table.route(number, client=CLIENT, at=AT, now=1.0, customer_rate=rate, load=load)
            )
        return routes

    benchmark.group = "routing"
    assert benchmark(run) > 0


def test_brute_force_baseline(benchmark: Any) -> None:
    built, table, calls = world()
    naive = brute_force(built, SETTINGS)
    load = built["load"]
    for number, rate in calls[:200]:
        got = table.route(number, client=CLIENT, at=AT, now=1.0, customer_rate=rate, load=load)
        assert [route.gateway.id for route in got] == naive(number, rate)

    def run() -> int:
        return sum(len(naive(number, rate)) for number, rate in calls)

    benchmark.group = "routing"
    assert benchmark(run) > 0
