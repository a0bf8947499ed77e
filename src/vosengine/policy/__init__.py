"""Admin policy on Casbin: roles, the module permission matrix, agent scope, IP and time
rules, API keys, templates and review, and login security."""

from ..verdicts import (
    Decision as Decision,  # the old home, kept as an alias until the next minor release
)
from ._admin import Admin, LoginWindow, UnknownSubject
from ._login import LoginLockout, password_problems, session_expired
from ._policy import Policy
from ._rights import MODULES, PERMISSION_TEMPLATES, ROLE_GRANTS, Role
from ._rights import TEMPLATES as TEMPLATES  # the old name, until the next minor release
from ._watcher import RedisWatcher

__all__ = [
    "MODULES",
    "ROLE_GRANTS",
    "PERMISSION_TEMPLATES",
    "Admin",
    "LoginLockout",
    "LoginWindow",
    "Policy",
    "RedisWatcher",
    "Role",
    "UnknownSubject",
    "password_problems",
    "session_expired",
]
