"""The ledger's values: its errors, kinds of payments and events, balances, payment records,
postings and reservations. Shared by every :class:`~vosengine.ledger.Ledger`
implementation."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import attrs

from ..errors import InvalidArgument, NotFound, Refused
from ..money import CONTEXT

__all__ = [
    "Balance",
    "IdempotencyConflict",
    "InsufficientFunds",
    "LedgerEvent",
    "LedgerEventKind",
    "OverdraftAction",
    "PaymentKind",
    "PaymentRecord",
    "Posting",
    "Reservation",
    "UnknownLedgerAccount",
    "UnknownReservation",
]

# every sum and difference of amounts runs in the library's context, never the thread's
_add, _sub = CONTEXT.add, CONTEXT.subtract


class UnknownLedgerAccount(NotFound):
    """The ledger has no account with this id."""


def unknown_account(account_id: str) -> UnknownLedgerAccount:
    """The error every ledger raises for an account it does not have."""
    return UnknownLedgerAccount(
        f"ledger account {account_id!r} does not exist; open it first"
        f" (ledger.open_account({account_id!r}))"
    )


class UnknownReservation(NotFound):
    """No open reservation has this id (settled, released, or never made)."""


class InsufficientFunds(Refused):
    """The account cannot cover the amount (``available`` shows what it has)."""

    def __init__(self, message: str, *, account_id: str, available: Decimal) -> None:
        super().__init__(message)
        self.account_id = account_id
        self.available = available


def hold_refused(
    account_id: str, call_id: str, amount: Decimal, available: Decimal
) -> InsufficientFunds:
    """The error every ledger raises for a hold the account's overdraft rule refuses."""
    return InsufficientFunds(
        f"account {account_id!r} has {available} available, call {call_id!r} needs {amount}",
        account_id=account_id,
        available=available,
    )


class IdempotencyConflict(InvalidArgument):
    """An idempotency key was used before for a different request."""


class OverdraftAction(enum.Enum):
    """What happens when a call would need more than an account has available."""

    BLOCK = "block"
    WARN = "warn"
    SUSPEND = "suspend"


class PaymentKind(enum.Enum):
    RECHARGE = "recharge"
    DEDUCT = "deduct"
    ADJUST = "adjust"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    CREDIT_LIMIT = "credit_limit"
    CALL = "call"


class LedgerEventKind(enum.Enum):
    LOW_BALANCE = "low_balance"
    OVERDRAFT_WARNING = "overdraft_warning"
    SUSPEND_ACCOUNT = "suspend_account"
    CALL_BLOCKED = "call_blocked"
    HOLD_EXPIRED = "hold_expired"  # a shared ledger freed a hold its node never closed


@attrs.frozen(kw_only=True)
class Balance:
    account_id: str
    balance: Decimal
    credit_limit: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return _sub(_add(self.balance, self.credit_limit), self.reserved)


class PaymentRecord(NamedTuple):
    """One money movement. ``amount`` is signed (what the balance moved by); for
    ``CREDIT_LIMIT`` it is the new limit and the balance does not move.

    A named tuple rather than an attrs class: one is written per call on the hot path, and a
    tuple is built three times faster."""

    id: int
    kind: PaymentKind
    account_id: str
    amount: Decimal
    balance_after: Decimal
    actor: str
    memo: str
    at: datetime
    key: str | None


class Posting(NamedTuple):
    """One adjustment of a batch (:meth:`~InMemoryLedger.adjust_many`): the balance of
    ``account_id`` moves by ``amount`` (either sign, not zero) under idempotency ``key``."""

    account_id: str
    amount: Decimal
    key: str
    memo: str = ""


class Reservation(NamedTuple):
    """An amount held for a call in progress (a named tuple, like :class:`PaymentRecord`)."""

    id: int
    account_id: str
    amount: Decimal
    call_id: str
    at: datetime


@attrs.frozen(kw_only=True)
class LedgerEvent:
    kind: LedgerEventKind
    account_id: str
    available: Decimal
    at: datetime
    detail: str
