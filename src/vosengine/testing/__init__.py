"""Hypothesis strategies for property-testing billing rules built on vosengine.

Install with the ``testing`` extra (``pip install vosengine[testing]``). Every strategy is a
function returning a :class:`hypothesis.strategies.SearchStrategy`; arguments narrow what it
draws. See ``docs/testing.md`` for a walk-through.

>>> from hypothesis import given
>>> from vosengine.testing import rates, durations_ms
>>> @given(rate=rates(), ms=durations_ms())
... def test_billed_on_the_grid(rate, ms): ...
"""

from ._strategies import (
    agent_trees,
    amounts,
    cdrs,
    durations_ms,
    ledgers_with_operations,
    prefixes,
    rate_tables,
    rates,
    rounding_rules,
)

__all__ = [
    "agent_trees",
    "amounts",
    "cdrs",
    "durations_ms",
    "ledgers_with_operations",
    "prefixes",
    "rate_tables",
    "rates",
    "rounding_rules",
]
