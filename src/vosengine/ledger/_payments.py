"""Recharge, deduct and adjust: one payment each, through the ledger's own ``_move``. Shared
by every :class:`~vosengine.ledger.Ledger` implementation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from .._actors import Actor
from ._values import PaymentKind, PaymentRecord

__all__: list[str] = []


class _Mover(Protocol):
    def __call__(
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
    ) -> PaymentRecord: ...


class _Payments:
    """The three single-account payments (a base of each ledger)."""

    _move: _Mover
    _amount: Callable[..., Decimal]  # the ledger's grid (_Grid)
    _adjustment: Callable[[object, str], Decimal]

    def recharge(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> PaymentRecord:
        """Add ``amount`` (> 0) to the balance."""
        amount = self._amount(amount, "amount")
        return self._move(
            PaymentKind.RECHARGE,
            account_id,
            amount,
            key=key,
            actor=actor,
            now=now,
            memo=memo,
            require_funds=False,
        )

    def deduct(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> PaymentRecord:
        """Take ``amount`` (> 0) from the balance; refused beyond what is available."""
        amount = self._amount(amount, "amount")
        return self._move(
            PaymentKind.DEDUCT,
            account_id,
            amount.copy_negate(),
            key=key,
            actor=actor,
            now=now,
            memo=memo,
            require_funds=True,
        )

    def adjust(
        self,
        account_id: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> PaymentRecord:
        """Move the balance by ``amount`` (either sign, not zero): a correction, never
        refused for lack of funds."""
        amount = self._adjustment(amount, "amount")
        return self._move(
            PaymentKind.ADJUST,
            account_id,
            amount,
            key=key,
            actor=actor,
            now=now,
            memo=memo,
            require_funds=False,
        )
