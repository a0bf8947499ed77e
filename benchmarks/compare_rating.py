"""Rating and ledger throughput against a straightforward per-call Decimal implementation.

One run, the same data: a 200,000-prefix deck (seeded prices and billing periods) and
1,000,000 CDRs (random 11-12 digit callees, durations 0-10 min). The baseline, written here,
prices each call with a dict scan for the longest prefix in force and ``Decimal`` arithmetic,
rounding once with ``quantize`` and clamping to min/max charges -- the same rules (without
tariff windows, which the deck does not use), the obvious way. It is checked to agree with
vosengine on every CDR it prices.

    python benchmarks/compare_rating.py            # 1,000,000 CDRs
    python benchmarks/compare_rating.py --cdrs 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import random_numbers, random_prefixes
from vosengine.ledger import InMemoryLedger
from vosengine.rating import Rate, RateTable

AT = datetime(2026, 11, 25, 12, tzinfo=UTC)
PERIODS = [(60, 60), (30, 6), (6, 6), (1, 1)]


def build_deck(n: int = 200_000, seed: int = 11) -> list[Rate]:
    rng = random.Random(seed)
    out = []
    for prefix in random_prefixes(n):
        first, next_ = rng.choice(PERIODS)
        out.append(
            Rate(
                prefix=prefix,
                price=Decimal(rng.randint(1, 50_000)).scaleb(-5),
                first_increment=first,
                next_increment=next_,
                connect_fee=rng.choice([Decimal(0), Decimal("0.0100")]),
                free_seconds=rng.choice([0, 0, 5]),
                grace_seconds=rng.choice([0, 0, 3]),
            )
        )
    return out


def naive_pricer(rates: list[Rate]):  # type: ignore[no-untyped-def]
    """The baseline: dict scan + Decimal per call."""
    by_prefix = {rate.prefix: rate for rate in rates}
    longest_key = max(map(len, by_prefix))
    quantum = Decimal("0.0001")

    def price(number: str, duration_ms: int, at: datetime = AT) -> Decimal | None:
        rate = None
        for length in range(min(len(number), longest_key), 0, -1):
            rate = by_prefix.get(number[:length])
            if rate is not None and rate.in_force(at=at):
                break
            rate = None
        if rate is None:
            return None
        hold = -(-duration_ms // 1000)
        if hold == 0 or hold <= rate.grace_seconds:
            return Decimal(0)
        chargeable = max(0, hold - rate.free_seconds)
        if chargeable == 0:
            billed = 0
        elif chargeable <= rate.first_increment:
            billed = rate.first_increment
        else:
            steps = -(-(chargeable - rate.first_increment) // rate.next_increment)
            billed = rate.first_increment + steps * rate.next_increment
        cost = rate.connect_fee + Decimal(billed) * rate.price / Decimal(rate.unit_seconds)
        cost = cost.quantize(quantum, rounding=ROUND_HALF_UP)
        if rate.min_charge is not None and cost < rate.min_charge:
            cost = rate.min_charge
        if rate.max_charge is not None and cost > rate.max_charge:
            cost = rate.max_charge
        return cost

    return price


def best_of(fn, passes: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(fns, passes: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The best time of each of ``fns`` over ``passes`` rounds, each round running every one."""
    best = [float("inf")] * len(fns)
    for _ in range(passes):
        for index, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(12)
    rates = build_deck()
    start = time.perf_counter()
    table = RateTable(rates)
    build_s = time.perf_counter() - start
    numbers = random_numbers(args.cdrs, seed=13)
    durations = [rng.choice([0, rng.randint(1, 600_000)]) for _ in range(args.cdrs)]
    answered = [AT] * args.cdrs

    naive = naive_pricer(rates)
    sample = 50_000
    expected = [naive(n, d) for n, d in zip(numbers[:sample], durations[:sample], strict=True)]
    got = table.amounts_many(numbers[:sample], durations[:sample], at=answered[:sample])
    assert got == expected, "vosengine and the baseline disagree"

    def run_naive() -> None:
        for number, duration in zip(numbers, durations, strict=True):
            naive(number, duration)

    def run_batch() -> None:
        table.amounts_many(numbers, durations, at=answered)

    def run_single() -> None:
        price = table.price
        for number, duration in zip(numbers, durations, strict=True):
            try:  # noqa: SIM105 (a `with suppress(...)` per call costs more than the call)
                price(number, duration, at=AT)
            except LookupError:
                pass

    # the passes take turns, so that a noisy stretch of the machine hits every contender
    naive_s, single_s, batch_s = interleaved([run_naive, run_single, run_batch], args.passes)

    # p50 of a single price() call, timed one by one
    price = table.price
    samples = []
    clock = time.perf_counter_ns
    for number, duration in zip(numbers[:200_000], durations[:200_000], strict=True):
        if duration == 0:
            continue
        t0 = clock()
        try:
            price(number, duration, at=AT)
        except LookupError:
            continue
        samples.append(clock() - t0)
    p50_us = statistics.median(samples) / 1000

    ledger = InMemoryLedger()
    ledger.open_account("bench", credit_limit=Decimal(10) ** 12)
    amount = Decimal("0.0500")
    pairs = 200_000

    def run_ledger() -> None:
        reserve, settle = ledger.reserve, ledger.settle
        for _i in range(pairs):
            hold = reserve("bench", amount, "call", now=AT)
            settle(hold.id, amount, now=AT)

    ledger_s = best_of(run_ledger, args.passes)
    n = args.cdrs
    print(f"deck: {len(rates):,} rates, built in {build_s:.2f} s; {n:,} CDRs\n")
    print("| what | rate | × baseline |")
    print("|---|---:|---:|")
    print(f"| baseline: dict scan + Decimal per call | {n / naive_s:,.0f} CDRs/s | 1.0× |")
    print(
        f"| `RateTable.price()` per call | {n / single_s:,.0f} CDRs/s | {naive_s / single_s:.1f}× |"
    )
    print(
        f"| `RateTable.amounts_many()` batch | {n / batch_s:,.0f} CDRs/s | {naive_s / batch_s:.1f}× |"
    )
    print(f"| `price()` p50 latency | {p50_us:.2f} µs | - |")
    print(f"| ledger `reserve` + `settle` pairs | {pairs / ledger_s:,.0f} pairs/s | - |")


if __name__ == "__main__":
    main()
