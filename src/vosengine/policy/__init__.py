"""Admin policy on Casbin: roles, the module permission matrix, agent scope, IP and time
rules, API keys, templates and review, and login security."""

from ._login import LoginLockout, password_problems, session_expired
from ._policy import (
    MODULES,
    ROLE_GRANTS,
    TEMPLATES,
    Admin,
    Decision,
    LoginWindow,
    Policy,
    Role,
    UnknownSubject,
)

__all__ = [
    "MODULES",
    "ROLE_GRANTS",
    "TEMPLATES",
    "Admin",
    "Decision",
    "LoginLockout",
    "LoginWindow",
    "Policy",
    "Role",
    "UnknownSubject",
    "password_problems",
    "session_expired",
]
