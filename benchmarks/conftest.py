"""Benchmarks take the prefix implementation from the same fixture as the tests."""

from tests.conftest import both_table_classes, table_cls

__all__ = ["both_table_classes", "table_cls"]
