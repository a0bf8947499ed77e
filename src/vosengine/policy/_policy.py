"""The policy facade: may this admin (or API key) do this, on this resource, now, from here?

Casbin is the source of truth: roles, the module permission matrix, per-admin grants and
denies, agent scope bindings, IP whitelists, login windows, disabled flags, sub-admin parents
and API keys are all policy lines of ``models/admin_policy.conf`` (package data), so any Casbin
adapter loads and saves the whole policy (:meth:`Policy.save`; a ``Policy`` built on an adapter
rebuilds its admins from it). Decisions do not ask Casbin per call: each subject's rights and
conditions are compiled once into sets and integer ranges, and every change drops the compiled
forms it can affect, so a change is visible to the very next decision (no re-login).

A change costs what it changes. The policy keeps its own index of Casbin's ``p`` rules by
subject, so compiling an admin reads that admin's and its role's rules, never the whole list;
a grant, deny, revoke or disable drops the compiled forms of that admin and the sub-admins
below it; a directory change drops only the admins whose compiled form read an account whose
status, expiry or parent it changed (a memo, a name or a new account drops nothing).
:meth:`Policy.casbin_decision` asks the same question of Casbin's own ``enforce`` (with the
account tree synced into ``g2`` by :meth:`Policy.sync_hierarchy`); the tests prove the two equal
on random policies.

What no Casbin matcher says is decided here, the same way in both paths: a sub-admin's rights
are the intersection with its parent's (a grant beyond them is refused); an API key has exactly
its admin's rights and scope; an admin without a scope line is global, without a whitelist may
come from anywhere, without a window may act at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, time
from importlib import resources
from typing import Any

import attrs
import casbin

from .._checks import check_rows, check_str, check_type
from .._net import Networks, address_key
from .._time import check_aware
from ..accounts import AccountDirectory, AgentAction
from ..errors import InvalidArgument, InvalidArgumentType, Unavailable, VosEngineError
from ..verdicts import Decision
from ._admin import Admin, LoginWindow, in_window
from ._compiled import _Compiled, _whose
from ._review import _Review
from ._rights import _PERMISSIONS, ROLE_GRANTS, Role, _permission
from ._rules import indexed_model

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


class _Enforcer(casbin.Enforcer):  # type: ignore[misc]
    """Casbin's enforcer, whose every load (a watcher's callback, a host's call) rebuilds the
    views its :class:`Policy` derives from it: all of them, or none, with Casbin's model as it
    was, when the loaded policy cannot be read."""

    _policy: Policy | None = None  # None while Casbin's constructor loads the first time

    def load_policy(self) -> None:
        policy = self._policy
        if policy is None:
            super().load_policy()
            return
        with policy._lock:  # no change of this node interleaves with the load
            model = getattr(self, "model")  # noqa: B009  (Casbin leaves it untyped)
            super().load_policy()
            try:
                policy._load_admins()
            except BaseException:
                self.model = model
                if self.auto_build_role_links:
                    self.build_role_links()
                raise


class Policy(_Review):
    """Admins, roles, grants and API keys, with fast decisions (see the module docstring).

    Thread-safe: changes take a lock; decisions read a compiled snapshot. A compile that
    raced a change (of the policy or of the directory) is used once and never kept: every
    invalidation moves a generation counter, and a compiled form is stored only when the
    counter has not moved since the compile began."""

    def __init__(
        self,
        *,
        directory: AccountDirectory | None = None,
        adapter: Any = None,
        watcher: Any = None,
    ) -> None:
        text = resources.files("vosengine.policy").joinpath("models/admin_policy.conf").read_text()
        model = indexed_model(text)  # O(1) rule changes, see _rules
        try:
            self.enforcer = _Enforcer(model, adapter) if adapter is not None else _Enforcer(model)
        except RuntimeError as error:  # what casbin raises for an adapter it cannot use
            raise InvalidArgument(f"adapter: {adapter!r}: {error}") from None
        if directory is not None:
            check_type(directory, AccountDirectory, "directory")
        if watcher is not None:
            for method in ("set_update_callback", "update"):
                if not callable(getattr(watcher, method, None)):
                    raise InvalidArgumentType(
                        f"watcher: expected a Casbin watcher (set_update_callback, update),"
                        f" got {watcher!r}"
                    )
            if adapter is None:
                raise InvalidArgument("watcher: needs an adapter, which the nodes load from")
        self.enforcer.add_function("inWindow", in_window)
        self.directory = directory
        self._start_compiler()
        self._addresses: dict[str, tuple[int, int]] = {}  # parsed caller IPs, bounded
        if not self.enforcer.get_filtered_policy(0, f"role:{Role.SUPER_ADMIN.value}"):
            rules = [
                [f"role:{role.value}", *p.split("."), "allow"]
                for role, grants in ROLE_GRANTS.items()
                for p in sorted(grants)
            ]
            self.enforcer.add_policies(rules)
        self._load_admins()
        self.enforcer._policy = self
        if directory is not None:
            directory.subscribe(self._directory_changed, changes=True)
        if watcher is not None:
            self.enforcer.set_watcher(watcher)
            self.enforcer.auto_notify_watcher = False  # one message per change: _writing
            watcher.set_update_callback(self._on_update)

    def _on_update(self, *_: object) -> None:
        """The watcher's callback: another node changed the stored policy."""
        self.reload()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The write phase of a change (under the lock): Casbin's lines, then one message to
        the other nodes through the watcher, also when a write failed midway (the lines
        before it are stored)."""
        watcher = self.enforcer.watcher
        try:
            yield
        except BaseException:
            if watcher is not None:
                with suppress(Unavailable):  # the error that stopped the change comes first
                    watcher.update()
            raise
        if watcher is not None:
            watcher.update()

    def reload(self) -> None:
        """Load the whole policy again from the Casbin adapter (what a message of the watcher
        given to ``Policy(watcher=)`` does, and ``policy.enforcer.load_policy()``): every view the
        policy derives from Casbin is rebuilt and every compiled decision dropped, so the next
        decision follows what was loaded. A loaded policy this policy cannot read raises
        :class:`~vosengine.errors.InvalidArgument` and changes nothing, Casbin's model
        included."""
        if self.enforcer.adapter is None:
            raise InvalidArgument("reload: this policy has no adapter; give one to Policy()")
        self.enforcer.load_policy()

    def _load_admins(self) -> None:
        """Rebuild the admin and API-key views from the Casbin policy (after a load): all of
        them, or none when a line cannot be read."""
        try:
            views = self._views()
        except VosEngineError:
            raise
        except (IndexError, ValueError) as error:  # a line with too few or unreadable fields
            raise InvalidArgument(f"policy: a stored line cannot be read ({error})") from None
        with self._lock:
            self._admins, self._rights, self._below, self._networks, self._keys = views
            self._changed()

    def _views(
        self,
    ) -> tuple[
        dict[str, Admin],
        dict[str, tuple[frozenset[str], frozenset[str]]],
        dict[str, set[str]],
        dict[str, Networks],
        dict[str, str],
    ]:
        """What the policy derives from Casbin's lines: admins, rights by subject, sub-admins,
        parsed whitelists and API keys."""
        e = self.enforcer
        admins: dict[str, Admin] = {}
        roles = {r.value: r for r in Role}
        for line in e.get_named_grouping_policy("g"):
            if len(line) != 2:
                raise InvalidArgument(f"policy: bad role line {line!r}")
            subject, role = line
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
            windows = []
            for line in field("p4", name):
                try:
                    days = frozenset(int(d) for d in line[1])
                    start, end = time.fromisoformat(line[2]), time.fromisoformat(line[3])
                except (ValueError, IndexError):
                    raise InvalidArgument(f"policy: bad login window line {line!r}") from None
                windows.append(LoginWindow(days=days, start=start, end=end, timezone=line[4]))
            admins[name] = attrs.evolve(
                admin,
                agent_id=agents[0] if agents else None,
                parent=parents.get(name),
                disabled=bool(field("p5", name)),
                ip_whitelist=tuple(line[1] for line in field("p3", name)),
                login_windows=tuple(windows),
            )
        rights: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for rule in e.get_policy():
            if len(rule) >= 4:
                self._index(rights, rule, add=True)
        below: dict[str, set[str]] = {}
        for name, admin in admins.items():
            if admin.parent is not None:
                below.setdefault(admin.parent, set()).add(name)
        networks = {
            name: Networks(admin.ip_whitelist, field="ip_whitelist")
            for name, admin in admins.items()
            if admin.ip_whitelist
        }
        keys = {
            k.removeprefix("key:"): a.removeprefix("admin:") for k, a in e.get_named_policy("p6")
        }
        return admins, rights, below, networks, keys

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
        with self._lock, self._writing():
            self.enforcer.remove_filtered_named_grouping_policy("g2", 0)
            links = [
                [f"account:{a.id}", f"account:{a.parent_id}"]
                for a in self.directory
                if a.parent_id is not None
            ]
            if links:
                self.enforcer.add_named_grouping_policies("g2", links)

    # -- changes ---------------------------------------------------------------------------------

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
            with self._writing():
                # its restrictions first, its role last: a node reading the stored policy
                # meanwhile finds no admin rather than one without its restrictions
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
                e.add_grouping_policy(subject, f"role:{admin.role.value}")
                self._admins[admin.name] = admin
                if networks:
                    self._networks[admin.name] = networks
                if admin.parent is not None:
                    self._below.setdefault(admin.parent, set()).add(admin.name)
                self._invalidate((admin.name,))  # nothing else read it

    def set_disabled(self, name: str, *, disabled: bool = True) -> None:
        """Disable (or enable) an admin; its sub-admins stop with it."""
        with self._lock:
            admin = self._admin(name)
            with self._writing():
                if disabled:
                    self.enforcer.add_named_policy("p5", f"admin:{name}", "disabled")
                else:
                    self.enforcer.remove_named_policy("p5", f"admin:{name}", "disabled")
                self._admins[name] = attrs.evolve(admin, disabled=disabled)
                for warm in self._invalidate((name,)):
                    self._compile(warm)  # in use: compiled again now, not at its next decision

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
            if not rules:
                return
            changed = set()
            e = self.enforcer
            with self._writing():
                for verb, rule in rules:
                    add = verb == "add"
                    if e.add_policy(*rule) if add else e.remove_policy(*rule):
                        self._index(self._rights, rule, add=add)
                        changed.add(rule[0].removeprefix("admin:"))
                for warm in self._invalidate(changed):
                    self._compile(warm)  # in use: compiled again now, not at its next decision

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
            with self._writing():
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
        if decision is None:  # kept per admin: a key's decision names its admin
            decision = compiled.decisions[permission] = self._rights_decision(compiled, permission)
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
        subject whose rights, address and time allow the action, global or scoped, as the
        directory itself answers (one refused by them is refused first, saying nothing about
        the account); without a directory no account is known, so a global admin reaches any
        id and a scoped admin none."""
        decision = self.check_module(subject, "account", action, ip=ip, now=now)
        if not decision:
            return decision
        directory = self.directory
        scoped = False
        for admin in self._compile(self._subject(subject)).chain:
            scope = admin.agent_id
            if scope is not None:
                scoped = True
                # is_within raises the directory's UnknownAccount for an unknown account
                if directory is None or not directory.is_within(account_id, scope):
                    return Decision(
                        allowed=False,
                        reason=f"account {account_id!r} is outside the scope of agent {scope!r}",
                    )
        if not scoped and directory is not None:
            directory.get(account_id)  # a global admin: the same error for an unknown account
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
        if compiled.networks is not None:
            if ip is None:
                return Decision(allowed=False, reason="an IP whitelist applies: give ip=")
            key = _address(ip, self._addresses)
            if not compiled.networks.contains_key(key):
                owner = next(a for a, n in compiled.whitelists if not n.contains_key(key))
                whose = _whose(compiled, owner)
                return Decision(allowed=False, reason=f"{ip} is not in the IP whitelist{whose}")
        if compiled.windows:
            for admin, windows in compiled.windows:
                if not any(window.contains(now=now) for window in windows):
                    whose = _whose(compiled, admin)
                    return Decision(allowed=False, reason=f"outside the login windows{whose}")
        return None
