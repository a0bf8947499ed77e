"""Compiled decisions: each subject's rights and conditions built once from the policy's index
by subject and the directory, kept until a change that can affect them, and never kept when a
change raced the compile (see :class:`vosengine.policy.Policy`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .._checks import check_str
from .._net import Networks
from ..accounts import AccountDirectory, AccountStatus
from ..verdicts import Decision
from ._admin import Admin, LoginWindow, UnknownSubject

__all__: list[str] = []


class _Compiled:
    """One admin's compiled rights and conditions (never changed once built: a change builds
    a new one). A plain slotted class: a recompile after a change is on the path of the next
    decision, and attrs' frozen ``__init__`` would cost as much as the rest of it."""

    __slots__ = (
        "admin",
        "agent_block",
        "agent_expiry",
        "allowed",
        "chain",
        "conditional",
        "decisions",
        "denied",
        "depends",
        "guarded",
        "networks",
        "whitelists",
        "windows",
    )

    def __init__(
        self,
        admin: Admin,
        allowed: frozenset[str],
        denied: frozenset[str],
        chain: tuple[Admin, ...],
        parent: _Compiled | None,
        whitelist: Networks | None,
        agent_state: tuple[str | None, datetime | None, tuple[str, ...]],
    ) -> None:
        """``admin``'s own whitelist and windows added to its parent's compiled form (``chain``
        is the admin and every parent above it): a sub-admin (and an API key) is held to every
        restriction of its chain."""
        self.admin = admin
        self.allowed = allowed
        self.denied = denied
        self.chain = chain
        # the addresses every whitelist of the chain holds (None: no whitelist applies), and
        # each whitelist with its admin, the admin's own first, to say whose refused an address
        self.networks: Networks | None = None if parent is None else parent.networks
        self.whitelists: tuple[tuple[Admin, Networks], ...] = (
            () if parent is None else parent.whitelists
        )
        if whitelist is not None:
            self.whitelists = ((admin, whitelist), *self.whitelists)
            self.networks = whitelist if self.networks is None else whitelist & self.networks
        # each set of login windows of the chain with its admin, the admin's own first
        self.windows: tuple[tuple[Admin, tuple[LoginWindow, ...]], ...] = (
            () if parent is None else parent.windows
        )
        if admin.login_windows:
            self.windows = ((admin, admin.login_windows), *self.windows)
        # the agent accounts of the chain's scopes: why they stop it (locked / inactive), the
        # earliest expiry among them and their agents above, and the accounts read to say so
        self.agent_block, self.agent_expiry, self.depends = agent_state
        # whether anything but IP and time can refuse (a disabled admin of the chain, a
        # stopped agent); the agent state covers the parent's, so its guard adds only its
        # disabled admins
        self.guarded: bool = (
            admin.disabled
            or (parent is not None and parent.guarded)
            or self.agent_block is not None
            or self.agent_expiry is not None
        )
        # whether anything but the rights can refuse (guarded, a whitelist or a window)
        self.conditional = self.guarded or self.networks is not None or bool(self.windows)
        # permission -> its Decision (built once per admin and permission)
        self.decisions: dict[str, Decision] = {}


_NO_RIGHTS: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


def _union(one: frozenset[str], other: frozenset[str]) -> frozenset[str]:
    """``one | other``, without a copy when either is empty (most admins have few rules of
    their own)."""
    return one | other if one and other else one or other


def _whose(compiled: _Compiled, admin: Admin) -> str:
    """How a refusal names the admin whose restriction it is: nothing for the subject's own."""
    return "" if admin is compiled.admin else f" of {admin.name!r}, above it"


class _Compiler:
    """The compiled forms of a policy and what drops them (a base of ``Policy``)."""

    directory: AccountDirectory | None
    _admins: dict[str, Admin]
    _keys: dict[str, str]
    _networks: dict[str, Networks]  # each admin's whitelist, parsed once
    # Casbin subject ("admin:<name>" or "role:<role>") -> its allowed and denied rights
    _rights: dict[str, tuple[frozenset[str], frozenset[str]]]
    _below: dict[str, set[str]]  # admin -> its direct sub-admins
    _lock: threading.RLock  # the policy's changes (compiles take it too)
    _compiled: dict[str, _Compiled]
    # guards the compiled forms, the generation and the dependents; taken last (a directory
    # listener holds the directory's lock when it takes it), never held while taking another
    _cache_lock: threading.Lock
    _generation: int
    # account id -> the admins whose compiled form read its state
    _dependents: dict[str, set[str]]
    # (admin, permission, outcome) -> its Decision (see _rights_decision)
    _verdicts: dict[tuple[str, str, int], Decision]

    def _rights_decision(self, compiled: _Compiled, permission: str) -> Decision:
        """What the rights say of ``permission``: one Decision per admin, permission and
        outcome, kept across recompiles (so the first decision after a change builds none)."""
        name = compiled.admin.name
        if permission in compiled.denied:
            outcome = 0
        elif permission in compiled.allowed:
            outcome = 1
        else:
            outcome = 2
        key = (name, permission, outcome)
        decision = self._verdicts.get(key)
        if decision is None:
            if outcome == 0:
                decision = Decision(allowed=False, reason=f"{permission} is denied to {name!r}")
            elif outcome == 1:
                decision = Decision(allowed=True, reason=f"{name!r} may {permission}")
            else:
                decision = Decision(allowed=False, reason=f"{name!r} has no grant for {permission}")
            self._verdicts[key] = decision  # at most 3 per admin and permission
        return decision

    def _start_compiler(self) -> None:
        self._admins = {}
        self._keys = {}
        self._networks = {}
        self._rights = {}
        self._below = {}
        self._lock = threading.RLock()
        self._compiled = {}
        self._cache_lock = threading.Lock()
        self._generation = 0
        self._dependents = {}
        self._verdicts = {}

    @staticmethod
    def _index(
        rights: dict[str, tuple[frozenset[str], frozenset[str]]], rule: list[str], *, add: bool
    ) -> None:
        """Add a ``p`` rule ``[subject, module, action, effect]`` to the index by subject (or
        take it out): O(the subject's own rules)."""
        subject, module, action, effect = rule[:4]
        if effect not in ("allow", "deny"):
            return  # no rule of the model's effect: it neither allows nor denies
        allowed, denied = rights.get(subject, _NO_RIGHTS)
        change = frozenset((f"{module}.{action}",))
        if effect == "allow":
            allowed = allowed | change if add else allowed - change
        else:
            denied = denied | change if add else denied - change
        rights[subject] = (allowed, denied)

    def _changed(self) -> None:
        """Drop every compiled form and decision (after a reload)."""
        with self._cache_lock:
            self._generation += 1
            self._compiled = {}
            self._dependents = {}
            self._verdicts = {}

    def _invalidate(self, names: Iterable[str]) -> list[str]:
        """Drop the compiled forms of these admins and of every sub-admin below them; returns
        those of ``names`` that had one."""
        todo = list(names)
        had = [name for name in todo if name in self._compiled]
        below = self._below
        with self._cache_lock:
            self._generation += 1
            while todo:
                name = todo.pop()
                self._forget(name)
                todo.extend(below.get(name, ()))
        return had

    def _forget(self, name: str) -> None:
        """Drop one admin's compiled form and its entries in the dependents (under the cache
        lock)."""
        compiled = self._compiled.pop(name, None)
        if compiled is not None:
            for account_id in compiled.depends:
                readers = self._dependents.get(account_id)
                if readers is not None:
                    readers.discard(name)
                    if not readers:
                        del self._dependents[account_id]

    def _directory_changed(self, changes: tuple[tuple[Any, Any], ...]) -> None:
        """The directory's listener: drop the admins whose compiled form read an account
        whose status, expiry or parent changed, that is gone, or that was missing and is
        added (an admin whose agent was removed is refused until it is back)."""
        touched = [
            (before or after).id
            for before, after in changes
            if before is None
            or after is None
            or after.status is not before.status
            or after.expires_at != before.expires_at
            or after.parent_id != before.parent_id
        ]
        if not touched:
            return
        with self._cache_lock:
            self._generation += 1
            for account_id in touched:
                for name in list(self._dependents.get(account_id, ())):
                    self._forget(name)

    def _admin(self, name: str) -> Admin:
        try:
            return self._admins[name]
        except (KeyError, TypeError):
            raise UnknownSubject(f"admin {name!r} does not exist") from None

    def _compile(self, name: str) -> _Compiled:
        compiled = self._compiled.get(name)
        if compiled is not None:
            return compiled
        with self._lock:
            generation = self._generation  # before anything is read
            compiled = self._compiled.get(name)
            if compiled is not None:
                return compiled
            admin = self._admin(name)
            own = self._rights.get(f"admin:{name}", _NO_RIGHTS)
            role = self._rights.get(f"role:{admin.role.value}", _NO_RIGHTS)
            allowed, denied = _union(own[0], role[0]), _union(own[1], role[1])
            parent = None
            if admin.parent is not None:
                parent = self._compile(admin.parent)
                allowed &= parent.allowed - parent.denied
            chain = (admin,) if parent is None else (admin, *parent.chain)
            compiled = _Compiled(
                admin,
                allowed,
                denied,
                chain,
                parent,
                self._networks.get(name),
                self._agent_state(chain),
            )
            with self._cache_lock:
                if self._generation == generation:  # no change since the first read
                    self._compiled[name] = compiled
                    for account_id in compiled.depends:
                        self._dependents.setdefault(account_id, set()).add(name)
            return compiled

    def _agent_state(
        self, chain: tuple[Admin, ...]
    ) -> tuple[str | None, datetime | None, tuple[str, ...]]:
        """Whether a scope agent (or an agent above it) is locked, inactive or gone, the
        earliest expiry among them, and the accounts read to say so."""
        directory = self.directory
        if directory is None:
            return None, None, ()
        expiry: datetime | None = None
        read: list[str] = []
        for admin in chain:
            if admin.agent_id is None:
                continue
            if admin.agent_id not in directory:
                read.append(admin.agent_id)
                return f"agent {admin.agent_id!r} does not exist", None, tuple(read)
            agent_ids = [admin.agent_id, *directory.ancestors(admin.agent_id)]
            for agent_id in agent_ids:
                account = directory.get(agent_id)
                read.append(agent_id)
                if account.status is not AccountStatus.ACTIVE:
                    return f"agent {agent_id!r} is {account.status.value}", None, tuple(read)
                if account.expires_at is not None and (
                    expiry is None or account.expires_at < expiry
                ):
                    expiry = account.expires_at
        return None, expiry, tuple(read)

    def _subject(self, subject: str) -> str:
        if check_str(subject, "subject").startswith("key:"):
            try:
                return self._keys[subject[4:]]
            except KeyError:
                raise UnknownSubject(f"API key {subject[4:]!r} does not exist") from None
        return subject
