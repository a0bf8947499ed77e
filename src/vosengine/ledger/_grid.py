"""The grid of amounts a ledger accepts: at most ``decimals`` decimals, never rounded.
Shared by every :class:`~vosengine.ledger.Ledger` implementation."""

from __future__ import annotations

from decimal import Decimal, DecimalException, Inexact

from ..errors import InvalidArgument, InvalidArgumentType
from ..money import CONTEXT, MAX_INTEGER_DIGITS, ZERO, to_decimal
from ._values import OverdraftAction

__all__: list[str] = []

_quantize = CONTEXT.quantize


class _Grid:
    """``_amount`` and ``_adjustment`` on a ledger's grid of ``decimals``."""

    decimals: int
    _quantum: Decimal

    def _set_grid(self, decimals: int) -> None:
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
            raise InvalidArgument(f"decimals: {decimals!r} is outside 0..6")
        self.decimals = decimals
        self._quantum = Decimal(1).scaleb(-decimals, CONTEXT)

    def _amount(self, value: object, field: str, *, positive: bool = True) -> Decimal:
        """``value`` checked (see :func:`~vosengine.money.to_decimal`) and put on the
        ledger's grid of decimals, never rounded."""
        if type(value) is Decimal and value.is_finite():  # the common case, in two steps
            try:
                exact = _quantize(value, self._quantum)
            except DecimalException:  # not finite, or off the grid: said below
                pass
            else:
                if exact.adjusted() < MAX_INTEGER_DIGITS and (not positive or exact > ZERO):
                    return exact
        amount = to_decimal(value, field)
        try:
            exact = CONTEXT.quantize(amount, self._quantum)
        except Inexact:
            raise InvalidArgument(
                f"{field}: {amount} has more than {self.decimals} decimals"
            ) from None
        if positive and exact <= ZERO:
            raise InvalidArgument(f"{field}: {amount} is not positive")
        return exact

    def _adjustment(self, value: object, field: str) -> Decimal:
        """An adjustment's amount: on the grid, either sign, not zero."""
        amount = self._amount(value, field, positive=False)
        if amount == 0:
            raise InvalidArgument(f"{field}: an adjustment of 0 moves nothing")
        return amount

    def _at_least_zero(self, value: object, field: str) -> Decimal:
        """An amount on the grid that may be zero, not negative (a hold, a charge, a
        limit)."""
        amount = self._amount(value, field, positive=False)
        if amount < ZERO:
            raise InvalidArgument(f"{field}: {amount} is negative")
        return amount

    def _account_terms(
        self, account_id: object, credit_limit: object, overdraft: object, low_balance: object
    ) -> tuple[Decimal, Decimal | None]:
        """A new account's credit limit and low-balance threshold, every argument checked."""
        if not isinstance(account_id, str) or not account_id:
            raise InvalidArgument(f"account_id: expected a non-empty str, got {account_id!r}")
        limit = self._at_least_zero(credit_limit, "credit_limit")
        if not isinstance(overdraft, OverdraftAction):
            raise InvalidArgumentType(f"overdraft: expected an OverdraftAction, got {overdraft!r}")
        if low_balance is None:
            return limit, None
        return limit, self._amount(low_balance, "low_balance", positive=False)
