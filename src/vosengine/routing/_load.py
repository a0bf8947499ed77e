"""The load of the gateways (:class:`Load`), compiled when possible.

Two implementations with the identical API:

* ``vosengine.routing._slots`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.routing._slots_py`` -- the pure-Python twin, which documents the contract
  (``IMPLEMENTATION == "python"``), used when the compiled module is missing or
  ``VOSENGINE_NO_EXTENSIONS`` is set.

``Load`` is the class picked; ``LOADS`` every implementation available, which a route table
and admission accept alike. ``EXTENSION_ERROR`` holds the reason the compiled module is not
in use (``None`` when it is).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .. import _extensions
from . import _slots_py
from ._busy import GatewayBusy, UnknownCall

__all__ = [
    "EXTENSION_ERROR",
    "IMPLEMENTATION",
    "LOADS",
    "SLOTS",
    "GatewayBusy",
    "Load",
    "UnknownCall",
]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
SLOTS: ModuleType

if TYPE_CHECKING:
    from ._slots_py import Load

    SLOTS = _slots_py
    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    SLOTS, EXTENSION_ERROR = _extensions.load("vosengine.routing._slots")
    if SLOTS is None:
        SLOTS = _slots_py
        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"
    Load = SLOTS.Load

#: Every implementation of :class:`Load` in this process.
LOADS: tuple[type[Load], ...] = tuple(dict.fromkeys((SLOTS.Load, _slots_py.Load)))
