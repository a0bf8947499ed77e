"""The one vocabulary of answers: allowed or not, with the reason.

Every check of vosengine that answers "may this happen?" returns a :class:`Verdict`: a frozen
value with ``allowed`` (a ``bool``) and ``reason`` (a ``str`` a person can read), truthy
exactly when allowed. :class:`Decision` is the plain one; the others add what their question
needs (:class:`~vosengine.accounts.StatusVerdict` the status and the account it comes from,
:class:`~vosengine.accounts.NumberCheck` the level and entry that refused,
:class:`~vosengine.numbering.SectionVerdict` the deciding entry,
:class:`~vosengine.sip.DigestResult` the outcome). A refusal the host did not ask about is
raised instead: :class:`~vosengine.errors.PermissionDenied` carries the verdict.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Decision", "Verdict"]


@runtime_checkable
class Verdict(Protocol):
    """What every answer of a check has."""

    @property
    def allowed(self) -> bool: ...

    @property
    def reason(self) -> str: ...

    def __bool__(self) -> bool: ...


@attrs.frozen(kw_only=True)
class Decision:
    """Allowed or denied, with the reason. Truthy when allowed.

    >>> bool(Decision(allowed=False, reason="outside the login windows"))
    False
    """

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed
