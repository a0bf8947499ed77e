"""Compiled code never crashes the interpreter: every compiled type, made without running its
``__init__`` (a subclass that skips it, or ``__new__`` alone), answers every method and
property with a value or an exception. Each probe runs in a child interpreter, so a crash
fails the test instead of ending the run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import _compiled_module

COMPILED_TYPES = [
    ("vosengine._prefix", "PrefixTable"),
    ("vosengine.rating._kernel", "Params"),
    ("vosengine.rating._kernel", "Pricer"),
    ("vosengine.admission._admit", "AdmitCore"),
    ("vosengine.ledger._holds", "Holds"),
    ("vosengine.routing._slots", "Load"),
    ("vosengine.sip._sipfast", "MessageBase"),
    ("vosengine.sip._sipfast", "RequestBase"),
    ("vosengine.sip._sipfast", "ResponseBase"),
]

PROBE = textwrap.dedent(
    """
    import importlib, itertools, pickle, sys
    from datetime import datetime, timezone

    module_name, type_name = sys.argv[1], sys.argv[2]
    cls = getattr(importlib.import_module(module_name), type_name)

    class Skips(cls):
        def __init__(self, *args, **kwargs):
            pass

    ARGS = [(), ("1212",), ("",), (["1", "2"],), ("1", 60_000, datetime.now(timezone.utc)),
            (0,), (None,), ("1", "2"), ("1", 1), ([], [], 1, 1, 1, None, None)]
    made = [Skips(), cls.__new__(cls), cls.__new__(Skips)]
    calls = 0
    for instance in made:
        for name in dir(instance):
            if name in ("__init__", "__new__", "__init_subclass__", "__subclasshook__",
                        "__class__", "__del__", "__dealloc__"):
                continue
            try:
                attribute = getattr(instance, name)
            except Exception:
                calls += 1
                continue
            if not callable(attribute):
                calls += 1
                continue
            for args in ARGS:
                try:
                    attribute(*args)
                except Exception:
                    pass
                calls += 1
        for action in (repr, str, hash, len, bool, iter, pickle.dumps, lambda x: x == x):
            try:
                action(instance)
            except Exception:
                pass
    print("ok", calls)
    """
)


@pytest.mark.parametrize(("module", "name"), COMPILED_TYPES)
def test_a_compiled_type_made_without_init_never_crashes(module: str, name: str) -> None:
    _compiled_module(module)  # skips when the compiled module is not built
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module, name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("ok")


def test_a_prefix_table_subclass_without_init_is_an_empty_table() -> None:
    cls = _compiled_module("vosengine._prefix").PrefixTable

    class Skips(cls):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            pass

    table = Skips()
    assert table.longest("1212") is None and table.matches("1") == [] and len(table) == 0
    table._check()


def test_kernel_params_made_without_init_price_without_crashing() -> None:
    _compiled_module("vosengine.rating._kernel")
    probe = textwrap.dedent(
        """
        from datetime import UTC, datetime
        from decimal import Decimal
        from vosengine.rating import _kernel
        params = _kernel.Params.__new__(_kernel.Params)
        at = [datetime(2026, 12, 4, tzinfo=UTC)]
        amounts, slow = _kernel.fast_amounts(
            [params], [60_000], at, 10_000, 0, 4, Decimal(0), lambda rate, amount: amount
        )
        print("ok", amounts, slow)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("ok")
