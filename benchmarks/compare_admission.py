"""Admission throughput: ``Admission.admit()`` against the same five steps glued together by
hand from the public API, as a switch developer would write them without ``admission``.

One run, one world: 100,000 accounts over a 4-level agent tree with number sections
(``benchmarks/tree.py``); a customer deck and an agents' deck of ``--prefixes`` real
geographic prefixes (``phonenumbers``); ``--gateways`` gateways over five vendor decks of the
same size (``compare_routing.build_world``); a ledger with every account open and every
customer recharged (seeded). Each timed call is a different customer calling a number its
sections allow and its deck prices, so every call runs all five stages: status, sections,
customer rate, the hold, routing with a gateway slot taken. Between passes (untimed) every
hold and slot is given back. Both sides are checked to give the same answer on every call
before anything is timed.

    python benchmarks/compare_admission.py                  # 200,000-prefix decks
    python benchmarks/compare_admission.py --prefixes 20000 --calls 20000
    python benchmarks/compare_admission.py --gc-off       # what the collector costs
    python benchmarks/compare_admission.py --stages       # then each stage alone
    python benchmarks/compare_admission.py --warm         # then the same call over and over
    python benchmarks/compare_admission.py --gc-stats     # what the collector did meanwhile
    python benchmarks/compare_admission.py --stream 25    # then a steady stream for 25 s
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.compare_routing import build_world
from benchmarks.tree import build_tree
from vosengine.accounts import Operator
from vosengine.admission import Admission, Admitted
from vosengine.ledger import InMemoryLedger
from vosengine.numbering import normalize_number
from vosengine.rating import RateTable
from vosengine.routing import GatewayBusy, Load, Ordering, RouteSettings, RouteTable

AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
NOW = 1.0
_OP = Operator(name="bench")


def naive(
    directory: Any, tables: Any, ledger: InMemoryLedger, table: RouteTable, load: Load
) -> Any:
    """The baseline: the same steps, each through its public call."""

    def admit(customer: str, callee: str, call_id: str) -> Any:
        if not directory.status_verdict(customer, now=AT):
            return "status"
        number = normalize_number(callee)
        if not directory.number_check(customer, number):
            return "number"
        deck = tables(customer)
        rate = deck.lookup(number, at=AT)
        if rate is None:
            return "rate"
        available = ledger.balance(customer).available
        seconds = deck.max_call_seconds(number, available, at=AT)
        if not seconds:
            return "balance"
        amount = deck.price(number, seconds * 1000, at=AT).amount
        hold = ledger.reserve(customer, amount, call_id, now=AT)
        routes = table.route(number, client=customer, at=AT, now=NOW, customer_rate=rate, load=load)
        for attempt in range(len(routes)):
            try:
                load.acquire(routes[attempt].gateway, call_id, now=NOW)
            except GatewayBusy:
                continue
            return routes, attempt, hold, seconds
        ledger.release(hold.id, now=AT)
        return "routing"

    return admit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefixes", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--stages", action="store_true", help="then time each stage on the same calls"
    )
    parser.add_argument(
        "--gc-off", action="store_true", help="turn the collector off during the timed passes"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="then admit one call over and over, every cache warm, against the calls in turn",
    )
    parser.add_argument(
        "--gc-stats",
        action="store_true",
        help="then say how often the collector ran during the timed admit() passes, and how long",
    )
    parser.add_argument(
        "--stream",
        type=float,
        metavar="SECONDS",
        help="then admit the calls, give them back and again, for SECONDS, the collector on",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    routing = argparse.Namespace(
        prefixes=args.prefixes, vendors=5, gateways=50, share=10, numbers=200_000
    )
    world = build_world(routing)
    gateways = [attrs.evolve(g, capacity=None) for g in world["gateways"]]  # no full gateway
    directory, _, customers = build_tree()
    retail: RateTable = world["customer_table"]
    wholesale = RateTable(rate for rate in retail if rate.prefix[-1] != "7")  # another deck

    def tables(account: str) -> RateTable:
        return retail if "-c" in account else wholesale

    ledger = InMemoryLedger()
    rng = random.Random(29)
    for account in directory:
        ledger.open_account(account.id)
    for customer in customers:
        ledger.recharge(
            customer, Decimal(rng.randint(100, 2_000)).scaleb(-2), key=customer, actor=_OP, now=AT
        )
    route_table = RouteTable(gateways, settings=RouteSettings(ordering=Ordering.COST))
    # each call: a different customer, a number its sections allow and its deck prices
    numbers = world["numbers"]
    calls = []
    order = list(customers)
    rng.shuffle(order)
    for customer in order:
        for _ in range(30):
            number = rng.choice(numbers)
            if directory.number_allowed(customer, number) and retail.lookup(number, at=AT):
                calls.append((customer, number))
                break
        if len(calls) == args.calls:
            break
    world_s = time.perf_counter() - start
    load = Load()
    admission = Admission(
        directory=directory, rates=tables, ledger=ledger, routes=route_table, load=load
    )
    glued = naive(directory, tables, ledger, route_table, load)

    def reset(outcomes: list[Any]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Admitted):
                ledger.release(outcome.reservation.id, now=AT)
                load.release(outcome.call_id)
            elif isinstance(outcome, tuple):
                ledger.release(outcome[2].id, now=AT)
                load.release(outcome[2].call_id)

    # the same answers, call by call
    mix: dict[str, int] = {}
    for index, (customer, number) in enumerate(calls):
        ours = admission.admit(customer, number, call_id=f"check-{index}", at=AT, now=NOW)
        reset([ours])
        theirs = glued(customer, number, f"check-{index}")
        reset([theirs])
        if isinstance(ours, Admitted):
            assert isinstance(theirs, tuple), (customer, number, theirs)
            assert ours.max_seconds == theirs[3]
            assert ours.attempt == theirs[1]
            assert ours.reservation.amount == theirs[2].amount
            assert [r.gateway.id for r in ours.routes] == [r.gateway.id for r in theirs[0]]
            key = "admitted"
        else:
            assert theirs == ours.stage, (customer, number, ours, theirs)
            key = ours.reason.value
        mix[key] = mix.get(key, 0) + 1
    gc.collect()
    gc.freeze()

    def run_naive(tag: str) -> list[Any]:
        return [glued(c, n, f"{tag}-{i}") for i, (c, n) in enumerate(calls)]

    def run_admit(tag: str) -> list[Any]:
        admit = admission.admit
        return [admit(c, n, call_id=f"{tag}-{i}", at=AT, now=NOW) for i, (c, n) in enumerate(calls)]

    best = [float("inf"), float("inf")]
    collected = Collections()
    for turn in range(args.passes):  # the contenders take turns, so noise hits both
        for index, fn in enumerate((run_naive, run_admit)):
            if args.gc_off:
                gc.disable()
            collected.on = index == 1
            start = time.perf_counter()
            outcomes = fn(f"p{turn}-{index}")
            best[index] = min(best[index], time.perf_counter() - start)
            collected.on = False
            gc.enable()
            reset(outcomes)
    naive_s, admit_s = best
    n = len(calls)
    shown = ", ".join(f"{count:,} {what}" for what, count in sorted(mix.items()))
    print(
        f"world: {len(directory):,} accounts over 4 levels, decks of {args.prefixes:,}"
        f" prefixes, {len(gateways)} gateways; built in {world_s:.0f} s; {n:,} calls, each"
        f" a different customer: {shown}; the collector"
        f" {'off' if args.gc_off else 'on'} while timed\n"
    )
    print("| what | decisions/s | × baseline |")
    print("|---|---:|---:|")
    print(f"| baseline: the five steps glued by hand | {n / naive_s:,.0f} | 1.0× |")
    print(f"| `Admission.admit()` | {n / admit_s:,.0f} | {naive_s / admit_s:.2f}× |")
    if args.gc_stats:
        collected.show(args.passes * len(calls))
    if args.stages:
        stages(admission, calls, args.passes)
    if args.warm:
        warm(admission, calls, args.passes)
    if args.stream:
        stream(admission, calls, args.stream, collected)


class Collections:
    """The collector's runs by generation while ``on``: how many, and how long they took."""

    def __init__(self) -> None:
        self.on = False
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._start = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            generation = info["generation"]
            self.runs[generation] += 1
            self.seconds[generation] += time.perf_counter() - self._start

    def show(self, calls: int) -> None:
        print(f"\n| the collector during the {calls:,} timed `admit()` calls | runs | µs a call |")
        print("|---|---:|---:|")
        for generation in range(3):
            share = self.seconds[generation] / calls * 1e6
            print(f"| generation {generation} | {self.runs[generation]:,} | {share:.2f} |")


def stream(
    admission: Admission, calls: list[tuple[str, str]], seconds: float, collected: Collections
) -> None:
    """A steady stream: every call admitted, then every one given back, over and over for
    ``seconds``, the collector on as a long-running switch has it: decisions/s over the
    whole stream, and what the collector did during the admissions."""
    ledger, load = admission.ledger, admission.load
    assert load is not None
    admit = admission.admit
    collected.runs, collected.seconds = [0, 0, 0], [0.0, 0.0, 0.0]
    decisions, spent, turn = 0, 0.0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        collected.on = True
        start = time.perf_counter()
        outcomes = [
            admit(c, n, call_id=f"s{turn}-{i}", at=AT, now=NOW) for i, (c, n) in enumerate(calls)
        ]
        spent += time.perf_counter() - start
        collected.on = False
        decisions += len(calls)
        for outcome in outcomes:
            if isinstance(outcome, Admitted):
                ledger.release(outcome.reservation.id, now=AT)
                load.release(outcome.call_id)
        del outcomes
        turn += 1
    print(f"\nstream: {decisions:,} decisions in {turn} turns, {decisions / spent:,.0f}/s")
    collected.show(decisions)


def stages(admission: Admission, calls: list[tuple[str, str]], passes: int) -> None:
    """What each stage costs a call alone, on the same calls (best of ``passes``)."""
    ledger, load = admission.ledger, admission.load
    assert isinstance(ledger, InMemoryLedger)
    assert load is not None
    numbers = [normalize_number(number) for _, number in calls]
    work = [
        (c, number, admission.customer_rate(c, number, at=AT))
        for c, number in zip((c for c, _ in calls), numbers, strict=True)
    ]
    gateway = admission.routes.gateways[0]

    def hold(customer: str) -> None:
        ledger.release(ledger.reserve(customer, Decimal("0.01"), "s", now=AT).id, now=AT)

    def slot(customer: str) -> None:
        load.acquire(gateway, customer, now=NOW)
        load.release(customer)

    rows = [
        ("1. status: `check_status`", lambda c, n, r: admission.check_status(c, at=AT)),
        ("2. number: `check_number`", lambda c, n, r: admission.check_number(c, n)),
        ("3. rate: `customer_rate`", lambda c, n, r: admission.customer_rate(c, n, at=AT)),
        ("4. balance: `affordable`", lambda c, n, r: admission.affordable(c, n, at=AT)),
        ("4. the hold: `reserve` + `release`", lambda c, n, r: hold(c)),
        (
            "5. routing: `RouteTable.route`",
            lambda c, n, r: admission.routes.route(
                n, client=c, at=AT, now=NOW, customer_rate=r, load=load
            ),
        ),
        ("5. the slot: `acquire` + `release`", lambda c, n, r: slot(c)),
    ]
    print("\n| stage, alone, on the same calls | µs a call |")
    print("|---|---:|")
    for name, fn in rows:
        best = float("inf")
        for _ in range(passes):
            start = time.perf_counter()
            for customer, number, rate in work:
                fn(customer, number, rate)
            best = min(best, time.perf_counter() - start)
        print(f"| {name} | {best / len(work) * 1e6:.2f} |")


def warm(admission: Admission, calls: list[tuple[str, str]], passes: int) -> None:
    """``admit`` then its hold and slot given back, for the calls in turn and for the first
    call over and over (everything it reads stays in the caches): what the memory of a large
    world costs a call, beyond its instructions."""
    ledger, load = admission.ledger, admission.load
    assert load is not None
    admit, release, free = admission.admit, ledger.release, load.release

    def run(work: list[tuple[str, str]]) -> float:
        best = float("inf")
        for _ in range(passes):
            start = time.perf_counter()
            for customer, number in work:
                outcome = admit(customer, number, call_id="w", at=AT, now=NOW)
                if isinstance(outcome, Admitted):
                    release(outcome.reservation.id, now=AT)
                    free("w")
            best = min(best, time.perf_counter() - start)
        return best / len(work) * 1e6

    first = calls[0]
    for call in calls:
        outcome = admit(*call, call_id="w0", at=AT, now=NOW)
        if isinstance(outcome, Admitted):
            release(outcome.reservation.id, now=AT)
            free("w0")
            first = call
            break
    print("\n| `admit` + give back the hold and slot | µs a call |")
    print("|---|---:|")
    print(f"| the calls in turn (each a different customer and number) | {run(calls):.2f} |")
    print(f"| the first call over and over (caches warm) | {run([first] * len(calls)):.2f} |")


if __name__ == "__main__":
    main()
