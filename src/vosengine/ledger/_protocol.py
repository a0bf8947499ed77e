"""What a ledger offers (:class:`Ledger`), and who may pay into an account
(:class:`PayerRules`): the authorization every implementation is given rather than writes.

A ledger asks its payer rules before each payment: ``authorize(actor, account_id, now=...)``
returns how the payment records name the actor, or raises
:class:`~vosengine.PermissionDenied`. :class:`OperatorsOnly` (the default) lets operators pay
anywhere and no agent pay at all; :class:`vosengine.accounts.AgentPayments` adds the agent
rules of an account directory. The ledger itself knows money only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from .._actors import Actor, Operator, actor_label
from ..errors import PermissionDenied
from ..verdicts import Decision
from ._values import (
    Balance,
    LedgerEvent,
    OverdraftAction,
    PaymentRecord,
    Posting,
    Reservation,
)

__all__ = ["Ledger", "OperatorsOnly", "PayerRules"]


@runtime_checkable
class PayerRules(Protocol):
    """Who may pay into an account: any object with these two methods."""

    def authorize(self, actor: Actor, account_id: str, *, now: datetime) -> str:
        """How records name ``actor`` paying into ``account_id`` (recharge, deduct, adjust,
        credit limit), or :class:`~vosengine.PermissionDenied`."""
        ...

    def authorize_transfer(self, actor: Actor, source: str, target: str, *, now: datetime) -> str:
        """The same for a transfer from ``source`` into ``target``."""
        ...


class OperatorsOnly:
    """The payer rules of a ledger given none: an :class:`~vosengine.accounts.Operator` may
    pay anywhere, an agent nowhere (give the ledger
    ``payers=vosengine.accounts.AgentPayments(directory)`` for the agent rules)."""

    def authorize(self, actor: Actor, account_id: str, *, now: datetime) -> str:
        label = actor_label(actor)
        if isinstance(actor, Operator):
            return label
        raise PermissionDenied(
            Decision(
                allowed=False,
                reason=f"agent {actor!r} cannot pay: this ledger has no account directory"
                " (give it payers=AgentPayments(directory))",
            )
        )

    def authorize_transfer(self, actor: Actor, source: str, target: str, *, now: datetime) -> str:
        return self.authorize(actor, target, now=now)


class Ledger(Protocol):
    """What a ledger offers; :class:`InMemoryLedger` is the embedded default."""

    def open_account(
        self,
        account_id: str,
        *,
        credit_limit: Decimal = ...,
        overdraft: OverdraftAction = ...,
        low_balance: Decimal | None = ...,
    ) -> Balance: ...

    def balance(self, account_id: str) -> Balance: ...

    def available(self, account_id: str) -> Decimal: ...

    def recharge(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = ...,
    ) -> PaymentRecord: ...

    def deduct(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = ...,
    ) -> PaymentRecord: ...

    def adjust(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = ...,
    ) -> PaymentRecord: ...

    def adjust_many(
        self, postings: Sequence[Posting], *, actor: Actor, now: datetime
    ) -> list[PaymentRecord]: ...

    def transfer(
        self,
        source: str,
        target: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = ...,
    ) -> tuple[PaymentRecord, PaymentRecord]: ...

    def set_credit_limit(
        self,
        account_id: str,
        limit: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = ...,
    ) -> PaymentRecord: ...

    def reserve(
        self, account_id: str, amount: Decimal, call_id: str, *, now: datetime
    ) -> Reservation: ...

    def grow(self, reservation_id: int, amount: Decimal, *, now: datetime) -> Reservation: ...

    def settle(self, reservation_id: int, charge: Decimal, *, now: datetime) -> PaymentRecord: ...

    def settle_call(
        self,
        reservation_id: int,
        charges: Sequence[tuple[str, Decimal]],
        *,
        key: str,
        now: datetime,
    ) -> tuple[PaymentRecord, ...]: ...

    def release(self, reservation_id: int, *, now: datetime) -> None: ...

    def drain_events(self) -> list[LedgerEvent]: ...
