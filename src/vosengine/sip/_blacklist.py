"""The dynamic blacklist: block sources (and users) that keep failing authentication.

Failures are counted in a sliding window per source IP and per user. By default **5 failures
within 10 minutes block the IP for 10 minutes**; a user is blocked the same way when
``user_threshold`` is set. Trusted networks (``whitelist``) are never blocked. Everything is
driven by the ``now`` the host passes in (seconds from any fixed epoch).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable

import attrs

from ..errors import InvalidArgument, NotFound

__all__ = ["Blacklist", "BlockEntry"]


@attrs.frozen(kw_only=True)
class BlockEntry:
    """One block: what (``"ip"`` or ``"user"``), who, why, since and until when."""

    kind: str
    key: str
    reason: str
    since: float
    until: float


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidArgument(f"whitelist: {text!r} is not an IP address or CIDR") from None


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
    ) -> None:
        if threshold < 1 or (user_threshold is not None and user_threshold < 1):
            raise InvalidArgument("threshold: must be at least 1")
        if window <= 0 or block_for <= 0:
            raise InvalidArgument("window and block_for: must be positive")
        self.threshold = threshold
        self.window = window
        self.block_for = block_for
        self.user_threshold = user_threshold
        self._trusted = [_network(item) for item in whitelist]
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._blocks: dict[tuple[str, str], BlockEntry] = {}

    def trusted(self, ip: str) -> bool:
        """Whether ``ip`` lies in the whitelist (and so is never blocked)."""
        if not self._trusted:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self._trusted)

    def _active(self, kind: str, key: str, now: float) -> BlockEntry | None:
        entry = self._blocks.get((kind, key))
        if entry is None:
            return None
        if now >= entry.until:
            del self._blocks[(kind, key)]
            return None
        return entry

    def is_blocked(self, ip: str, now: float, *, user: str | None = None) -> BlockEntry | None:
        """The block that stops this source (or user) now, or None."""
        if self.trusted(ip):
            return None
        entry = self._active("ip", ip, now)
        if entry is None and user is not None:
            entry = self._active("user", user, now)
        return entry

    def record_failure(self, ip: str, now: float, *, user: str | None = None) -> list[BlockEntry]:
        """Count one failed authentication; returns the blocks it started (if any)."""
        started = []
        if not self.trusted(ip):
            entry = self._count("ip", ip, self.threshold, now)
            if entry is not None:
                started.append(entry)
        if user is not None and self.user_threshold is not None:
            entry = self._count("user", user, self.user_threshold, now)
            if entry is not None:
                started.append(entry)
        return started

    def _count(self, kind: str, key: str, threshold: int, now: float) -> BlockEntry | None:
        times = self._failures.setdefault((kind, key), deque())
        times.append(now)
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) < threshold or self._active(kind, key, now) is not None:
            return None
        entry = BlockEntry(
            kind=kind,
            key=key,
            reason=f"{len(times)} failed authentications within {self.window:g} s",
            since=now,
            until=now + self.block_for,
        )
        self._blocks[(kind, key)] = entry
        times.clear()
        return entry

    def record_success(self, ip: str, now: float, *, user: str | None = None) -> None:
        """A good authentication clears the user's failure count (not the IP's)."""
        if user is not None:
            self._failures.pop(("user", user), None)

    def unblock(self, key: str, *, kind: str = "ip") -> None:
        """Lift a block by hand; an unknown block is :class:`~vosengine.NotFound`."""
        if self._blocks.pop((kind, key), None) is None:
            raise NotFound(f"{kind} {key!r} is not blocked")
        self._failures.pop((kind, key), None)

    def blocks(self, now: float) -> list[BlockEntry]:
        """Every block in force at ``now``, oldest first."""
        live = [e for e in list(self._blocks.values()) if self._active(e.kind, e.key, now)]
        return sorted(live, key=lambda entry: entry.since)

    def prune(self, now: float) -> None:
        """Forget failure counts older than the window (call now and then)."""
        horizon = now - self.window
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= horizon]:
            del self._failures[key]
