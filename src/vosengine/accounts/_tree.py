"""The agent tree and its scope: reading the directory (sub-accounts, ancestors, effective
status, inherited number sections, the navigation tree) and the one place that says what an
agent may do to an account (:meth:`_Tree.check`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

from .._checks import check_str, not_a_key
from ..errors import InvalidArgumentType
from ..numbering import AllSections, NumberSection, normalize_number
from ..prefix import PrefixTable
from ._account import (
    SEVERITY,
    Account,
    AccountCategory,
    AccountStatus,
    Actor,
    Operator,
    Scope,
    check_aware,
)
from ._authorizations import REQUIRED_AUTHORIZATION, TARGET_RULE, AgentAction
from ._errors import AuthorizationNotHeld, PermissionDenied, UnknownAccount
from ._verdicts import AuditRecord, Decision, NumberCheck, StatusVerdict

__all__: list[str] = []

# Whether a chain's sections allow a number: ``look_up(digits, default)`` (see
# NumberSection._look_up); a chain without sections looks up an empty table
_Sections = tuple[Callable[[str, bool], bool], bool]
_NO_SECTIONS: _Sections = (PrefixTable[bool]().longest_value, True)
# (generation, status verdict, expiry dates nearest first, the sections' look-up and default,
# whether the verdict is active: read without the verdict, which is an object of its own)
_Expiries = tuple[tuple[datetime, str], ...]
_Summary = tuple[int, StatusVerdict, _Expiries, Callable[[str, bool], bool], bool, bool]


class _Tree:
    """The directory's state and every read of it; the mutations and the audit log build on
    this (see :class:`vosengine.accounts.AccountDirectory`)."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        # account id -> its direct sub-accounts' ids, in the order they were added (a dict
        # as an ordered set: adding or taking one out is O(1), whatever the siblings)
        self._children: dict[str, dict[str, None]] = {}
        self._audit: list[AuditRecord] = []
        self._audit_seq = 0  # the seq of the last audit record written
        self._lock = threading.RLock()
        # What is derived from the chains of accounts, made on first use. Every entry is
        # stamped with the generation it was made in; a change moves the generation on, so
        # a change costs O(1) however many entries there are, and a stale entry is made
        # again on its next read (O(depth)).
        self._generation = 0
        # account id -> the non-open number sections from it up to the root, nearest first
        self._section_chains: dict[str, tuple[int, tuple[tuple[str, NumberSection], ...]]] = {}
        # account id -> what a call reads of its chain, in one entry (see _summary): the
        # verdict of the stored statuses from it up to the root, the expiry dates that may
        # make it worse (see status_verdict), and whether its chain allows a number (see
        # number_allowed)
        self._summaries: dict[str, _Summary] = {}
        # the number_allowed verdicts, shared by the accounts whose chains have the same
        # sectioned levels (by their ids)
        self._merged_sections: dict[tuple[str, ...], tuple[int, _Sections]] = {}
        # (listener, whether it is told what changed)
        self._listeners: list[tuple[Callable[..., None], bool]] = []
        # (before, after) of each account the change under way has written so far
        self._pending: list[tuple[Account | None, Account | None]] = []

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._accounts)

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._accounts

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))

    def get(self, account_id: str) -> Account:
        """The account with this id; :class:`UnknownAccount` if there is none."""
        try:
            return self._accounts[account_id]
        except (KeyError, TypeError):
            check_str(account_id, "account_id")
            raise UnknownAccount(
                f"account {account_id!r} does not exist; add it first (AccountDirectory.add)"
            ) from None

    def children(self, account_id: str) -> tuple[str, ...]:
        """Ids of the direct sub-accounts, in the order they were added."""
        self.get(account_id)
        return tuple(self._children.get(account_id, ()))

    def sub_accounts(self, account_id: str, *, scope: Scope = Scope.DIRECT) -> list[str]:
        """Ids of the sub-accounts: first level (``DIRECT``) or the whole subtree (``ALL``,
        depth first, parents before their children). O(size of the result)."""
        self.get(account_id)
        direct = self._children.get(account_id, {})
        if scope is Scope.DIRECT:
            return list(direct)
        if scope is not Scope.ALL:
            raise InvalidArgumentType(f"scope: expected a Scope, got {scope!r}")
        out: list[str] = []
        stack = list(reversed(direct))
        children = self._children
        while stack:
            current = stack.pop()
            out.append(current)
            below = children.get(current)
            if below:
                stack.extend(reversed(below))
        return out

    def ancestors(self, account_id: str) -> list[str]:
        """Ids of the agents above the account, nearest first. O(depth)."""
        accounts = self._accounts
        parent = self.get(account_id).parent_id
        out = []
        while parent is not None:
            out.append(parent)
            parent = accounts[parent].parent_id
        return out

    def _levels(self, account_id: str) -> list[Account]:
        """The account and every agent above it, nearest first."""
        return [self.get(account_id), *(self._accounts[i] for i in self.ancestors(account_id))]

    def level(self, account_id: str) -> int:
        """0 for a top-level account, 1 for its sub-accounts, and so on."""
        return len(self.ancestors(account_id))

    def is_agent(self, account_id: str) -> bool:
        """Whether the account has sub-accounts (and so is an agent)."""
        self.get(account_id)
        return account_id in self._children

    def category(self, account_id: str) -> AccountCategory:
        return AccountCategory.AGENT if self.is_agent(account_id) else AccountCategory.ACCOUNT

    def is_within(self, account_id: str, agent_id: str) -> bool:
        """Whether ``account_id`` is ``agent_id`` itself or anywhere below it."""
        self.get(agent_id)
        accounts = self._accounts
        current: str | None = self.get(account_id).id
        while current is not None:
            if current == agent_id:
                return True
            current = accounts[current].parent_id
        return False

    def status_verdict(self, account_id: str, *, now: datetime) -> StatusVerdict:
        """The worst status of the account and every agent above it, and whose it is
        (the nearest account when several are equally bad). O(levels with an expiry date):
        the stored statuses of the chain are summed up once per account and made again after
        any change to the directory."""
        if type(now) is not datetime or (
            type(now.tzinfo) is not timezone and now.utcoffset() is None
        ):
            check_aware(now, "now")
        return self._verdict(account_id, now)

    def _verdict(self, account_id: str, now: datetime) -> StatusVerdict:
        """:meth:`status_verdict` for an aware ``now`` its caller checked."""
        summary = self._summaries.get(account_id)
        if summary is None or summary[0] != self._generation:
            summary = self._summary(account_id)
        verdict, expiries = summary[1], summary[2]
        if expiries:
            for expires_at, expiring in expiries:  # nearest first
                if now >= expires_at:
                    return StatusVerdict(status=AccountStatus.EXPIRED, account_id=expiring)
        return verdict

    def _summary(self, account_id: str) -> _Summary:
        """Make the account's entry of ``_summaries``: what admission reads of its chain on
        every call, kept in one entry so that a call finds it with one look-up."""
        with self._lock:  # a miss is filled under the lock, so no change can interleave
            verdict, expiries = self._status_chain(account_id)
            look_up, default = self._section_verdict(account_id)
            summary = (self._generation, verdict, expiries, look_up, default, verdict.allowed)
            self._summaries[account_id] = summary
            return summary

    def _status_chain(
        self, account_id: str
    ) -> tuple[StatusVerdict, tuple[tuple[datetime, str], ...]]:
        """The verdict of the chain's stored statuses, and -- only when none is worse than
        expired -- the expiry dates of its active accounts, nearest first. Under the lock."""
        chain = self._levels(account_id)
        worst, worst_id = AccountStatus.ACTIVE, account_id
        for level in chain:
            if SEVERITY[level.status] > SEVERITY[worst]:
                worst, worst_id = level.status, level.id
        expiries: tuple[tuple[datetime, str], ...] = ()
        if SEVERITY[worst] < SEVERITY[AccountStatus.EXPIRED]:
            expiries = tuple(
                (level.expires_at, level.id)
                for level in chain
                if level.status is AccountStatus.ACTIVE and level.expires_at is not None
            )
        return StatusVerdict(status=worst, account_id=worst_id), expiries

    def effective_status(self, account_id: str, *, now: datetime) -> AccountStatus:
        """The worst status of the account and every agent above it: the status of
        :meth:`status_verdict`."""
        return self.status_verdict(account_id, now=now).status

    def _section_chain(self, account_id: str) -> tuple[tuple[str, NumberSection], ...]:
        try:
            entry = self._section_chains.get(account_id)
        except TypeError:
            raise not_a_key(account_id, "account_id") from None
        if entry is not None and entry[0] == self._generation:
            return entry[1]
        with self._lock:  # a miss is filled under the lock, so no change can interleave
            levels = self._levels(account_id)
            chain = tuple(
                (level.id, level.number_section)
                for level in levels
                if not level.number_section.is_open
            )
            self._section_chains[account_id] = (self._generation, chain)
            return chain

    def number_allowed(self, account_id: str, number: str) -> bool:
        """Whether every level from the account up allows ``number``, normalised first
        (:func:`~vosengine.numbering.normalize_number`: a number it cannot read is an
        :class:`~vosengine.errors.InvalidArgument`, even where no section limits anything).

        O(len(number)): the sections of the chain are merged into one look-up
        (:class:`~vosengine.numbering.AllSections`), shared by the accounts under the same
        sectioned agents, made on first use and made again after any change to the directory.
        """
        return self._allows(account_id, normalize_number(number))

    def _allows(self, account_id: str, digits: str) -> bool:
        """:meth:`number_allowed` for ``digits`` its caller normalised."""
        try:
            summary = self._summaries.get(account_id)
        except TypeError:
            raise not_a_key(account_id, "account_id") from None
        if summary is None or summary[0] != self._generation:
            summary = self._summary(account_id)
        return summary[3](digits, summary[4])

    def _section_verdict(self, account_id: str) -> _Sections:
        with self._lock:  # the chain and its verdict of one generation: no change between
            chain = self._section_chain(account_id)
            generation = self._generation
            key = tuple(level_id for level_id, _ in chain)
            entry = self._merged_sections.get(key)
            if entry is not None and entry[0] == generation:
                return entry[1]
            allows = _NO_SECTIONS
            if len(chain) == 1:
                allows = chain[0][1]._look_up()
            elif chain:
                allows = AllSections(section for _, section in chain)._look_up()
            self._merged_sections[key] = (generation, allows)
            return allows

    def number_check(self, account_id: str, number: str) -> NumberCheck:
        """:meth:`number_allowed` with the level and entry that refused (the nearest one)."""
        digits = normalize_number(number)
        for level_id, section in self._section_chain(account_id):
            verdict = section._decide_digits(digits)
            if not verdict.allowed:
                return NumberCheck(allowed=False, account_id=level_id, entry=verdict.entry)
        return NumberCheck(allowed=True)

    def decide(self, actor: Actor, action: AgentAction, target: str, *, now: datetime) -> Decision:
        """May ``actor`` do ``action`` on the account ``target``? Scope and authorization in
        one place. (The vocabulary: ``decide`` answers with a verdict, :meth:`require` raises
        the refusal, ``_check`` asserts internal invariants.)

        An :class:`Operator` may do anything here. An agent (an account id) must be active
        (itself and every agent above it), ``target`` must lie in its subtree as the action
        requires (strictly below it to modify, delete or pay for an account; itself to pay
        for itself; itself or below for phones, cards, gateways, new accounts and viewing),
        and it must hold the authorization the action needs. Unknown accounts are errors.
        """
        if not isinstance(action, AgentAction):
            raise InvalidArgumentType(f"action: expected an AgentAction, got {action!r}")
        self.get(target)
        if isinstance(actor, Operator):
            return Decision(allowed=True, reason=f"{actor} acts outside the agent tree")
        agent = self.get(actor)
        rule = TARGET_RULE.get(action, "own")
        if rule == "self":
            in_scope = target == agent.id
            where = "its own account"
        elif rule == "sub":
            in_scope = target != agent.id and self.is_within(target, agent.id)
            where = "its sub-accounts"
        else:
            in_scope = self.is_within(target, agent.id)
            where = "its own subtree"
        if not in_scope:
            return Decision(
                allowed=False,
                reason=f"account {target!r} is outside the scope of agent {agent.id!r}"
                f" ({action.value} is limited to {where})",
            )
        verdict = self.status_verdict(agent.id, now=now)
        if not verdict:
            whose = "" if verdict.account_id == agent.id else f" (its agent {verdict.account_id!r})"
            return Decision(
                allowed=False,
                reason=f"agent {agent.id!r} is {verdict.status.value}{whose}",
            )
        needed = REQUIRED_AUTHORIZATION[action]
        if needed and not (agent.authorizations & needed):
            return Decision(
                allowed=False,
                reason=f"agent {agent.id!r} lacks the {needed.names()[0]!r} authorization"
                f" needed to {action.value}",
            )
        return Decision(allowed=True, reason=f"agent {agent.id!r} may {action.value} {target!r}")

    def require(self, actor: Actor, action: AgentAction, target: str, *, now: datetime) -> None:
        """:meth:`decide`, raising :class:`PermissionDenied` when it refuses."""
        decision = self.decide(actor, action, target, now=now)
        if not decision:
            raise PermissionDenied(decision)

    #: The old name of :meth:`decide`, kept until the next minor release.
    check = decide

    def tree(self, *, root: str | None = None) -> list[dict[str, Any]]:
        """The navigation tree: nested ``{"id", "name", "category", "children"}`` dicts,
        from ``root`` (or every top-level account)."""
        tops = (
            [root]
            if root is not None
            else [a.id for a in self._accounts.values() if a.parent_id is None]
        )
        if root is not None:
            self.get(root)

        def node(account_id: str) -> dict[str, Any]:
            account = self._accounts[account_id]
            below = self._children.get(account_id, ())
            return {
                "id": account.id,
                "name": account.name,
                "category": (AccountCategory.AGENT if below else AccountCategory.ACCOUNT).value,
                "children": [node(child) for child in below],
            }

        return [node(account_id) for account_id in tops]

    # -- the tree's rules, shared by every change ---------------------------------------------

    def _check_subset(self, account: Account, parent_id: str | None) -> None:
        if parent_id is None:
            return
        parent = self._accounts[parent_id]
        extra = account.authorizations & ~parent.authorizations
        if extra:
            raise AuthorizationNotHeld(
                f"authorizations: account {account.id!r} cannot hold {extra.names()}:"
                f" its agent {parent_id!r} does not"
            )

    def _attach(self, account_id: str, parent_id: str) -> None:
        """List ``account_id`` as the last child of ``parent_id``."""
        siblings = self._children.get(parent_id)
        if siblings is None:
            self._children[parent_id] = {account_id: None}
        else:
            siblings[account_id] = None

    def _detach(self, account: Account) -> None:
        """Take ``account`` out of its parent's children."""
        if account.parent_id is None:
            return
        siblings = self._children[account.parent_id]
        del siblings[account.id]
        if not siblings:
            del self._children[account.parent_id]

    def _forget(self, account_id: str) -> None:
        """Drop what is derived from a removed account's chain."""
        self._summaries.pop(account_id, None)
        self._section_chains.pop(account_id, None)
