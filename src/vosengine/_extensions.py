"""Whether the compiled modules may be used: the one place that reads the environment.

Every picker (``vosengine.prefix``, ``vosengine.rating.kernel``, the SIP fast paths) asks
this module instead of reading ``VOSENGINE_NO_EXTENSIONS`` itself, so the switch means the
same thing everywhere: set to a non-empty value other than ``0``, it forces every pure-Python
twin. It is read once, at import.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["DISABLED", "DISABLED_REASON", "load"]

#: True when ``VOSENGINE_NO_EXTENSIONS`` asks for the pure-Python twins.
DISABLED: bool = os.environ.get("VOSENGINE_NO_EXTENSIONS", "") not in ("", "0")

DISABLED_REASON = "disabled by VOSENGINE_NO_EXTENSIONS"


def load(name: str) -> tuple[ModuleType | None, str | None]:
    """The compiled module ``name`` and ``None``, or ``None`` and why it is not in use."""
    if DISABLED:
        return None, DISABLED_REASON
    try:
        return importlib.import_module(name), None
    except ImportError as error:
        return None, f"{name} could not be imported: {error}"
