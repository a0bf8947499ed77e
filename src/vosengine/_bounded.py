"""The one way a bounded table of vosengine forgets: oldest first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

__all__ = ["PRUNE_STEP", "drop_oldest"]

#: How many expired entries a bounded table drops on each call (amortized pruning).
PRUNE_STEP = 2

_K = TypeVar("_K")
_V = TypeVar("_V")


def drop_oldest(
    table: OrderedDict[_K, _V], ended: Callable[[_V], bool], most: int | None = PRUNE_STEP
) -> None:
    """Drop the entries at the front of ``table`` (the oldest) while ``ended`` holds for
    them: at most ``most``, or all of them when ``most`` is None. The bounded tables keep
    their entries oldest first and prune this way on every call, so each call costs O(1)
    amortized whatever the table holds."""
    dropped = 0
    while table and dropped != most:
        key = next(iter(table))
        if not ended(table[key]):
            break
        del table[key]
        dropped += 1
