"""What the directory answers: a :class:`Decision`, an account's effective status
(:class:`StatusVerdict`), a number check (:class:`NumberCheck`), and the audit record of a
change (:class:`AuditRecord`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import InvalidArgument
from ..verdicts import Decision
from ._account import Account, AccountStatus

__all__ = ["AuditRecord", "Decision", "NumberCheck", "StatusVerdict"]


@attrs.frozen(kw_only=True)
class StatusVerdict:
    """An account's effective status and the account it comes from (itself or an agent)."""

    status: AccountStatus
    account_id: str

    def __bool__(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def allowed(self) -> bool:
        """Whether the account may act (its effective status is active)."""
        return self.status is AccountStatus.ACTIVE

    @property
    def reason(self) -> str:
        return f"account {self.account_id!r} is {self.status.value}"


@attrs.frozen(kw_only=True)
class NumberCheck:
    """Whether an account may call a number; when not, which level and entry refused.

    ``account_id`` is the level that refused (``None`` when allowed); ``entry`` is the blocked
    prefix that matched, or ``None`` when the level's allow-list does not cover the number.
    """

    allowed: bool
    account_id: str | None = None
    entry: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        if self.allowed:
            return "allowed"
        if self.entry is not None:
            return f"blocked by prefix {self.entry!r} of account {self.account_id!r}"
        return f"not in the allowed prefixes of account {self.account_id!r}"


@attrs.frozen(kw_only=True)
class AuditRecord:
    """One change to the directory: who, what, before, after, when (the system log).

    ``before`` and ``after`` are the :class:`Account` values themselves (None for an added
    or a removed account): accounts are immutable, so a record shares them with the
    directory instead of copying them, and costs the same whatever the account holds."""

    seq: int
    at: datetime
    actor: str
    action: str
    account_id: str
    before: Account | None
    after: Account | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "account_id": self.account_id,
            "before": None if self.before is None else self.before.to_dict(),
            "after": None if self.after is None else self.after.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        try:
            return cls(
                seq=int(data["seq"]),
                at=datetime.fromisoformat(data["at"]),
                actor=str(data["actor"]),
                action=str(data["action"]),
                account_id=str(data["account_id"]),
                before=_account_or_none(data["before"]),
                after=_account_or_none(data["after"]),
            )
        except (KeyError, TypeError, ValueError, InvalidArgument) as error:
            raise InvalidArgument(f"audit record {data!r}: {error}") from None


def _account_or_none(data: Mapping[str, Any] | None) -> Account | None:
    return None if data is None else Account.from_dict(data)
