"""Seeded data sets shared by the benchmark suites and the comparison scripts.

* ``random_prefixes(n)``: ``n`` unique prefixes of 1-8 random digits (length uniform), seeded.
* ``random_numbers(n)``: ``n`` numbers of 11-12 random digits, seeded.
* ``real_prefixes()``: the geographic E.164 prefixes that ``phonenumbers`` ships
  (``phonenumbers.geodata.GEOCODE_DATA``), each with its English area name.
* ``real_numbers(prefixes, n)``: numbers that extend randomly chosen real prefixes to 11-13
  digits, so lookups walk the deep, shared paths that real traffic walks.
* ``admin_policy(size, now)``: a ``Policy`` of ``size`` admins (the four roles in turn, a
  quarter with an IP whitelist, each with a grant of its own), every admin decided once.
"""

from __future__ import annotations

import random
from typing import Any

DIGITS = "0123456789"


def random_prefixes(n: int, *, seed: int = 1, max_len: int = 8) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        length = rng.randint(1, max_len)
        key = "".join(rng.choices(DIGITS, k=length))
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def random_numbers(n: int, *, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(DIGITS, k=rng.randint(11, 12))) for _ in range(n)]


def real_prefixes() -> list[tuple[str, str]]:
    """(prefix, area name) for every geographic prefix phonenumbers knows, sorted."""
    from phonenumbers.geodata import GEOCODE_DATA

    out = []
    for prefix, names in GEOCODE_DATA.items():
        name = names.get("en") or next(iter(names.values()), "")
        out.append((prefix, name))
    out.sort()
    return out


def real_numbers(prefixes: list[str], n: int, *, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        prefix = rng.choice(prefixes)
        total = max(len(prefix) + 1, rng.randint(11, 13))
        out.append(prefix + "".join(rng.choices(DIGITS, k=total - len(prefix))))
    return out


def admin_policy(size: int, now: Any) -> tuple[Any, list[str]]:
    from vosengine.policy import Admin, Policy, Role

    policy = Policy()
    names = [f"adm{i}" for i in range(size)]
    for index, name in enumerate(names):
        whitelist = ("192.0.2.0/24",) if index % 4 == 0 else ()
        policy.add_admin(Admin(name=name, role=list(Role)[index % 4], ip_whitelist=whitelist))
        policy.grant(name, "alarm", "configure")
    for name in names:
        policy.check_module(name, "rate", "view", ip="192.0.2.9", now=now)
    return policy, names
