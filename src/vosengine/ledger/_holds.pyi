# The compiled base of the embedded ledger (``_holds.pyx``): the same API as its pure-Python
# twin, ``vosengine.ledger._holds_py``. CI checks this stub against the built module
# (mypy.stubtest).
import threading
from datetime import datetime
from decimal import Decimal

from typing_extensions import disjoint_base

from ._memory import _State
from ._values import LedgerEvent, Reservation

__all__ = ["Holds"]

@disjoint_base
class Holds:
    _lock: threading.Lock
    _accounts: dict[str, _State]
    _reservations: dict[int, Reservation]
    _events: list[LedgerEvent]
    def _init_holds(self) -> None: ...
    def available(self, account_id: str) -> Decimal: ...
    def reserve(
        self, account_id: str, amount: Decimal, call_id: str, *, now: datetime
    ) -> Reservation: ...
    def release(self, reservation_id: int, *, now: datetime) -> None: ...
