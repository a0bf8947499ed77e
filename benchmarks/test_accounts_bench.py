"""Account-tree benchmarks on 100,000 accounts, 1,000 agents over 4 levels (benchmarks/tree.py).

python -m pytest benchmarks/test_accounts_bench.py --benchmark-enable
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from benchmarks.tree import NOW, build_tree, numbers
from vosengine.accounts import AccountDirectory, AccountStatus, Scope


@cache
def tree() -> tuple[AccountDirectory, list[str], list[str]]:
    return build_tree()


def sample_customers(k: int) -> list[str]:
    _, _, customers = tree()
    return random.Random(9).choices(customers, k=k)


def test_sub_accounts_all(benchmark: Any) -> None:
    d, tops, _ = tree()
    found = benchmark(d.sub_accounts, tops[0], scope=Scope.ALL)
    assert len(found) == 9 + 90 + 9_900


def test_effective_status(benchmark: Any) -> None:
    d, _, _ = tree()
    who = sample_customers(10_000)
    status = d.effective_status

    def run() -> int:
        return sum(1 for c in who if status(c, now=NOW) is AccountStatus.ACTIVE)

    assert benchmark(run) == len(who)


def test_number_allowed(benchmark: Any) -> None:
    d, _, _ = tree()
    who = sample_customers(10_000)
    dialled = numbers(10_000)
    allowed = d.number_allowed
    pairs = list(zip(who, dialled, strict=True))

    def run() -> int:
        return sum(1 for c, n in pairs if allowed(c, n))

    hits = benchmark(run)
    assert 0 < hits < len(pairs)


def test_number_allowed_brute_force_baseline(benchmark: Any) -> None:
    """The same answers from walking the ancestors and deciding each section afresh."""
    d, _, _ = tree()
    who = sample_customers(2_000)
    dialled = numbers(2_000)
    pairs = list(zip(who, dialled, strict=True))

    def naive(account_id: str, number: str) -> bool:
        chain = [account_id, *d.ancestors(account_id)]
        return all(d.get(a).number_section.decide(number).allowed for a in chain)

    def run() -> int:
        return sum(1 for c, n in pairs if naive(c, n))

    assert benchmark(run) == sum(1 for c, n in pairs if d.number_allowed(c, n))
