"""Several nodes, one policy: a Casbin reload (what a watcher triggers) rebuilds every view the
policy derives from Casbin and drops every compiled decision, so a change saved by one node is
enforced by another at its next decision after the reload."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vosengine.accounts import FULL, Account, AccountDirectory, Operator
from vosengine.errors import InvalidArgument
from vosengine.policy import Admin, Policy, Role, UnknownSubject

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
OP = Operator(name="root")


def directory() -> AccountDirectory:
    d = AccountDirectory()
    for agent in ("agent-a", "agent-b"):
        d.add(Account(id=agent, authorizations=FULL), actor=OP, now=NOW)
        d.add(Account(id=f"{agent}-cust", parent_id=agent), actor=OP, now=NOW)
    return d


def nodes(tmp_path: Path) -> tuple[Policy, Policy]:
    """Two policies on one stored policy (Casbin's file adapter), as two nodes would be."""
    from casbin.persist.adapters import FileAdapter

    path = tmp_path / "policy.csv"
    path.write_text("")
    one = Policy(directory=directory(), adapter=FileAdapter(str(path)))
    one.save()  # the role grants, stored once
    return one, Policy(directory=directory(), adapter=FileAdapter(str(path)))


@pytest.mark.parametrize("reload", ["enforcer", "policy"])
def test_a_reload_brings_every_change_of_another_node(tmp_path: Path, reload: str) -> None:
    one, two = nodes(tmp_path)
    one.add_admin(Admin(name="bob", role=Role.OPERATOR))
    one.grant("bob", "cdr", "modify")
    one.save()
    (two.enforcer.load_policy if reload == "enforcer" else two.reload)()
    assert two.check_module("bob", "cdr", "modify", now=NOW)  # compiled and kept on node two
    assert two.check_account("bob", "agent-b-cust", "view", now=NOW)

    # node one: bob loses the grant and is scoped; ann arrives with a key and a whitelist
    one.revoke("bob", "cdr", "modify")
    one.add_admin(
        Admin(name="ann", role=Role.ADMIN, agent_id="agent-a", ip_whitelist=("192.0.2.0/24",))
    )
    one.add_api_key("k1", "ann")
    one.set_disabled("bob")
    one.save()
    with pytest.raises(UnknownSubject):
        two.check_module("ann", "rate", "view", now=NOW)
    assert two.check_module("bob", "cdr", "modify", now=NOW)  # not reloaded yet

    (two.enforcer.load_policy if reload == "enforcer" else two.reload)()
    refused = two.check_module("bob", "cdr", "query", now=NOW)
    assert not refused and "disabled" in refused.reason
    one.set_disabled("bob", disabled=False)
    one.save()
    (two.enforcer.load_policy if reload == "enforcer" else two.reload)()
    assert two.check_module("bob", "cdr", "query", now=NOW)
    assert not two.check_module("bob", "cdr", "modify", now=NOW)
    assert two.check_module("key:k1", "rate", "view", ip="192.0.2.9", now=NOW)
    assert not two.check_module("key:k1", "rate", "view", ip="198.51.100.1", now=NOW)
    assert two.check_account("ann", "agent-a-cust", "view", ip="192.0.2.9", now=NOW)
    assert not two.check_account("ann", "agent-b-cust", "view", ip="192.0.2.9", now=NOW)
    assert two._admins == one._admins and two._keys == one._keys
    assert two._below == one._below
    assert {s: r for s, r in two._rights.items() if any(r)} == {
        s: r for s, r in one._rights.items() if any(r)
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("g, admin:eve, role:pirate", "role:pirate"),
        ("g, admin:eve, role:admin, extra", "bad role line"),
        ("p3, admin:bob, 192.0.2.300/24", "ip_whitelist"),
        ("p4, admin:bob, 1x, 08:00, 18:00, UTC", "login window"),
        ("p4, admin:bob, 12, 8 o'clock, 18:00, UTC", "login window"),
        ("p4, admin:bob, 12, 08:00, 18:00, Mars/Olympus", "Mars/Olympus"),
    ],
)
def test_a_reload_that_finds_a_broken_policy_changes_nothing(
    tmp_path: Path, line: str, message: str
) -> None:
    one, two = nodes(tmp_path)
    one.add_admin(Admin(name="bob", role=Role.OPERATOR))
    one.save()
    two.reload()
    assert two.check_module("bob", "account", "add", now=NOW)
    with (tmp_path / "policy.csv").open("a") as stored:
        stored.write(f"\n{line}\n")
    rules = two.enforcer.get_policy()
    with pytest.raises(InvalidArgument, match=message):
        two.reload()
    assert two.enforcer.get_policy() == rules  # Casbin's model is the one before the reload
    assert "eve" not in two._admins and two._admins == one._admins
    assert two.check_module("bob", "account", "add", now=NOW)
    assert two.casbin_decision("bob", "account", "add", now=NOW)
