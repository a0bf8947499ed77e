"""Admins as values: an :class:`Admin` login with its role, scope, whitelist and
:class:`LoginWindow` s; the ``inWindow`` matcher of the Casbin model."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from typing import Any

import attrs

from .._checks import check_items, check_name, check_str, check_type, of_type
from .._time import check_aware, check_weekly, in_weekly, local_reading, weekdays, zone
from ..errors import InvalidArgument, NotFound
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


def _role(value: object) -> Role:
    if isinstance(value, Role):
        return value
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(repr(role.value) for role in Role)
        raise InvalidArgument(f"role: {value!r} is no role; the roles are {known}") from None


def _name(instance: object, attribute: Any, value: str) -> None:
    check_name(value, attribute.name)


def _optional_name(instance: object, attribute: Any, value: str | None) -> None:
    if value is not None:
        check_name(value, attribute.name)


def _whitelist(value: object) -> tuple[str, ...]:
    return tuple(check_items(value, "ip_whitelist", check_str))


def _windows(value: object) -> tuple[LoginWindow, ...]:
    return tuple(check_items(value, "login_windows", lambda v, f: check_type(v, LoginWindow, f)))


@attrs.frozen(kw_only=True)
class Admin:
    """An admin login: its role, its scope (an agent's subtree, or everything), its parent
    (for an agent's sub-administrator), whether it is disabled, and where and when it may
    act."""

    name: str = attrs.field(validator=_name)
    role: Role = attrs.field(converter=_role)
    agent_id: str | None = attrs.field(default=None, validator=_optional_name)
    parent: str | None = attrs.field(default=None, validator=_optional_name)
    disabled: bool = attrs.field(default=False, validator=of_type(bool))
    ip_whitelist: tuple[str, ...] = attrs.field(default=(), converter=_whitelist)
    login_windows: tuple[LoginWindow, ...] = attrs.field(default=(), converter=_windows)
