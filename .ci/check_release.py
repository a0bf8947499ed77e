"""What the sdist and the wheel carry: the sdist everything its tests need (and the license),
the wheel only what runs (modules, stubs, compiled modules, package data, the license), never
a Cython source or generated C.

Usage: python .ci/check_release.py SDIST WHEEL
"""

from __future__ import annotations

import sys
import tarfile
import zipfile

SDIST_NEEDS = [
    "LICENSE",
    "README.md",
    "conftest.py",
    "tests/conftest.py",
    "tests/public_api.py",
    "docs/testing.md",
    "src/vosengine/_prefix.pyx",
    "src/vosengine/sip/_sipfast.pyx",
]
WHEEL_NEEDS = [
    "vosengine/py.typed",
    "vosengine/_prefix.pyi",
    "vosengine/policy/models/admin_policy.conf",
]
COMPILED = [
    "vosengine/_prefix",
    "vosengine/rating/_kernel",
    "vosengine/routing/_walk",
    "vosengine/sip/_sipfast",
]
NEVER_IN_WHEEL = (".pyx", ".pxi", ".c")


def main(sdist: str, wheel: str) -> list[str]:
    problems = []
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    problems += [f"sdist lacks {need}" for need in SDIST_NEEDS if need not in names]
    problems += [f"sdist carries generated C: {n}" for n in sorted(names) if n.endswith(".c")]

    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    problems += [f"wheel lacks {need}" for need in WHEEL_NEEDS if need not in files]
    problems += [
        f"wheel lacks the compiled {module}"
        for module in COMPILED
        if not any(f.startswith(module + ".") and f.endswith(".so") for f in files)
    ]
    problems += [f"wheel carries {f}" for f in files if f.endswith(NEVER_IN_WHEEL)]
    if not any(f.endswith(".dist-info/licenses/LICENSE") for f in files):
        problems.append("wheel lacks .dist-info/licenses/LICENSE")
    print(f"sdist: {len(names)} entries; wheel: {len(files)} files")
    return problems


if __name__ == "__main__":
    found = main(*sys.argv[1:3])
    for problem in found:
        print("release:", problem)
    sys.exit(1 if found else 0)
