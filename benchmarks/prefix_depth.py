"""What a single look-up costs by how deep its walk goes, on the real numbering plan.

The numbers of ``compare_prefix.py``'s real deck cut to their first ``k`` characters, for
``k`` from 4 to 10: each extra character is one more trie level walked, so the step from one
row to the next is the cost of that level (a cache hit near the top, a miss below).

    python benchmarks/prefix_depth.py
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import real_numbers, real_prefixes
from vosengine.prefix import IMPLEMENTATION, PrefixTable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    pairs = real_prefixes()
    table = PrefixTable(pairs)
    numbers = real_numbers([key for key, _ in pairs], args.numbers)
    value = table.longest_value
    print(f"vosengine.prefix.IMPLEMENTATION = {IMPLEMENTATION!r}")
    print("| characters | ns a longest_value() call | step |")
    print("|---:|---:|---:|")
    previous = None
    for length in range(4, 11):
        cut = [number[:length] for number in numbers]
        times = []
        for _ in range(args.passes):
            gc.collect()
            start = time.perf_counter()
            for number in cut:
                value(number)
            times.append(time.perf_counter() - start)
        ns = statistics.median(times) / len(cut) * 1e9
        step = "-" if previous is None else f"{ns - previous:+.1f}"
        print(f"| {length} | {ns:.1f} | {step} |")
        previous = ns


if __name__ == "__main__":
    main()
