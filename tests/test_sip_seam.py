"""The one seam to the compiled SIP fast paths: both implementations have the same API, the
Python code reaches compiled code only through it, and the "python" leg of every SIP test runs
no compiled code at all."""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import pickle
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import vosengine.sip
from tests.test_sip_parse import SEEDS
from tests.test_sip_registrar import SOURCE, authorized, make
from vosengine.sip import (
    ParseError,
    Request,
    Response,
    StreamFramer,
    _fast,
    _message,
    _sipfast_py,
    make_response,
    parse,
)

SIP = Path(vosengine.sip.__file__).parent
COMPILED_NAME = "vosengine.sip._sipfast"


def _public(module: ModuleType) -> set[str]:
    return {name for name in vars(module) if not name.startswith("_")}


def _sip_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"vosengine.sip.{info.name}")
        for info in pkgutil.iter_modules([str(SIP)])
        if info.name != "_sipfast"
    ]


def _compiled_objects(module: ModuleType) -> list[str]:
    """The module's globals that are, or come from, the compiled module."""
    return [
        name
        for name, value in vars(module).items()
        if (isinstance(value, ModuleType) and value.__name__ == COMPILED_NAME)
        or getattr(value, "__module__", None) == COMPILED_NAME
    ]


def test_the_twin_has_the_api_of_the_compiled_module_and_its_stub() -> None:
    from tests.conftest import sip_implementation

    compiled = sip_implementation("compiled")
    stub = ast.parse((SIP / "_sipfast.pyi").read_text(encoding="utf-8"))
    stubbed = {
        node.name
        for node in stub.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    }
    twin = set(_sipfast_py.__all__)
    assert twin == stubbed
    assert twin <= _public(compiled)
    assert {name for name in _public(compiled) if callable(getattr(compiled, name))} <= twin | {
        "CSeq",
        "NameAddr",
        "Via",
        "key_of",
    }


def test_only_the_seam_names_the_compiled_module() -> None:
    """The Python modules of ``vosengine.sip`` reach the compiled module through
    ``_fast.IMPL`` alone: none but ``_fast`` names it, imports it or keeps a global from it."""
    naming = sorted(
        path.name
        for path in SIP.glob("*.py")
        if re.search(r"_sipfast\b(?!_py)", path.read_text(encoding="utf-8"))
    )
    assert naming == ["_fast.py", "_sipfast_py.py"]  # the twin names it in its docstring
    assert "import" not in "".join(
        line
        for line in (SIP / "_sipfast_py.py").read_text(encoding="utf-8").splitlines()
        if re.search(r"_sipfast\b(?!_py)", line)
    )
    holders = {
        module.__name__: names
        for module in _sip_modules()
        if module.__name__ != "vosengine.sip._fast" and (names := _compiled_objects(module))
    }
    assert holders == {}


def _exercise() -> list[Any]:
    """Every kind of message the library makes: parsed datagrams of every seed, stream frames,
    messages the host builds, responses, copies and pickles, and a registrar round."""
    made: list[Any] = []
    for data in SEEDS:
        try:
            message = parse(data)
        except ParseError:
            continue
        for name in _message.HOT_ACCESSORS:
            with contextlib.suppress(ParseError):
                getattr(message, name)
        with contextlib.suppress(ParseError):
            message.validate()
        made.append(message)
    framer = StreamFramer()
    framer.feed(b"".join(bytes(m) for m in made))
    made += framer.messages()
    request = Request(
        "OPTIONS", "sip:a@example.com", fields=[("Via", "SIP/2.0/UDP h;branch=z9hG4bK9")]
    )
    made += [request, Response(404), make_response(made[0], 200, to_tag="t")]
    made += [copy.deepcopy(request), pickle.loads(pickle.dumps(request))]
    registrar = make()
    made.append(registrar.handle(authorized(registrar, 100.0), SOURCE, now=100.5))
    return made


def test_each_leg_runs_one_whole_implementation(sip_impl: ModuleType) -> None:
    """Under the fixture, every message the library makes is of the concrete class of the
    implementation in use, and nothing in its class comes from the other one: the "python"
    leg executes no compiled code."""
    assert _fast.IMPL is sip_impl
    made = _exercise()
    assert len(made) > 10
    expected = _message.concrete(sip_impl)
    for message in made:
        assert type(message) in expected, type(message)
        assert isinstance(message, Request | Response)
        modules = {klass.__module__ for klass in type(message).__mro__}
        if sip_impl is _sipfast_py:
            assert COMPILED_NAME not in modules, modules
        else:
            assert COMPILED_NAME in modules and sip_impl.__name__ == COMPILED_NAME
    if sip_impl is _sipfast_py:
        compiled_functions = [
            name
            for name in _public(sip_impl)
            if getattr(getattr(sip_impl, name), "__module__", None) == COMPILED_NAME
        ]
        assert compiled_functions == []


def test_a_message_pickled_on_one_implementation_loads_on_the_other() -> None:
    from tests.conftest import sip_implementation

    compiled = sip_implementation("compiled")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "IMPL", compiled)
        data = pickle.dumps(parse(SEEDS[-1]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "IMPL", _sipfast_py)
        again = pickle.loads(data)
        assert type(again) is _message.concrete(_sipfast_py)[1]
        assert again == parse(SEEDS[-1]) and again.status == 401


class TaggedRequest(Request):
    """A host's own request type (module level, so that it pickles)."""

    def tag(self) -> str | None:
        return self.from_.tag if self.from_ is not None else None


def test_a_host_subclass_of_request_works_on_either_implementation(sip_impl: ModuleType) -> None:
    request = TaggedRequest(
        "OPTIONS", "sip:a@example.com", fields=[("From", "<sip:b@example.com>;tag=7")]
    )
    assert isinstance(request, TaggedRequest) and isinstance(request, Request)
    assert request.tag() == "7" and request.method == "OPTIONS"
    again = pickle.loads(pickle.dumps(request))
    assert isinstance(again, TaggedRequest) and again == request and again.tag() == "7"
    assert TaggedRequest("BYE", "sip:a@example.com").method == "BYE"  # the class is kept
