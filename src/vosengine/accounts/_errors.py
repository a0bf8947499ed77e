"""The errors of the account directory."""

from __future__ import annotations

from ..errors import InvalidArgument, NotFound, VosEngineError
from ._verdicts import Decision

__all__ = [
    "AuthorizationNotHeld",
    "DuplicateAccount",
    "HierarchyError",
    "PermissionDenied",
    "UnknownAccount",
]


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
