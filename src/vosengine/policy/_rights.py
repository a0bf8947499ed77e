"""The module permission matrix, the admin roles and their default grants, and the
permission templates of the periodic review."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from .._checks import check_str
from ..errors import InvalidArgument

__all__ = ["MODULES", "PERMISSION_TEMPLATES", "ROLE_GRANTS", "TEMPLATES", "Role"]


#: The module permission matrix: module -> its actions.
MODULES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "rate": ("view", "add", "edit", "delete", "import", "export"),
        "account": ("view", "add", "edit", "delete", "lock", "balance_adjust"),
        "gateway": ("view", "add", "edit", "delete", "enable"),
        "cdr": ("query", "export", "view_reports", "schedule_reports", "modify"),
        "system": ("view_parameters", "edit_parameters", "manage_admins", "view_logs", "backup"),
        "phone": ("view", "add", "edit", "delete", "ivr_config", "audio"),
        "alarm": ("view", "configure", "acknowledge", "clear"),
    }
)
_ALL = frozenset(f"{m}.{a}" for m, actions in MODULES.items() for a in actions)
_VIEWS = frozenset(
    p
    for p in _ALL
    if p.split(".")[1] in ("view", "query", "view_reports", "view_parameters", "view_logs")
)


class Role(enum.Enum):
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"
    OPERATOR = "operator"
    READ_ONLY = "read_only"


#: Default grants of each role ("module.action").
ROLE_GRANTS: Mapping[Role, frozenset[str]] = MappingProxyType(
    {
        Role.SUPER_ADMIN: _ALL,
        Role.ADMIN: frozenset(
            p
            for p in _ALL
            if p.split(".")[0] in ("rate", "account", "gateway", "phone")
            or p
            in (
                "cdr.query",
                "cdr.export",
                "cdr.view_reports",
                "cdr.schedule_reports",
                "alarm.view",
                "alarm.acknowledge",
            )
        ),
        Role.OPERATOR: _VIEWS | {"account.add", "cdr.export"},
        Role.READ_ONLY: _VIEWS,
    }
)

#: Permission templates for the periodic review.
PERMISSION_TEMPLATES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "agent_admin": frozenset(p for p in _ALL if p.split(".")[0] in ("account", "phone"))
        | {"cdr.query", "cdr.view_reports", "rate.view"},
        "support_operator": _VIEWS | {"account.lock", "phone.edit", "alarm.acknowledge"},
        "billing_auditor": _VIEWS | {"cdr.export", "rate.export"},
        "system_administrator": _ALL,
    }
)


_PERMISSIONS: dict[tuple[str, str], str] = {
    (module, action): f"{module}.{action}"
    for module, actions in MODULES.items()
    for action in actions
}


def _permission(module: str, action: str) -> str:
    check_str(module, "module"), check_str(action, "action")
    found = _PERMISSIONS.get((module, action))
    if found is not None:
        return found
    if module not in MODULES:
        raise InvalidArgument(f"module: unknown module {module!r}; known: {sorted(MODULES)}")
    if action not in MODULES[module]:
        raise InvalidArgument(
            f"action: {module!r} has no action {action!r}; it has {list(MODULES[module])}"
        )
    return f"{module}.{action}"


#: The old name of :data:`PERMISSION_TEMPLATES`, kept until the next minor release.
TEMPLATES = PERMISSION_TEMPLATES
