"""The policy facade: may this admin (or API key) do this, on this resource, now, from here?

Casbin is the source of truth: roles, the module permission matrix, per-admin grants and
denies, agent scope bindings, IP whitelists, login windows, disabled flags, sub-admin parents
and API keys are all policy lines of ``models/admin_policy.conf`` (package data), so any Casbin
adapter loads and saves the whole policy (:meth:`Policy.save`; a ``Policy`` built on an adapter
rebuilds its admins from it). Decisions do not ask Casbin per call: each subject's rights and
conditions are compiled once into sets and integer ranges, and every change drops the compiled
form, so a change is visible to the very next decision (no re-login).
:meth:`Policy.casbin_decision` asks the same question of Casbin's own ``enforce`` (with the
account tree synced into ``g2`` by :meth:`Policy.sync_hierarchy`); the tests prove the two equal
on random policies.

What no Casbin matcher says is decided here, the same way in both paths: a sub-admin's rights
are the intersection with its parent's (a grant beyond them is refused); an API key has exactly
its admin's rights and scope; an admin without a scope line is global, without a whitelist may
come from anywhere, without a window may act at any time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from importlib import resources
from typing import Any

import attrs
import casbin

from .._checks import check_rows, check_str, check_type
from .._net import Networks, address_key
from .._time import check_aware
from ..accounts import AccountDirectory, AccountStatus, AgentAction
from ..errors import InvalidArgument, InvalidArgumentType
from ..verdicts import Decision
from ._admin import Admin, LoginWindow, UnknownSubject, in_window
from ._rights import _PERMISSIONS, PERMISSION_TEMPLATES, ROLE_GRANTS, Role, _permission

__all__ = ["Policy"]

#: The most caller addresses a :class:`Policy` keeps parsed; beyond it they are parsed at
#: each decision, so a flood of addresses costs time, not memory.
MAX_CACHED_ADDRESSES = 65_536


def _address(ip: str, cache: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """``(version, integer)`` of an IP address, kept in ``cache`` (hosts ask about few
    addresses) until it holds :data:`MAX_CACHED_ADDRESSES`."""
    found = cache.get(ip)
    if found is None:
        found = address_key(ip)
        if found is None:
            raise InvalidArgument(f"ip: {ip!r} is not an IP address")
        if len(cache) < MAX_CACHED_ADDRESSES:
            cache[ip] = found  # a racing insert writes the same value: no lock needed
    return found


@attrs.frozen
class _Compiled:
    admin: Admin
    allowed: frozenset[str]
    denied: frozenset[str]
    chain: tuple[Admin, ...]  # the admin and every parent above it
    # every IP whitelist and every set of login windows of the chain, the admin's own first:
    # a sub-admin (and an API key) is held to each of them
    networks: tuple[tuple[Admin, Networks], ...]
    windows: tuple[tuple[Admin, tuple[LoginWindow, ...]], ...]
    # whether anything but IP and time can refuse (a disabled admin, a stopped agent)
    guarded: bool
    # the agent accounts of the chain's scopes: why they stop it (locked / inactive), and the
    # earliest expiry among them and their agents above
    agent_block: str | None
    agent_expiry: datetime | None
    # whether anything but the rights can refuse (guarded, a whitelist or a window)
    conditional: bool
    # permission -> its Decision (built once per subject and permission)
    decisions: dict[str, Decision] = attrs.field(factory=dict, eq=False)


def _whose(compiled: _Compiled, admin: Admin) -> str:
    """How a refusal names the admin whose restriction it is: nothing for the subject's own."""
    return "" if admin is compiled.admin else f" of {admin.name!r}, above it"


class Policy:
    """Admins, roles, grants and API keys, with fast decisions (see the module docstring).

    Thread-safe: changes take a lock; decisions read a compiled snapshot. A compile that
    raced a change (of the policy or of the directory) is used once and never kept: every
    invalidation moves a generation counter, and a compiled form is stored only when the
    counter has not moved since the compile began."""

    def __init__(self, *, directory: AccountDirectory | None = None, adapter: Any = None) -> None:
        text = resources.files("vosengine.policy").joinpath("models/admin_policy.conf").read_text()
        model = casbin.Enforcer.new_model(text=text)
        try:
            self.enforcer = (
                casbin.Enforcer(model, adapter) if adapter is not None else casbin.Enforcer(model)
            )
        except RuntimeError as error:  # what casbin raises for an adapter it cannot use
            raise InvalidArgument(f"adapter: {adapter!r}: {error}") from None
        if directory is not None:
            check_type(directory, AccountDirectory, "directory")
        self.enforcer.add_function("inWindow", in_window)
        self.directory = directory
        if directory is not None:
            directory.subscribe(self._changed)
        self._admins: dict[str, Admin] = {}
        self._keys: dict[str, str] = {}
        self._compiled: dict[str, _Compiled] = {}
        self._networks: dict[str, Networks] = {}  # each admin's whitelist, parsed once
        self._addresses: dict[str, tuple[int, int]] = {}  # parsed caller IPs, bounded
        self._lock = threading.RLock()
        # guards the compiled forms and the generation; taken last (a directory listener
        # holds the directory's lock when it takes it), never held while taking another
        self._cache_lock = threading.Lock()
        self._generation = 0
        if not self.enforcer.get_filtered_policy(0, f"role:{Role.SUPER_ADMIN.value}"):
            rules = [
                [f"role:{role.value}", *p.split("."), "allow"]
                for role, grants in ROLE_GRANTS.items()
                for p in sorted(grants)
            ]
            self.enforcer.add_policies(rules)
        self._load_admins()

    def _load_admins(self) -> None:
        """Rebuild the admin and API-key views from the Casbin policy (after a load)."""
        e = self.enforcer
        admins: dict[str, Admin] = {}
        roles = {r.value: r for r in Role}
        for subject, role in e.get_named_grouping_policy("g"):
            name = subject.removeprefix("admin:")
            if not subject.startswith("admin:") or role.removeprefix("role:") not in roles:
                raise InvalidArgument(f"policy: bad role line {subject!r} -> {role!r}")
            admins[name] = Admin(name=name, role=roles[role.removeprefix("role:")])

        def field(kind: str, name: str) -> list[list[str]]:
            return e.get_filtered_named_policy(kind, 0, f"admin:{name}")  # type: ignore[no-any-return]

        parents = {
            child.removeprefix("admin:"): parent.removeprefix("admin:")
            for child, parent in e.get_named_policy("p7")
        }
        for name, admin in list(admins.items()):
            agents = [line[1].removeprefix("account:") for line in field("p2", name)]
            windows = tuple(
                LoginWindow(
                    days=frozenset(int(d) for d in line[1]),
                    start=time.fromisoformat(line[2]),
                    end=time.fromisoformat(line[3]),
                    timezone=line[4],
                )
                for line in field("p4", name)
            )
            admins[name] = attrs.evolve(
                admin,
                agent_id=agents[0] if agents else None,
                parent=parents.get(name),
                disabled=bool(field("p5", name)),
                ip_whitelist=tuple(line[1] for line in field("p3", name)),
                login_windows=windows,
            )
        self._admins = admins
        self._networks = {
            name: Networks(admin.ip_whitelist, field="ip_whitelist")
            for name, admin in admins.items()
            if admin.ip_whitelist
        }
        self._keys = {
            k.removeprefix("key:"): a.removeprefix("admin:") for k, a in e.get_named_policy("p6")
        }
        self._changed()

    def save(self) -> None:
        """Write the whole policy through the Casbin adapter given at construction."""
        if self.enforcer.adapter is None:
            raise InvalidArgument("save: this policy has no adapter; give one to Policy()")
        self.enforcer.save_policy()

    def sync_hierarchy(self) -> None:
        """Load the account tree into Casbin (``g2``) from the directory, so that Casbin's own
        ``enforce`` can answer scope questions (audits, differential tests). Decisions do not
        need it: they read the directory."""
        if self.directory is None:
            raise InvalidArgument("sync_hierarchy: this policy has no account directory")
        with self._lock:
            self.enforcer.remove_filtered_named_grouping_policy("g2", 0)
            links = [
                [f"account:{a.id}", f"account:{a.parent_id}"]
                for a in self.directory
                if a.parent_id is not None
            ]
            if links:
                self.enforcer.add_named_grouping_policies("g2", links)

    # -- changes ---------------------------------------------------------------------------------

    def _changed(self) -> None:
        with self._cache_lock:
            self._generation += 1
            self._compiled = {}

    def add_admin(self, admin: Admin) -> None:
        """Register an admin: its role, scope, parent, whitelist and windows all go into the
        Casbin policy. A sub-admin names its parent: its scope must lie inside the parent's,
        and its rights are cut to the parent's when decided."""
        if not isinstance(admin, Admin):
            raise InvalidArgumentType(f"admin: expected an Admin, got {admin!r}")
        if not isinstance(admin.role, Role):
            raise InvalidArgument(f"role: unknown role {admin.role!r}")
        if not admin.name or ":" in admin.name:
            raise InvalidArgument(f"name: {admin.name!r} must be non-empty, without ':'")
        networks = Networks(admin.ip_whitelist, field="ip_whitelist")  # refused before changes
        with self._lock:
            if admin.name in self._admins:
                raise InvalidArgument(f"name: admin {admin.name!r} exists already")
            if admin.parent is not None:
                parent = self._admin(admin.parent)
                if parent.agent_id is not None and (
                    admin.agent_id is None
                    or self.directory is None
                    or not self.directory.is_within(admin.agent_id, parent.agent_id)
                ):
                    raise InvalidArgument(
                        f"agent_id: sub-admin {admin.name!r} must stay inside the scope of"
                        f" {parent.name!r} (agent {parent.agent_id!r})"
                    )
            if admin.agent_id is not None:
                if self.directory is None:
                    raise InvalidArgument("agent_id: this policy has no account directory")
                self.directory.get(admin.agent_id)
            subject = f"admin:{admin.name}"
            e = self.enforcer
            e.add_grouping_policy(subject, f"role:{admin.role.value}")
            if admin.agent_id is not None:
                e.add_named_policy("p2", subject, f"account:{admin.agent_id}")
            for cidr in admin.ip_whitelist:
                e.add_named_policy("p3", subject, cidr)
            for window in admin.login_windows:
                e.add_named_policy(
                    "p4",
                    subject,
                    "".join(str(d) for d in sorted(window.days)),
                    window.start.isoformat(),
                    window.end.isoformat(),
                    window.timezone,
                )
            if admin.parent is not None:
                e.add_named_policy("p7", subject, f"admin:{admin.parent}")
            if admin.disabled:
                e.add_named_policy("p5", subject, "disabled")
            self._admins[admin.name] = admin
            if networks:
                self._networks[admin.name] = networks
            self._changed()

    def set_disabled(self, name: str, *, disabled: bool = True) -> None:
        """Disable (or enable) an admin; its sub-admins stop with it."""
        with self._lock:
            admin = self._admin(name)
            if disabled:
                self.enforcer.add_named_policy("p5", f"admin:{name}", "disabled")
            else:
                self.enforcer.remove_named_policy("p5", f"admin:{name}", "disabled")
            self._admins[name] = attrs.evolve(admin, disabled=disabled)
            self._changed()

    def _apply(self, changes: list[tuple[str, str, str, str, str]]) -> None:
        """Validate a batch of (verb, admin, module, action, effect) first, then apply it
        whole."""
        with self._lock:
            rules = []
            for verb, name, module, action, effect in changes:
                admin = self._admin(name)
                permission = _permission(module, action)
                if verb == "add" and effect == "allow" and admin.parent is not None:
                    parent = self._compile(admin.parent)
                    if permission not in parent.allowed - parent.denied:
                        raise InvalidArgument(
                            f"grant: {permission} is beyond what {admin.parent!r} may do"
                        )
                rules.append((verb, [f"admin:{name}", module, action, effect]))
            for verb, rule in rules:
                if verb == "add":
                    self.enforcer.add_policy(*rule)
                else:
                    self.enforcer.remove_policy(*rule)
            self._changed()

    def grant(self, name: str, module: str, action: str) -> None:
        self._apply([("add", name, module, action, "allow")])

    def deny(self, name: str, module: str, action: str) -> None:
        """An explicit deny: it beats any grant, the role's included."""
        self._apply([("add", name, module, action, "deny")])

    def revoke(self, name: str, module: str, action: str) -> None:
        """Remove a per-admin grant or deny (the role's grants stay)."""
        self._apply(
            [("remove", name, module, action, "allow"), ("remove", name, module, action, "deny")]
        )

    def apply_batch(self, changes: Iterable[tuple[str, str, str, str]]) -> None:
        """``(verb, admin, module, action)`` with verb ``grant``, ``deny`` or ``revoke``;
        every change is checked first, then all apply, or none."""
        plan: list[tuple[str, str, str, str, str]] = []
        for verb, name, module, action in check_rows(changes, "changes", 4):
            if verb == "grant":
                plan.append(("add", name, module, action, "allow"))
            elif verb == "deny":
                plan.append(("add", name, module, action, "deny"))
            elif verb == "revoke":
                plan += [
                    ("remove", name, module, action, "allow"),
                    ("remove", name, module, action, "deny"),
                ]
            else:
                raise InvalidArgument(f"verb: {verb!r} is not grant, deny or revoke")
        self._apply(plan)

    def add_api_key(self, key_id: str, admin: str) -> None:
        """An API key with exactly its admin's rights and scope."""
        with self._lock:
            self._admin(admin)
            if key_id in self._keys:
                raise InvalidArgument(f"key_id: API key {key_id!r} exists already")
            self.enforcer.add_named_policy("p6", f"key:{key_id}", f"admin:{admin}")
            self._keys[key_id] = admin

    def clone(self, source: str, target: str) -> None:
        """Copy ``source``'s per-admin grants and denies onto ``target`` (VOS3000 cannot)."""
        with self._lock:
            self._admin(source)
            self._admin(target)
            rules = self.enforcer.get_filtered_policy(0, f"admin:{source}")
            plan = [("add", target, r[1], r[2], r[3]) for r in rules]
            self._apply(plan)

    # -- decisions ---------------------------------------------------------------------------------

    def _admin(self, name: str) -> Admin:
        try:
            return self._admins[name]
        except (KeyError, TypeError):
            raise UnknownSubject(f"admin {name!r} does not exist") from None

    def _compile(self, name: str) -> _Compiled:
        compiled = self._compiled.get(name)
        if compiled is not None:
            return compiled
        with self._lock:
            generation = self._generation  # before anything is read
            compiled = self._compiled.get(name)
            if compiled is not None:
                return compiled
            admin = self._admin(name)
            allowed: set[str] = set()
            denied: set[str] = set()
            for rule in self.enforcer.get_implicit_permissions_for_user(f"admin:{name}"):
                (denied if rule[3] == "deny" else allowed).add(f"{rule[1]}.{rule[2]}")
            chain: tuple[Admin, ...] = (admin,)
            if admin.parent is not None:
                parent = self._compile(admin.parent)
                allowed &= parent.allowed - parent.denied
                chain = (admin, *parent.chain)
            block, expiry = self._agent_state(chain)
            networks = tuple((a, self._networks[a.name]) for a in chain if a.name in self._networks)
            windows = tuple((a, a.login_windows) for a in chain if a.login_windows)
            guarded = any(a.disabled for a in chain) or block is not None or expiry is not None
            compiled = _Compiled(
                admin,
                frozenset(allowed),
                frozenset(denied),
                chain,
                networks,
                windows,
                guarded,
                block,
                expiry,
                guarded or bool(networks) or bool(windows),
            )
            with self._cache_lock:
                if self._generation == generation:  # no change since the first read
                    self._compiled[name] = compiled
            return compiled

    def _agent_state(self, chain: tuple[Admin, ...]) -> tuple[str | None, datetime | None]:
        """Whether a scope agent (or an agent above it) is locked or inactive, and the
        earliest expiry among them."""
        if self.directory is None:
            return None, None
        expiry: datetime | None = None
        for admin in chain:
            if admin.agent_id is None:
                continue
            agent_ids = [admin.agent_id, *self.directory.ancestors(admin.agent_id)]
            for agent_id in agent_ids:
                account = self.directory.get(agent_id)
                if account.status is not AccountStatus.ACTIVE:
                    return f"agent {agent_id!r} is {account.status.value}", None
                if account.expires_at is not None and (
                    expiry is None or account.expires_at < expiry
                ):
                    expiry = account.expires_at
        return None, expiry

    def _subject(self, subject: str) -> str:
        if check_str(subject, "subject").startswith("key:"):
            try:
                return self._keys[subject[4:]]
            except KeyError:
                raise UnknownSubject(f"API key {subject[4:]!r} does not exist") from None
        return subject

    def check_module(
        self,
        subject: str,
        module: str,
        action: str,
        *,
        ip: str | None = None,
        now: datetime,
    ) -> Decision:
        """May ``subject`` (an admin name or ``key:<id>``) do ``action`` in ``module``, from
        ``ip``, at ``now`` (aware; required, since login windows and agent expiry decide)?"""
        if type(now) is not datetime or now.tzinfo is None:
            check_aware(now, "now")
        if type(subject) is not str:
            check_str(subject, "subject")
        compiled = self._compiled.get(subject) or self._compile(self._subject(subject))
        try:
            permission = _PERMISSIONS.get((module, action)) or _permission(module, action)
        except TypeError:
            permission = _permission(module, action)  # names what is no str
        if compiled.conditional:
            refusal = self._conditions(compiled, ip, now)
            if refusal is not None:
                return refusal
        decision = compiled.decisions.get(permission)
        if decision is None:
            if permission in compiled.denied:
                decision = Decision(allowed=False, reason=f"{permission} is denied to {subject!r}")
            elif permission not in compiled.allowed:
                decision = Decision(
                    allowed=False, reason=f"{subject!r} has no grant for {permission}"
                )
            else:
                decision = Decision(allowed=True, reason=f"{subject!r} may {permission}")
            compiled.decisions[permission] = decision
        return decision

    def check_account(
        self,
        subject: str,
        account_id: str,
        action: str,
        *,
        ip: str | None = None,
        now: datetime,
    ) -> Decision:
        """May ``subject`` do ``action`` (an ``account`` module action) on ``account_id``?
        An admin bound to an agent reaches only that agent's subtree. With a directory, an
        account it does not hold is :class:`~vosengine.accounts.UnknownAccount` for every
        subject, as the directory itself answers; without one, no account is known, so a
        global admin reaches any id and a scoped admin none."""
        directory = self.directory
        if directory is not None and (type(account_id) is not str or account_id not in directory):
            directory.get(account_id)  # the directory's own error
        decision = self.check_module(subject, "account", action, ip=ip, now=now)
        if not decision:
            return decision
        for admin in self._compile(self._subject(subject)).chain:
            scope = admin.agent_id
            if scope is not None and (
                self.directory is None or not self.directory.is_within(account_id, scope)
            ):
                return Decision(
                    allowed=False,
                    reason=f"account {account_id!r} is outside the scope of agent"
                    f" {admin.agent_id!r}",
                )
        return decision

    def check_agent(
        self, agent_id: str, action: AgentAction, target: str, *, now: datetime
    ) -> Decision:
        """An agent account acting on an account (its self-service portal): the directory's
        rule of scope and the eight authorizations."""
        if self.directory is None:
            raise InvalidArgument("check_agent: this policy has no account directory")
        return self.directory.decide(agent_id, action, target, now=now)

    def check(
        self,
        subject: str,
        action: str,
        resource: str,
        *,
        ip: str | None = None,
        now: datetime,
    ) -> Decision:
        """The general form: ``resource`` is ``module:<name>`` or ``account:<id>``."""
        kind, _, name = check_str(resource, "resource").partition(":")
        if kind == "module":
            return self.check_module(subject, name, action, ip=ip, now=now)
        if kind == "account":
            return self.check_account(subject, name, action, ip=ip, now=now)
        raise InvalidArgument(f"resource: {resource!r} is not module:<name> or account:<id>")

    def _conditions(self, compiled: _Compiled, ip: str | None, now: datetime) -> Decision | None:
        if compiled.guarded:
            if compiled.agent_block is not None:
                return Decision(allowed=False, reason=compiled.agent_block)
            if compiled.agent_expiry is not None and now >= compiled.agent_expiry:
                return Decision(
                    allowed=False,
                    reason=f"the agent of {compiled.admin.name!r} expired"
                    f" {compiled.agent_expiry.isoformat()}",
                )
            for admin in compiled.chain:
                if not admin.disabled:
                    continue
                who = "" if admin is compiled.admin else f" (its parent {admin.name!r})"
                return Decision(
                    allowed=False, reason=f"admin {compiled.admin.name!r} is disabled{who}"
                )
        if compiled.networks:
            if ip is None:
                return Decision(allowed=False, reason="an IP whitelist applies: give ip=")
            key = _address(ip, self._addresses)
            for admin, networks in compiled.networks:
                if not networks.contains_key(key):
                    return Decision(
                        allowed=False,
                        reason=f"{ip} is not in the IP whitelist{_whose(compiled, admin)}",
                    )
        for admin, windows in compiled.windows:
            if not any(window.contains(now=now) for window in windows):
                return Decision(
                    allowed=False, reason=f"outside the login windows{_whose(compiled, admin)}"
                )
        return None

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
        differential tests). Account scope needs :meth:`sync_hierarchy` first."""
        e = self.enforcer
        name = self._subject(subject)
        chain = self._compile(name).chain
        block, expiry = self._agent_state(chain)  # directory data, outside Casbin
        check_aware(now, "now")
        if account_id is not None and self.directory is not None:
            self.directory.get(account_id)  # as check_account: an unknown account is an error
        if block is not None or (expiry is not None and now >= expiry):
            return False
        for admin in chain:
            who = f"admin:{admin.name}"
            if not e.enforce(who, module, action):
                return False
            if e.get_filtered_named_policy("p5", 0, who):
                return False
            scoped = account_id is not None and e.get_filtered_named_policy("p2", 0, who)
            if scoped and not e.enforce(e.new_enforce_context("2"), who, f"account:{account_id}"):
                return False
            if e.get_filtered_named_policy("p3", 0, who) and (  # every whitelist of the chain
                ip is None or not e.enforce(e.new_enforce_context("3"), who, ip)
            ):
                return False
            windows = e.get_filtered_named_policy("p4", 0, who)  # and every window
            if windows and not e.enforce(e.new_enforce_context("4"), who, now):
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
