"""Login security as pure functions of ``now``: lockout, password policy, idle sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from .._checks import check_positive, check_str, check_type
from .._time import check_aware
from ..abuse import SlidingWindowCounter
from ..errors import InvalidArgument

__all__ = ["LoginLockout", "password_problems", "session_expired"]


class LoginLockout:
    """Locks a login after ``threshold`` failures within ``window``, for ``lock_for``.

    Failures are counted with the one :class:`~vosengine.abuse.SlidingWindowCounter` on the
    instants' POSIX timestamps, for at most ``max_logins`` logins (the one failed longest ago
    is forgotten beyond that). Not thread-safe: guard it with the caller's lock."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        window: timedelta = timedelta(minutes=15),
        lock_for: timedelta = timedelta(minutes=15),
        max_logins: int = 100_000,
    ) -> None:
        check_positive(threshold, "threshold", int), check_positive(max_logins, "max_logins", int)
        for value, name in ((window, "window"), (lock_for, "lock_for")):
            if check_type(value, timedelta, name) <= timedelta(0):
                raise InvalidArgument(f"{name}: {value} is not positive")
        self.threshold = threshold
        self.window = window
        self.lock_for = lock_for
        self._failures: SlidingWindowCounter[str] = SlidingWindowCounter(
            window=window.total_seconds(), limit=threshold, max_keys=max_logins
        )
        self._locked: dict[str, datetime] = {}

    def locked_until(self, login: str, *, now: datetime) -> datetime | None:
        """When the lock on ``login`` ends, or None when it is not locked at ``now``."""
        check_aware(now, "now")
        until = self._locked.get(login)
        if until is None or now >= until:
            self._locked.pop(login, None)
            return None
        return until

    def record_failure(self, login: str, *, now: datetime) -> datetime | None:
        """Count a failed login; returns the lock's end when this failure locks it."""
        failures = self._failures.hit(login, now=check_aware(now, "now").timestamp())
        if failures >= self.threshold and self.locked_until(login, now=now) is None:
            self._failures.reset(login)
            self._locked[login] = now + self.lock_for
            return self._locked[login]
        return None

    def record_success(self, login: str) -> None:
        self._failures.reset(login)


def password_problems(password: str, *, login: str | None = None, minimum: int = 12) -> list[str]:
    """Why ``password`` is too weak (empty when it is good): length, character classes, and
    not containing the login name.

    >>> password_problems("Tr0ub4dor&3-horse")
    []
    """
    check_str(password, "password"), check_type(minimum, int, "minimum")
    if login is not None:
        check_str(login, "login")
    problems = []
    if len(password) < minimum:
        problems.append(f"shorter than {minimum} characters")
    if not any(c.islower() for c in password):
        problems.append("no lower-case letter")
    if not any(c.isupper() for c in password):
        problems.append("no upper-case letter")
    if not any(c.isdigit() for c in password):
        problems.append("no digit")
    if all(c.isalnum() for c in password):
        problems.append("no symbol")
    if login and login.lower() in password.lower():
        problems.append("contains the login name")
    return problems


def session_expired(last_activity: datetime, *, now: datetime, idle: timedelta) -> bool:
    """Whether a session idle since ``last_activity`` has timed out at ``now``."""
    check_type(idle, timedelta, "idle")
    return check_aware(now, "now") - check_aware(last_activity, "last_activity") >= idle
