"""The one seam between the SIP code and its compiled fast paths.

``IMPL`` is one of two modules with the identical API (``split_head``, ``parse_datagram``,
``request_line``, ``status_line``, ``via``, ``name_addr``, ``cseq``, ``uint``,
``auth_params`` and the storage classes ``MessageBase``, ``RequestBase``, ``ResponseBase``):

* ``vosengine.sip._sipfast`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.sip._sipfast_py`` -- the pure-Python twin (``IMPLEMENTATION == "python"``), used
  when the compiled module is missing or ``VOSENGINE_NO_EXTENSIONS`` is set.

Every fast path answers a value in its common shape or ``None``, and ``None`` hands the value
to the Python parsers (``_headers``, ``_parse``), which decide it and raise its errors. The
SIP code reaches a fast path only as ``_fast.IMPL.<name>`` at call time and never names the
compiled module, so the tests switch every fast path at once by setting ``IMPL``.

``EXTENSION_ERROR`` holds the reason the compiled module is not in use (``None`` when it is).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .. import _extensions
from . import _sipfast_py

__all__ = ["EXTENSION_ERROR", "IMPL", "IMPLEMENTATION", "IMPLEMENTATIONS"]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
#: every implementation this process can run (the twin always, the compiled one when built)
IMPLEMENTATIONS: tuple[ModuleType, ...]

if TYPE_CHECKING:
    IMPL = _sipfast_py
    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
    IMPLEMENTATIONS = (_sipfast_py,)
else:
    _compiled, EXTENSION_ERROR = _extensions.load("vosengine.sip._sipfast")
    if _compiled is None:
        IMPL = _sipfast_py
        IMPLEMENTATION = "python"
        IMPLEMENTATIONS = (_sipfast_py,)
    else:
        IMPL = _compiled
        IMPLEMENTATION = "cython"
        IMPLEMENTATIONS = (_compiled, _sipfast_py)
