"""The base of :class:`~vosengine.admission.Admission` that composes its stages for one call
(:class:`AdmitCore`: ``admit``), compiled when possible.

Two implementations with the identical API:

* ``vosengine.admission._admit`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.admission._admit_py`` -- the pure-Python twin, which documents the contract
  (``IMPLEMENTATION == "python"``), used when the compiled module is missing or
  ``VOSENGINE_NO_EXTENSIONS`` is set.

``CORE`` is the module picked and ``AdmitCore`` its class; ``EXTENSION_ERROR`` holds the
reason the compiled module is not in use (``None`` when it is).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._extensions import load

__all__ = ["CORE", "EXTENSION_ERROR", "IMPLEMENTATION", "AdmitCore"]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
CORE: ModuleType

if TYPE_CHECKING:
    from . import _admit_py as CORE
    from ._admit_py import AdmitCore

    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    CORE, EXTENSION_ERROR = load("vosengine.admission._admit")
    if CORE is None:
        from . import _admit_py as CORE

        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"
    AdmitCore = CORE.AdmitCore
