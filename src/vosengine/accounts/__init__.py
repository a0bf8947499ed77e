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
  needs: :meth:`AccountDirectory.decide` is the one place that says so.
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

from ..errors import PermissionDenied as _PermissionDenied
from ..verdicts import Decision as _Decision
from ._account import (
    Account,
    AccountCategory,
    AccountStatus,
    Actor,
    BillingModel,
    Operator,
    Scope,
)
from ._authorizations import (
    ALL_AUTHORIZATIONS,
    AUTHORIZATION_TEMPLATES,
    CALLING_CARD,
    FULL,
    REQUIRED_AUTHORIZATION,
    RETAIL,
    SIP_TRUNK_PROVIDER,
    WHOLESALE,
    AgentAction,
    Authorization,
)
from ._authorizations import (
    TEMPLATES as TEMPLATES,  # the old name, until the next minor release
)
from ._directory import AccountDirectory
from ._errors import AuthorizationNotHeld, DuplicateAccount, HierarchyError, UnknownAccount
from ._payments import AgentPayments
from ._verdicts import AuditRecord, NumberCheck, StatusVerdict

# Old homes, kept as aliases until the next minor release: the one Decision is
# vosengine.verdicts.Decision, the one PermissionDenied vosengine.errors.PermissionDenied.
Decision = _Decision
PermissionDenied = _PermissionDenied

__all__ = [
    "ALL_AUTHORIZATIONS",
    "CALLING_CARD",
    "FULL",
    "REQUIRED_AUTHORIZATION",
    "RETAIL",
    "SIP_TRUNK_PROVIDER",
    "AUTHORIZATION_TEMPLATES",
    "WHOLESALE",
    "Account",
    "AccountCategory",
    "AccountDirectory",
    "AccountStatus",
    "Actor",
    "AgentAction",
    "AgentPayments",
    "AuditRecord",
    "Authorization",
    "AuthorizationNotHeld",
    "BillingModel",
    "DuplicateAccount",
    "HierarchyError",
    "NumberCheck",
    "Operator",
    "Scope",
    "StatusVerdict",
    "UnknownAccount",
]
