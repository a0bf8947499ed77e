"""The errors of the account directory."""

from __future__ import annotations

from ..errors import InvalidArgument, NotFound, PermissionDenied

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
