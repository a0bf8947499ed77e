"""Calls in progress: holds against what an account has available, and the settlement of a
call, alone or along its agent chain. Part of :class:`~vosengine.ledger.InMemoryLedger`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._checks import check_type, iterate
from .._time import check_aware
from ..errors import InvalidArgument, InvalidArgumentType
from ..money import CONTEXT
from ._values import (
    IdempotencyConflict,
    LedgerEvent,
    LedgerEventKind,
    OverdraftAction,
    PaymentKind,
    PaymentRecord,
    Posting,
    Reservation,
    UnknownReservation,
    hold_refused,
)

if TYPE_CHECKING:
    from ._keys import _Keys
    from ._memory import _State

__all__: list[str] = []

_add, _sub = CONTEXT.add, CONTEXT.subtract


class _Calls:
    """Reservations and settlements, on the state of :class:`InMemoryLedger` and under its
    one lock."""

    _lock: threading.Lock
    _accounts: dict[str, _State]
    _reservations: dict[int, Reservation]
    _done: _Keys
    _events: list[LedgerEvent]
    _amount: Callable[..., Decimal]
    _at_least_zero: Callable[[object, str], Decimal]
    _state: Callable[[str], _State]
    _watch: Callable[[str, _State, Decimal, datetime], None]
    _record: Callable[..., PaymentRecord]
    _apply: Callable[..., PaymentRecord]

    def _hold(
        self, account_id: str, state: _State, amount: Decimal, call_id: str, now: datetime
    ) -> Decimal:
        """Check that ``state`` may hold ``amount`` more (the overdraft rule), emitting the
        event the rule asks for; returns what was available before. Under the lock."""
        before = state.free
        if amount > before:
            if state.overdraft is OverdraftAction.WARN:
                self._events.append(
                    LedgerEvent(
                        kind=LedgerEventKind.OVERDRAFT_WARNING,
                        account_id=account_id,
                        available=before,
                        at=now,
                        detail=f"call {call_id!r} holds {amount} with {before} available",
                    )
                )
            else:
                suspend = state.overdraft is OverdraftAction.SUSPEND
                self._events.append(
                    LedgerEvent(
                        kind=LedgerEventKind.SUSPEND_ACCOUNT
                        if suspend
                        else LedgerEventKind.CALL_BLOCKED,
                        account_id=account_id,
                        available=before,
                        at=now,
                        detail=f"call {call_id!r} needs {amount} with {before} available",
                    )
                )
                raise hold_refused(account_id, call_id, amount, before)
        return before

    def grow(self, reservation_id: int, amount: Decimal, *, now: datetime) -> Reservation:
        """Hold ``amount`` (> 0) more for the call of an open reservation, by the same
        overdraft rule as :meth:`reserve` (a refusal leaves the hold as it was). Returns the
        reservation as it is now: the same id, the larger amount."""
        amount = self._amount(amount, "amount")
        check_aware(now, "now")
        with self._lock:
            reservation = _find(self._reservations, reservation_id)
            if reservation is None:
                raise UnknownReservation(f"reservation {reservation_id!r} is not open")
            account_id = reservation.account_id
            state = self._accounts[account_id]
            before = self._hold(account_id, state, amount, reservation.call_id, now)
            grown = reservation._replace(amount=_add(reservation.amount, amount))
            state.free = _sub(before, amount)
            self._reservations[reservation_id] = grown
            if state.low_balance is not None:
                self._watch(account_id, state, before, now)
            return grown

    def _close(self, reservation: Reservation, charge: Decimal, now: datetime) -> _State:
        """Free ``reservation``'s hold and take ``charge`` from its account's balance (the
        caller writes the record). Under the lock."""
        state = self._accounts[reservation.account_id]
        free, balance = (
            _add(state.free, _sub(reservation.amount, charge)),
            _sub(state.balance, charge),
        )
        state.free, state.balance = free, balance
        if state.low_balance is not None:
            # the hold already took the call's amount out of what was available
            before = _add(free, charge)
            self._watch(reservation.account_id, state, before, now)
        return state

    def _call_record(
        self,
        reservation: Reservation,
        charge: Decimal,
        state: _State,
        now: datetime,
        key: str | None,
    ) -> PaymentRecord:
        """The ``CALL`` record of ``charge`` taken for the reservation's call from its
        account. Under the lock."""
        return self._record(
            PaymentKind.CALL,
            reservation.account_id,
            charge.copy_negate(),
            state,
            "system",
            reservation.call_id,
            now,
            key,
        )

    def settle(self, reservation_id: int, charge: Decimal, *, now: datetime) -> PaymentRecord:
        """Charge a call's cost (>= 0, may exceed what was held) and free its hold."""
        charge = self._at_least_zero(charge, "charge")
        check_aware(now, "now")
        with self._lock:
            reservation = _find(self._reservations, reservation_id, pop=True)
            if reservation is None:
                raise UnknownReservation(f"reservation {reservation_id!r} is not open")
            state = self._close(reservation, charge, now)
            return self._call_record(reservation, charge, state, now, None)

    def settle_call(
        self,
        reservation_id: int,
        charges: Sequence[tuple[str, Decimal]],
        *,
        key: str,
        now: datetime,
    ) -> tuple[PaymentRecord, ...]:
        """Settle a call along its agent chain, all levels or none: ``charges`` are
        ``(account id, amount >= 0)`` pairs, the first the reservation's own account (its
        hold is freed and the amount charged, as :meth:`settle` does), each later one an
        agent above it, charged its own price of the call. An amount may exceed what was
        held or what an agent has available: the call has taken place.

        Everything is checked first (amounts, accounts, the reservation); then every level
        is charged under one hold of the lock. Each non-zero charge writes one ``CALL``
        record (memo: the call id; key: ``key``); a call charged nothing at every level (it
        never connected) only frees the hold. Idempotent: a retry with the same ``key`` and
        the same charges returns the first records and changes nothing, though the
        reservation is closed by then; the same key with other charges is an
        :class:`IdempotencyConflict`."""
        _check_key(key, "key")
        check_aware(now, "now")
        checked = _checked_charges(charges, self._at_least_zero)
        request = ("call", reservation_id, tuple(checked))
        with self._lock:
            done = self._done.get(key)
            if done is not None:
                _same_request(key, done[0], request)
                records: tuple[PaymentRecord, ...] = done[1]
                return records
            reservation = _find(self._reservations, reservation_id)
            if reservation is None:
                raise UnknownReservation(f"reservation {reservation_id!r} is not open")
            if checked[0][0] != reservation.account_id:
                raise InvalidArgument(
                    f"charges[0]: {checked[0][0]!r} is not the account of reservation"
                    f" {reservation_id} ({reservation.account_id!r})"
                )
            agents = [(self._state(account_id), account_id, a) for account_id, a in checked[1:]]
            # ... everything checked: apply it all
            del self._reservations[reservation_id]
            out = []
            charge = checked[0][1]
            state = self._close(reservation, charge, now)
            if charge:
                out.append(self._call_record(reservation, charge, state, now, key))
            for state, account_id, amount in agents:
                if amount:  # an agent's price of the call: move, watch, record, as any payment
                    out.append(
                        self._apply(
                            PaymentKind.CALL,
                            account_id,
                            state,
                            amount.copy_negate(),
                            "system",
                            reservation.call_id,
                            now,
                            key,
                        )
                    )
            records = tuple(out)
            self._done.remember(key, request, records, now)
            return records


def _checked_charges(
    charges: Sequence[tuple[str, Decimal]], at_least_zero: Callable[[object, str], Decimal]
) -> list[tuple[str, Decimal]]:
    """A chain settlement's ``(account id, amount >= 0)`` pairs, each amount on the ledger's
    grid (``at_least_zero``), no account twice; an error naming the pair otherwise."""
    if isinstance(charges, str | bytes) or not isinstance(charges, Sequence) or not charges:
        raise InvalidArgumentType(
            f"charges: expected a non-empty sequence of (account id, amount), got {charges!r}"
        )
    checked: list[tuple[str, Decimal]] = []
    for index, pair in enumerate(charges):
        if not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[0], str):
            raise InvalidArgumentType(
                f"charges[{index}]: expected (account id, amount), got {pair!r}"
            )
        amount = at_least_zero(pair[1], f"charges[{index}].amount")
        checked.append((pair[0], amount))
    if len({account_id for account_id, _ in checked}) != len(checked):
        raise InvalidArgument(f"charges: an account is charged twice in {charges!r}")
    return checked


def _checked_postings(
    postings: Sequence[Posting], adjustment_of: Callable[[object, str], Decimal]
) -> list[tuple[str, Decimal, str, str]]:
    """A batch's postings, each amount an adjustment on the ledger's grid
    (``adjustment_of``), each key and memo checked; an error naming the posting otherwise."""
    checked: list[tuple[str, Decimal, str, str]] = []
    for index, posting in enumerate(iterate(postings, "postings")):
        if not isinstance(posting, tuple) or len(posting) != 4:
            raise InvalidArgumentType(f"postings[{index}]: expected a Posting, got {posting!r}")
        account_id, value, key, memo = posting
        amount = adjustment_of(value, f"postings[{index}].amount")
        _check_key(key, f"postings[{index}].key")
        if not isinstance(memo, str):
            raise InvalidArgumentType(f"postings[{index}].memo: expected a str, got {memo!r}")
        checked.append((account_id, amount, key, memo))
    return checked


def _check_key(key: object, field: str) -> None:
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"{field}: expected a non-empty idempotency key, got {key!r}")


def _same_request(key: str, first: tuple[Any, ...], request: tuple[Any, ...]) -> None:
    if first != request:
        raise IdempotencyConflict(
            f"key: {key!r} was used for {first[0]} on {first[1]!r} with other arguments"
        )


def _find(
    table: dict[int, Reservation], reservation_id: int, *, pop: bool = False
) -> Reservation | None:
    """The open reservation ``reservation_id`` (taken out of ``table`` when ``pop``), or
    ``None``; an id that is no int is an :class:`InvalidArgumentType` naming it."""
    try:
        found = table.pop(reservation_id, None) if pop else table.get(reservation_id)
    except TypeError:
        found = None
    if found is None:
        check_type(reservation_id, int, "reservation_id")
    return found
