"""The prefix engine: :class:`PrefixTable`, compiled when possible.

``vosengine.prefix`` picks one of two implementations with the identical API:

* ``vosengine._prefix`` -- the Cython module built at install time (``IMPLEMENTATION ==
  "cython"``);
* ``vosengine._prefix_py`` -- the pure-Python twin (``IMPLEMENTATION == "python"``), used when
  the compiled module is missing or when the environment variable
  ``VOSENGINE_NO_EXTENSIONS`` is set to a non-empty value other than ``0``.

``EXTENSION_ERROR`` holds the reason the compiled module is not in use (``None`` when it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _extensions
from ._prefix_rules import check_prefix

__all__ = [
    "ALPHABET",
    "EXTENSION_ERROR",
    "IMPLEMENTATION",
    "PrefixTable",
    "check_prefix",
    "longest_values",
]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None

if TYPE_CHECKING:
    from ._prefix_py import ALPHABET, PrefixTable, longest_values

    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    _compiled, EXTENSION_ERROR = _extensions.load("vosengine._prefix")
    if _compiled is None:
        from ._prefix_py import ALPHABET, PrefixTable, longest_values

        IMPLEMENTATION = "python"
    else:
        ALPHABET, PrefixTable = _compiled.ALPHABET, _compiled.PrefixTable
        longest_values = _compiled.longest_values
        IMPLEMENTATION = "cython"
