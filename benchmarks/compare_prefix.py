"""Side-by-side longest-prefix benchmark: vosengine.PrefixTable against its peers.

One run, the same data for every structure:

* ``random``: 200,000 unique random prefixes of 1-8 digits, 1,000,000 random 11-12 digit
  numbers (seeded);
* ``real``: the 287,454 geographic prefixes that ``phonenumbers`` ships, looked up with
  1,000,000 numbers that extend real prefixes to 11-13 digits;
* ``build-1m``: the build of 1,000,000 random prefixes.

Peers: a dict scanned from the longest key length down, marisa-trie (``prefixes()``),
datrie (``longest_prefix_item``) and the pure-Python twin. Every lookup returns the matched
prefix with its value. Rates are medians of ``--passes`` passes, taken round-robin; memory is the growth of the
process's resident set while building the structure in a fresh subprocess, with the key
strings already allocated (structures that keep Python ``str`` keys reference those, and
vosengine keeps the source's ``(prefix, value)`` tuples as its result pairs; the row
"vosengine, from a dict" builds from a mapping, so it makes every pair itself).

Each structure is built once per deck: the timed build is the one that is looked up in.
Under each table, ``longest_value()`` single calls against a bare ``dict.get`` loop on the
same numbers (one probe of the whole number: the floor of any per-call lookup).

    python benchmarks/compare_prefix.py            # everything (datrie builds take ~20 s each)
    python benchmarks/compare_prefix.py --quick    # 100k numbers, no 1M build, no memory
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import random_numbers, random_prefixes, real_numbers, real_prefixes
from vosengine import _prefix_py
from vosengine.prefix import IMPLEMENTATION, PrefixTable

Pairs = list[tuple[str, object]]


def _dict_build(pairs: Pairs) -> Callable[[str], object]:
    table = dict(pairs)
    longest_key = max(map(len, table))

    def longest(number: str) -> object:
        for length in range(min(len(number), longest_key), 0, -1):
            key = number[:length]
            value = table.get(key)
            if value is not None:
                return key, value
        return None

    longest.keep = table  # type: ignore[attr-defined]
    return longest


def _marisa_build(pairs: Pairs) -> Callable[[str], object]:
    import marisa_trie

    trie = marisa_trie.Trie([key for key, _ in pairs])
    values: list[object] = [None] * len(trie)
    for key, value in pairs:
        values[trie[key]] = value
    prefixes = trie.prefixes
    index = trie.__getitem__

    def longest(number: str) -> object:
        found = prefixes(number)
        if found:
            key = found[-1]
            return key, values[index(key)]
        return None

    longest.keep = (trie, values)  # type: ignore[attr-defined]
    return longest


def _datrie_build(pairs: Pairs) -> Callable[[str], object]:
    import datrie

    trie = datrie.Trie("0123456789")
    for key, value in pairs:
        trie[key] = value
    return _datrie_longest(trie)


def _datrie_longest(trie: object) -> Callable[[str], object]:
    item = trie.longest_prefix_item  # type: ignore[attr-defined]

    def longest(number: str) -> object:
        return item(number, None)

    longest.keep = trie  # type: ignore[attr-defined]
    return longest


def _twin_build(pairs: Pairs) -> Callable[[str], object]:
    return _prefix_py.PrefixTable(pairs).longest


def _ours_build(pairs: Pairs) -> Callable[[str], object]:
    return PrefixTable(pairs).longest


BUILDERS: dict[str, Callable[[Pairs], Callable[[str], object]]] = {
    "dict scan": _dict_build,
    "marisa-trie": _marisa_build,
    "datrie": _datrie_build,
    "python twin": _twin_build,
    "vosengine": _ours_build,
}


def deck(name: str, quick: bool) -> tuple[Pairs, list[str]]:
    n_numbers = 100_000 if quick else 1_000_000
    if name == "random":
        keys = random_prefixes(200_000)
        return [(key, i) for i, key in enumerate(keys)], random_numbers(n_numbers)
    if name == "real":
        real = real_prefixes()
        pairs: Pairs = [(key, area) for key, area in real]
        return pairs, real_numbers([key for key, _ in real], n_numbers)
    if name == "build-1m":
        keys = random_prefixes(1_000_000)
        return [(key, i) for i, key in enumerate(keys)], []
    raise SystemExit(f"unknown deck {name!r}")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


MEMORY_ONLY = "vosengine, from a dict"


def measure_memory(structure: str, deck_name: str) -> int:
    """Run in a subprocess: RSS growth while building ``structure`` on ``deck_name``."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-of", structure, deck_name],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def timed(fn: Callable[[], object], passes: int) -> float:
    return timed_result(fn, passes)[0]


def timed_result(fn: Callable[[], object], passes: int) -> tuple[float, object]:
    """The median time of ``passes`` calls of ``fn``, and what the last call returned."""
    times = []
    result = None
    for _ in range(passes):
        result = None  # the previous result is freed before the next build is timed
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_deck(deck_name: str, quick: bool, passes: int, skip: set[str]) -> list[dict[str, object]]:
    """Build every structure, then time the lookups round-robin (one pass of each structure
    in turn, ``passes`` times) so that the machine's noise falls on all of them alike."""
    pairs, numbers = deck(deck_name, quick)
    rows: dict[str, dict[str, object]] = {}
    lookups: dict[str, Callable[[str], object]] = {}
    for name, build in BUILDERS.items():
        if name in skip:
            continue
        build_passes = 1 if name in ("datrie", "python twin") else passes
        build_s, built = timed_result(lambda build=build: build(pairs), build_passes)
        rows[name] = {"structure": name, "build_s": build_s}
        if numbers:
            lookups[name] = built  # type: ignore[assignment]
        del built
        if not quick:
            rows[name]["rss_mib"] = measure_memory(name, deck_name) / 2**20
        print(f"  {deck_name:8} {name:12} built", file=sys.stderr)
    if not quick:
        rows[MEMORY_ONLY] = {
            "structure": MEMORY_ONLY,
            "rss_mib": measure_memory(MEMORY_ONLY, deck_name) / 2**20,
        }
    if numbers:
        reference = [lookups["dict scan"](number) for number in numbers[:20_000]]
        for name, longest in lookups.items():
            got = [longest(number) for number in numbers[:20_000]]
            assert got == reference, f"{name} disagrees with the dict scan"
        table = lookups["vosengine"].__self__  # type: ignore[attr-defined]
        assert table.longest_many(numbers[:20_000]) == reference
        samples: dict[str, list[float]] = {
            name: [] for name in [*lookups, "batch", "dict.get", "longest_value"]
        }
        probe = dict(pairs).get
        value = table.longest_value

        def probe_loop() -> None:
            for number in numbers:
                probe(number)

        def value_loop() -> None:
            for number in numbers:
                value(number)

        for _ in range(passes):
            for name, longest in lookups.items():

                def loop(longest: Callable[[str], object] = longest) -> None:
                    for number in numbers:
                        longest(number)

                samples[name].append(timed(loop, 1))
            samples["batch"].append(timed(lambda: table.longest_many(numbers), 1))
            samples["dict.get"].append(timed(probe_loop, 1))
            samples["longest_value"].append(timed(value_loop, 1))
        for name in lookups:
            rows[name]["single_per_s"] = len(numbers) / statistics.median(samples[name])
        rows["vosengine"]["batch_per_s"] = len(numbers) / statistics.median(samples["batch"])
        rows["vosengine"]["value_per_s"] = len(numbers) / statistics.median(
            samples["longest_value"]
        )
        rows["vosengine"]["dict_get_per_s"] = len(numbers) / statistics.median(samples["dict.get"])
    return list(rows.values())


def fmt_rate(value: object) -> str:
    return f"{value / 1e6:.2f} M/s" if isinstance(value, float) else "-"


def report(deck_name: str, rows: list[dict[str, object]]) -> str:
    by = {row["structure"]: row for row in rows}
    lines = [
        f"### {deck_name}",
        "",
        "| structure | build s | longest() single calls | × datrie | × dict | "
        "longest_many() | × datrie single | RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    datrie = by.get("datrie", {}).get("single_per_s")
    dict_rate = by.get("dict scan", {}).get("single_per_s")
    for row in rows:
        single = row.get("single_per_s")
        batch = row.get("batch_per_s")

        def ratio(a: object, b: object) -> str:
            return f"{a / b:.1f}×" if isinstance(a, float) and isinstance(b, float) else "-"

        rss = row.get("rss_mib")
        build_s = row.get("build_s")
        lines.append(
            f"| {row['structure']} | {f'{build_s:.3f}' if isinstance(build_s, float) else '-'} | "
            f"{fmt_rate(single)} | "
            f"{ratio(single, datrie)} | {ratio(single, dict_rate)} | {fmt_rate(batch)} | "
            f"{ratio(batch, datrie)} | {f'{rss:.1f}' if isinstance(rss, float) else '-'} |"
        )
    ours = by.get("vosengine", {})
    value, probe = ours.get("value_per_s"), ours.get("dict_get_per_s")
    if isinstance(value, float) and isinstance(probe, float):
        lines += [
            "",
            f"`longest_value()` single calls: {fmt_rate(value)}; a bare `dict.get` loop on the "
            f"same numbers: {fmt_rate(probe)}; time per number {probe / value:.2f}× the "
            "`dict.get` loop's.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k numbers, no 1M build")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--decks", default="random,real,build-1m")
    parser.add_argument("--memory-of", nargs=2, metavar=("STRUCTURE", "DECK"))
    args = parser.parse_args()
    if args.memory_of:
        structure, deck_name = args.memory_of
        pairs, _ = deck(deck_name, quick=True)
        source: object = pairs
        if structure == MEMORY_ONLY:
            source, structure = dict(pairs), "vosengine"
        gc.collect()
        before = rss_bytes()
        kept = BUILDERS[structure](source)  # type: ignore[arg-type]
        gc.collect()
        print(rss_bytes() - before)
        del kept
        return
    print(f"vosengine.prefix.IMPLEMENTATION = {IMPLEMENTATION!r}", file=sys.stderr)
    results = {}
    for deck_name in args.decks.split(","):
        if args.quick and deck_name == "build-1m":
            continue
        skip = {"datrie", "python twin"} if deck_name == "build-1m" else set()
        results[deck_name] = run_deck(deck_name, args.quick, args.passes, skip)
        print(report(deck_name, results[deck_name]))
        print()


if __name__ == "__main__":
    main()
