"""Benchmarks take the prefix implementation from the same helpers as the tests."""

from typing import Any

import pytest
from tests.conftest import PREFIX_IMPLEMENTATIONS, both_table_classes, table_class

__all__ = ["both_table_classes", "table_cls"]


@pytest.fixture(params=PREFIX_IMPLEMENTATIONS)
def table_cls(request: pytest.FixtureRequest) -> Any:
    """The ``PrefixTable`` class of one implementation (compiled, then pure Python)."""
    return table_class(request.param)
