"""Changing the directory: add, update, grant and revoke (with the subset rule's cascade),
move, remove. Each validates everything first, then applies, records one audit record per
changed account and tells the listeners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from .._checks import check_type
from ..errors import InvalidArgument, InvalidArgumentType
from ._account import Account, Actor, Operator, Scope, check_aware
from ._audit import _Audited
from ._authorizations import AgentAction, Authorization
from ._errors import DuplicateAccount, HierarchyError, PermissionDenied, UnknownAccount
from ._verdicts import Decision

__all__: list[str] = []

_UPDATABLE = frozenset(
    {"name", "status", "expires_at", "authorizations", "number_section", "billing_model", "memo"}
)


class _Mutations(_Audited):
    """Every change to the directory."""

    def _authorize(self, actor: Actor, action: AgentAction, target: str, now: datetime) -> None:
        if not isinstance(actor, Operator | str):
            raise InvalidArgumentType(
                f"actor: expected an Operator or an agent account id, got {actor!r}"
            )
        self.require(actor, action, target, now=now)

    def _changed(self) -> None:
        self._generation += 1  # every derived entry is stale now, at O(1)
        changes = tuple(self._pending)
        self._pending.clear()
        for listener, told in self._listeners:
            if told:
                listener(changes)
            else:
                listener()

    def subscribe(self, listener: Callable[..., None], *, changes: bool = False) -> None:
        """Call ``listener()`` after every change to the directory, so that caches derived
        from it drop themselves. With ``changes=True`` it is called as ``listener(changes)``:
        a tuple of ``(before, after)`` :class:`Account` pairs, one per account the change
        wrote (``before`` is None for an added account, ``after`` for a removed one), so a
        cache drops only what the change can affect. Listeners run under the directory's
        lock, after the change is complete: a listener must not take a lock that is held
        while the directory is read."""
        if not callable(listener):
            raise InvalidArgumentType(f"listener: expected a callable, got {listener!r}")
        self._listeners.append((listener, check_type(changes, bool, "changes")))

    def add(self, account: Account, *, actor: Actor, now: datetime) -> Account:
        """Add a new account. Its parent must exist; an agent may add accounts only under
        itself or its sub-accounts, and only with authorizations its parent holds."""
        if not isinstance(account, Account):
            raise InvalidArgumentType(f"account: expected an Account, got {account!r}")
        check_aware(now, "now")
        with self._lock:
            if account.id in self._accounts:
                raise DuplicateAccount(f"id: account {account.id!r} exists already")
            if account.parent_id is not None and account.parent_id not in self._accounts:
                raise UnknownAccount(f"parent_id: account {account.parent_id!r} does not exist")
            if not isinstance(actor, Operator):
                if account.parent_id is None:
                    raise PermissionDenied(
                        Decision(
                            allowed=False,
                            reason=f"agent {actor!r} may not add a top-level account",
                        )
                    )
                self._authorize(actor, AgentAction.ADD_ACCOUNT, account.parent_id, now)
            self._check_subset(account, account.parent_id)
            # apply
            self._accounts[account.id] = account
            if account.parent_id is not None:
                self._attach(account.id, account.parent_id)
            self._record(now, actor, "add", account.id, None, account)
            self._changed()
            return account

    def update(self, account_id: str, *, actor: Actor, now: datetime, **changes: Any) -> Account:
        """Change fields of an account (``name``, ``status``, ``expires_at``,
        ``authorizations``, ``number_section``, ``billing_model``, ``memo``; use
        :meth:`move` for ``parent_id``). Reducing ``authorizations`` reduces them in the
        whole subtree too; adding one the parent lacks is an error.

        O(depth) for a change that takes no authorization away; a reduction visits only the
        accounts that hold what it takes, and their direct sub-accounts."""
        check_aware(now, "now")
        unknown = set(changes) - _UPDATABLE
        if unknown:
            field = min(unknown)
            hint = " (use move())" if field == "parent_id" else ""
            raise InvalidArgument(f"{field}: not a field update() can change{hint}")
        with self._lock:
            before = self.get(account_id)
            self._authorize(actor, AgentAction.MODIFY_ACCOUNT, account_id, now)
            after = attrs.evolve(before, **changes)
            self._check_subset(after, after.parent_id)
            taken = before.authorizations & ~after.authorizations
            cascade = self._revocations(account_id, after.authorizations) if taken else []
            # apply
            self._accounts[account_id] = after
            self._record(now, actor, "update", account_id, before, after)
            self._apply_revocations(cascade, actor, now, "update (cascade)")
            self._changed()
            return after

    def grant(
        self, account_id: str, authorizations: Authorization, *, actor: Actor, now: datetime
    ) -> Account:
        """Add authorizations to an account; its parent must hold them."""
        current = self._authorizations_of(account_id, authorizations)
        return self.update(
            account_id, actor=actor, now=now, authorizations=current | authorizations
        )

    def revoke(
        self, account_id: str, authorizations: Authorization, *, actor: Actor, now: datetime
    ) -> Account:
        """Remove authorizations from an account and from every account below it."""
        current = self._authorizations_of(account_id, authorizations)
        return self.update(
            account_id, actor=actor, now=now, authorizations=current & ~authorizations
        )

    def _authorizations_of(self, account_id: str, change: object) -> Authorization:
        """The account's authorizations, once ``change`` is known to be an Authorization."""
        if not isinstance(change, Authorization):
            raise InvalidArgumentType(f"authorizations: expected an Authorization, got {change!r}")
        return self.get(account_id).authorizations

    def _revocations(self, account_id: str, kept: Authorization) -> list[tuple[Account, Account]]:
        """(before, after) for every account below ``account_id`` that holds more than
        ``kept``, parents before their children. The subtree of an account that holds
        nothing beyond ``kept`` holds nothing beyond it either (the subset rule), so the walk
        stops there."""
        out = []
        accounts, children = self._accounts, self._children
        stack = list(reversed(children.get(account_id, {})))
        while stack:
            sub = accounts[stack.pop()]
            if sub.authorizations & ~kept:
                out.append((sub, attrs.evolve(sub, authorizations=sub.authorizations & kept)))
                below = children.get(sub.id)
                if below:
                    stack.extend(reversed(below))
        return out

    def _apply_revocations(
        self, changes: list[tuple[Account, Account]], actor: Actor, now: datetime, action: str
    ) -> None:
        for before, after in changes:
            self._accounts[after.id] = after
            self._record(now, actor, action, after.id, before, after)

    def move(
        self, account_id: str, new_parent_id: str | None, *, actor: Actor, now: datetime
    ) -> Account:
        """Put an account (with its subtree) under another agent, or at the top level.

        Refused when it would make a cycle, when the account holds authorizations the new
        parent lacks, and for an agent, when the account or the new parent is outside its
        subtree (agents cannot move accounts to the top level)."""
        check_aware(now, "now")
        with self._lock:
            before = self.get(account_id)
            if new_parent_id is not None:
                self.get(new_parent_id)
                if self.is_within(new_parent_id, account_id):
                    raise HierarchyError(
                        f"parent_id: moving {account_id!r} under {new_parent_id!r}"
                        " would make a cycle"
                    )
            self._authorize(actor, AgentAction.MODIFY_ACCOUNT, account_id, now)
            if not isinstance(actor, Operator):
                if new_parent_id is None:
                    raise PermissionDenied(
                        Decision(
                            allowed=False,
                            reason=f"agent {actor!r} may not move accounts to the top level",
                        )
                    )
                self._authorize(actor, AgentAction.ADD_ACCOUNT, new_parent_id, now)
            after = attrs.evolve(before, parent_id=new_parent_id)
            self._check_subset(after, new_parent_id)
            # apply
            self._detach(before)
            self._accounts[account_id] = after
            if new_parent_id is not None:
                self._attach(account_id, new_parent_id)
            self._record(now, actor, "move", account_id, before, after)
            self._changed()
            return after

    def remove(
        self,
        account_id: str,
        *,
        actor: Actor,
        now: datetime,
        cascade: bool = False,
        reassign_to: str | None = None,
    ) -> list[str]:
        """Delete an account. An agent's sub-accounts are never orphaned: the call is refused
        while it has any, unless ``cascade=True`` (delete the whole subtree, deepest first)
        or ``reassign_to`` names the agent that takes them over. Returns the deleted ids."""
        check_aware(now, "now")
        if cascade and reassign_to is not None:
            raise InvalidArgument("reassign_to: cannot both cascade and reassign")
        with self._lock:
            self.get(account_id)
            self._authorize(actor, AgentAction.DELETE_ACCOUNT, account_id, now)
            direct = self._children.get(account_id, {})
            moved: list[tuple[Account, Account]] = []
            if direct and not cascade:
                if reassign_to is None:
                    below = self.sub_accounts(account_id, scope=Scope.ALL)
                    raise HierarchyError(
                        f"account {account_id!r} has {len(below)} sub-accounts: delete them,"
                        " reassign them (reassign_to=...), or cascade=True"
                    )
                heir = self.get(reassign_to)
                if self.is_within(heir.id, account_id):
                    raise HierarchyError(
                        f"reassign_to: {reassign_to!r} is inside the subtree being removed"
                    )
                if not isinstance(actor, Operator):
                    self._authorize(actor, AgentAction.ADD_ACCOUNT, heir.id, now)
                for child_id in direct:
                    child = self._accounts[child_id]
                    moved_child = attrs.evolve(child, parent_id=heir.id)
                    self._check_subset(moved_child, heir.id)
                    moved.append((child, moved_child))
            removed = (  # with cascade, the whole subtree, deepest first
                [*reversed(self.sub_accounts(account_id, scope=Scope.ALL)), account_id]
                if cascade
                else [account_id]
            )
            # apply
            for before, after in moved:
                self._accounts[after.id] = after
                self._attach(after.id, heir.id)
                self._record(now, actor, "move", after.id, before, after)
            if moved:
                del self._children[account_id]
            for gone_id in removed:
                gone = self._accounts[gone_id]
                self._detach(gone)
                self._children.pop(gone_id, None)
                del self._accounts[gone_id]
                self._forget(gone_id)
                self._record(now, actor, "remove", gone_id, gone, None)
            self._changed()
            return removed
