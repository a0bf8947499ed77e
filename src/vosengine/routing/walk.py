"""The walk behind :meth:`RouteTable.route`, compiled when possible.

``vosengine.routing.walk`` picks one of two implementations with the identical API
(``Router``):

* ``vosengine.routing._walk`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.routing._walk_py`` -- the pure-Python twin (``IMPLEMENTATION == "python"``),
  used when the compiled module is missing or ``VOSENGINE_NO_EXTENSIONS`` is set.

``EXTENSION_ERROR`` holds the reason the compiled module is not in use (``None`` when it is).
``WALK`` is the module picked; a route table routes through its ``Router``.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .. import _extensions

__all__ = ["EXTENSION_ERROR", "IMPLEMENTATION", "WALK"]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
WALK: ModuleType

if TYPE_CHECKING:
    from . import _walk_py as WALK

    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    WALK, EXTENSION_ERROR = _extensions.load("vosengine.routing._walk")
    if WALK is None:
        from . import _walk_py as WALK

        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"
