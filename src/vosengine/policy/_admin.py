"""Admins as values: an :class:`Admin` login with its role, scope, whitelist and
:class:`LoginWindow` s; the ``inWindow`` matcher of the Casbin model."""

from __future__ import annotations

from datetime import datetime, time, tzinfo

import attrs

from .._time import check_aware, check_weekly, in_weekly, local_reading, weekdays, zone
from ..errors import NotFound
from ._rights import Role

__all__ = ["Admin", "LoginWindow", "UnknownSubject", "in_window"]


class UnknownSubject(NotFound):
    """No admin or API key has this name."""


@attrs.frozen(kw_only=True)
class LoginWindow:
    """Days (0 = Monday) and ``[start, end)`` hours in a time zone when a login may act (``end``
    of ``00:00`` is midnight at the end of the day)."""

    days: frozenset[int] = attrs.field(converter=weekdays)
    start: time
    end: time
    timezone: str = "UTC"
    _tz: tzinfo = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_weekly(self.days, self.start, self.end)
        object.__setattr__(self, "_tz", zone(self.timezone))

    def contains(self, *, now: datetime) -> bool:
        """Whether the instant ``now`` (aware) lies in this window."""
        weekday, clock, _ = local_reading(check_aware(now, "now"), self._tz)
        return in_weekly(self.days, self.start, self.end, weekday, clock)


def in_window(when: datetime, days: str, start: str, end: str, tz: str) -> bool:
    """The ``inWindow`` matcher function of the Casbin model (a p4 line)."""
    weekday, clock, _ = local_reading(check_aware(when, "now"), zone(tz))
    opens, closes = time.fromisoformat(start), time.fromisoformat(end)
    return in_weekly(frozenset(int(d) for d in days), opens, closes, weekday, clock)


@attrs.frozen(kw_only=True)
class Admin:
    """An admin login: its role, its scope (an agent's subtree, or everything), its parent
    (for an agent's sub-administrator), whether it is disabled, and where and when it may
    act."""

    name: str
    role: Role
    agent_id: str | None = None
    parent: str | None = None
    disabled: bool = False
    ip_whitelist: tuple[str, ...] = ()
    login_windows: tuple[LoginWindow, ...] = ()
