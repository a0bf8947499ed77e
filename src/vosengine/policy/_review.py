"""Audits of a policy: the same question asked of Casbin's own ``enforce``, each admin's
effective rights, and the periodic review against permission templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import casbin

from .._checks import check_str
from .._time import check_aware
from ..errors import InvalidArgument
from ._compiled import _Compiler
from ._rights import PERMISSION_TEMPLATES

__all__: list[str] = []


class _Review(_Compiler):
    """Casbin's own answer and the review (a base of ``Policy``)."""

    enforcer: casbin.Enforcer

    def casbin_decision(
        self,
        subject: str,
        module: str,
        action: str,
        *,
        account_id: str | None = None,
        ip: str | None = None,
        now: datetime,
    ) -> bool:
        """The same question asked of Casbin's own ``enforce`` (slow; for audits and the
        differential tests). Account scope needs :meth:`sync_hierarchy` first. As
        :meth:`~vosengine.policy.Policy.check_account`, an account the directory does not
        hold is its UnknownAccount once everything but the scope allows."""
        e = self.enforcer
        name = self._subject(subject)
        chain = self._compile(name).chain
        block, expiry, _ = self._agent_state(chain)  # directory data, outside Casbin
        check_aware(now, "now")
        if block is not None or (expiry is not None and now >= expiry):
            return False
        for admin in chain:
            who = f"admin:{admin.name}"
            if not e.enforce(who, module, action):
                return False
            if e.get_filtered_named_policy("p5", 0, who):
                return False
            if e.get_filtered_named_policy("p3", 0, who) and (  # every whitelist of the chain
                ip is None or not e.enforce(e.new_enforce_context("3"), who, ip)
            ):
                return False
            windows = e.get_filtered_named_policy("p4", 0, who)  # and every window
            if windows and not e.enforce(e.new_enforce_context("4"), who, now):
                return False
        if account_id is None:
            return True
        if self.directory is not None:
            self.directory.get(account_id)  # an unknown account is the directory's error
        for admin in chain:
            who = f"admin:{admin.name}"
            scoped = e.get_filtered_named_policy("p2", 0, who)
            if scoped and not e.enforce(e.new_enforce_context("2"), who, f"account:{account_id}"):
                return False
        return True

    # -- review ------------------------------------------------------------------------------------

    def effective(self, name: str) -> frozenset[str]:
        """Every ``module.action`` the admin may do (ignoring IP and time)."""
        compiled = self._compile(check_str(name, "name"))
        return compiled.allowed - compiled.denied

    def review(self, templates: Mapping[str, str]) -> dict[str, Any]:
        """Each admin's effective rights against its template (``templates``: admin ->
        template name), and the lists auditors ask for."""
        report: dict[str, Any] = {"admins": {}}
        for name in sorted(self._admins):
            rights = self.effective(name)
            template = templates.get(name)
            entry: dict[str, Any] = {"template": template}
            if template is not None:
                if template not in PERMISSION_TEMPLATES:
                    raise InvalidArgument(f"templates: unknown template {template!r}")
                entry["extra"] = sorted(rights - PERMISSION_TEMPLATES[template])
                entry["missing"] = sorted(PERMISSION_TEMPLATES[template] - rights)
            report["admins"][name] = entry
        names = sorted(self._admins)
        report["can_modify_cdrs"] = [n for n in names if "cdr.modify" in self.effective(n)]
        report["can_configure_gateways"] = [
            n
            for n in names
            if self.effective(n) & {"gateway.add", "gateway.edit", "gateway.delete"}
        ]
        report["system_rights"] = [
            n for n in names if any(p.startswith("system.") for p in self.effective(n))
        ]
        report["empty_ip_whitelist"] = [n for n in names if not self._admins[n].ip_whitelist]
        return report
