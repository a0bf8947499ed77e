"""What a policy change costs as the admins grow (10 and 10,000 admins, a quarter with an IP
whitelist, each with a grant of its own), against a warm decision and pycasbin's ``enforce()``
on the same policy.

    python -m pytest benchmarks/test_policy_bench.py --benchmark-enable --benchmark-group-by=param
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from benchmarks.data import admin_policy
from vosengine.policy import Policy

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
SIZES = [10, 10_000]


@cache
def world(size: int) -> tuple[Policy, list[str]]:
    return admin_policy(size, NOW)  # type: ignore[no-any-return]


@pytest.mark.parametrize("size", SIZES)
def test_warm_decision(benchmark: Any, size: int) -> None:
    policy, names = world(size)
    name = names[size // 2]
    decision = benchmark(policy.check_module, name, "rate", "view", ip="192.0.2.9", now=NOW)
    assert decision


@pytest.mark.parametrize("size", SIZES)
def test_grant_then_revoke(benchmark: Any, size: int) -> None:
    policy, names = world(size)
    cycle = itertools.cycle(names)

    def change() -> None:
        name = next(cycle)
        policy.grant(name, "cdr", "modify")
        policy.revoke(name, "cdr", "modify")

    benchmark(change)
    assert not policy.check_module(names[1], "cdr", "modify", ip="192.0.2.9", now=NOW)  # an Admin


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("whose", ["another admin", "the changed admin"])
def test_first_decision_after_a_grant(benchmark: Any, size: int, whose: str) -> None:
    policy, names = world(size)
    pairs = itertools.cycle(zip(names, names[1:] + names[:1], strict=True))

    def setup() -> tuple[tuple[str, ...], dict[str, Any]]:
        changed, other = next(pairs)
        for name in (changed, other):  # both compiled before the change
            policy.check_module(name, "cdr", "export", ip="192.0.2.9", now=NOW)
        policy.revoke(changed, "cdr", "export")
        policy.grant(changed, "cdr", "export")
        asked = changed if whose == "the changed admin" else other
        return (asked, "cdr", "export"), {"ip": "192.0.2.9", "now": NOW}

    benchmark.pedantic(policy.check_module, setup=setup, rounds=300, warmup_rounds=10)
    assert policy.check_module(names[1], "cdr", "export", ip="192.0.2.9", now=NOW)


@pytest.mark.parametrize("size", SIZES)
def test_pycasbin_enforce(benchmark: Any, size: int) -> None:
    """The baseline: Casbin's own decision on the same policy (a scan of every rule)."""
    policy, names = world(size)
    enforce = policy.enforcer.enforce
    subject = f"admin:{names[size // 2]}"
    rounds = 200 if size < 10_000 else 10
    allowed = benchmark.pedantic(enforce, args=(subject, "rate", "view"), rounds=rounds)
    assert allowed
