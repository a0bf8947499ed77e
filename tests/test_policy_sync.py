"""Several nodes, one policy: a Casbin reload (what a watcher triggers) rebuilds every view the
policy derives from Casbin and drops every compiled decision, so a change saved by one node is
enforced by another at its next decision after the reload."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vosengine.accounts import FULL, Account, AccountDirectory, Operator
from vosengine.errors import InvalidArgument, InvalidArgumentType, Unavailable
from vosengine.policy import Admin, Policy, RedisWatcher, Role, UnknownSubject

from .redis_server import RedisServer, missing

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
        ("p4, admin:bob, 12, 08:00, 18:00", "cannot be read"),
        ("p6, key:k9", "cannot be read"),
        ("p7, admin:bob", "cannot be read"),
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


# -- nodes on one stored policy (SQLAlchemy adapter) and one Redis channel ----------------------


def adapter(url: str) -> object:
    try:
        from casbin_sqlalchemy_adapter import Adapter
    except ImportError:
        missing("casbin-sqlalchemy-adapter is not installed (make install-test installs it)")
    return Adapter(url)


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (a watcher's thread makes it true), failing after 10 s."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"not within 10 s: {what}"
        time.sleep(0.005)


class Node:
    """A node in this process: a policy on the stored policy and a watcher of its own."""

    def __init__(self, url: str, server: RedisServer, channel: str, name: str) -> None:
        from redis.backoff import ConstantBackoff
        from redis.retry import Retry

        client = server.client(retry=Retry(ConstantBackoff(0.05), 2))  # a quick give-up
        self.watcher = RedisWatcher(client, channel=channel, node_id=name, poll=0.05, retry=0.05)
        self.policy = Policy(directory=directory(), adapter=adapter(url), watcher=self.watcher)
        until(lambda: self.watcher.delivered >= 1, f"{name} subscribed")


@pytest.fixture
def two_nodes(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[Node, Node]]:
    url = f"sqlite:///{tmp_path / 'policy.db'}"
    one = Node(url, redis_server, "policy-test", "node-one")
    two = Node(url, redis_server, "policy-test", "node-two")
    try:
        yield one, two
    finally:
        one.watcher.close()
        two.watcher.close()


def test_a_change_on_one_node_is_enforced_by_a_node_in_another_process(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    url = f"sqlite:///{tmp_path / 'policy.db'}"
    one = Node(url, redis_server, "policy-test", "node-one")
    script = Path(__file__).with_name("policy_node.py")
    seen = 1  # the child's reloads: one when it subscribed
    with subprocess.Popen(
        [sys.executable, str(script), url, str(redis_server.port), "policy-test"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None and child.stdout is not None

        def ask(command: str) -> str:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(command + "\n")
            child.stdin.flush()
            return child.stdout.readline().strip()

        def changed() -> None:  # one change on node one: one message, one reload on node two
            nonlocal seen
            seen += 1
            assert ask(f"wait {seen}") == f"reloads {seen}"

        try:
            assert child.stdout.readline().strip() == "ready"
            assert ask("check bob cdr modify").startswith("unknown admin 'bob'")
            one.policy.add_admin(Admin(name="bob", role=Role.OPERATOR))
            changed()
            assert ask("check bob cdr modify").startswith("deny")
            one.policy.grant("bob", "cdr", "modify")
            changed()
            assert ask("check bob cdr modify") == "allow"  # compiled and kept on node two
            one.policy.revoke("bob", "cdr", "modify")
            changed()
            assert ask("check bob cdr modify").startswith("deny")
            one.policy.add_admin(Admin(name="ann", role=Role.ADMIN, ip_whitelist=("192.0.2.0/24",)))
            changed()
            one.policy.add_api_key("k1", "ann")
            changed()
            assert ask("check key:k1 rate view 192.0.2.9") == "allow"
            assert ask("check key:k1 rate view 198.51.100.1").startswith("deny")
            one.policy.set_disabled("ann")
            changed()
            assert "disabled" in ask("check key:k1 rate view 192.0.2.9")
            one.policy.apply_batch(
                [("grant", "bob", "cdr", "modify"), ("deny", "bob", "rate", "view")]
            )
            changed()  # a batch is one message
            assert ask("check bob cdr modify") == "allow"
            assert ask("check bob rate view").startswith("deny")
            assert one.watcher.delivered == 1  # node one never reloads for its own messages
            ask("quit")
            assert child.wait(timeout=10) == 0
        finally:
            if child.poll() is None:
                child.kill()
            one.watcher.close()


def test_a_node_that_was_cut_off_from_redis_reloads_when_it_is_back(
    two_nodes: tuple[Node, Node], redis_server: RedisServer
) -> None:
    one, two = two_nodes
    one.policy.add_admin(Admin(name="bob", role=Role.OPERATOR))
    until(lambda: two.watcher.delivered >= 2, "node two told of bob")
    assert not two.policy.check_module("bob", "cdr", "modify", now=NOW)
    redis_server.stop()
    with pytest.raises(Unavailable, match="stored and in force on node 'node-one'"):
        one.policy.grant("bob", "cdr", "modify")
    assert one.policy.check_module("bob", "cdr", "modify", now=NOW)  # in force on node one
    assert not two.policy.check_module("bob", "cdr", "modify", now=NOW)  # not yet on two
    redis_server.start()
    # node two subscribes again and reloads; node one announces the grant again
    until(lambda: bool(two.policy.check_module("bob", "cdr", "modify", now=NOW)), "the grant")
    until(lambda: not one.watcher._pending, "node one's announcement published")


def test_a_stored_policy_a_node_cannot_read_leaves_its_policy_as_it_was(
    two_nodes: tuple[Node, Node], caplog: pytest.LogCaptureFixture
) -> None:
    one, two = two_nodes
    one.policy.add_admin(Admin(name="bob", role=Role.OPERATOR))
    until(lambda: two.watcher.delivered >= 2, "node two told of bob")
    stored = one.policy.enforcer.adapter
    stored.add_policy("g", "g", ["admin:eve", "role:pirate"])  # written by another program
    one.watcher.update()
    until(lambda: two.watcher.failed == 1, "node two failed to reload")
    assert "role:pirate" in str(two.watcher.last_error)
    assert any("could not be reloaded" in r.getMessage() for r in caplog.records)
    assert two.policy.check_module("bob", "account", "add", now=NOW)
    assert "eve" not in two.policy._admins
    stored.remove_policy("g", "g", ["admin:eve", "role:pirate"])
    one.policy.grant("bob", "cdr", "modify")
    until(lambda: two.watcher.delivered >= 3, "node two reloaded again")
    assert two.policy.check_module("bob", "cdr", "modify", now=NOW)


def test_a_watcher_and_its_arguments_are_checked(tmp_path: Path, redis_server: RedisServer) -> None:
    client = redis_server.client()
    with pytest.raises(InvalidArgumentType, match="client"):
        RedisWatcher(object())
    with pytest.raises(InvalidArgument, match="channel"):
        RedisWatcher(client, channel="")
    with pytest.raises(InvalidArgumentType, match="poll"):
        RedisWatcher(client, poll="1")
    with pytest.raises(InvalidArgument, match="retry"):
        RedisWatcher(client, retry=0)
    with pytest.raises(InvalidArgumentType, match="watcher"):
        Policy(adapter=adapter(f"sqlite:///{tmp_path / 'p.db'}"), watcher=object())
    with RedisWatcher(client) as watcher, pytest.raises(InvalidArgument, match="adapter"):
        Policy(watcher=watcher)
    with pytest.raises(InvalidArgument, match="closed"):
        watcher.set_update_callback(lambda: None)
    with pytest.raises(InvalidArgumentType, match="callback"):
        RedisWatcher(client).set_update_callback("reload")
