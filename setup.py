"""Build script for the optional compiled modules: the prefix trie, the batch-rating kernel,
the ledger's holds, admission's composition, the routing walk, the gateways' load and the
SIP fast paths.

All are optional: when the C compiler or Cython is missing, setuptools warns and the package
installs with the pure-Python twins (``vosengine._prefix_py``, ``vosengine.rating._kernel_py``,
``vosengine.ledger._holds_py``, ``vosengine.admission._admit_py``,
``vosengine.routing._walk_py``, ``vosengine.routing._slots_py``,
``vosengine.sip._sipfast_py``).
Set ``VOSENGINE_NO_EXTENSIONS=1`` to skip the compile on purpose.
"""

import os

from setuptools import Extension, setup

ext_modules = []
if os.environ.get("VOSENGINE_NO_EXTENSIONS", "") in ("", "0"):
    try:
        from Cython.Build import cythonize
    except ImportError:  # pragma: no cover - Cython is a build requirement
        print("warning: Cython is not available; vosengine installs without _prefix")
    else:
        ext_modules = cythonize(
            [
                Extension(
                    "vosengine._prefix",
                    ["src/vosengine/_prefix.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.rating._kernel",
                    ["src/vosengine/rating/_kernel.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.admission._admit",
                    ["src/vosengine/admission/_admit.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.ledger._holds",
                    ["src/vosengine/ledger/_holds.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.routing._walk",
                    ["src/vosengine/routing/_walk.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.routing._slots",
                    ["src/vosengine/routing/_slots.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
                Extension(
                    "vosengine.sip._sipfast",
                    ["src/vosengine/sip/_sipfast.pyx"],
                    extra_compile_args=["-O3"],
                    optional=True,
                ),
            ],
            compiler_directives={
                "language_level": 3,
                "embedsignature": True,
                "boundscheck": False,
                "wraparound": False,
                "cdivision": True,
                "initializedcheck": False,
            },
        )

setup(ext_modules=ext_modules)
