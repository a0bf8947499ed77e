"""The dynamic blacklist: block sources (and users) that keep failing authentication.

Failures are counted in a sliding window per source IP and per user. By default **5 failures
within 10 minutes block the IP for 10 minutes**; a user is blocked the same way when
``user_threshold`` is set. Trusted networks (``whitelist``) are never blocked. Everything is
driven by the ``now`` the host passes in (seconds from any fixed epoch, non-decreasing: the
host's monotonic clock).

Addresses are compared in one form: an IPv4-mapped IPv6 address (``::ffff:10.1.2.3``, what a
dual-stack socket reports for an IPv4 peer) is its IPv4 address, and an IPv6 address is
written compressed in lower case.

Failures are counted with the one :class:`~vosengine.abuse.SlidingWindowCounter`. The tables
are bounded at ``max_entries`` each (100,000 by default): failure counts of addresses, of
users, and blocks. When one is full the entry touched longest ago is dropped (a failure count)
or the block that started first ends early. Every call also drops up to two entries whose time
has passed, so the tables shrink back without the host calling :meth:`Blacklist.prune` (which
drops every one at once); each call costs O(1) amortized whatever the tables hold.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable

import attrs

from .._bounded import PRUNE_STEP, drop_oldest
from .._checks import check_positive, check_str
from .._net import Networks, normalize_ip
from .._time import check_seconds
from ..abuse import SlidingWindowCounter
from ..errors import InvalidArgument, NotFound

__all__ = ["Blacklist", "BlockEntry", "normalize_ip"]


@attrs.frozen(kw_only=True)
class BlockEntry:
    """One block: what (``"ip"`` or ``"user"``), who, why, since and until when."""

    kind: str
    key: str
    reason: str
    since: float
    until: float


class Blacklist:
    """Counts failed authentications and blocks their sources for a while.

    Not thread-safe: one per event loop, or guard it with a lock."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        window: float = 600,
        block_for: float = 600,
        user_threshold: int | None = None,
        whitelist: Iterable[str] = (),
        max_entries: int = 100_000,
    ) -> None:
        check_positive(threshold, "threshold", int), check_positive(max_entries, "max_entries", int)
        if user_threshold is not None:
            check_positive(user_threshold, "user_threshold", int)
        check_positive(window, "window", (int, float))
        check_positive(block_for, "block_for", (int, float))
        self.threshold = threshold
        self.window = window
        self.block_for = block_for
        self.user_threshold = user_threshold
        self.max_entries = max_entries
        self._trusted = Networks(whitelist, field="whitelist")
        # failures in the window per source address and per user
        self._ip_failures: SlidingWindowCounter[str] = SlidingWindowCounter(
            window=window, limit=threshold, max_keys=max_entries
        )
        self._user_failures: SlidingWindowCounter[str] = SlidingWindowCounter(
            window=window, limit=user_threshold or 1, max_keys=max_entries
        )
        # key -> block, in the order they started (so also the order they end)
        self._blocks: OrderedDict[tuple[str, str], BlockEntry] = OrderedDict()

    @property
    def tracked(self) -> int:
        """How many failure counts and blocks the tables hold now."""
        return len(self._ip_failures) + len(self._user_failures) + len(self._blocks)

    def trusted(self, ip: str) -> bool:
        """Whether ``ip`` lies in the whitelist (and so is never blocked)."""
        return self._whitelisted(normalize_ip(ip))

    def _whitelisted(self, ip: str) -> bool:
        """:meth:`trusted` for an address already in its one form."""
        return bool(self._trusted) and ip in self._trusted

    def _active(self, kind: str, key: str, now: float) -> BlockEntry | None:
        entry = self._blocks.get((kind, key))
        if entry is None:
            return None
        if now >= entry.until:
            del self._blocks[(kind, key)]
            return None
        return entry

    def _tidy(self, now: float) -> None:
        """Drop up to two ended blocks and two expired failure counts, oldest first."""
        drop_oldest(self._blocks, lambda entry: entry.until <= now, PRUNE_STEP)
        self._ip_failures.prune(now=now, most=PRUNE_STEP)
        self._user_failures.prune(now=now, most=PRUNE_STEP)

    def is_blocked(self, ip: str, *, now: float, user: str | None = None) -> BlockEntry | None:
        """The block that stops this source (or user) now, or None."""
        now = check_seconds(now)
        self._tidy(now)
        if not self._blocks:
            return None
        ip = normalize_ip(ip)
        if self._whitelisted(ip):
            return None
        entry = self._active("ip", ip, now)
        if entry is None and user is not None:
            entry = self._active("user", user, now)
        return entry

    def record_failure(self, ip: str, *, now: float, user: str | None = None) -> list[BlockEntry]:
        """Count one failed authentication; returns the blocks it started (if any)."""
        now = check_seconds(now)
        self._tidy(now)
        ip = normalize_ip(ip)
        started = []
        if not self._whitelisted(ip):
            entry = self._count("ip", ip, self.threshold, now)
            if entry is not None:
                started.append(entry)
        if user is not None and self.user_threshold is not None:
            entry = self._count("user", user, self.user_threshold, now)
            if entry is not None:
                started.append(entry)
        return started

    def _count(self, kind: str, key: str, threshold: int, now: float) -> BlockEntry | None:
        if self._active(kind, key, now) is not None:
            return None  # blocked already: nothing more to count
        counter = self._ip_failures if kind == "ip" else self._user_failures
        failures = counter.hit(key, now=now)
        if failures < threshold:
            return None
        counter.reset(key)
        entry = BlockEntry(
            kind=kind,
            key=key,
            reason=f"{failures} failed authentications within {self.window:g} s",
            since=now,
            until=now + self.block_for,
        )
        blocks = self._blocks
        if len(blocks) >= self.max_entries:
            blocks.popitem(last=False)  # full: the block that started first ends early
        blocks[(kind, key)] = entry
        return entry

    def record_success(self, ip: str, *, now: float, user: str | None = None) -> None:
        """A good authentication clears the user's failure count (not the IP's)."""
        now = check_seconds(now)
        if user is not None:
            self._user_failures.reset(user)

    def unblock(self, key: str, *, kind: str = "ip") -> None:
        """Lift a block by hand; an unknown block is :class:`~vosengine.NotFound`."""
        if kind not in ("ip", "user"):
            raise InvalidArgument(f"kind: expected 'ip' or 'user', got {kind!r}")
        check_str(key, "key")
        if kind == "ip":
            key = normalize_ip(key)
        if self._blocks.pop((kind, key), None) is None:
            raise NotFound(f"{kind} {key!r} is not blocked")
        (self._ip_failures if kind == "ip" else self._user_failures).reset(key)

    def blocks(self, *, now: float) -> list[BlockEntry]:
        """Every block in force at ``now``, oldest first."""
        now = check_seconds(now)
        self.prune(now=now)
        return list(self._blocks.values())

    def prune(self, *, now: float) -> None:
        """Drop every ended block and every failure count older than the window at once."""
        now = check_seconds(now)
        drop_oldest(self._blocks, lambda entry: entry.until <= now, None)
        self._ip_failures.prune(now=now)
        self._user_failures.prune(now=now)

    def _check(self) -> None:
        """Assert the internal invariants (for tests): blocks in the order they started,
        under their own keys, each as long as ``block_for``; addresses in their one form;
        every table within ``max_entries``."""
        blocks = list(self._blocks.items())
        assert len(blocks) <= self.max_entries
        for (kind, key), entry in blocks:
            assert (entry.kind, entry.key) == (kind, key)
            assert kind in ("ip", "user")
            assert kind == "user" or normalize_ip(key) == key
            assert entry.until == entry.since + self.block_for
        assert all(a[1].since <= b[1].since for a, b in itertools.pairwise(blocks))
        for counter in (self._ip_failures, self._user_failures):
            assert counter.max_keys == self.max_entries
            counter._check()
