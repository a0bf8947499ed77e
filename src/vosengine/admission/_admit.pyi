# The compiled composition of admission (``_admit.pyx``): the same API as its pure-Python
# twin, ``vosengine.admission._admit_py``. CI checks this stub against the built module
# (mypy.stubtest).
from typing import Any

from typing_extensions import disjoint_base

from ._outcomes import Admitted, Rejected

__all__ = ["AdmitCore"]

@disjoint_base
class AdmitCore:
    directory: Any
    biller: Any
    ledger: Any
    routes: Any
    load: Any
    balances: Any
    limit: Any
    first_slice: Any
    def admit(
        self,
        account_id: str,
        callee: str,
        *,
        call_id: str,
        at: Any,
        now: float,
        caller: str = "",
    ) -> Admitted | Rejected: ...
