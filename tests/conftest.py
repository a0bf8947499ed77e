"""Shared fixtures: every prefix-table test and benchmark gets its implementation here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from vosengine import _prefix_py
from vosengine.rating import _kernel_py

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _compiled_module(name: str) -> Any:
    """The compiled module ``name``; skips the test when it is not built or when
    ``VOSENGINE_NO_EXTENSIONS`` turns the compiled modules off (fails when it is not built and
    ``VOSENGINE_REQUIRE_EXTENSIONS`` is set)."""
    import importlib

    from vosengine import _extensions

    if _extensions.DISABLED:
        pytest.skip(f"compiled module {name}: {_extensions.DISABLED_REASON}")
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS"):
            raise
        pytest.skip(f"compiled module {name} not built: {error}")


def _compiled() -> Any:
    return _compiled_module("vosengine._prefix").PrefixTable


PREFIX_IMPLEMENTATIONS = ["cython", "python"]
# the compiled table walks a number through its top table once it has enough nodes; in
# "cython-top" every table built during the test has one, so small tables cover that walk
PREFIX_WALKS = ["cython", "cython-top", "python"]


@contextmanager
def top_tables(compiled: Any) -> Iterator[None]:
    """Every compiled table built inside the block gets a top table, however small."""
    module = sys.modules[compiled.__module__]
    previous = module._set_top_min_nodes(0)
    try:
        yield
    finally:
        module._set_top_min_nodes(previous)


def table_class(param: str) -> Any:
    return _prefix_py.PrefixTable if param == "python" else _compiled()


@pytest.fixture(params=PREFIX_WALKS)
def table_cls(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The ``PrefixTable`` class of one implementation (compiled, with every table on the
    top-table walk, then pure Python)."""
    cls = table_class(request.param)
    if request.param == "cython-top":
        with top_tables(cls):
            yield cls
    else:
        yield cls


@pytest.fixture(scope="session")
def both_table_classes() -> tuple[Any, Any]:
    """Both implementations at once, for differential tests."""
    return _compiled(), _prefix_py.PrefixTable


RATING_KERNELS = ["cython", "python"]


@pytest.fixture(scope="session", params=RATING_KERNELS)
def rating_kernel(request: pytest.FixtureRequest) -> Any:
    """The batch-rating kernel of one implementation (compiled, then pure Python): the one
    seam through which the rating tests run both (``RateTable._amounts(kernel, ...)``)."""
    if request.param == "cython":
        return _compiled_module("vosengine.rating._kernel")
    return _kernel_py


@pytest.fixture(scope="session")
def both_rating_kernels() -> tuple[Any, Any]:
    """Both batch-rating kernels at once, for differential tests."""
    return _compiled_module("vosengine.rating._kernel"), _kernel_py


ROUTE_WALKS = ["cython", "python"]


@pytest.fixture(scope="module", params=ROUTE_WALKS)
def route_walk(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run a routing test module on one walk, compiled then pure Python, by switching the one
    seam every route table takes its walk from (``vosengine.routing._table.WALK``)."""
    from vosengine.routing import _table, _walk_py

    module = _compiled_module("vosengine.routing._walk") if request.param == "cython" else _walk_py
    saved = _table.WALK
    _table.WALK = module
    yield module
    _table.WALK = saved


def ledger_on(name: str) -> Any:
    """``InMemoryLedger`` on one implementation of its per-call base (``Holds``: what is
    available, the hold, its release): ``"cython"`` (skips the test when it is not built) or
    ``"python"`` (the twin). The twin's ledger is a subclass whose twin methods come first,
    so it is an ``InMemoryLedger`` in every other respect."""
    from vosengine.ledger import InMemoryLedger, _hold, _holds_py

    if name == "cython":
        _compiled_module("vosengine.ledger._holds")
        return InMemoryLedger
    if _hold.Holds is _holds_py.Holds:
        return InMemoryLedger
    return type("InMemoryLedger", (_holds_py.Holds, InMemoryLedger), {"__module__": __name__})


ADMISSION_CORES = ["cython", "python"]


def admission_on(name: str) -> Any:
    """``Admission`` on one implementation of its composition (``AdmitCore``: ``admit``):
    ``"cython"`` (skips the test when it is not built) or ``"python"`` (the twin, as a
    subclass whose twin ``admit`` comes first)."""
    from vosengine.admission import Admission, _admit_py, _core

    if name == "cython":
        _compiled_module("vosengine.admission._admit")
        return Admission
    if _core.AdmitCore is _admit_py.AdmitCore:
        return Admission
    return type("Admission", (_admit_py.AdmitCore, Admission), {"__module__": __name__})


@pytest.fixture(scope="module", params=ADMISSION_CORES)
def admission_core(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run an admission test module on one composition, compiled then pure Python, by
    switching the module's ``Admission`` for the class on that ``AdmitCore``."""
    cls = admission_on(str(request.param))
    module = request.module
    saved = module.Admission
    module.Admission = cls
    yield cls
    module.Admission = saved


LOAD_IMPLEMENTATIONS = ["cython", "python"]


def load_implementation(name: str) -> Any:
    """The module of one implementation of ``Load``: ``"cython"`` (skips the test when it is
    not built) or ``"python"`` (the twin)."""
    if name == "cython":
        return _compiled_module("vosengine.routing._slots")
    from vosengine.routing import _slots_py

    return _slots_py


@pytest.fixture(params=LOAD_IMPLEMENTATIONS)
def load_cls(request: pytest.FixtureRequest) -> Any:
    """The ``Load`` class of one implementation, compiled then pure Python: the seam of the
    load tests (a route table and admission take either)."""
    return load_implementation(str(request.param)).Load


SIP_IMPLEMENTATIONS = ["compiled", "python"]


def sip_implementation(name: str) -> Any:
    """The SIP fast-path module of one implementation: ``"compiled"`` (skips the test when
    it is not built) or ``"python"`` (the twin)."""
    if name == "compiled":
        return _compiled_module("vosengine.sip._sipfast")
    from vosengine.sip import _sipfast_py

    return _sipfast_py


@pytest.fixture(params=SIP_IMPLEMENTATIONS)
def sip_impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a SIP test on one whole implementation, compiled then pure Python, by switching
    the one seam (``vosengine.sip._fast.IMPL``) every fast path is reached through."""
    from vosengine.sip import _fast

    module = sip_implementation(str(request.param))
    monkeypatch.setattr(_fast, "IMPL", module)
    return module


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real ``redis-server`` of this test's own (see ``tests/redis_server.py``), stopped
    when the test ends."""
    from .redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A client of one ``redis-server`` shared by a module's tests (each test keeps its keys
    apart, under a prefix of its own), stopped after the module."""
    from .redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.client()
    finally:
        server.stop()
