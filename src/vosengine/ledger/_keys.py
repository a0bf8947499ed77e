"""What the ledger remembers of its idempotency keys, and for how long."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from .._bounded import PRUNE_STEP, drop_oldest
from ..errors import InvalidArgument, InvalidArgumentType

__all__: list[str] = []

#: How long the in-memory ledger remembers an idempotency key when not told otherwise.
DEFAULT_KEY_RETENTION = timedelta(hours=24)


class _Keys:
    """Idempotency keys, each with the request it stood for and its result, kept for
    ``retention`` after the business time (``now``) of the operation that used it first.

    A key is forgotten at the earliest ``retention`` after its operation, when later
    operations come in: each remembered key drops at most :data:`~vosengine._bounded.PRUNE_STEP`
    expired ones, oldest first, so the table holds about what the last ``retention`` of
    operations used, and a retry arriving later than that is a new operation. Not
    thread-safe: the ledger's lock guards it."""

    __slots__ = ("_entries", "retention")

    def __init__(self, retention: timedelta) -> None:
        if not isinstance(retention, timedelta):
            raise InvalidArgumentType(f"key_retention: expected a timedelta, got {retention!r}")
        if retention <= timedelta(0):
            raise InvalidArgument(f"key_retention: {retention} is not positive")
        self.retention = retention
        # key -> (request, result, when it may be forgotten), oldest first
        self._entries: OrderedDict[str, tuple[tuple[Any, ...], Any, datetime]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> tuple[tuple[Any, ...], Any] | None:
        """The request a key stood for and its result, or None for a key not (or no longer)
        remembered."""
        entry = self._entries.get(key)
        return None if entry is None else (entry[0], entry[1])

    def remember(self, key: str, request: tuple[Any, ...], result: Any, now: datetime) -> None:
        """Keep ``key`` with its request and result, and forget the expired ones first."""
        entries = self._entries
        drop_oldest(entries, lambda entry: entry[2] <= now, PRUNE_STEP)
        entries[key] = (request, result, now + self.retention)
