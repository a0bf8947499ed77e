"""pytest-benchmark suite for PrefixTable, with a dict-scan baseline beside each measurement.

    python -m pytest benchmarks/test_prefix_bench.py --benchmark-enable --benchmark-group-by=group

(The test suite runs these once each with benchmarking disabled, as a smoke test.)
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from benchmarks.data import random_numbers, random_prefixes, real_numbers, real_prefixes

N_NUMBERS = 100_000


@cache
def random_deck() -> tuple[list[tuple[str, int]], list[str]]:
    keys = random_prefixes(200_000)
    return [(key, i) for i, key in enumerate(keys)], random_numbers(N_NUMBERS)


@cache
def real_deck() -> tuple[list[tuple[str, str]], list[str]]:
    pairs = real_prefixes()
    return pairs, real_numbers([key for key, _ in pairs], N_NUMBERS)


DECKS = {"random": random_deck, "real": real_deck}


def dict_scan(pairs: list[tuple[str, Any]]) -> Any:
    table = dict(pairs)
    longest_key = max(map(len, table))

    def longest(number: str) -> Any:
        for length in range(min(len(number), longest_key), 0, -1):
            value = table.get(number[:length])
            if value is not None:
                return number[:length], value
        return None

    return longest


@pytest.mark.parametrize("deck", DECKS)
def test_build(benchmark: Any, table_cls: Any, deck: str) -> None:
    pairs, _ = DECKS[deck]()
    benchmark.group = f"build {deck}"
    table = benchmark(table_cls, pairs)
    assert len(table) == len({key for key, _ in pairs})


@pytest.mark.parametrize("deck", DECKS)
def test_build_dict_baseline(benchmark: Any, deck: str) -> None:
    pairs, _ = DECKS[deck]()
    benchmark.group = f"build {deck}"
    assert len(benchmark(dict, pairs)) == len(pairs)


@pytest.mark.parametrize("deck", DECKS)
def test_longest_single_calls(benchmark: Any, table_cls: Any, deck: str) -> None:
    pairs, numbers = DECKS[deck]()
    longest = table_cls(pairs).longest
    benchmark.group = f"longest {deck} ({N_NUMBERS} numbers)"

    def run() -> int:
        return sum(1 for number in numbers if longest(number) is not None)

    assert benchmark(run) > 0


@pytest.mark.parametrize("deck", DECKS)
def test_longest_dict_baseline(benchmark: Any, deck: str) -> None:
    pairs, numbers = DECKS[deck]()
    longest = dict_scan(pairs)
    benchmark.group = f"longest {deck} ({N_NUMBERS} numbers)"

    def run() -> int:
        return sum(1 for number in numbers if longest(number) is not None)

    assert benchmark(run) > 0


@pytest.mark.parametrize("deck", DECKS)
def test_longest_many(benchmark: Any, table_cls: Any, deck: str) -> None:
    pairs, numbers = DECKS[deck]()
    table = table_cls(pairs)
    benchmark.group = f"longest {deck} ({N_NUMBERS} numbers)"
    found = benchmark(table.longest_many, numbers)
    assert len(found) == len(numbers)
