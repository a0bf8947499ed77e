"""The shared ledger against the embedded one, measured in the same run.

* ``reserve`` then ``settle`` of one call, over and over: ``InMemoryLedger`` in one process
  (the baseline), then ``RedisLedger`` on a local ``redis-server`` (started by this script on
  loopback, append-only file written at every second, as a deployment would) from 1, 2 and 4
  client processes at once, each on accounts of its own.
* The floor of both: one round trip to the same server (``PING``, and a script returning 1).
* The latency a shared ledger adds to a call: ``Admission.admit`` and ``finish`` of the same
  calls on the same small world, once with each ledger.

    python benchmarks/compare_ledger_redis.py
    python benchmarks/compare_ledger_redis.py --calls 2000   # a quick run
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vosengine.accounts import Operator
from vosengine.admission import Admitted
from vosengine.ledger import InMemoryLedger, RedisLedger

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
OP = Operator(name="bench")
HOLD, CHARGE = Decimal("0.60"), Decimal("0.35")


def _pairs(ledger: Any, account: str, calls: int) -> float:
    """Seconds for ``calls`` reserve + settle pairs on ``account``."""
    start = time.perf_counter()
    for call in range(calls):
        hold = ledger.reserve(account, HOLD, f"{account}-{call}", now=AT)
        ledger.settle(hold.id, CHARGE, now=AT)
    return time.perf_counter() - start


def _open(ledger: Any, account: str, calls: int) -> None:
    ledger.open_account(account)
    ledger.recharge(account, CHARGE * calls + HOLD, key=f"seed-{account}", actor=OP, now=AT)


def _mean_us(call: Any, times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - start) / times * 1e6


def _client(port: int, worker: int, calls: int) -> float:
    import redis

    ledger = RedisLedger(redis.Redis(host="127.0.0.1", port=port))
    account = f"w{worker}-{time.monotonic_ns()}"
    _open(ledger, account, calls)
    ledger.drain_records()
    return _pairs(ledger, account, calls)


def _admissions(ledger: Any, calls: int) -> tuple[float, float]:
    """Mean µs of ``admit`` and of ``finish`` of ``calls`` calls on the tests' small world."""
    from tests.test_admission import World

    world = World(balance="100000", ledger=ledger)
    admit = finish = 0.0
    for call in range(calls):
        start = time.perf_counter()
        admitted = world.admit(call_id=f"c{call}")
        middle = time.perf_counter()
        assert isinstance(admitted, Admitted), admitted
        cdr = world.cdr(admitted, 60)
        middle2 = time.perf_counter()
        world.admission.finish(admitted, cdr, at=AT + timedelta(minutes=2))
        end = time.perf_counter()
        admit += middle - start
        finish += end - middle2
    return admit / calls * 1e6, finish / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="pairs per client process")
    args = parser.parse_args()
    calls = args.calls
    from tests.redis_server import RedisServer

    directory = Path(tempfile.mkdtemp(prefix="vosengine-bench-"))
    server = RedisServer(directory, appendonly=True, appendfsync="everysec")
    server.start()
    try:
        client = server.client()
        floor = _mean_us(client.ping, calls)
        trivial = _mean_us(client.register_script("return 1"), calls)
        print(
            f"one round trip to this Redis, mean µs: PING {floor:.1f}, a script"
            f" returning 1 {trivial:.1f}\n"
        )
        memory = InMemoryLedger()
        _open(memory, "m", calls)
        baseline = calls / _pairs(memory, "m", calls)
        print(f"reserve+settle, {calls:,} pairs per process")
        print(f"{'ledger':<28}{'pairs/s':>12}{'µs/pair':>10}{'× in-memory':>14}")
        print(
            f"{'InMemoryLedger, 1 process':<28}{baseline:>12,.0f}{1e6 / baseline:>10.1f}{1:>14.3f}"
        )
        context = multiprocessing.get_context("spawn")
        for processes in (1, 2, 4):
            with ProcessPoolExecutor(processes, mp_context=context) as pool:
                args_ = ([server.port] * processes, range(processes), [calls] * processes)
                start = time.perf_counter()
                list(pool.map(_client, *args_))
                elapsed = time.perf_counter() - start
            rate = processes * calls / elapsed
            label = f"RedisLedger, {processes} process{'es' if processes > 1 else ''}"
            print(f"{label:<28}{rate:>12,.0f}{1e6 / rate:>10.1f}{rate / baseline:>14.3f}")
        shared = RedisLedger(server.client(), prefix="admission:")
        n = max(1, calls // 4)
        mem_admit, mem_finish = _admissions(InMemoryLedger(), n)
        red_admit, red_finish = _admissions(shared, n)
        print(f"\nadmit + finish, {n:,} calls, mean µs")
        print(f"{'ledger':<16}{'admit':>10}{'finish':>10}")
        print(f"{'InMemoryLedger':<16}{mem_admit:>10.1f}{mem_finish:>10.1f}")
        print(f"{'RedisLedger':<16}{red_admit:>10.1f}{red_finish:>10.1f}")
        print(f"{'added':<16}{red_admit - mem_admit:>10.1f}{red_finish - mem_finish:>10.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
