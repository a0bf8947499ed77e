"""The rating kernel behind :meth:`RateTable.amounts_many` and :meth:`RateTable.price`,
compiled when possible.

``vosengine.rating.kernel`` picks one of two implementations with the identical API
(``SLOW``, ``ROUNDING_CODES``, ``Params``, ``params_for``, ``fast_amounts`` for batches,
``Pricer`` for the single-call fast path of :meth:`RateTable.price`):

* ``vosengine.rating._kernel`` -- the Cython module built at install time
  (``IMPLEMENTATION == "cython"``);
* ``vosengine.rating._kernel_py`` -- the pure-Python twin (``IMPLEMENTATION == "python"``),
  used when the compiled module is missing or ``VOSENGINE_NO_EXTENSIONS`` is set.

``EXTENSION_ERROR`` holds the reason the compiled module is not in use (``None`` when it is).
``KERNEL`` is the module picked; a rate table prices through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .. import _extensions
from .._checks import check_items, check_type
from ..errors import InvalidArgumentType
from ._rate import Rate
from ._versions import Versions, indexed

__all__ = ["EXTENSION_ERROR", "IMPLEMENTATION", "KERNEL", "trie_value", "versions_of"]

IMPLEMENTATION: str
EXTENSION_ERROR: str | None
KERNEL: ModuleType

if TYPE_CHECKING:
    from . import _kernel_py as KERNEL

    IMPLEMENTATION = "python"
    EXTENSION_ERROR = None
else:
    KERNEL, EXTENSION_ERROR = _extensions.load("vosengine.rating._kernel")
    if KERNEL is None:
        from . import _kernel_py as KERNEL

        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"


def trie_value(versions: Sequence[Rate], *, kernel: ModuleType = KERNEL) -> Any:
    """A rate table's trie value for a prefix with ``versions``: ``kernel``'s ``Params`` for
    one undated rate the kernel can price, else what :func:`indexed` makes of them."""
    if type(versions) is not list or not versions or type(versions[0]) is not Rate:
        check_items(versions, "versions", lambda v, f: check_type(v, Rate, f))
        check_type(kernel, ModuleType, "kernel")
    if len(versions) == 1:
        params = kernel.params_for(versions[0])
        if params is not kernel.SLOW:
            return params
    return indexed(versions)


def versions_of(value: Any) -> tuple[Rate, ...]:
    """The versions of a prefix from its trie value (one in a tuple, :class:`Versions`, or
    ``Params``)."""
    if type(value) is tuple:
        return value
    if type(value) is Versions:
        return value.rates
    rate = getattr(value, "rate", None)
    if type(rate) is not Rate:
        raise InvalidArgumentType(f"value: expected a rate table's trie value, got {value!r}")
    return (rate,)
