"""The invariants of a rate table, asserted by its ``_check()`` in the tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._versions import Versions, check_overlaps, version_key
from .kernel import KERNEL, versions_of

if TYPE_CHECKING:
    from ._table import RateTable

__all__ = ["check_table"]


def check_table(table: RateTable) -> None:
    """Assert the internal invariants (for tests): one trie entry per prefix holding its
    versions in order and without overlaps (the kernel's parameters only for a single
    undated rate it can price), every rate in the trie once, windows known."""
    table._by_prefix._check()
    names = {w.name for w in table.windows}
    fast = not table.windows and table._ceiling
    seen = 0
    for prefix, value in table._by_prefix.items():
        versions = versions_of(value)
        assert versions, prefix
        assert all(rate.prefix == prefix for rate in versions)
        assert list(versions) == sorted(versions, key=version_key)
        check_overlaps(prefix, list(versions))
        assert all(rate.window is None or rate.window in names for rate in versions)
        if type(value) is tuple:
            assert len(value) == 1, prefix
        elif type(value) is Versions:
            assert len(value.rates) > 1, prefix
        else:  # the kernel's parameters of one undated rate
            assert fast, prefix
            assert len(versions) == 1, prefix
        seen += len(versions)
    assert seen == len(table._rates)
    assert (table._quick is None) == (table._pricer_of(KERNEL) is None)
