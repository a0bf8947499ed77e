"""The errors of the inventory."""

from __future__ import annotations

from ..errors import InvalidArgument, NotFound

__all__ = ["DuplicateItem", "UnknownItem", "WeakPassword"]


class UnknownItem(NotFound):
    """No phone has this number, or no gateway this id."""


class DuplicateItem(InvalidArgument):
    """A phone number, DID, SIP username, gateway id or source network is taken already."""


class WeakPassword(InvalidArgument):
    """A password breaks the inventory's :class:`PasswordPolicy`."""
