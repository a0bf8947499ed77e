"""Balances, credit limits, overdraft rules and reservations for calls in progress.

Per account the ledger keeps a ``balance``, a ``credit_limit`` (how far below zero the
balance may go) and the sum of open ``reserved`` amounts; what a new call may still use is
``available = balance + credit_limit - reserved``.

Operations, as VOS3000 offers them: :meth:`~InMemoryLedger.recharge`,
:meth:`~InMemoryLedger.deduct`, :meth:`~InMemoryLedger.adjust` (±),
:meth:`~InMemoryLedger.transfer` and :meth:`~InMemoryLedger.set_credit_limit`. Each writes a
:class:`PaymentRecord` and takes an **idempotency key**: repeating a call with the same key and
the same arguments (a retried request) returns the first result and changes nothing; the same
key with other arguments is an :class:`IdempotencyConflict`. A key is remembered for a
retention after the ``now`` of its operation (``InMemoryLedger(key_retention=...)``, 24 hours
by default); a retry after that is a new operation. Records stay until the host takes them
(:meth:`~InMemoryLedger.drain_records`), so memory does not grow with the operations.

Calls in progress: :meth:`~InMemoryLedger.reserve` holds an amount against ``available``,
:meth:`~InMemoryLedger.settle` charges the call's real cost and frees the hold,
:meth:`~InMemoryLedger.release` frees it unused; :meth:`~InMemoryLedger.grow` holds more for a
call that outlasts its first hold, and :meth:`~InMemoryLedger.settle_call` settles a call along
its agent chain (every level charged its own price, all levels or none, idempotent by key).

A reservation beyond ``available`` follows the
account's :class:`OverdraftAction`: ``BLOCK`` refuses it, ``WARN`` allows it and emits an
event, ``SUSPEND`` refuses it and emits an event that asks the host to suspend the account.
Crossing the low-balance threshold emits an event too. Events queue up until
:meth:`~InMemoryLedger.drain_events`.

Who may pay whom is not the ledger's rule: it is given :class:`PayerRules`.
:class:`OperatorsOnly` (the default) lets an :class:`~vosengine.accounts.Operator` pay
anywhere; :class:`vosengine.accounts.AgentPayments` adds the agent rules (an agent pays into
its own account only with *payment for this account*, into its sub-accounts only with
*payment for sub accounts*, and transfers only from its own account). Any :class:`Ledger`
implementation takes the same rules.

Several switch nodes share one :class:`RedisLedger` (``pip install 'vosengine[redis]'``): the
same operations, each run whole on the Redis server, with idempotency keys and the holds of
calls in progress that expire there (a node that dies never keeps money held).

The package depends on money only: no account directory, no policy.
"""

from __future__ import annotations

from ._memory import InMemoryLedger
from ._protocol import Ledger, OperatorsOnly, PayerRules
from ._redis import RedisLedger
from ._values import (
    Balance,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerEvent,
    LedgerEventKind,
    OverdraftAction,
    PaymentKind,
    PaymentRecord,
    Posting,
    Reservation,
    UnknownLedgerAccount,
    UnknownReservation,
)

__all__ = [
    "Balance",
    "IdempotencyConflict",
    "InMemoryLedger",
    "InsufficientFunds",
    "Ledger",
    "LedgerEvent",
    "LedgerEventKind",
    "OperatorsOnly",
    "OverdraftAction",
    "PayerRules",
    "PaymentKind",
    "PaymentRecord",
    "Posting",
    "RedisLedger",
    "Reservation",
    "UnknownLedgerAccount",
    "UnknownReservation",
]
