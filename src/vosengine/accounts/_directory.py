"""The account directory: the tree, its rules and its changes, in one object."""

from __future__ import annotations

from ._mutations import _Mutations

__all__ = ["AccountDirectory"]


class AccountDirectory(_Mutations):
    """Every account and the agent tree, with the VOS3000 rules enforced on every change.

    Thread safety: mutations take an internal lock, so several threads may change the
    directory; they build new :class:`Account` values and swap them in whole, so a reader on
    another thread sees each account before or after a change, never half of one. A reader
    that needs several answers consistent with each other should take a :meth:`snapshot`.
    """
