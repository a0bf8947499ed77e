"""Root conftest: puts the project root on sys.path so that benchmarks/ can share tests/'s
fixtures (``from tests.conftest import ...``); and where ``VOSENGINE_REQUIRE_EXTENSIONS`` is
set (CI), a skipped test is a failure: everything must be there and run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS")
        and report.skipped
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped where VOSENGINE_REQUIRE_EXTENSIONS requires all: {reason}"
