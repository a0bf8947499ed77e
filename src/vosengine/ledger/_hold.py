"""The base of :class:`~vosengine.ledger.InMemoryLedger` that answers admission on every call
(:class:`Holds`: ``available``, ``reserve``, ``release``), compiled when possible.

Two implementations with the identical API and state:

* ``vosengine.ledger._holds`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.ledger._holds_py`` -- the pure-Python twin, which documents the contract
  (``IMPLEMENTATION == "python"``), used when the compiled module is missing or
  ``VOSENGINE_NO_EXTENSIONS`` is set.

``HOLDS`` is the module picked and ``Holds`` its class; ``EXTENSION_ERROR`` holds the reason
the compiled module is not in use (``None`` when it is).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._extensions import load

__all__ = ["EXTENSION_ERROR", "HOLDS", "IMPLEMENTATION", "Holds"]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
HOLDS: ModuleType

if TYPE_CHECKING:
    from . import _holds_py as HOLDS
    from ._holds_py import Holds

    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    HOLDS, EXTENSION_ERROR = load("vosengine.ledger._holds")
    if HOLDS is None:
        from . import _holds_py as HOLDS

        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"
    Holds = HOLDS.Holds
