"""A seeded agent tree for the account benchmarks: 100,000 accounts, 1,000 agents, 4 levels.

Level 1: 10 top agents (satellite prefixes blocked); level 2: 90 regional agents (allowed
prefix sets); level 3: 900 local agents (a narrower allowed set); level 4: 99,000
customers, 110 under each local agent.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from vosengine.accounts import FULL, RETAIL, WHOLESALE, Account, AccountDirectory, Operator
from vosengine.numbering import NumberSection

NOW = datetime(2026, 11, 25, tzinfo=UTC)
COUNTRY_CODES = ["1", "44", "49", "33", "880", "91", "94", "86", "81", "61", "55", "234"]


def build_tree(seed: int = 5) -> tuple[AccountDirectory, list[str], list[str]]:
    """The directory, the top agents' ids and the customers' ids."""
    rng = random.Random(seed)
    op = Operator(name="bench")
    d = AccountDirectory()
    tops, customers = [], []
    for t in range(10):
        top = f"top{t}"
        tops.append(top)
        d.add(
            Account(
                id=top, authorizations=FULL, number_section=NumberSection(blocked={"8816", "8817"})
            ),
            actor=op,
            now=NOW,
        )
        for r in range(9):
            regional = f"{top}-r{r}"
            d.add(
                Account(
                    id=regional,
                    parent_id=top,
                    authorizations=WHOLESALE | RETAIL,
                    number_section=NumberSection(allowed=set(rng.sample(COUNTRY_CODES, 6))),
                ),
                actor=op,
                now=NOW,
            )
            for loc in range(10):
                local = f"{regional}-l{loc}"
                allowed = rng.sample(sorted(d.get(regional).number_section.allowed), 3)
                d.add(
                    Account(
                        id=local,
                        parent_id=regional,
                        authorizations=RETAIL,
                        number_section=NumberSection(
                            allowed=set(allowed), blocked={allowed[0] + "9"}
                        ),
                    ),
                    actor=op,
                    now=NOW,
                )
                for c in range(110):
                    customer = f"{local}-c{c}"
                    customers.append(customer)
                    d.add(Account(id=customer, parent_id=local), actor=op, now=NOW)
    return d, tops, customers


def numbers(n: int, seed: int = 6) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(COUNTRY_CODES) + "".join(rng.choices("0123456789", k=9)) for _ in range(n)]
