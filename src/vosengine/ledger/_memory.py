"""The embedded ledger: every account, record and reservation in this process, under one lock."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from .._actors import Actor
from .._checks import check_str
from .._time import check_aware
from ..errors import InvalidArgument, InvalidArgumentType
from ..money import CONTEXT, ZERO, total
from ._calls import _Calls, _check_key, _checked_postings, _same_request
from ._grid import _Grid
from ._hold import Holds
from ._keys import DEFAULT_KEY_RETENTION, _Keys
from ._payments import _Payments
from ._protocol import OperatorsOnly, PayerRules
from ._values import (
    Balance,
    InsufficientFunds,
    LedgerEvent,
    LedgerEventKind,
    OverdraftAction,
    PaymentKind,
    PaymentRecord,
    Posting,
    Reservation,
    unknown_account,
)

__all__ = ["InMemoryLedger"]

T = TypeVar("T")

# every sum and difference of amounts runs in the library's context, never the thread's
_add, _sub, _quantize = CONTEXT.add, CONTEXT.subtract, CONTEXT.quantize


class _State:
    """One account: its balance, its credit limit and ``free``, what it has available (the
    balance and the credit limit less what its open reservations hold). What is available is
    kept, and what is reserved derived from it: admission reads what is available on every
    call, and a hold or its release moves that one amount."""

    __slots__ = ("balance", "credit_limit", "drained", "free", "low_balance", "overdraft")

    def __init__(
        self, credit_limit: Decimal, overdraft: OverdraftAction, low_balance: Decimal | None
    ) -> None:
        self.balance = ZERO
        self.credit_limit = credit_limit
        self.free = credit_limit
        self.overdraft = overdraft
        self.low_balance = low_balance
        self.drained = ZERO  # what the records drained so far moved (see drain_records)

    @property
    def reserved(self) -> Decimal:
        """What the account's open reservations hold."""
        return _sub(_add(self.balance, self.credit_limit), self.free)

    def move(self, delta: Decimal) -> None:
        """Move the balance (and so what is available) by ``delta``."""
        balance, free = _add(self.balance, delta), _add(self.free, delta)
        self.balance, self.free = balance, free


class InMemoryLedger(Holds, _Payments, _Calls, _Grid):
    """The embedded ledger: everything in this process, guarded by one lock.

    Thread-safe: every operation holds the ledger's lock for its check-then-apply, so
    concurrent reservations can never take an account past its credit limit. ``decimals``
    bounds the amounts it accepts (an amount with more decimals is an error, never silently
    rounded). ``payers`` decides who may pay into an account (:class:`OperatorsOnly` when
    not given).

    Memory: payment records stay until the host takes them (:meth:`drain_records`), and an
    idempotency key is remembered for ``key_retention`` (24 hours by default) after the
    ``now`` of the operation that used it, then forgotten as later operations come in (a
    retry after that is a new operation). With records drained, the ledger's memory is
    flat in the number of operations: its accounts, open reservations and the keys of the
    last ``key_retention``. ``directory`` is the old spelling of
    ``payers=vosengine.accounts.AgentPayments(directory)``, kept until the next minor release.
    """

    def __init__(
        self,
        *,
        decimals: int = 4,
        payers: PayerRules | None = None,
        directory: Any = None,
        key_retention: timedelta = DEFAULT_KEY_RETENTION,
    ) -> None:
        self._set_grid(decimals)
        if directory is not None:
            if payers is not None:
                raise InvalidArgument("directory: give payers= or directory=, not both")
            from ..accounts import AgentPayments  # the old spelling's rules

            warnings.warn(
                "InMemoryLedger(directory=d) is deprecated: give"
                " payers=vosengine.accounts.AgentPayments(d)",
                DeprecationWarning,
                stacklevel=2,
            )
            payers = AgentPayments(directory)
        if payers is None:
            payers = OperatorsOnly()
        elif not isinstance(payers, PayerRules):
            raise InvalidArgumentType(
                f"payers: expected payer rules (authorize, authorize_transfer), got {payers!r}"
            )
        self.payers = payers
        self._init_holds()  # the lock, the accounts, the reservations, the events
        self._records: list[PaymentRecord] = []
        # account id -> its records in self._records, oldest first
        self._by_account: dict[str, list[PaymentRecord]] = {}
        self._done = _Keys(key_retention)
        self._ids = itertools.count(1)

    # -- helpers ---------------------------------------------------------------------------

    def _state(self, account_id: str) -> _State:
        try:
            return self._accounts[account_id]
        except (KeyError, TypeError):
            check_str(account_id, "account_id")
            raise unknown_account(account_id) from None

    def _idempotent(
        self, key: str, request: tuple[Any, ...], now: datetime, run: Callable[[], T]
    ) -> T:
        _check_key(key, "key")
        done = self._done.get(key)
        if done is not None:
            _same_request(key, done[0], request)
            result: T = done[1]
            return result
        result = run()
        self._done.remember(key, request, result, now)
        return result

    def _apply(
        self,
        kind: PaymentKind,
        account_id: str,
        state: _State,
        delta: Decimal,
        label: str,
        memo: str,
        now: datetime,
        key: str,
    ) -> PaymentRecord:
        """Move the balance by ``delta``, watch the threshold, write the record."""
        before = state.free
        state.move(delta)
        self._watch(account_id, state, before, now)
        return self._record(kind, account_id, delta, state, label, memo, now, key)

    def _record(
        self,
        kind: PaymentKind,
        account_id: str,
        amount: Decimal,
        state: _State,
        actor: str,
        memo: str,
        now: datetime,
        key: str | None,
    ) -> PaymentRecord:
        record = PaymentRecord(
            next(self._ids), kind, account_id, amount, state.balance, actor, memo, now, key
        )
        self._records.append(record)
        mine = self._by_account.get(account_id)
        if mine is None:
            self._by_account[account_id] = [record]
        else:
            mine.append(record)
        return record

    def _watch(self, account_id: str, state: _State, before: Decimal, now: datetime) -> None:
        threshold = state.low_balance
        if threshold is not None:
            after = state.free
            if after < threshold <= before:
                self._events.append(
                    LedgerEvent(
                        kind=LedgerEventKind.LOW_BALANCE,
                        account_id=account_id,
                        available=after,
                        at=now,
                        detail=f"available {after} fell below {threshold}",
                    )
                )

    # -- accounts --------------------------------------------------------------------------

    def open_account(
        self,
        account_id: str,
        *,
        credit_limit: Decimal = ZERO,
        overdraft: OverdraftAction = OverdraftAction.BLOCK,
        low_balance: Decimal | None = None,
    ) -> Balance:
        """Open an account with a zero balance."""
        limit, threshold = self._account_terms(account_id, credit_limit, overdraft, low_balance)
        with self._lock:
            if account_id in self._accounts:
                raise InvalidArgument(f"account_id: ledger account {account_id!r} exists")
            self._accounts[account_id] = _State(limit, overdraft, threshold)
            return self._balance(account_id)

    def _balance(self, account_id: str) -> Balance:
        state = self._state(account_id)
        return Balance(
            account_id=account_id,
            balance=state.balance,
            credit_limit=state.credit_limit,
            reserved=state.reserved,
        )

    def balance(self, account_id: str) -> Balance:
        """The account's balance, credit limit, reserved and available amounts."""
        with self._lock:
            return self._balance(account_id)

    def records(self, *, account_id: str | None = None) -> list[PaymentRecord]:
        """Payment records not drained yet (:meth:`drain_records`), oldest first: of one
        account (O(its records)), or all."""
        with self._lock:
            if account_id is None:
                return list(self._records)
            return list(self._by_account.get(check_str(account_id, "account_id"), ()))

    def drain_records(self) -> list[PaymentRecord]:
        """Every payment record since the last call, oldest first, handed over to the host
        (to store, export or discard) and no longer kept: :meth:`records` starts empty
        again, while balances, reservations and idempotency keys are untouched."""
        with self._lock:
            records, self._records = self._records, []
            self._by_account = {}
            for record in records:
                if record.kind is not PaymentKind.CREDIT_LIMIT:
                    state = self._accounts[record.account_id]
                    state.drained = _add(state.drained, record.amount)
            return records

    def open_reservations(self, *, account_id: str | None = None) -> list[Reservation]:
        with self._lock:
            return [
                r
                for r in self._reservations.values()
                if account_id is None or r.account_id == account_id
            ]

    def drain_events(self) -> list[LedgerEvent]:
        """The events since the last call, oldest first."""
        with self._lock:
            events, self._events = self._events, []
            return events

    # -- payments --------------------------------------------------------------------------

    def _move(
        self,
        kind: PaymentKind,
        account_id: str,
        delta: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str,
        require_funds: bool,
    ) -> PaymentRecord:
        check_aware(now, "now")
        with self._lock:
            state = self._state(account_id)

            def run() -> PaymentRecord:
                label = self.payers.authorize(actor, account_id, now=now)
                if require_funds and delta < 0 and _add(state.free, delta) < 0:
                    raise InsufficientFunds(
                        f"account {account_id!r} has {state.free} available,"
                        f" {delta.copy_negate()} needed",
                        account_id=account_id,
                        available=state.free,
                    )
                return self._apply(kind, account_id, state, delta, label, memo, now, key)

            request = _request(kind, account_id, delta, actor, memo)
            return self._idempotent(key, request, now, run)

    def adjust_many(
        self, postings: Sequence[Posting], *, actor: Actor, now: datetime
    ) -> list[PaymentRecord]:
        """:meth:`adjust` for each of ``postings``, all of them or none: every posting is
        checked first (its amount, account, the actor's right to pay into it, its key), then
        all are applied under one hold of the lock. A posting whose key was used before with
        the same request returns that first record and moves nothing (so a retried batch is
        a no-op); a key used for another request refuses the whole batch with
        :class:`IdempotencyConflict`. Records come back in the order of ``postings``."""
        check_aware(now, "now")
        checked = _checked_postings(postings, self._adjustment)
        kind = PaymentKind.ADJUST
        with self._lock:
            # check everything ...
            plan: list[tuple[tuple[Any, ...], str, Decimal, str, str, str]] = []
            seen: dict[str, tuple[Any, ...]] = {}
            for account_id, amount, key, memo in checked:
                self._state(account_id)
                label = self.payers.authorize(actor, account_id, now=now)
                request = _request(kind, account_id, amount, actor, memo)
                done = self._done.get(key)
                first = done[0] if done is not None else seen.get(key)
                if first is not None:
                    _same_request(key, first, request)
                seen[key] = request
                plan.append((request, account_id, amount, key, memo, label))
            # ... then apply it all
            out: list[PaymentRecord] = []
            for request, account_id, amount, key, memo, label in plan:
                done = self._done.get(key)
                if done is not None:
                    out.append(done[1])
                    continue
                state = self._accounts[account_id]
                record = self._apply(kind, account_id, state, amount, label, memo, now, key)
                self._done.remember(key, request, record, now)
                out.append(record)
            return out

    def transfer(
        self,
        source: str,
        target: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> tuple[PaymentRecord, PaymentRecord]:
        """Move ``amount`` from ``source`` to ``target`` (both records, or neither). The
        actor must be allowed to pay into ``target``; ``source`` must have it available."""
        amount = self._amount(amount, "amount")
        check_aware(now, "now")
        if source == target:
            raise InvalidArgument("target: cannot transfer to the same account")
        with self._lock:
            src, dst = self._state(source), self._state(target)

            def run() -> tuple[PaymentRecord, PaymentRecord]:
                label = self.payers.authorize_transfer(actor, source, target, now=now)
                before = src.free
                if before < amount:
                    raise InsufficientFunds(
                        f"account {source!r} has {before} available, {amount} needed",
                        account_id=source,
                        available=before,
                    )
                # every new amount first: nothing is applied unless all are computed
                src_after, dst_after = _sub(src.balance, amount), _add(dst.balance, amount)
                src_free, dst_free = _sub(before, amount), _add(dst.free, amount)
                src.balance, src.free, dst.balance, dst.free = (
                    src_after,
                    src_free,
                    dst_after,
                    dst_free,
                )
                self._watch(source, src, before, now)
                return (
                    self._record(
                        PaymentKind.TRANSFER_OUT,
                        source,
                        amount.copy_negate(),
                        src,
                        label,
                        memo,
                        now,
                        key,
                    ),
                    self._record(
                        PaymentKind.TRANSFER_IN, target, amount, dst, label, memo, now, key
                    ),
                )

            request = ("transfer", source, target, amount, str(actor), memo)
            return self._idempotent(key, request, now, run)

    def set_credit_limit(
        self,
        account_id: str,
        limit: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> PaymentRecord:
        """Set how far below zero the balance may go (>= 0)."""
        limit = self._at_least_zero(limit, "limit")
        check_aware(now, "now")
        with self._lock:
            state = self._state(account_id)

            def run() -> PaymentRecord:
                label = self.payers.authorize(actor, account_id, now=now)
                before = state.free
                free = _add(before, _sub(limit, state.credit_limit))
                state.credit_limit, state.free = limit, free
                self._watch(account_id, state, before, now)
                return self._record(
                    PaymentKind.CREDIT_LIMIT, account_id, limit, state, label, memo, now, key
                )

            request = ("credit_limit", account_id, limit, str(actor), memo)
            return self._idempotent(key, request, now, run)

    def _check(self) -> None:
        """Assert the ledger's invariants: money is conserved and holds add up."""
        with self._lock:
            for account_id, state in self._accounts.items():
                kept = total(
                    r.amount
                    for r in self._by_account.get(account_id, ())
                    if r.kind is not PaymentKind.CREDIT_LIMIT
                )
                moved = _add(state.drained, kept)
                assert moved == state.balance, (account_id, moved, state.balance)
                held = total(
                    r.amount for r in self._reservations.values() if r.account_id == account_id
                )
                assert held == state.reserved, (account_id, held, state.reserved)


def _request(
    kind: PaymentKind, account_id: str, amount: Decimal, actor: Actor, memo: str
) -> tuple[Any, ...]:
    """What an idempotency key stands for: a repeat with an equal request is a replay."""
    return (kind.value, account_id, amount, str(actor), memo)
