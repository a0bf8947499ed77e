"""The one exception tree of vosengine.

Every error the library raises on purpose derives from :class:`VosEngineError`. Each class also
derives from the built-in exception it means, so a caller that only knows Python still catches
it (``except ValueError`` catches :class:`InvalidArgument`).

Errors name what was wrong and where: the offending value, field, row or header.
"""

from __future__ import annotations

__all__ = [
    "InvalidArgument",
    "InvalidArgumentType",
    "NotFound",
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
