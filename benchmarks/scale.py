"""What each operation of accounts, rating and the ledger costs as the table it looks into
grows ×1, ×10 and ×100.

    python benchmarks/scale.py            # every operation at the three sizes
    python benchmarks/scale.py --quick    # ×1 and ×10 only

Each figure is the best of several timed runs of the operation (microseconds), on a table
built untimed at that size; the memory rows are bytes left allocated per operation
(tracemalloc). To measure an older tree in the same way, put its ``src`` first on
``PYTHONPATH``; an operation that tree does not have is left out (``-``), and
``--most N`` caps the sizes for a tree whose build is quadratic.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday
_serial = itertools.count()


def best(operation: Callable[[], Any], *, runs: int = 7, least: float = 0.02) -> float:
    """The best time of one call, in µs: each run repeats the call until it takes ``least``
    seconds."""
    gc.collect()
    calls, timer = 1, time.perf_counter
    while True:
        start = timer()
        for _ in range(calls):
            operation()
        spent = timer() - start
        if spent >= least or calls >= 1 << 20:
            break
        calls *= 2
    times = [spent / calls]
    for _ in range(runs - 1):
        start = timer()
        for _ in range(calls):
            operation()
        times.append((timer() - start) / calls)
    return min(times) * 1e6


def kept_per_operation(operation: Callable[[], Any], count: int) -> float:
    """Bytes left allocated per call of ``operation`` over ``count`` calls."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            operation()
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()


# -- accounts ----------------------------------------------------------------------------


def directory(customers: int) -> Any:
    """A top agent over 10 sub-agents over ``customers`` accounts (one agent's subtree)."""
    from vosengine.accounts import FULL, RETAIL, Account, AccountDirectory, Operator

    op = Operator(name="bench")
    d = AccountDirectory()
    d.add(Account(id="top", authorizations=FULL), actor=op, now=NOW)
    for agent in range(10):
        d.add(Account(id=f"a{agent}", parent_id="top", authorizations=RETAIL), actor=op, now=NOW)
    for index in range(customers):
        d.add(Account(id=f"c{index}", parent_id=f"a{index % 10}"), actor=op, now=NOW)
    return d


def siblings(count: int) -> Any:
    from vosengine.accounts import Account, AccountDirectory, Operator

    op = Operator(name="bench")
    d = AccountDirectory()
    d.add(Account(id="top"), actor=op, now=NOW)
    for index in range(count):
        d.add(Account(id=f"c{index}", parent_id="top"), actor=op, now=NOW)
    return d


def account_rows(size: int) -> dict[str, float]:
    from vosengine.accounts import Account, AccountStatus, Operator

    op = Operator(name="bench")
    d = directory(size)
    memos = itertools.count()
    out = {
        "update() a memo of the top agent": best(
            lambda: d.update("top", actor=op, now=NOW, memo=f"m{next(memos)}"), runs=3
        ),
    }
    statuses = itertools.cycle([AccountStatus.LOCKED, AccountStatus.ACTIVE])
    out["update() lock / unlock the top agent"] = best(
        lambda: d.update("top", actor=op, now=NOW, status=next(statuses)), runs=3
    )
    d = siblings(size)
    out["add() a sub-account beside the others"] = best(
        lambda: d.add(Account(id=f"n{next(_serial)}", parent_id="top"), actor=op, now=NOW),
        runs=3,
    )
    return out


# -- rating -------------------------------------------------------------------------------


def rating_rows(size: int) -> dict[str, float]:
    from vosengine.rating import Rate, RateTable, TariffWindow

    first = NOW - timedelta(days=size // 2)
    versions = RateTable(
        Rate(
            prefix="44",
            price=Decimal(index + 1) / 100,
            effective_from=first + timedelta(days=index),
            effective_until=first + timedelta(days=index + 1),
        )
        for index in range(size)
    )
    crossing = NOW + timedelta(hours=23, minutes=59)  # a minute before the next version
    windows = [
        TariffWindow(
            name=f"w{index}", days={index % 7}, start=_clock(index // 7), end=_clock(1 + index // 7)
        )
        for index in range(size)
    ]
    windowed = RateTable(
        [Rate(prefix="44", price="0.60")]
        + [Rate(prefix="44", price="1.20", window=w.name) for w in windows],
        windows=windows,
    )
    return {
        "price() among dated versions": best(lambda: versions.price("4420", 120_000, at=NOW)),
        "price() across two dated versions": best(
            lambda: versions.price("4420", 120_000, at=crossing)
        ),
        "price() among tariff windows": best(lambda: windowed.price("4420", 120_000, at=NOW)),
    }


def _clock(step: int) -> Any:
    """Windows of a minute and a quarter, one after the other through the day."""
    from datetime import time as clock

    minutes = min(step * 75 // 60, 24 * 60)
    return clock(0) if minutes >= 24 * 60 else clock(minutes // 60, minutes % 60)


# -- the ledger -----------------------------------------------------------------------------


def ledger_rows(size: int) -> dict[str, float]:
    from vosengine.accounts import Operator
    from vosengine.ledger import InMemoryLedger

    op = Operator(name="bench")
    ledger = InMemoryLedger()
    for name in ("quiet", "busy"):
        ledger.open_account(name)
    ledger.recharge("quiet", Decimal(1), key="q", actor=op, now=NOW)
    for index in range(size):
        ledger.recharge("busy", Decimal(1), key=f"b{index}", actor=op, now=NOW)
    return {
        "records() of an account with 1 record": best(
            lambda: ledger.records(account_id="quiet"), runs=3
        )
    }


def memory_rows(size: int) -> dict[str, float]:
    """Bytes kept per operation over ``size`` operations."""
    from vosengine.accounts import Account, AccountDirectory, Operator
    from vosengine.ledger import InMemoryLedger
    from vosengine.numbering import NumberSection

    op = Operator(name="bench")
    out: dict[str, float] = {}
    for drained in (False, True):
        try:
            ledger = (
                InMemoryLedger(key_retention=timedelta(minutes=5)) if drained else InMemoryLedger()
            )
        except TypeError:
            continue  # a tree without key retention
        ledger.open_account("a")

        minutes = itertools.count()

        def pay(ledger: Any = ledger, drained: bool = drained, minutes: Any = minutes) -> None:
            minute = next(minutes)
            at = NOW + timedelta(minutes=minute)
            ledger.recharge("a", Decimal(1), key=f"k{minute}", actor=op, now=at)
            if drained and minute % 10 == 9:
                ledger.drain_records()

        how = "drained, keys kept 5 minutes" if drained else "kept"
        out[f"bytes a recharge, records {how}"] = kept_per_operation(pay, size)
    d = AccountDirectory()
    section = NumberSection(blocked={str(880_000 + i) for i in range(1_000)})
    d.add(Account(id="a", number_section=section), actor=op, now=NOW)
    memos = itertools.count()
    out["bytes an audit record, 1,000-prefix section"] = kept_per_operation(
        lambda: d.update("a", actor=op, now=NOW, memo=f"m{next(memos)}"), min(size, 2_000)
    )
    return out


def deck_build() -> float:
    """Seconds to build a 200,000-prefix table with one tariff window (best of 3): what a
    prefix with one version costs to hold."""
    from datetime import time as clock

    from vosengine.rating import Rate, RateTable, TariffWindow

    rates = [Rate(prefix=str(10_000_000 + i * 37), price="0.01") for i in range(200_000)]
    peak = [TariffWindow(name="peak", days={0, 1, 2, 3, 4}, start=clock(8), end=clock(18))]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        RateTable(rates, windows=peak)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the ×1 and ×10 sizes only")
    parser.add_argument("--most", type=int, default=100, help="the largest multiple to run")
    args = parser.parse_args()
    multiples = [m for m in (1, 10, 100) if m <= (10 if args.quick else args.most)]
    tables = [
        ("accounts in the subtree / siblings", 1_000, account_rows),
        ("versions / windows of the prefix", 10, rating_rows),
        ("records of the other account", 1_150, ledger_rows),
        ("operations", 1_000, memory_rows),
    ]
    print(f"| operation | ×1 is | {' | '.join(f'×{m}' for m in multiples)} |")
    print(f"|---|---|{'---:|' * len(multiples)}")
    for what, base, rows in tables:
        results = [rows(base * m) for m in multiples]
        for name in results[0]:
            cells = " | ".join(f"{r[name]:,.1f}" if name in r else "-" for r in results)
            print(f"| {name} | {base:,} {what} | {cells} |", flush=True)
    print(f"\n200,000-prefix deck with a tariff window built in {deck_build():.2f} s")


if __name__ == "__main__":
    main()
