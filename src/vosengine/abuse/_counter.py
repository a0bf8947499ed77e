"""The one sliding-window counter: how many events a key had in the last ``window`` seconds.

The dynamic blacklist counts failed authentications with it, the admin login lockout failed
logins, and routing's calls-per-second limits count call attempts per gateway with it.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from .._bounded import PRUNE_STEP, drop_oldest
from .._checks import check_positive, not_a_key
from .._time import check_seconds

__all__ = ["SlidingWindowCounter"]

K = TypeVar("K", bound=Hashable)


class SlidingWindowCounter(Generic[K]):
    """Counts events per key within the last ``window`` seconds of the monotonic ``now`` the
    host passes in (seconds from any fixed epoch, non-decreasing).

    An event at ``t`` counts while ``now - window < t``. A count saturates at ``limit``: a
    key remembers at most ``limit`` event times, which is all a threshold or a rate limit
    needs to know ("has it reached ``limit``?").

    **Memory bound:** at most ``max_keys`` keys, each holding at most ``limit`` floats, so
    O(``max_keys`` × ``limit``) whatever the traffic. When the table is full, the key hit
    longest ago is forgotten. Every call also drops up to two keys whose events have all left
    the window, so the table shrinks back without :meth:`prune`. Each call costs O(1)
    amortized. Not thread-safe: one per event loop, or guard it with the caller's lock.

    >>> attempts = SlidingWindowCounter(window=1.0, limit=3)
    >>> [attempts.hit("gw1", now=t) for t in (0.0, 0.2, 0.4, 0.6, 1.3, 2.0)]
    [1, 2, 3, 3, 3, 2]
    >>> attempts.count("gw1", now=3.5)
    0
    """

    __slots__ = ("_times", "limit", "max_keys", "window")

    def __init__(self, *, window: float, limit: int, max_keys: int = 100_000) -> None:
        check_positive(window, "window", (int, float))
        check_positive(limit, "limit", int)
        check_positive(max_keys, "max_keys", int)
        self.window = float(window)
        self.limit = limit
        self.max_keys = max_keys
        # key -> its event times in the window, least recently hit first
        self._times: OrderedDict[K, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many keys the table holds now."""
        return len(self._times)

    def hit(self, key: K, *, now: float) -> int:
        """Count one event of ``key`` at ``now``; returns its count in the window, this one
        included (at most :attr:`limit`)."""
        now = check_seconds(now)
        table = self._times
        drop_oldest(table, self._ended(now), PRUNE_STEP)
        try:
            times = table.pop(key, None)  # re-inserted last: the most recently hit
        except TypeError:
            raise not_a_key(key, "key") from None
        if times is None:
            if len(table) >= self.max_keys:
                table.popitem(last=False)  # full: forget the key hit longest ago
            times = deque(maxlen=self.limit)
        times.append(now)
        self._expire(times, now)
        table[key] = times
        return len(times)

    def count(self, key: K, *, now: float) -> int:
        """``key``'s count in the window at ``now`` (at most :attr:`limit`), without counting
        an event."""
        now = check_seconds(now)
        table = self._times
        drop_oldest(table, self._ended(now), PRUNE_STEP)
        try:
            times = table.get(key)
        except TypeError:
            raise not_a_key(key, "key") from None
        if times is None:
            return 0
        self._expire(times, now)
        return len(times)

    def reset(self, key: K) -> None:
        """Forget ``key``'s events (a good login, a block that started ...)."""
        try:
            self._times.pop(key, None)
        except TypeError:
            raise not_a_key(key, "key") from None

    def prune(self, *, now: float, most: int | None = None) -> None:
        """Drop the keys whose events have all left the window, oldest first: every one, or
        at most ``most``."""
        now = check_seconds(now)
        drop_oldest(self._times, self._ended(now), most)

    def _expire(self, times: deque[float], now: float) -> None:
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()

    def _ended(self, now: float) -> Callable[[deque[float]], bool]:
        horizon = now - self.window
        return lambda times: not times or times[-1] <= horizon

    def _check(self) -> None:
        """Assert the internal invariants (for tests)."""
        assert len(self._times) <= self.max_keys
        for times in self._times.values():
            assert times.maxlen == self.limit
            assert len(times) <= self.limit
            assert all(a <= b for a, b in zip(times, list(times)[1:], strict=False))
