"""The errors of rating: no rate in force, a broken rate deck."""

from __future__ import annotations

from ..errors import InvalidArgument, NotFound

__all__ = ["RateDeckError", "RateNotFound"]


class RateNotFound(NotFound):
    """No rate is in force for the number at that instant."""


class RateDeckError(InvalidArgument):
    """A rate deck (CSV) row is broken: ``row`` (1-based line number), ``column``, reason."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        where = ""
        if row is not None:
            where = f"row {row}" + (f", column {column!r}" if column else "") + ": "
        super().__init__(where + message)
        self.row = row
        self.column = column
