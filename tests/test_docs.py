"""The examples in the README run and print what it says."""

from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_examples() -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False)
    assert result.attempted >= 8
    assert result.failed == 0


def test_the_testing_guide_example_runs() -> None:
    text = (ROOT / "docs" / "testing.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    code = text[start : text.index("```", start)]
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/testing.md", "exec"), namespace)
    test = namespace["test_cost_is_monotone_in_duration"]
    test()  # type: ignore[operator]


def test_every_module_works_without_the_compiled_extensions() -> None:
    """With VOSENGINE_NO_EXTENSIONS=1 every module imports and runs on its Python twins."""
    import subprocess
    import sys

    code = """
import vosengine.prefix as prefix, vosengine.rating.kernel as kernel
from vosengine.sip import _fast, parse
from vosengine.policy import Policy, Admin, Role
from vosengine.rating import Rate, RateTable
from datetime import datetime, timezone
assert prefix.IMPLEMENTATION == "python" and kernel.IMPLEMENTATION == "python"
assert _fast.IMPLEMENTATION == "python" and _fast.IMPL.__name__ == "vosengine.sip._sipfast_py"
m = parse(b"OPTIONS sip:a@b SIP/2.0\\r\\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\\r\\n"
          b"From: <sip:a@b>;tag=1\\r\\nTo: <sip:a@b>\\r\\nCall-ID: c\\r\\n"
          b"CSeq: 1 OPTIONS\\r\\n\\r\\n")
m.validate()
assert m.top_via.branch == "z9hG4bK1" and m.from_.tag == "1"
table = RateTable([Rate(prefix="1", price="0.6")])
at = datetime(2026, 1, 1, tzinfo=timezone.utc)
assert str(table.amounts_many(["15"], [61000], at=[at])[0]) == "1.2000"
policy = Policy()
policy.add_admin(Admin(name="a", role=Role.ADMIN))
assert policy.check_module("a", "rate", "edit", now=at)
print("ok")
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"VOSENGINE_NO_EXTENSIONS": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_every_docstring_example_in_the_library_runs() -> None:
    """The examples in the docstrings are run, so they cannot drift from the code."""
    import importlib
    import pkgutil

    import vosengine

    modules = [vosengine] + [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(vosengine.__path__, "vosengine.")
    ]
    attempted = 0
    for module in modules:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 60
