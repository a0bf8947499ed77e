"""Policy decisions against pycasbin's own ``enforce()`` on the same model and requests.

Setup: the 100,000-account tree of ``benchmarks/tree.py`` (1,000 agents over 4 levels) and
1,000 admins: 100 global (all four roles), 900 bound to agents, half with IP whitelists, a
quarter with login windows, some with per-admin grants and denies. Requests: a seeded mix of
module checks and account checks (hits and misses, in and out of scope), with the source IP
and the time.

Then what a change costs as the policy grows: 10, 1,000 and 10,000 admins (a quarter with an
IP whitelist, each with a grant of its own), timing one call at a time (median of 300):
a warm decision (the same admin asked just before), the decision of an admin not asked for a
while, a grant and a revoke, the first decision of another admin after a grant, the first
decision of the admin that changed, and pycasbin's ``enforce()`` on the same policy. Ratios
are to the warm decision of the same run.

    python benchmarks/compare_policy.py            # both parts
    python benchmarks/compare_policy.py changes    # the change costs only
"""

from __future__ import annotations

import functools
import gc
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import admin_policy
from benchmarks.tree import build_tree
from vosengine.policy import MODULES, Admin, LoginWindow, Policy, Role

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def main() -> None:
    rng = random.Random(21)
    directory, _tops, customers = build_tree()
    agents = [a.id for a in directory if directory.is_agent(a.id)]
    started = time.perf_counter()
    policy = Policy(directory=directory)
    names = []
    for i in range(1000):
        agent = None if i < 100 else agents[i % len(agents)]
        whitelist = ("192.0.2.0/24",) if i % 2 else ()
        windows = (LoginWindow(days=range(5), start=clock(6), end=clock(22)),) if i % 4 == 0 else ()
        role = list(Role)[i % 4] if agent is None else rng.choice([Role.ADMIN, Role.OPERATOR])
        policy.add_admin(
            Admin(
                name=f"adm{i}",
                role=role,
                agent_id=agent,
                ip_whitelist=whitelist,
                login_windows=windows,
            )
        )
        names.append(f"adm{i}")
    permissions = [(m, a) for m, actions in MODULES.items() for a in actions]
    for i in range(0, 1000, 7):
        module, action = rng.choice(permissions)
        change = policy.grant if rng.random() < 0.5 else policy.deny
        change(names[i], module, action)
    load_s = time.perf_counter() - started

    requests = []
    for _ in range(20_000):
        name = rng.choice(names)
        if rng.random() < 0.5:
            module, action = rng.choice(permissions)
            requests.append(("module", name, module, action))
        else:
            requests.append(
                ("account", name, rng.choice(customers), rng.choice(MODULES["account"]))
            )
    ips = ["192.0.2.9", "198.51.100.3"]
    when = [NOW, NOW + timedelta(hours=14)]

    def ours(request: tuple[str, str, str, str], ip: str, now: datetime) -> bool:
        kind, name, target, action = request
        if kind == "module":
            return bool(policy.check_module(name, target, action, ip=ip, now=now))
        return bool(policy.check_account(name, target, action, ip=ip, now=now))

    for request in requests[:2000]:  # warm the compiled forms
        ours(request, ips[0], when[0])
    clock_ns = time.perf_counter_ns
    samples = []
    for index, request in enumerate(requests):
        ip, now = ips[index % 2], when[(index // 2) % 2]
        t0 = clock_ns()
        ours(request, ip, now)
        samples.append(clock_ns() - t0)
    p50 = statistics.median(samples) / 1000

    enforce = policy.enforcer.enforce
    module_requests = [r for r in requests if r[0] == "module"][:2000]
    casbin_samples = []
    for _, name, module, action in module_requests:
        t0 = clock_ns()
        enforce(f"admin:{name}", module, action)
        casbin_samples.append(clock_ns() - t0)
    ours_module = []
    for request in module_requests:
        t0 = clock_ns()
        ours(request, ips[0], when[0])
        ours_module.append(clock_ns() - t0)
    casbin_p50 = statistics.median(casbin_samples) / 1000
    ours_module_p50 = statistics.median(ours_module) / 1000
    agree = sum(
        bool(policy.check_module(n, m, a, now=NOW)) == enforce(f"admin:{n}", m, a)
        for _, n, m, a in module_requests
        if not policy._admins[n].ip_whitelist and not policy._admins[n].login_windows
    )

    changes = []
    for i in range(200):
        name = names[100 + i]
        t0 = time.perf_counter()
        policy.deny(name, "rate", "view")
        policy.check_module(name, "rate", "view", ip="192.0.2.9", now=NOW)
        changes.append(time.perf_counter() - t0)

    print("| what | measured | target |")
    print("|---|---:|---:|")
    print(
        f"| load: model, 1,000 admins, grants (100,000-account tree given) | {load_s:.2f} s | ≤ 2 s |"
    )
    print(f"| decision p50, mixed module/account checks with IP and time | {p50:.2f} µs | ≤ 3 µs |")
    print(f"| module decision p50: vosengine | {ours_module_p50:.2f} µs | - |")
    print(f"| module decision p50: pycasbin `enforce()` | {casbin_p50:.1f} µs | - |")
    print(f"| ratio | {casbin_p50 / ours_module_p50:.0f}× | ≥ 200× |")
    print(
        f"| a change, then the next decision sees it (median) | {statistics.median(changes) * 1e3:.2f} ms | ≤ 1 ms |"
    )
    print(f"\n(decisions compared with enforce() and equal: {agree})")


def change_costs(size: int, rng: random.Random) -> dict[str, float]:
    """Median µs of each step at ``size`` admins (see the module docstring)."""
    policy, names = admin_policy(size, NOW)
    clock_ns = time.perf_counter_ns

    def timed(call: Any) -> float:
        gc.disable()  # as timeit does: a collection is no cost of the call it lands in
        t0 = clock_ns()
        call()
        elapsed = clock_ns() - t0
        gc.enable()
        return elapsed / 1000

    def decide(name: str) -> Any:
        return lambda: policy.check_module(name, "rate", "view", ip="192.0.2.9", now=NOW)

    samples: dict[str, list[float]] = {
        k: [] for k in ("warm", "idle", "grant", "another", "changed", "revoke", "enforce")
    }
    for _ in range(300):
        changed, idle, other = rng.sample(names, 3)
        grant = functools.partial(policy.grant, changed, "cdr", "modify")
        revoke = functools.partial(policy.revoke, changed, "cdr", "modify")
        timed(decide(changed))
        samples["warm"].append(timed(decide(changed)))  # asked just before
        samples["idle"].append(timed(decide(idle)))  # compiled, not asked for a while
        samples["grant"].append(timed(grant))
        samples["another"].append(timed(decide(other)))
        samples["changed"].append(timed(decide(changed)))
        samples["revoke"].append(timed(revoke))
    enforce = policy.enforcer.enforce
    for _ in range(300 if size < 10_000 else 30):  # a scan of every rule: seconds at 10,000
        subject = f"admin:{rng.choice(names)}"
        samples["enforce"].append(timed(functools.partial(enforce, subject, "rate", "view")))
    return {k: statistics.median(v) for k, v in samples.items()}


def changes() -> None:
    rng = random.Random(26)
    print(
        "| admins | warm decision | idle admin's decision | grant | revoke | after a grant:"
        " first decision of another admin | of the changed admin | pycasbin `enforce()` |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (10, 1_000, 10_000):
        m = change_costs(size, rng)
        warm = m["warm"]
        print(
            f"| {size:,} | {warm:.2f} µs | {m['idle']:.2f} µs ({m['idle'] / warm:.1f}×)"
            f" | {m['grant']:.1f} µs | {m['revoke']:.1f} µs"
            f" | {m['another']:.2f} µs ({m['another'] / warm:.1f}×)"
            f" | {m['changed']:.2f} µs ({m['changed'] / warm:.1f}×)"
            f" | {m['enforce']:,.0f} µs ({m['enforce'] / warm:,.0f}×) |"
        )


if __name__ == "__main__":
    if sys.argv[1:] != ["changes"]:
        main()
        print()
    changes()
