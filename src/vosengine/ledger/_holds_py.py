"""What admission asks the embedded ledger on every call -- what an account has available, a
hold for the call, the release of an unused hold -- as the base of
:class:`~vosengine.ledger.InMemoryLedger` (pure Python; ``_holds.pyx`` is its compiled twin,
``vosengine.ledger._hold`` picks one).

Both keep the same state, which the rest of the ledger reads and writes under ``_lock``:
``_accounts`` (account id -> its ``_State``), ``_reservations`` (id -> open
:class:`Reservation`) and ``_events``."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from .._time import check_aware
from ..money import CONTEXT
from ._calls import _find
from ._values import LedgerEvent, Reservation, UnknownReservation

if TYPE_CHECKING:
    from ._memory import _State

__all__ = ["Holds"]

_add, _sub = CONTEXT.add, CONTEXT.subtract
# a named tuple made from its fields in one step, without the Python-level ``__new__`` its
# class defines (which does only this)
_make = tuple.__new__


class Holds:
    """The available amount, the hold and its release of :class:`InMemoryLedger`, under its
    one lock."""

    _lock: threading.Lock
    _accounts: dict[str, _State]
    _reservations: dict[int, Reservation]
    _events: list[LedgerEvent]
    _reservation_ids: itertools.count[int]
    _at_least_zero: Callable[[object, str], Decimal]
    _state: Callable[[str], _State]
    _hold: Callable[[str, _State, Decimal, str, datetime], Decimal]
    _watch: Callable[[str, _State, Decimal, datetime], None]

    def _init_holds(self) -> None:
        """The state, empty (from the ledger's ``__init__``)."""
        self._lock = threading.Lock()
        self._accounts = {}
        self._reservations = {}
        self._events = []
        self._reservation_ids = itertools.count(1)

    def available(self, account_id: str) -> Decimal:
        """What a new call may still use: ``balance(account_id).available`` without the
        :class:`Balance` (the read admission makes on every call)."""
        try:  # one amount, replaced whole by every change: read without the lock
            return self._accounts[account_id].free
        except (KeyError, TypeError):
            return self._state(account_id).free

    def reserve(
        self, account_id: str, amount: Decimal, call_id: str, *, now: datetime
    ) -> Reservation:
        """Hold ``amount`` (>= 0) for a call. Beyond ``available`` the overdraft action
        decides: BLOCK and SUSPEND raise :class:`InsufficientFunds` (SUSPEND also emits
        ``SUSPEND_ACCOUNT``), WARN holds it and emits ``OVERDRAFT_WARNING``."""
        amount = self._at_least_zero(amount, "amount")
        if type(now) is not datetime or (
            type(now.tzinfo) is not timezone and now.utcoffset() is None
        ):
            check_aware(now, "now")
        with self._lock:
            state = self._state(account_id)
            before = self._hold(account_id, state, amount, call_id, now)
            reservation = _make(
                Reservation, (next(self._reservation_ids), account_id, amount, call_id, now)
            )
            state.free = _sub(before, amount)
            self._reservations[reservation.id] = reservation
            if state.low_balance is not None:
                self._watch(account_id, state, before, now)
            return reservation

    def release(self, reservation_id: int, *, now: datetime) -> None:
        """Free a hold unused (the call failed)."""
        if type(now) is not datetime or (
            type(now.tzinfo) is not timezone and now.utcoffset() is None
        ):
            check_aware(now, "now")
        with self._lock:
            reservation = _find(self._reservations, reservation_id, pop=True)
            if reservation is None:
                raise UnknownReservation(f"reservation {reservation_id!r} is not open")
            state = self._accounts[reservation.account_id]
            state.free = _add(state.free, reservation.amount)
