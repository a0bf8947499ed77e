"""The directory's audit log (one record per changed account) and its snapshots: plain
JSON-able data that restores exactly the same directory, every rule checked again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Self

from ..errors import InvalidArgument
from ._account import Account, Actor, Scope, actor_label
from ._errors import DuplicateAccount, HierarchyError
from ._tree import _Tree
from ._verdicts import AuditRecord

__all__: list[str] = []


class _Audited(_Tree):
    """The audit log and snapshots of the directory."""

    def audit_log(self) -> list[AuditRecord]:
        """Every change not drained yet (:meth:`drain_audit`), oldest first (a copy)."""
        return list(self._audit)

    def drain_audit(self) -> list[AuditRecord]:
        """Every audit record since the last call, oldest first, handed over to the host
        (to store or export) and no longer kept; numbering carries on (``seq``)."""
        with self._lock:
            records, self._audit = self._audit, []
            return records

    def _record(
        self,
        now: datetime,
        actor: Actor,
        action: str,
        account_id: str,
        before: Account | None,
        after: Account | None,
    ) -> None:
        self._pending.append((before, after))
        self._audit_seq += 1
        self._audit.append(
            AuditRecord(
                seq=self._audit_seq,
                at=now,
                actor=actor_label(actor),
                action=action,
                account_id=account_id,
                before=before,
                after=after,
            )
        )

    # -- snapshots -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every account (parents before children) and the audit log, as plain JSON-able
        data; :meth:`from_dict` restores exactly this directory."""
        with self._lock:
            order: list[str] = []
            for account in self._accounts.values():
                if account.parent_id is None:
                    order.append(account.id)
                    order.extend(self.sub_accounts(account.id, scope=Scope.ALL))
            return {
                "format": "vosengine.accounts/1",
                "accounts": [self._accounts[i].to_dict() for i in order],
                "audit": [record.to_dict() for record in self._audit],
            }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a directory from :meth:`to_dict`'s data; every rule is checked again."""
        if not isinstance(data, Mapping) or data.get("format") != "vosengine.accounts/1":
            raise InvalidArgument("format: expected a 'vosengine.accounts/1' snapshot")
        directory = cls()
        for index, raw in enumerate(data.get("accounts", ())):
            if not isinstance(raw, Mapping):
                raise InvalidArgument(f"accounts[{index}]: expected a mapping, got {raw!r}")
            account = Account.from_dict(raw)
            if account.id in directory._accounts:
                raise DuplicateAccount(f"accounts[{index}].id: {account.id!r} appears twice")
            if account.parent_id is not None and account.parent_id not in directory._accounts:
                raise HierarchyError(
                    f"accounts[{index}].parent_id: {account.parent_id!r} is not listed before"
                    " its sub-account"
                )
            directory._check_subset(account, account.parent_id)
            directory._accounts[account.id] = account
            if account.parent_id is not None:
                directory._attach(account.id, account.parent_id)
        directory._audit = [AuditRecord.from_dict(r) for r in data.get("audit", ())]
        if directory._audit:
            directory._audit_seq = directory._audit[-1].seq
        return directory

    def snapshot(self) -> Self:
        """An independent copy (the audit log included)."""
        return type(self).from_dict(self.to_dict())

    def _check(self) -> None:
        """Assert every invariant of the tree (used by the property tests)."""
        for account_id, account in self._accounts.items():
            if account.parent_id is not None:
                assert account.parent_id in self._accounts, account_id
                assert account_id in self._children[account.parent_id], account_id
                parent = self._accounts[account.parent_id]
                assert not (account.authorizations & ~parent.authorizations), account_id
            seen = {account_id}
            current = account.parent_id
            while current is not None:
                assert current not in seen, f"cycle through {account_id!r}"
                seen.add(current)
                current = self._accounts[current].parent_id
        for parent_id, children in self._children.items():
            assert children, parent_id
            assert len(set(children)) == len(children), parent_id
            for child in children:
                assert self._accounts[child].parent_id == parent_id, child
        for earlier, record in zip(self._audit, self._audit[1:], strict=False):
            assert record.seq == earlier.seq + 1, record
        assert not self._audit or self._audit[-1].seq == self._audit_seq
