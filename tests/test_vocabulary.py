"""One vocabulary: the error tree as documented, one verdict shape, read-only tables, keyword
arguments where a default exists, and ``now`` keyword-only wherever time decides."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

import vosengine
from vosengine import Decision, PermissionDenied, Refused, Verdict, VosEngineError, errors
from vosengine.accounts import Account, AccountDirectory, Operator
from vosengine.numbering import NumberSection

from .public_api import public_names, public_signatures

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def _documented_tree() -> dict[str, str]:
    """``class name -> parent name`` as drawn in ``vosengine.errors``' docstring."""
    tree: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    assert errors.__doc__ is not None
    for line in errors.__doc__.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*)(?:├── |└── )?((?:\w+\.)?[A-Z]\w+)\b", line)
        if match is None or not re.search(r"(├── |└── |^    VosEngineError)", line):
            continue
        depth = line.index(match.group(2))
        name = match.group(2).rsplit(".", 1)[-1]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            tree[name] = stack[-1][1]
        stack.append((depth, name))
    return tree


def test_every_public_error_is_in_the_documented_tree_under_its_parent() -> None:
    tree = _documented_tree()
    assert tree["InvalidArgumentType"] == "InvalidArgument"
    assert tree["PermissionDenied"] == "Refused"
    found = {
        value
        for _, _, value in public_names()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert len(found) >= 20
    for error in found:
        assert issubclass(error, VosEngineError), error
        if error is VosEngineError:
            continue
        assert error.__name__ in tree, f"{error.__name__} is missing from errors' docstring"
        parent = tree[error.__name__]
        assert parent in [base.__name__ for base in error.__mro__[1:]], (error, parent)


def test_a_refusal_is_no_os_error() -> None:
    assert not issubclass(PermissionDenied, OSError)
    assert issubclass(PermissionDenied, Refused)
    directory = AccountDirectory()
    directory.add(Account(id="a"), actor=Operator(name="root"), now=NOW)
    directory.add(Account(id="b"), actor=Operator(name="root"), now=NOW)
    with pytest.raises(Refused) as refused:
        directory.require("a", vosengine.accounts.AgentAction.MODIFY_ACCOUNT, "b", now=NOW)
    assert isinstance(refused.value, PermissionDenied)
    assert isinstance(refused.value.decision, Verdict)
    assert not refused.value.decision


def test_every_verdict_has_the_one_shape() -> None:
    directory = AccountDirectory()
    directory.add(Account(id="a"), actor=Operator(name="root"), now=NOW)
    verdicts: list[Any] = [
        Decision(allowed=True, reason="ok"),
        directory.status_verdict("a", now=NOW),
        directory.number_check("a", "4420"),
        NumberSection(blocked={"44"}).decide("4420"),
        NumberSection(allowed={"44"}).decide("4420"),
    ]
    for verdict in verdicts:
        assert isinstance(verdict, Verdict)
        assert bool(verdict) is verdict.allowed
        assert isinstance(verdict.reason, str) and verdict.reason
    assert "StatusVerdict" in (vosengine.verdicts.__doc__ or "")


def test_one_decision_class_with_one_home() -> None:
    homes = {module for module, name, value in public_names() if value is Decision}
    assert homes == {"vosengine", "vosengine.verdicts"}
    assert vosengine.accounts.Decision is Decision  # the old spelling still works
    assert vosengine.policy.Decision is Decision


def test_public_tables_are_read_only() -> None:
    tables = [
        (f"{module}.{name}", value)
        for module, name, value in public_names()
        if isinstance(value, Mapping) and name.isupper()
    ]
    assert len(tables) >= 6, tables
    for name, table in tables:
        assert not isinstance(table, dict), name
        with pytest.raises(TypeError):
            table["x"] = 1  # type: ignore[index]


def test_public_names_are_not_exported_twice_for_different_things() -> None:
    seen: dict[str, Any] = {}
    for module, name, value in public_names():
        if name in seen and module != "vosengine":
            assert seen[name] is value, f"{module}.{name} is another thing than elsewhere"
        seen.setdefault(name, value)


#: Positional with a default, as their built-in models have it: ``dict.get(key, default)``,
#: ``sum(values, start)``, ``dict(items)``.
_POSITIONAL_DEFAULTS = {
    ("get", "default"),
    ("longest_value", "default"),
    ("longest_value_many", "default"),
    ("param", "default"),
    ("total", "start"),
    ("RateTable.__init__", "rates"),
    ("PrefixTable.__init__", "source"),
}


def test_arguments_with_defaults_are_keyword_only() -> None:
    wrong = []
    signatures = public_signatures()
    assert len(signatures) > 200
    for where, signature in signatures:
        for p in signature.parameters.values():
            parts = where.split(".")
            exempt = {(".".join(parts[i:]), p.name) for i in range(len(parts))}
            if (
                p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
                and p.default is not inspect.Parameter.empty
                and not exempt & _POSITIONAL_DEFAULTS
            ):
                wrong.append(f"{where}({p.name})")
    assert wrong == []


def test_decide_answers_require_raises_check_asserts() -> None:
    """One vocabulary of verbs: ``decide`` returns a verdict, ``require`` raises it, and
    ``_check`` asserts internal invariants; the directory's old ``check`` is an alias."""
    assert AccountDirectory.check is AccountDirectory.decide
    directory = AccountDirectory()
    directory.add(Account(id="a"), actor=Operator(name="root"), now=NOW)
    verdict = directory.decide("a", vosengine.accounts.AgentAction.VIEW, "a", now=NOW)
    assert isinstance(verdict, Verdict)
    assert verdict
    directory._check()
