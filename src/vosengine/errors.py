"""The one exception tree of vosengine.

Every error the library raises on purpose derives from :class:`VosEngineError`. A class also
derives from the built-in exception it means, so a caller that only knows Python still catches
it (``except ValueError`` catches :class:`InvalidArgument`); a refusal means no built-in
(``PermissionError`` would make it an ``OSError``), so :class:`Refused` derives from none.

Errors name what was wrong and where: the offending value, field, row or header. The whole
tree (each class is importable from the package named beside it)::

    VosEngineError
    ├── InvalidArgument (ValueError)          a value the library cannot accept
    │   ├── InvalidArgumentType (TypeError)   a value of the wrong type
    │   ├── accounts.DuplicateAccount         an account id that exists already
    │   ├── accounts.HierarchyError           a change that would break the agent tree
    │   ├── accounts.AuthorizationNotHeld     an authorization the parent lacks
    │   ├── inventory.DuplicateItem           a number, DID, username or network taken
    │   ├── inventory.WeakPassword            a password the policy refuses
    │   ├── ledger.IdempotencyConflict        a key reused for another request
    │   └── rating.RateDeckError              a broken rate deck row (row, column)
    ├── NotFound (KeyError)                   an exact look-up found nothing
    │   ├── accounts.UnknownAccount
    │   ├── inventory.UnknownItem             no phone or gateway of this number or id
    │   ├── ledger.UnknownLedgerAccount
    │   ├── ledger.UnknownReservation
    │   ├── rating.RateNotFound               no rate in force for a number
    │   ├── cdr.MissingRateTable              a level of the chain has no rate table
    │   ├── routing.UnknownCall               a release for a call that holds no gateway
    │   └── policy.UnknownSubject             no admin or API key of this name
    ├── Refused                               understood, and the rules say no
    │   ├── PermissionDenied                  out of scope or without the authorization
    │   ├── ledger.InsufficientFunds          the account cannot cover the amount
    │   └── routing.GatewayBusy               a gateway at its capacity or CPS limit
    ├── Unavailable (ConnectionError)         a shared store (Redis) did not answer: retry
    └── sip.ProtocolError (ValueError)        SIP; ``status`` is the answer to send
        ├── sip.ParseError                    the peer's bytes are no valid SIP
        ├── sip.TransactionError              an input a transaction's table refuses
        └── sip.LocalProtocolError            the host asked for what SIP does not allow
                                              (also an InvalidArgument)

The same fault raises the same class everywhere: a value of the wrong type (a ``str`` where a
``datetime`` or a prefix belongs) is :class:`InvalidArgumentType`; a value of the right type
that is not acceptable (a naive ``datetime``, an empty prefix) is :class:`InvalidArgument`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verdicts import Verdict

__all__ = [
    "InvalidArgument",
    "InvalidArgumentType",
    "NotFound",
    "PermissionDenied",
    "Refused",
    "Unavailable",
    "VosEngineError",
]


class VosEngineError(Exception):
    """Root of every error vosengine raises on purpose."""


class InvalidArgument(VosEngineError, ValueError):
    """An argument has a value the library cannot accept (a bad prefix, a bad amount ...)."""


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument has the wrong type (a prefix that is not a ``str`` ...)."""


class NotFound(VosEngineError, KeyError):
    """An exact lookup found nothing (a prefix not in a table, an unknown account ...).

    ``str()`` gives the message rather than ``KeyError``'s quoted ``repr``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Refused(VosEngineError):
    """The request was understood and the rules say no: a permission, the money. No built-in
    exception means that, so this one derives from none."""


class PermissionDenied(Refused):
    """The actor may not do this: out of its scope, or without the authorization it needs.

    ``decision`` is the refusing :class:`~vosengine.verdicts.Decision` (any verdict: it has
    ``allowed`` and ``reason``)."""

    def __init__(self, decision: Verdict) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class Unavailable(VosEngineError, ConnectionError):
    """A store shared by several nodes (Redis) could not be reached, or did not answer in
    time. The message says what is known of the operation; an operation with an idempotency
    key may be retried with the same key, and is applied once."""
