"""The public API of vosengine as the tests walk it: every name in a public module's
``__all__``, and the signatures of its functions and of its classes' public methods."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import vosengine


def public_modules() -> list[Any]:
    """``vosengine`` and every module or package whose name has no leading underscore
    (``vosengine.testing`` aside: it needs Hypothesis' own conventions)."""
    names = ["vosengine"] + [
        m.name
        for m in pkgutil.walk_packages(vosengine.__path__, "vosengine.")
        if not m.name.rsplit(".", 1)[1].startswith("_")
    ]
    return [importlib.import_module(name) for name in names if "testing" not in name]


def public_names() -> list[tuple[str, str, Any]]:
    """``(module name, name, value)`` for every name in a public module's ``__all__``."""
    return [
        (module.__name__, name, getattr(module, name))
        for module in public_modules()
        for name in getattr(module, "__all__", ())
    ]


def public_signatures() -> list[tuple[str, inspect.Signature]]:
    """``("module.Class.method", signature)`` for every public function and method (and
    ``__init__``) that has a signature to inspect."""
    found = []
    for module, name, value in public_names():
        members = [(name, value)]
        if inspect.isclass(value):
            members = [
                (f"{name}.{attr}", getattr(value, attr))
                for attr in dir(value)
                if not attr.startswith("_") or attr == "__init__"
            ]
        for qualified, member in members:
            if not callable(member):
                continue
            try:
                found.append((f"{module}.{qualified}", inspect.signature(member)))
            except (TypeError, ValueError):
                continue
    return found
