"""The refusals of admission, each written once: the stages and both implementations of
``admit`` (``_admit_py``, ``_admit.pyx``) answer with these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..accounts import AccountStatus, StatusVerdict
from ..rating import RateTable
from ..reasons import TerminationReason
from ..routing import Routes
from ._outcomes import Rejected

__all__ = [
    "RACES",
    "inactive",
    "no_rate",
    "no_router",
    "raced",
    "rejected",
    "unaffordable",
]

_R = TerminationReason
#: How often a hold is tried again when another call took the money between reading the
#: balance and holding it.
RACES = 3

_OWN = {
    AccountStatus.LOCKED: _R.ACCOUNT_LOCKED,
    AccountStatus.INACTIVE: _R.ACCOUNT_INACTIVE,
    AccountStatus.EXPIRED: _R.ACCOUNT_EXPIRED,
}
_AGENT = {
    AccountStatus.LOCKED: _R.AGENT_LOCKED,
    AccountStatus.INACTIVE: _R.ACCOUNT_INACTIVE,
    AccountStatus.EXPIRED: _R.ACCOUNT_EXPIRED,
}


def rejected(reason: TerminationReason, detail: str, stage: str) -> Rejected:
    return Rejected(reason=reason, sip_status=reason.status, detail=detail, stage=stage)


def raced(account_id: str) -> Rejected:
    return rejected(
        _R.INSUFFICIENT_BALANCE,
        f"account {account_id!r}: the balance changed {RACES} times while holding",
        "balance",
    )


def inactive(account_id: str, verdict: StatusVerdict) -> Rejected:
    """The refusal of a ``verdict`` that does not allow the account to call."""
    own = verdict.account_id == account_id
    reason = (_OWN if own else _AGENT)[verdict.status]
    whose = "" if own else f" (an agent above {account_id!r})"
    return rejected(reason, f"{verdict.reason}{whose}", "status")


def no_router(routes: Routes, number: str) -> Rejected:
    def detail() -> str:
        removed = "; ".join(removed.reason for removed in routes.removed)
        return f"no gateway may carry the call to {number}" + (f": {removed}" if removed else "")

    reason = _R.NO_AVAILABLE_ROUTER
    return Rejected(reason=reason, sip_status=reason.status, detail=detail, stage="routing")


def no_rate(account_id: str, number: str, at: datetime) -> Rejected:
    return rejected(
        _R.RATE_NOT_FOUND,
        f"account {account_id!r} has no rate for {number} at {at.isoformat()}",
        "rate",
    )


def unaffordable(
    account_id: str, table: RateTable, number: str, at: datetime, available: Decimal
) -> Rejected:
    """Insufficient Balance: ``available`` does not pay for the first increment."""
    rate = table.lookup(number, at=at)
    assert rate is not None  # an immutable table: longest_call found it
    first = rate.free_seconds + rate.first_increment
    cost = table.price(number, first * 1000, at=at).amount
    return rejected(
        _R.INSUFFICIENT_BALANCE,
        f"account {account_id!r} has {available} available; the first {first} s"
        f" to {number} cost {cost}",
        "balance",
    )
