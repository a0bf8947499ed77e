"""Admin policy: roles, grants and denies, scope, IP and time rules, API keys, review, and the
compiled decisions against Casbin's own enforce()."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.accounts import FULL, Account, AccountDirectory, Operator
from vosengine.errors import InvalidArgument
from vosengine.policy import (
    MODULES,
    Admin,
    LoginLockout,
    LoginWindow,
    Policy,
    Role,
    UnknownSubject,
    password_problems,
    session_expired,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
OP = Operator(name="root")


def directory() -> AccountDirectory:
    d = AccountDirectory()
    for agent in ("agent-a", "agent-b"):
        d.add(Account(id=agent, authorizations=FULL), actor=OP, now=NOW)
        d.add(Account(id=f"{agent}-sub", parent_id=agent, authorizations=FULL), actor=OP, now=NOW)
        d.add(Account(id=f"{agent}-cust", parent_id=f"{agent}-sub"), actor=OP, now=NOW)
    return d


def test_roles_default_grants() -> None:
    policy = Policy()
    for name, role in [
        ("root", Role.SUPER_ADMIN),
        ("ann", Role.ADMIN),
        ("otto", Role.OPERATOR),
        ("rita", Role.READ_ONLY),
    ]:
        policy.add_admin(Admin(name=name, role=role))
    assert policy.check_module("root", "system", "manage_admins", now=NOW)
    assert policy.check_module("ann", "rate", "edit", now=NOW)
    assert not policy.check_module("ann", "system", "edit_parameters", now=NOW)
    assert policy.check_module("otto", "account", "add", now=NOW)
    assert not policy.check_module("otto", "system", "edit_parameters", now=NOW)  # no system config
    assert policy.check_module("rita", "rate", "view", now=NOW)
    for module, actions in MODULES.items():  # Read-Only views but never modifies
        for action in actions:
            allowed = bool(policy.check_module("rita", module, action, now=NOW))
            assert allowed == (
                action in ("view", "query", "view_reports", "view_parameters", "view_logs")
            ), (module, action)
    denied = policy.check_module("rita", "account", "edit", now=NOW)
    assert "has no grant for account.edit" in denied.reason


def test_grants_denies_and_changes_take_effect_at_once() -> None:
    policy = Policy()
    policy.add_admin(Admin(name="ann", role=Role.ADMIN))
    assert not policy.check_module("ann", "cdr", "modify", now=NOW)
    policy.grant("ann", "cdr", "modify")
    assert policy.check_module("ann", "cdr", "modify", now=NOW)  # no re-login
    policy.deny("ann", "rate", "delete")
    decision = policy.check_module("ann", "rate", "delete", now=NOW)
    assert not decision
    assert "denied" in decision.reason  # deny beats the role's grant
    policy.revoke("ann", "rate", "delete")
    assert policy.check_module("ann", "rate", "delete", now=NOW)
    with pytest.raises(InvalidArgument, match="unknown module 'billing'"):
        policy.grant("ann", "billing", "view")
    with pytest.raises(InvalidArgument, match="'rate' has no action 'fly'"):
        policy.grant("ann", "rate", "fly")
    with pytest.raises(UnknownSubject):
        policy.grant("nobody", "rate", "view")
    with pytest.raises(UnknownSubject):
        policy.check_module("nobody", "rate", "view", now=NOW)


def test_a_batch_applies_whole_or_not_at_all() -> None:
    policy = Policy()
    policy.add_admin(Admin(name="ann", role=Role.READ_ONLY))
    with pytest.raises(InvalidArgument, match="unknown module"):
        policy.apply_batch([("grant", "ann", "rate", "edit"), ("grant", "ann", "nope", "x")])
    assert not policy.check_module("ann", "rate", "edit", now=NOW)
    policy.apply_batch([("grant", "ann", "rate", "edit"), ("deny", "ann", "rate", "view")])
    assert policy.check_module("ann", "rate", "edit", now=NOW)
    assert not policy.check_module("ann", "rate", "view", now=NOW)


def test_agent_scope_sub_admins_and_api_keys() -> None:
    d = directory()
    policy = Policy(directory=d)
    policy.add_admin(Admin(name="a-admin", role=Role.ADMIN, agent_id="agent-a"))
    policy.add_admin(Admin(name="b-admin", role=Role.ADMIN, agent_id="agent-b"))
    assert policy.check_account("a-admin", "agent-a-cust", "edit", now=NOW)
    refused = policy.check_account("a-admin", "agent-b-cust", "edit", now=NOW)
    assert not refused
    assert "outside the scope of agent 'agent-a'" in refused.reason  # A never touches B's
    assert not policy.check("b-admin", "view", "account:agent-a-sub", now=NOW)
    # a sub-admin of agent A's admin, for the sub-agent: intersection of rights and scope
    policy.add_admin(
        Admin(name="a-staff", role=Role.OPERATOR, agent_id="agent-a-sub", parent="a-admin")
    )
    assert policy.check_account("a-staff", "agent-a-cust", "view", now=NOW)
    assert not policy.check_account("a-staff", "agent-a-cust", "edit", now=NOW)  # operator role
    assert not policy.check_account("a-staff", "agent-b-cust", "view", now=NOW)
    with pytest.raises(InvalidArgument, match="beyond what 'a-admin' may do"):
        policy.grant("a-staff", "system", "backup")
    with pytest.raises(InvalidArgument, match="must stay inside the scope"):
        policy.add_admin(Admin(name="rogue", role=Role.ADMIN, agent_id="agent-b", parent="a-admin"))
    policy.deny("a-admin", "account", "view")  # the parent loses a right: so does the child
    assert not policy.check_account("a-staff", "agent-a-cust", "view", now=NOW)
    policy.revoke("a-admin", "account", "view")
    # disabling the agent's admin stops its sub-admin
    policy.set_disabled("a-admin")
    stopped = policy.check_account("a-staff", "agent-a-cust", "view", now=NOW)
    assert not stopped
    assert "its parent 'a-admin'" in stopped.reason
    policy.set_disabled("a-admin", disabled=False)
    # an API key reaches exactly its admin's scope and rights
    policy.add_api_key("k1", "a-admin")
    assert policy.check("key:k1", "edit", "account:agent-a-cust", now=NOW)
    assert not policy.check("key:k1", "edit", "account:agent-b-cust", now=NOW)
    assert not policy.check("key:k1", "edit_parameters", "module:system", now=NOW)
    with pytest.raises(UnknownSubject):
        policy.check("key:nope", "view", "module:rate", now=NOW)


def test_ip_whitelists_and_login_windows() -> None:
    office = LoginWindow(days={0, 1, 2, 3, 4}, start=time(8), end=time(18), timezone="Asia/Dhaka")
    policy = Policy()
    policy.add_admin(
        Admin(
            name="ann",
            role=Role.ADMIN,
            ip_whitelist=("192.0.2.0/24", "2001:db8::/32"),
            login_windows=(office,),
        )
    )
    at_work = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka, a Wednesday
    assert policy.check_module("ann", "rate", "view", ip="192.0.2.7", now=at_work)
    assert policy.check_module("ann", "rate", "view", ip="2001:db8::5", now=at_work)
    assert not policy.check_module("ann", "rate", "view", ip="198.51.100.1", now=at_work)
    night = at_work + timedelta(hours=10)
    outside = policy.check_module("ann", "rate", "view", ip="192.0.2.7", now=night)
    assert not outside
    assert "outside the login windows" in outside.reason
    no_ip = policy.check_module("ann", "rate", "view", now=NOW)
    assert not no_ip
    assert no_ip.reason == "an IP whitelist applies: give ip="
    with pytest.raises(InvalidArgument, match="now: 2026-11-25T10:00:00 has no time zone"):
        policy.check_module("ann", "rate", "view", ip="192.0.2.7", now=NOW.replace(tzinfo=None))
    with pytest.raises(InvalidArgument, match="not an IP address or CIDR"):
        policy.add_admin(Admin(name="bad", role=Role.ADMIN, ip_whitelist=("300.1.1.1/8",)))
    with pytest.raises(InvalidArgument, match="is not after start"):
        LoginWindow(days={0}, start=time(18), end=time(8))


def test_clone_and_review() -> None:
    policy = Policy()
    policy.add_admin(Admin(name="ann", role=Role.ADMIN, ip_whitelist=("192.0.2.1",)))
    policy.add_admin(Admin(name="bob", role=Role.ADMIN))
    policy.grant("ann", "cdr", "modify")
    policy.deny("ann", "gateway", "delete")
    policy.clone("ann", "bob")
    assert policy.effective("bob") == policy.effective("ann")
    report = policy.review({"ann": "agent_admin"})
    assert report["can_modify_cdrs"] == ["ann", "bob"]
    assert report["empty_ip_whitelist"] == ["bob"]
    assert "cdr.modify" in report["admins"]["ann"]["extra"]
    assert report["system_rights"] == []
    with pytest.raises(InvalidArgument, match="unknown template"):
        policy.review({"ann": "wizard"})


# -- the compiled decisions are Casbin's decisions ------------------------------------------

PERMISSIONS = [(m, a) for m, actions in MODULES.items() for a in actions]


@settings(deadline=None, max_examples=60)
@given(
    admins=st.lists(st.sampled_from(list(Role)), min_size=1, max_size=4),
    changes=st.lists(
        st.tuples(
            st.sampled_from(["grant", "deny", "revoke"]),
            st.integers(0, 3),
            st.sampled_from(PERMISSIONS),
        ),
        max_size=25,
    ),
    requests=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(PERMISSIONS)), max_size=40),
)
def test_compiled_decisions_equal_casbin_enforce(admins, changes, requests) -> None:  # type: ignore[no-untyped-def]
    policy = Policy()
    for index, role in enumerate(admins):
        policy.add_admin(Admin(name=f"a{index}", role=role))
    for verb, who, (module, action) in changes:
        name = f"a{who % len(admins)}"
        getattr(policy, verb)(name, module, action)
        for req_who, (req_module, req_action) in requests[:5]:  # interleaved with changes
            req_name = f"a{req_who % len(admins)}"
            assert bool(
                policy.check_module(req_name, req_module, req_action, now=NOW)
            ) == policy.enforcer.enforce(f"admin:{req_name}", req_module, req_action)
    for who, (module, action) in requests:
        name = f"a{who % len(admins)}"
        assert bool(policy.check_module(name, module, action, now=NOW)) == policy.enforcer.enforce(
            f"admin:{name}", module, action
        )


# -- login security --------------------------------------------------------------------------------


def test_login_lockout_password_policy_and_idle_sessions() -> None:
    lockout = LoginLockout(
        threshold=3, window=timedelta(minutes=10), lock_for=timedelta(minutes=15)
    )
    assert lockout.record_failure("ann", now=NOW) is None
    assert lockout.record_failure("ann", now=NOW + timedelta(minutes=1)) is None
    until = lockout.record_failure("ann", now=NOW + timedelta(minutes=2))
    assert until == NOW + timedelta(minutes=17)
    assert lockout.locked_until("ann", now=NOW + timedelta(minutes=5)) == until
    assert lockout.locked_until("ann", now=until) is None
    assert password_problems("short") == [
        "shorter than 12 characters",
        "no upper-case letter",
        "no digit",
        "no symbol",
    ]
    assert "contains the login name" in password_problems("Ann-Secret-2026!", login="ann")
    assert password_problems("Corr3ct-Horse-Battery") == []
    assert session_expired(NOW, now=NOW + timedelta(minutes=30), idle=timedelta(minutes=30))
    assert not session_expired(NOW, now=NOW + timedelta(minutes=29), idle=timedelta(minutes=30))


# -- everything lives in Casbin: adapters, and enforce() as the reference ---------------------


def test_the_whole_policy_saves_and_loads_through_a_casbin_adapter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from casbin.persist.adapters import FileAdapter

    d = directory()
    path = tmp_path / "policy.csv"
    path.write_text("")
    first = Policy(directory=d, adapter=FileAdapter(str(path)))
    window = LoginWindow(days={0, 1, 2, 3, 4}, start=time(8), end=time(18), timezone="UTC")
    first.add_admin(
        Admin(
            name="a-admin",
            role=Role.ADMIN,
            agent_id="agent-a",
            ip_whitelist=("192.0.2.0/24", "2001:db8::/32"),
            login_windows=(window,),
        )
    )
    first.add_admin(
        Admin(name="a-staff", role=Role.OPERATOR, agent_id="agent-a-sub", parent="a-admin")
    )
    first.grant("a-admin", "cdr", "modify")
    first.deny("a-admin", "rate", "delete")
    first.set_disabled("a-staff")
    first.add_api_key("k1", "a-admin")
    first.save()
    second = Policy(directory=d, adapter=FileAdapter(str(path)))
    assert second._admins == first._admins
    assert second._keys == {"k1": "a-admin"}
    for subject, module, action in [
        ("a-admin", "cdr", "modify"),
        ("a-admin", "rate", "delete"),
        ("key:k1", "rate", "view"),
        ("a-staff", "rate", "view"),
    ]:
        for ip, now in [
            ("192.0.2.1", NOW),
            ("198.51.100.1", NOW),
            ("2001:db8::1", NOW),
            ("192.0.2.1", NOW + timedelta(hours=12)),
        ]:
            assert bool(second.check_module(subject, module, action, ip=ip, now=now)) == bool(
                first.check_module(subject, module, action, ip=ip, now=now)
            )


@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_every_decision_equals_casbin_enforce(data: st.DataObject) -> None:
    """Random trees, admins (scoped, sub-admins, whitelists, windows, disabled), grants and
    requests: the compiled decision is Casbin's, scope and conditions included."""
    from vosengine.testing import agent_trees

    tree = data.draw(agent_trees(max_accounts=12, sections=False))
    ids = [a.id for a in tree]
    policy = Policy(directory=tree)
    names: list[str] = []
    for index in range(data.draw(st.integers(1, 5))):
        parent = data.draw(st.sampled_from([None, *names])) if names else None
        agent = data.draw(st.sampled_from([None, *ids]))
        if parent is not None:
            parent_scope = policy._admins[parent].agent_id
            if parent_scope is not None:
                inside = [i for i in ids if tree.is_within(i, parent_scope)]
                agent = data.draw(st.sampled_from(inside))
        admin = Admin(
            name=f"a{index}",
            role=data.draw(st.sampled_from(list(Role))),
            agent_id=agent,
            parent=parent,
            disabled=data.draw(st.booleans()) and data.draw(st.booleans()),
            ip_whitelist=tuple(
                data.draw(
                    st.lists(
                        st.sampled_from(
                            ["192.0.2.0/24", "10.0.0.0/8", "2001:db8::/32", "198.51.100.7"]
                        ),
                        max_size=2,
                        unique=True,
                    )
                )
            ),
            login_windows=tuple(
                data.draw(
                    st.lists(
                        st.builds(
                            LoginWindow,
                            days=st.sets(st.integers(0, 6), min_size=1),
                            start=st.sampled_from([time(0), time(8)]),
                            end=st.sampled_from([time(12), time(23, 59)]),
                            timezone=st.sampled_from(["UTC", "Asia/Dhaka"]),
                        ),
                        max_size=1,
                    )
                )
            ),
        )
        policy.add_admin(admin)
        names.append(admin.name)
    for verb, name, (module, action) in data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["grant", "deny", "revoke"]),
                st.sampled_from(names),
                st.sampled_from(PERMISSIONS),
            ),
            max_size=8,
        )
    ):
        # a grant beyond the parent's rights is refused and changes nothing
        with contextlib.suppress(InvalidArgument):
            getattr(policy, verb)(name, module, action)
    policy.sync_hierarchy()
    for _ in range(15):
        name = data.draw(st.sampled_from(names))
        module, action = data.draw(st.sampled_from(PERMISSIONS))
        ip = data.draw(st.sampled_from(["192.0.2.5", "10.1.1.1", "2001:db8::9", "203.0.113.1"]))
        now = NOW + timedelta(hours=data.draw(st.integers(0, 200)))
        assert bool(
            policy.check_module(name, module, action, ip=ip, now=now)
        ) == policy.casbin_decision(name, module, action, ip=ip, now=now)
        target = data.draw(st.sampled_from(ids))
        account_action = data.draw(st.sampled_from(MODULES["account"]))
        assert bool(
            policy.check_account(name, target, account_action, ip=ip, now=now)
        ) == policy.casbin_decision(
            name, "account", account_action, account_id=target, ip=ip, now=now
        )


def test_directory_changes_reach_the_next_decision() -> None:
    from vosengine.accounts import AccountStatus

    d = directory()
    policy = Policy(directory=d)
    policy.add_admin(Admin(name="a-admin", role=Role.ADMIN, agent_id="agent-a"))
    policy.add_admin(
        Admin(name="a-staff", role=Role.OPERATOR, agent_id="agent-a-sub", parent="a-admin")
    )
    assert policy.check_account("a-staff", "agent-a-cust", "view", now=NOW)
    d.update("agent-a", actor=OP, now=NOW, status=AccountStatus.LOCKED)
    stopped = policy.check_account("a-staff", "agent-a-cust", "view", now=NOW)
    assert not stopped
    assert stopped.reason == "agent 'agent-a' is locked"
    d.update(
        "agent-a",
        actor=OP,
        now=NOW,
        status=AccountStatus.ACTIVE,
        expires_at=NOW + timedelta(days=1),
    )
    assert policy.check_account("a-admin", "agent-a-cust", "view", now=NOW)
    assert not policy.check_account("a-admin", "agent-a-cust", "view", now=NOW + timedelta(days=1))
    d.move("agent-a-cust", "agent-b", actor=OP, now=NOW)  # out of A's subtree
    assert not policy.check_account("a-admin", "agent-a-cust", "view", now=NOW)
    with pytest.raises(InvalidArgument, match="role"):
        policy.add_admin(Admin(name="x", role="boss"))  # type: ignore[arg-type]


def test_agents_act_through_the_directory_rule() -> None:
    from vosengine.accounts import AgentAction

    policy = Policy(directory=directory())
    assert policy.check_agent("agent-a", AgentAction.MODIFY_ACCOUNT, "agent-a-cust", now=NOW)
    refused = policy.check_agent("agent-a", AgentAction.MODIFY_ACCOUNT, "agent-b-cust", now=NOW)
    assert not refused
    assert "outside the scope" in refused.reason


def test_the_address_cache_is_per_policy_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decision parses the caller's IP once per policy; the cache of parsed addresses
    belongs to the policy and stops growing at its bound, so a flood of addresses costs
    parsing, not memory."""
    from vosengine.policy import _policy

    monkeypatch.setattr(_policy, "MAX_CACHED_ADDRESSES", 4)
    policies = [Policy(), Policy()]
    for policy in policies:
        policy.add_admin(Admin(name="ann", role=Role.ADMIN, ip_whitelist=("192.0.2.0/24",)))
    for n in range(10):
        assert policies[0].check_module("ann", "rate", "view", ip=f"192.0.2.{n}", now=NOW)
        assert not policies[0].check_module("ann", "rate", "view", ip=f"198.51.100.{n}", now=NOW)
    assert len(policies[0]._addresses) == 4
    assert policies[1]._addresses == {}
    with pytest.raises(InvalidArgument, match="is not an IP address"):
        policies[1].check_module("ann", "rate", "view", ip="192.0.2.300", now=NOW)
    assert policies[1]._addresses == {}
