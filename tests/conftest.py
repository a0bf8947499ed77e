"""Shared fixtures: every prefix-table test and benchmark gets its implementation here."""

from __future__ import annotations

import os
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
    """The compiled module ``name``; skips the test when it is not built (fails when
    ``VOSENGINE_REQUIRE_EXTENSIONS`` is set)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as error:
        if os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS"):
            raise
        pytest.skip(f"compiled module {name} not built: {error}")


def _compiled() -> Any:
    return _compiled_module("vosengine._prefix").PrefixTable


PREFIX_IMPLEMENTATIONS = ["cython", "python"]


@pytest.fixture(params=PREFIX_IMPLEMENTATIONS)
def table_cls(request: pytest.FixtureRequest) -> Any:
    """The ``PrefixTable`` class of one implementation (compiled, then pure Python)."""
    if request.param == "cython":
        return _compiled()
    return _prefix_py.PrefixTable


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


SIP_FAST_NAMES = {
    "vosengine.sip._message": (
        "_FAST",
        "_C_CSEQ",
        "_C_UINT",
        "_C_REQUEST_LINE",
        "_C_VIA",
        "_C_NAME_ADDR",
        "_C_STATUS_LINE",
        "_C_PARSE",
    ),
    "vosengine.sip._headers": ("_C_VIA", "_C_NAME_ADDR", "_C_AUTH_PARAMS"),
}


def python_twin_accessors() -> dict[str, Any]:
    """The pure-Python accessors to set on ``Message`` so that it reads its hot headers as
    the twin does (the compiled ones live in its base class, ``_sipfast.MessageBase``)."""
    from vosengine.sip import _message

    return {name: _message._MessageBasePy.__dict__[name] for name in _message._HOT_ACCESSORS}


@pytest.fixture(params=["compiled", "python"])
def sip_impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a SIP test with the compiled fast paths, then with the pure-Python twins only."""
    import importlib

    modules = {name: importlib.import_module(name) for name in SIP_FAST_NAMES}
    if request.param == "compiled":
        if modules["vosengine.sip._message"]._FAST is None:
            if os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS"):
                pytest.fail("the compiled SIP fast paths are not built")
            pytest.skip("the compiled SIP fast paths are not built")
    else:
        for name, attributes in SIP_FAST_NAMES.items():
            for attribute in attributes:
                monkeypatch.setattr(modules[name], attribute, None)
        headers = modules["vosengine.sip._headers"]
        monkeypatch.setattr(headers, "_find_param", headers._find_param_py)
        message = modules["vosengine.sip._message"].Message
        for name, accessor in python_twin_accessors().items():
            monkeypatch.setattr(message, name, accessor, raising=False)
    return str(request.param)
