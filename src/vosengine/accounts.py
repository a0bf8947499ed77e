"""Accounts and the agent (reseller) hierarchy, as VOS3000 keeps them (manual §2.4.2-2.4.6).

* Every :class:`Account` may name a parent (its *agent*) by id. An account **is an agent**
  exactly when it has sub-accounts: :meth:`AccountDirectory.category` derives it, nobody sets
  it.
* Sub-accounts are listed :attr:`Scope.DIRECT` (first level) or :attr:`Scope.ALL` (the whole
  subtree).
* Each account holds a set of the eight agent :class:`Authorization` flags. **An account's
  authorizations are always a subset of its parent's**: granting one the parent lacks is an
  error, and revoking one from an agent revokes it from its whole subtree.
* An agent may act only inside its own subtree, and only with the authorization the action
  needs: :meth:`AccountDirectory.check` is the one place that says so.
* Account status is *active*, *locked* or *inactive*; an account whose ``expires_at`` has
  passed is *expired*. A locked, inactive or expired agent stops its whole subtree:
  :meth:`AccountDirectory.effective_status` is the worst status on the way to the root.
* Number sections (:class:`vosengine.numbering.NumberSection`) are inherited down the chain:
  a number is allowed for an account only when the account and every agent above it allow it.

Every mutation takes the ``actor`` (an :class:`Operator`, or the id of an agent account acting
inside its subtree) and ``now``, validates everything first, then applies, and appends one
:class:`AuditRecord` per changed account. A rejected call raises an error from
:mod:`vosengine.errors` that names the offending field, and changes nothing.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs

from .errors import InvalidArgument, InvalidArgumentType, NotFound, VosEngineError
from .numbering import NumberSection

__all__ = [
    "CALLING_CARD",
    "FULL",
    "RETAIL",
    "SIP_TRUNK_PROVIDER",
    "TEMPLATES",
    "WHOLESALE",
    "Account",
    "AccountCategory",
    "AccountDirectory",
    "AccountStatus",
    "Actor",
    "AgentAction",
    "AuditRecord",
    "Authorization",
    "AuthorizationNotHeld",
    "BillingModel",
    "Decision",
    "DuplicateAccount",
    "HierarchyError",
    "NumberCheck",
    "Operator",
    "PermissionDenied",
    "Scope",
    "StatusVerdict",
    "UnknownAccount",
]


# -- errors ------------------------------------------------------------------------------


class UnknownAccount(NotFound):
    """No account has this id."""


class DuplicateAccount(InvalidArgument):
    """An account with this id exists already."""


class HierarchyError(InvalidArgument):
    """The change would break the agent tree (a cycle, orphaned sub-accounts ...)."""


class AuthorizationNotHeld(InvalidArgument):
    """An account would hold an authorization its parent lacks."""


class PermissionDenied(VosEngineError, PermissionError):
    """The actor may not do this: out of its scope, or without the authorization it needs.

    ``decision`` is the :class:`Decision` that refused.
    """

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


# -- values ------------------------------------------------------------------------------


class AccountStatus(enum.Enum):
    """The status of an account. ``EXPIRED`` is derived from ``expires_at``, never stored."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    EXPIRED = "expired"
    LOCKED = "locked"

    @property
    def severity(self) -> int:
        """Order of badness: active < inactive < expired < locked."""
        return _SEVERITY[self]


_SEVERITY = {
    AccountStatus.ACTIVE: 0,
    AccountStatus.INACTIVE: 1,
    AccountStatus.EXPIRED: 2,
    AccountStatus.LOCKED: 3,
}


class AccountCategory(enum.Enum):
    """Derived: an account with sub-accounts is an agent."""

    ACCOUNT = "account"
    AGENT = "agent"


class BillingModel(enum.Enum):
    """CTD billing model: per-minute by destination, or Flow (callback, two legs)."""

    STANDARD = "standard"
    FLOW = "flow"


class Scope(enum.Enum):
    """How far down to list sub-accounts."""

    DIRECT = "direct"
    ALL = "all"


class Authorization(enum.Flag):
    """The eight agent authorizations of VOS3000."""

    NONE = 0
    #: add / delete / modify account
    ACCOUNT = enum.auto()
    #: add / delete / modify phone
    PHONE = enum.auto()
    #: add / delete / modify phone card
    PHONE_CARD = enum.auto()
    #: add / delete gateway
    GATEWAY = enum.auto()
    #: modify gateway information
    GATEWAY_INFO = enum.auto()
    #: modify gateway capacity
    GATEWAY_CAPACITY = enum.auto()
    #: payment for this account
    PAYMENT_SELF = enum.auto()
    #: payment for sub accounts
    PAYMENT_SUB = enum.auto()

    @classmethod
    def parse(cls, names: Iterable[str] | str) -> Authorization:
        """Flags from names (``"account"``, ``"PAYMENT_SUB"`` ...); an unknown name is an error."""
        if isinstance(names, str):
            names = [names]
        result = cls.NONE
        for name in names:
            member = cls.__members__.get(str(name).upper())
            if member is None:
                known = ", ".join(n.lower() for n in cls.__members__ if n != "NONE")
                raise InvalidArgument(
                    f"authorizations: unknown authorization {name!r}; known: {known}"
                )
            result |= member
        return result

    def names(self) -> list[str]:
        """The lower-case names of the flags set, in declaration order."""
        return [m.name.lower() for m in type(self) if m.name and m & self and m.value]


ALL_AUTHORIZATIONS = (
    Authorization.ACCOUNT
    | Authorization.PHONE
    | Authorization.PHONE_CARD
    | Authorization.GATEWAY
    | Authorization.GATEWAY_INFO
    | Authorization.GATEWAY_CAPACITY
    | Authorization.PAYMENT_SELF
    | Authorization.PAYMENT_SUB
)
RETAIL = (
    Authorization.ACCOUNT
    | Authorization.PHONE
    | Authorization.PAYMENT_SUB
    | Authorization.PAYMENT_SELF
)
WHOLESALE = (
    Authorization.ACCOUNT
    | Authorization.GATEWAY
    | Authorization.GATEWAY_INFO
    | Authorization.GATEWAY_CAPACITY
    | Authorization.PAYMENT_SUB
)
CALLING_CARD = (
    Authorization.ACCOUNT
    | Authorization.PHONE_CARD
    | Authorization.PAYMENT_SELF
    | Authorization.PAYMENT_SUB
)
SIP_TRUNK_PROVIDER = ALL_AUTHORIZATIONS & ~Authorization.PHONE_CARD
FULL = ALL_AUTHORIZATIONS
#: The authorization templates in common use, by name.
TEMPLATES: Mapping[str, Authorization] = {
    "retail": RETAIL,
    "wholesale": WHOLESALE,
    "calling_card": CALLING_CARD,
    "sip_trunk_provider": SIP_TRUNK_PROVIDER,
    "full": FULL,
}


class AgentAction(enum.Enum):
    """What an agent may try to do to an account (or to a phone, card or gateway it owns)."""

    VIEW = "view"
    ADD_ACCOUNT = "add_account"
    DELETE_ACCOUNT = "delete_account"
    MODIFY_ACCOUNT = "modify_account"
    ADD_PHONE = "add_phone"
    DELETE_PHONE = "delete_phone"
    MODIFY_PHONE = "modify_phone"
    ADD_PHONE_CARD = "add_phone_card"
    DELETE_PHONE_CARD = "delete_phone_card"
    MODIFY_PHONE_CARD = "modify_phone_card"
    ADD_GATEWAY = "add_gateway"
    DELETE_GATEWAY = "delete_gateway"
    MODIFY_GATEWAY_INFO = "modify_gateway_info"
    MODIFY_GATEWAY_CAPACITY = "modify_gateway_capacity"
    PAY_SELF = "pay_self"
    PAY_SUB = "pay_sub"


_A = AgentAction
#: The authorization each action needs.
REQUIRED_AUTHORIZATION: Mapping[AgentAction, Authorization] = {
    _A.VIEW: Authorization.NONE,
    _A.ADD_ACCOUNT: Authorization.ACCOUNT,
    _A.DELETE_ACCOUNT: Authorization.ACCOUNT,
    _A.MODIFY_ACCOUNT: Authorization.ACCOUNT,
    _A.ADD_PHONE: Authorization.PHONE,
    _A.DELETE_PHONE: Authorization.PHONE,
    _A.MODIFY_PHONE: Authorization.PHONE,
    _A.ADD_PHONE_CARD: Authorization.PHONE_CARD,
    _A.DELETE_PHONE_CARD: Authorization.PHONE_CARD,
    _A.MODIFY_PHONE_CARD: Authorization.PHONE_CARD,
    _A.ADD_GATEWAY: Authorization.GATEWAY,
    _A.DELETE_GATEWAY: Authorization.GATEWAY,
    _A.MODIFY_GATEWAY_INFO: Authorization.GATEWAY_INFO,
    _A.MODIFY_GATEWAY_CAPACITY: Authorization.GATEWAY_CAPACITY,
    _A.PAY_SELF: Authorization.PAYMENT_SELF,
    _A.PAY_SUB: Authorization.PAYMENT_SUB,
}
# Where the target may stand relative to the acting agent:
#   "self"  -- the agent itself only;  "sub" -- strictly below it;
#   "own"   -- itself or below it (an account's phones, cards and gateways; a new account's
#              parent; viewing).
_TARGET_RULE: Mapping[AgentAction, str] = {
    _A.VIEW: "own",
    _A.ADD_ACCOUNT: "own",
    _A.DELETE_ACCOUNT: "sub",
    _A.MODIFY_ACCOUNT: "sub",
    _A.PAY_SELF: "self",
    _A.PAY_SUB: "sub",
}


def _check_id(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{field}: expected a str account id, got {value!r}")
    if not value or value != value.strip():
        raise InvalidArgument(
            f"{field}: account id {value!r} must be non-empty, without surrounding spaces"
        )
    return value


def _check_aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidArgumentType(f"{field}: expected a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgument(f"{field}: {value.isoformat()} has no time zone")
    return value


def _id_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_id(value, attribute.name)


def _parent_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_id(value, attribute.name)


def _status_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, AccountStatus):
        raise InvalidArgumentType(f"status: expected an AccountStatus, got {value!r}")
    if value is AccountStatus.EXPIRED:
        raise InvalidArgument("status: 'expired' is derived from expires_at and is not stored")


def _expiry_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_aware(value, "expires_at")  # type: ignore[arg-type]


def _type_validator(kind: type, field: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise InvalidArgumentType(f"{field}: expected {kind.__name__}, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Account:
    """One account. Immutable: a directory replaces it whole on every change."""

    id: str = attrs.field(validator=_id_validator)
    name: str = attrs.field(default="", validator=_type_validator(str, "name"))
    parent_id: str | None = attrs.field(default=None, validator=_parent_validator)
    status: AccountStatus = attrs.field(default=AccountStatus.ACTIVE, validator=_status_validator)
    expires_at: datetime | None = attrs.field(default=None, validator=_expiry_validator)
    authorizations: Authorization = attrs.field(
        default=Authorization.NONE, validator=_type_validator(Authorization, "authorizations")
    )
    number_section: NumberSection = attrs.field(
        factory=NumberSection, validator=_type_validator(NumberSection, "number_section")
    )
    billing_model: BillingModel = attrs.field(
        default=BillingModel.STANDARD, validator=_type_validator(BillingModel, "billing_model")
    )
    memo: str = attrs.field(default="", validator=_type_validator(str, "memo"))

    def own_status(self, now: datetime) -> AccountStatus:
        """This account's status at ``now``, ignoring its agents: locked and inactive win
        over expired."""
        if self.status is not AccountStatus.ACTIVE:
            return self.status
        if self.expires_at is not None and now >= self.expires_at:
            return AccountStatus.EXPIRED
        return AccountStatus.ACTIVE

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data."""
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "status": self.status.value,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "authorizations": self.authorizations.names(),
            "number_section": self.number_section.to_dict(),
            "billing_model": self.billing_model.value,
            "memo": self.memo,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        """The inverse of :meth:`to_dict`; a bad field is an error naming it."""
        known = {field.name for field in attrs.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidArgument(f"account: unknown field {min(unknown)!r}")
        fields = dict(data)
        try:
            if "status" in fields:
                fields["status"] = AccountStatus(fields["status"])
            if "billing_model" in fields:
                fields["billing_model"] = BillingModel(fields["billing_model"])
        except ValueError as error:
            raise InvalidArgument(f"account {data.get('id')!r}: {error}") from None
        if fields.get("expires_at") is not None:
            try:
                fields["expires_at"] = datetime.fromisoformat(fields["expires_at"])
            except (TypeError, ValueError):
                raise InvalidArgument(
                    f"expires_at: {fields['expires_at']!r} is not an ISO 8601 date-time"
                ) from None
        if "authorizations" in fields:
            fields["authorizations"] = Authorization.parse(fields["authorizations"])
        if "number_section" in fields:
            fields["number_section"] = NumberSection.from_dict(fields["number_section"])
        return cls(**fields)


@attrs.frozen
class Operator:
    """A system operator (an admin of the switch), acting outside the agent tree.

    The directory lets an operator do anything; what an admin may do is the policy's
    business (:mod:`vosengine.policy`)."""

    name: str

    def __str__(self) -> str:
        return f"operator:{self.name}"


#: Who performs a change: an operator, or the id of an agent account acting in its subtree.
Actor = Operator | str


def _actor_label(actor: Actor) -> str:
    return str(actor) if isinstance(actor, Operator) else f"agent:{actor}"


@attrs.frozen(kw_only=True)
class Decision:
    """Allowed or denied, with the reason. Truthy when allowed."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@attrs.frozen(kw_only=True)
class StatusVerdict:
    """An account's effective status and the account it comes from (itself or an agent)."""

    status: AccountStatus
    account_id: str

    def __bool__(self) -> bool:
        return self.status is AccountStatus.ACTIVE


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
    """One change to the directory: who, what, before, after, when (the system log)."""

    seq: int
    at: datetime
    actor: str
    action: str
    account_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "account_id": self.account_id,
            "before": self.before,
            "after": self.after,
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
                before=data["before"],
                after=data["after"],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidArgument(f"audit record {data!r}: {error!r}") from None


_UPDATABLE = frozenset(
    {"name", "status", "expires_at", "authorizations", "number_section", "billing_model", "memo"}
)


# -- the directory -----------------------------------------------------------------------


class AccountDirectory:
    """Every account and the agent tree, with the VOS3000 rules enforced on every change.

    Thread safety: mutations take an internal lock, so several threads may change the
    directory; they build new :class:`Account` values and swap them in whole, so a reader on
    another thread sees each account before or after a change, never half of one. A reader
    that needs several answers consistent with each other should take a :meth:`snapshot`.
    """

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._children: dict[str, tuple[str, ...]] = {}
        self._audit: list[AuditRecord] = []
        self._lock = threading.RLock()
        # account id -> the non-open number sections from it up to the root, nearest first
        self._section_chains: dict[str, tuple[tuple[str, NumberSection], ...]] = {}
        self._listeners: list[Callable[[], None]] = []

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
            raise UnknownAccount(f"account {account_id!r} does not exist") from None

    def children(self, account_id: str) -> tuple[str, ...]:
        """Ids of the direct sub-accounts, in the order they were added."""
        self.get(account_id)
        return self._children.get(account_id, ())

    def sub_accounts(self, account_id: str, scope: Scope = Scope.DIRECT) -> list[str]:
        """Ids of the sub-accounts: first level (``DIRECT``) or the whole subtree (``ALL``,
        depth first, parents before their children). O(size of the result)."""
        direct = self.children(account_id)
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

    def level(self, account_id: str) -> int:
        """0 for a top-level account, 1 for its sub-accounts, and so on."""
        return len(self.ancestors(account_id))

    def is_agent(self, account_id: str) -> bool:
        """Whether the account has sub-accounts (and so is an agent)."""
        return bool(self.children(account_id))

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

    def status_verdict(self, account_id: str, now: datetime) -> StatusVerdict:
        """The worst status of the account and every agent above it, and whose it is
        (the nearest account when several are equally bad). O(depth)."""
        _check_aware(now, "now")
        accounts = self._accounts
        account = self.get(account_id)
        worst = account.own_status(now)
        worst_id = account.id
        parent = account.parent_id
        while parent is not None:
            agent = accounts[parent]
            status = agent.own_status(now)
            if _SEVERITY[status] > _SEVERITY[worst]:
                worst, worst_id = status, agent.id
            parent = agent.parent_id
        return StatusVerdict(status=worst, account_id=worst_id)

    def effective_status(self, account_id: str, now: datetime) -> AccountStatus:
        """The worst status of the account and every agent above it. O(depth)."""
        if now.utcoffset() is None:
            _check_aware(now, "now")
        accounts = self._accounts
        account = self.get(account_id)
        worst = account.own_status(now)
        parent = account.parent_id
        while parent is not None:
            agent = accounts[parent]
            status = agent.own_status(now)
            if _SEVERITY[status] > _SEVERITY[worst]:
                worst = status
            parent = agent.parent_id
        return worst

    def _section_chain(self, account_id: str) -> tuple[tuple[str, NumberSection], ...]:
        chain = self._section_chains.get(account_id)
        if chain is not None:
            return chain
        with self._lock:  # a miss is filled under the lock, so no change can interleave
            levels = [self.get(account_id)]
            levels.extend(self._accounts[i] for i in self.ancestors(account_id))
            chain = tuple(
                (level.id, level.number_section)
                for level in levels
                if not level.number_section.is_open
            )
            self._section_chains[account_id] = chain
            return chain

    def number_allowed(self, account_id: str, number: str) -> bool:
        """Whether every level from the account up allows ``number``.

        O(levels with a number section × len(number)); the chain of sections is cached per
        account and dropped on any change to sections or to the tree.
        """
        for _, section in self._section_chain(account_id):  # noqa: SIM110 - the hot path
            if not section.allows(number):
                return False
        return True

    def number_check(self, account_id: str, number: str) -> NumberCheck:
        """:meth:`number_allowed` with the level and entry that refused (the nearest one)."""
        for level_id, section in self._section_chain(account_id):
            verdict = section.decide(number)
            if not verdict.allowed:
                return NumberCheck(allowed=False, account_id=level_id, entry=verdict.entry)
        return NumberCheck(allowed=True)

    def check(self, actor: Actor, action: AgentAction, target: str, *, now: datetime) -> Decision:
        """May ``actor`` do ``action`` on the account ``target``? Scope and authorization in
        one place.

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
        rule = _TARGET_RULE.get(action, "own")
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
        verdict = self.status_verdict(agent.id, now)
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
        """:meth:`check`, raising :class:`PermissionDenied` when it refuses."""
        decision = self.check(actor, action, target, now=now)
        if not decision:
            raise PermissionDenied(decision)

    def tree(self, root: str | None = None) -> list[dict[str, Any]]:
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

    def audit_log(self) -> list[AuditRecord]:
        """Every change so far, oldest first (a copy)."""
        return list(self._audit)

    # -- changing --------------------------------------------------------------------------

    def _authorize(self, actor: Actor, action: AgentAction, target: str, now: datetime) -> None:
        if not isinstance(actor, Operator | str):
            raise InvalidArgumentType(
                f"actor: expected an Operator or an agent account id, got {actor!r}"
            )
        self.require(actor, action, target, now=now)

    def _changed(self) -> None:
        self._section_chains.clear()
        for listener in self._listeners:
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every change to the directory (caches derived from it,
        such as a policy's compiled decisions, drop themselves)."""
        self._listeners.append(listener)

    def _record(
        self,
        now: datetime,
        actor: Actor,
        action: str,
        account_id: str,
        before: Account | None,
        after: Account | None,
    ) -> None:
        self._audit.append(
            AuditRecord(
                seq=len(self._audit) + 1,
                at=now,
                actor=_actor_label(actor),
                action=action,
                account_id=account_id,
                before=None if before is None else before.to_dict(),
                after=None if after is None else after.to_dict(),
            )
        )

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

    def add(self, account: Account, *, actor: Actor, now: datetime) -> Account:
        """Add a new account. Its parent must exist; an agent may add accounts only under
        itself or its sub-accounts, and only with authorizations its parent holds."""
        if not isinstance(account, Account):
            raise InvalidArgumentType(f"account: expected an Account, got {account!r}")
        _check_aware(now, "now")
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
                self._children[account.parent_id] = (
                    *self._children.get(account.parent_id, ()),
                    account.id,
                )
            self._record(now, actor, "add", account.id, None, account)
            self._changed()
            return account

    def update(self, account_id: str, *, actor: Actor, now: datetime, **changes: Any) -> Account:
        """Change fields of an account (``name``, ``status``, ``expires_at``,
        ``authorizations``, ``number_section``, ``billing_model``, ``memo``; use
        :meth:`move` for ``parent_id``). Reducing ``authorizations`` reduces them in the
        whole subtree too; adding one the parent lacks is an error."""
        _check_aware(now, "now")
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
            cascade = self._revocations(account_id, after.authorizations)
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
        ``kept``."""
        out = []
        for sub_id in self.sub_accounts(account_id, Scope.ALL):
            sub = self._accounts[sub_id]
            if sub.authorizations & ~kept:
                out.append((sub, attrs.evolve(sub, authorizations=sub.authorizations & kept)))
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
        _check_aware(now, "now")
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
                self._children[new_parent_id] = (
                    *self._children.get(new_parent_id, ()),
                    account_id,
                )
            self._record(now, actor, "move", account_id, before, after)
            self._changed()
            return after

    def _detach(self, account: Account) -> None:
        if account.parent_id is None:
            return
        siblings = tuple(c for c in self._children[account.parent_id] if c != account.id)
        if siblings:
            self._children[account.parent_id] = siblings
        else:
            del self._children[account.parent_id]

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
        _check_aware(now, "now")
        if cascade and reassign_to is not None:
            raise InvalidArgument("reassign_to: cannot both cascade and reassign")
        with self._lock:
            self.get(account_id)
            self._authorize(actor, AgentAction.DELETE_ACCOUNT, account_id, now)
            below = self.sub_accounts(account_id, Scope.ALL)
            direct = self._children.get(account_id, ())
            moved: list[tuple[Account, Account]] = []
            if direct and not cascade:
                if reassign_to is None:
                    raise HierarchyError(
                        f"account {account_id!r} has {len(below)} sub-accounts: delete them,"
                        " reassign them (reassign_to=...), or cascade=True"
                    )
                heir = self.get(reassign_to)
                if heir.id == account_id or heir.id in below:
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
            removed = [*reversed(below), account_id] if cascade else [account_id]
            # apply
            for before, after in moved:
                self._accounts[after.id] = after
                self._children[heir.id] = (*self._children.get(heir.id, ()), after.id)
                self._record(now, actor, "move", after.id, before, after)
            if moved:
                del self._children[account_id]
            for gone_id in removed:
                gone = self._accounts[gone_id]
                self._detach(gone)
                self._children.pop(gone_id, None)
                del self._accounts[gone_id]
                self._record(now, actor, "remove", gone_id, gone, None)
            self._changed()
            return removed

    # -- snapshots -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every account (parents before children) and the audit log, as plain JSON-able
        data; :meth:`from_dict` restores exactly this directory."""
        with self._lock:
            order: list[str] = []
            for account in self._accounts.values():
                if account.parent_id is None:
                    order.append(account.id)
                    order.extend(self.sub_accounts(account.id, Scope.ALL))
            return {
                "format": "vosengine.accounts/1",
                "accounts": [self._accounts[i].to_dict() for i in order],
                "audit": [record.to_dict() for record in self._audit],
            }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccountDirectory:
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
                directory._children[account.parent_id] = (
                    *directory._children.get(account.parent_id, ()),
                    account.id,
                )
        directory._audit = [AuditRecord.from_dict(r) for r in data.get("audit", ())]
        return directory

    def snapshot(self) -> AccountDirectory:
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
        for record_index, record in enumerate(self._audit):
            assert record.seq == record_index + 1
