"""vosengine demo on the embedded defaults: a small rate deck in a PrefixTable.

    make demo          # installs vosengine, then runs this file

Loads a handful of VOS3000-style rate rows (prefix, area name, price per minute), then looks
up dialled numbers by longest prefix, as a softswitch does for every call.
"""

from __future__ import annotations

from decimal import Decimal

from vosengine import PrefixTable, prefix

RATE_DECK = [
    # prefix, area name, price per minute
    ("1", "USA/Canada", "0.0100"),
    ("1212", "USA New York", "0.0085"),
    ("1787", "Puerto Rico", "0.0250"),
    ("44", "United Kingdom", "0.0120"),
    ("447", "United Kingdom Mobile", "0.0450"),
    ("4420", "United Kingdom London", "0.0095"),
    ("880", "Bangladesh", "0.0310"),
    ("8801", "Bangladesh Mobile", "0.0290"),
    ("88017", "Bangladesh Grameenphone", "0.0275"),
    ("91", "India", "0.0140"),
    ("8816", "Iridium Satellite", "1.2500"),
]

CALLS = [
    "12125551234",
    "17875550100",
    "447911123456",
    "442071234567",
    "8801712345678",
    "8801812345678",
    "8802123456",
    "88163123456",
    "33123456789",
]


def main() -> None:
    table = PrefixTable((code, (area, Decimal(price))) for code, area, price in RATE_DECK)
    print(f"vosengine prefix engine: {prefix.IMPLEMENTATION}, {len(table)} rate rows")
    print(f"{'number':<16} {'prefix':<8} {'area':<26} {'per minute':>10}")
    for number in CALLS:
        found = table.longest(number)
        if found is None:
            print(f"{number:<16} {'-':<8} {'(rate not found)':<26} {'-':>10}")
            continue
        code, (area, price) = found
        print(f"{number:<16} {code:<8} {area:<26} {price:>10}")
    every = ", ".join(code for code, _ in table.matches("8801712345678"))
    print(f"every rate row on the path of 8801712345678: {every}")


if __name__ == "__main__":
    main()
