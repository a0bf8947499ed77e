"""Rules of the source layout that a reader relies on."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "vosengine"


def test_only_one_module_reads_the_extensions_switch() -> None:
    """``VOSENGINE_NO_EXTENSIONS`` is read in ``_extensions`` alone; every picker asks it."""
    readers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py*")
        if path.suffix in (".py", ".pyx")
        and 'environ.get("VOSENGINE_NO_EXTENSIONS"' in path.read_text(encoding="utf-8")
    )
    assert readers == ["_extensions.py"]


def test_no_module_of_the_split_packages_is_over_400_lines() -> None:
    """Each module of ``accounts`` and ``rating`` holds one responsibility, small enough to
    find a rule in."""
    sizes = {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("accounts", "rating")
        for path in sorted((SRC / package).iterdir())
        if path.suffix in (".py", ".pyx")
    }
    assert len(sizes) >= 12, sizes
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_only_the_pickers_import_a_python_twin() -> None:
    """Library code reaches the prefix engine through ``vosengine.prefix``, never its twin."""
    importers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "_prefix_py" in path.read_text(encoding="utf-8")
    )
    assert importers == ["prefix.py"]


def test_the_ledger_depends_on_money_only() -> None:
    """No module of ``vosengine.ledger`` imports the accounts, the policy or CDRs at module
    level: payer authorization comes in as ``PayerRules``."""
    import ast

    for path in sorted((SRC / "ledger").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module-level statements only
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                allowed = (
                    "_actors",
                    "_bounded",
                    "_checks",
                    "_extensions",
                    "_time",
                    "errors",
                    "money",
                    "verdicts",
                )
                assert node.module in allowed, (
                    path.name,
                    node.module,
                )


def test_no_module_is_over_about_600_lines() -> None:
    """One responsibility per file: a module past about 600 lines has more than one."""
    sizes = {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(SRC.rglob("*"))
        if path.suffix in (".py", ".pyx", ".pxi")
    }
    assert len(sizes) >= 50
    assert {name: n for name, n in sizes.items() if n > 640} == {}
