"""Admin policy under change: what a sub-admin or an API key inherits from the admins above it,
decisions racing directory changes, accounts that do not exist, and the cost of a change."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.accounts import (
    FULL,
    Account,
    AccountDirectory,
    AccountStatus,
    Operator,
    UnknownAccount,
)
from vosengine.policy import MODULES, Admin, LoginWindow, Policy, Role

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC
OP = Operator(name="root")
OFFICE = LoginWindow(days={0, 1, 2, 3, 4}, start=time(8), end=time(18))
NIGHT = LoginWindow(days={0, 1, 2, 3, 4, 5, 6}, start=time(20), end=time(23))


def directory() -> AccountDirectory:
    d = AccountDirectory()
    d.add(Account(id="agent-a", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="agent-a-sub", parent_id="agent-a", authorizations=FULL), actor=OP, now=NOW)
    d.add(Account(id="agent-a-cust", parent_id="agent-a-sub"), actor=OP, now=NOW)
    return d


# -- 1. a sub-admin and an API key get every restriction of the admins above them ---------------


def test_a_sub_admin_and_its_keys_keep_to_the_parents_whitelist_and_windows() -> None:
    policy = Policy()
    policy.add_admin(
        Admin(name="boss", role=Role.ADMIN, ip_whitelist=("192.0.2.0/24",), login_windows=(OFFICE,))
    )
    policy.add_admin(Admin(name="staff", role=Role.OPERATOR, parent="boss"))
    policy.add_admin(Admin(name="temp", role=Role.OPERATOR, parent="staff"))
    policy.add_api_key("k-staff", "staff")
    policy.add_api_key("k-temp", "temp")
    evening = NOW + timedelta(hours=11)
    for subject in ("staff", "key:k-staff", "temp", "key:k-temp"):
        assert policy.check_module(subject, "rate", "view", ip="192.0.2.9", now=NOW)
        away = policy.check_module(subject, "rate", "view", ip="198.51.100.1", now=NOW)
        assert not away
        assert away.reason == "198.51.100.1 is not in the IP whitelist of 'boss', above it"
        no_ip = policy.check_module(subject, "rate", "view", now=NOW)
        assert no_ip.reason == "an IP whitelist applies: give ip="
        late = policy.check_module(subject, "rate", "view", ip="192.0.2.9", now=evening)
        assert not late
        assert late.reason == "outside the login windows of 'boss', above it"
    # the admin's own restrictions keep their wording
    own = policy.check_module("boss", "rate", "view", ip="198.51.100.1", now=NOW)
    assert own.reason == "198.51.100.1 is not in the IP whitelist"


def test_a_sub_admin_with_its_own_restrictions_needs_both() -> None:
    policy = Policy()
    policy.add_admin(
        Admin(name="boss", role=Role.ADMIN, ip_whitelist=("192.0.2.0/24",), login_windows=(OFFICE,))
    )
    policy.add_admin(
        Admin(
            name="staff",
            role=Role.ADMIN,
            parent="boss",
            ip_whitelist=("192.0.2.128/25", "10.0.0.0/8"),
            login_windows=(NIGHT,),
        )
    )
    # 10.1.1.1 passes the sub-admin's list but not the parent's
    assert not policy.check_module("staff", "rate", "view", ip="10.1.1.1", now=NOW)
    # 192.0.2.9 passes the parent's list but not its own
    assert not policy.check_module("staff", "rate", "view", ip="192.0.2.9", now=NOW)
    # the office window and the night window never overlap: never allowed
    for hours in range(0, 24 * 7):
        when = NOW + timedelta(hours=hours)
        assert not policy.check_module("staff", "rate", "view", ip="192.0.2.200", now=when)
    policy.add_admin(
        Admin(name="day", role=Role.ADMIN, parent="boss", ip_whitelist=("192.0.2.128/25",))
    )
    assert policy.check_module("day", "rate", "view", ip="192.0.2.200", now=NOW)


_IPS = ["192.0.2.5", "192.0.2.200", "10.1.1.1", "2001:db8::9", "203.0.113.1"]
_WINDOWS = st.builds(
    LoginWindow,
    days=st.sets(st.integers(0, 6), min_size=1),
    start=st.sampled_from([time(0), time(8), time(11)]),
    end=st.sampled_from([time(12), time(18), time(23, 59)]),
    timezone=st.sampled_from(["UTC", "Asia/Dhaka"]),
)


@settings(deadline=None, max_examples=60, derandomize=True)
@given(data=st.data())
def test_a_decision_passes_every_whitelist_and_window_of_the_chain(data: st.DataObject) -> None:
    """Random chains of sub-admins with random whitelists and windows: a subject (admin or
    key) is allowed only from an address in every whitelist of its chain, at an instant in a
    window of every admin of its chain that has windows, and Casbin's enforce() agrees."""
    policy = Policy()
    chain: list[Admin] = []
    for index in range(data.draw(st.integers(1, 4))):
        admin = Admin(
            name=f"a{index}",
            role=Role.SUPER_ADMIN,
            parent=chain[-1].name if chain else None,
            ip_whitelist=tuple(
                data.draw(
                    st.lists(
                        st.sampled_from(["192.0.2.0/24", "192.0.2.128/25", "10.0.0.0/8", "::/0"]),
                        max_size=2,
                        unique=True,
                    )
                )
            ),
            login_windows=tuple(data.draw(st.lists(_WINDOWS, max_size=2))),
        )
        policy.add_admin(admin)
        chain.append(admin)
    policy.add_api_key("k", chain[-1].name)
    import ipaddress

    for _ in range(10):
        ip = data.draw(st.sampled_from(_IPS))
        now = NOW + timedelta(minutes=data.draw(st.integers(0, 7 * 24 * 60)))
        expected = all(
            not a.ip_whitelist
            or any(ipaddress.ip_address(ip) in ipaddress.ip_network(c) for c in a.ip_whitelist)
            for a in chain
        ) and all(
            not a.login_windows or any(w.contains(now=now) for w in a.login_windows) for a in chain
        )
        for subject in (chain[-1].name, "key:k"):
            decision = policy.check_module(subject, "rate", "view", ip=ip, now=now)
            assert bool(decision) == expected, (subject, ip, now, decision.reason)
        assert policy.casbin_decision(chain[-1].name, "rate", "view", ip=ip, now=now) == expected


# -- 3. an account that does not exist: one answer for every admin -------------------------------


def test_an_unknown_account_is_the_same_error_for_global_and_scoped_admins() -> None:
    policy = Policy(directory=directory())
    policy.add_admin(Admin(name="global", role=Role.SUPER_ADMIN))
    policy.add_admin(Admin(name="scoped", role=Role.SUPER_ADMIN, agent_id="agent-a"))
    policy.add_admin(Admin(name="global-viewer", role=Role.READ_ONLY))
    policy.add_admin(Admin(name="viewer", role=Role.READ_ONLY, agent_id="agent-a"))
    policy.add_api_key("k", "global")
    for subject in ("global", "scoped", "global-viewer", "viewer", "key:k"):
        with pytest.raises(UnknownAccount, match="account 'ghost' does not exist"):
            policy.check_account(subject, "ghost", "view", now=NOW)
        with pytest.raises(UnknownAccount, match="account 'ghost' does not exist"):
            policy.check(subject, "view", "account:ghost", now=NOW)
        with pytest.raises(UnknownAccount, match="account 'ghost' does not exist"):
            policy.casbin_decision(subject, "account", "view", account_id="ghost", now=NOW)
    # an admin without the right is refused first, global or scoped, saying nothing of it
    for subject in ("global-viewer", "viewer"):
        refused = policy.check_account(subject, "ghost", "delete", now=NOW)
        assert refused.reason == f"{subject!r} has no grant for account.delete"
        assert not policy.casbin_decision(subject, "account", "delete", account_id="ghost", now=NOW)
    assert policy.check_account("global", "agent-a-cust", "delete", now=NOW)
    # without a directory no account is known: a global admin reaches any id, a scoped one none
    bare = Policy()
    bare.add_admin(Admin(name="global", role=Role.SUPER_ADMIN))
    assert bare.check_account("global", "ghost", "view", now=NOW)


def copy(policy: Policy, d: AccountDirectory) -> Policy:
    """A new policy on the same Casbin lines (through Casbin's string adapter)."""
    from casbin.persist.adapters import StringAdapter

    lines = [
        ", ".join([ptype, *rule])
        for ptype in ("p", "p2", "p3", "p4", "p5", "p6", "p7")
        for rule in policy.enforcer.get_named_policy(ptype)
    ] + [", ".join(["g", *rule]) for rule in policy.enforcer.get_named_grouping_policy("g")]
    return Policy(directory=d, adapter=StringAdapter("\n".join(lines)))


@contextlib.contextmanager
def deciding(decide_once: Callable[[], object]) -> Iterator[None]:
    """Three threads call ``decide_once`` over and over while the block runs; an error any of
    them met fails the test once they have stopped."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            while not stop.is_set():
                decide_once()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not failures, failures


# -- 2. a decision compiled while the directory changes is never kept ---------------------------


def test_a_compile_that_raced_a_directory_change_is_not_kept() -> None:
    d = directory()
    policy = Policy(directory=d)
    policy.add_admin(Admin(name="a-admin", role=Role.ADMIN, agent_id="agent-a"))
    read, go_on = threading.Event(), threading.Event()
    reads = policy._agent_state

    def slow_read(chain):  # type: ignore[no-untyped-def]
        state = reads(chain)  # the agent is still active here
        read.set()
        assert go_on.wait(10)
        return state

    policy._agent_state = slow_read  # type: ignore[method-assign]
    first: list[bool] = []
    racer = threading.Thread(
        target=lambda: first.append(
            bool(policy.check_account("a-admin", "agent-a-cust", "view", now=NOW))
        )
    )
    racer.start()
    try:
        assert read.wait(10)
        d.update("agent-a", actor=OP, now=NOW, status=AccountStatus.LOCKED)
    finally:
        go_on.set()
        racer.join(10)
    assert first == [True]  # it was decided before the lock took effect
    policy._agent_state = reads  # type: ignore[method-assign]
    locked = policy.check_account("a-admin", "agent-a-cust", "view", now=NOW)
    assert not locked
    assert locked.reason == "agent 'agent-a' is locked"


def test_decisions_racing_changes_end_on_the_last_change() -> None:
    """Threads decide while others lock and unlock agents, disable admins and grant and deny:
    once the changes stop, every decision is the one the final state gives."""
    d = directory()
    policy = Policy(directory=d)
    names = [f"adm{i}" for i in range(6)]
    for index, name in enumerate(names):
        agent = ("agent-a", "agent-a-sub", None)[index % 3]
        parent = names[index - 3] if index >= 3 and agent != "agent-a" else None
        if parent is not None and policy._admins[parent].agent_id is None:
            parent = None
        policy.add_admin(Admin(name=name, role=Role.ADMIN, agent_id=agent, parent=parent))
    failures: list[BaseException] = []

    def decide() -> None:
        for name in names:
            policy.check_account(name, "agent-a-cust", "view", now=NOW)
            policy.check_module(name, "rate", "edit", now=NOW)

    def change(seed: int) -> None:
        import random

        rng = random.Random(seed)
        try:
            for _ in range(300):
                what = rng.randrange(4)
                if what == 0:
                    status = rng.choice([AccountStatus.ACTIVE, AccountStatus.LOCKED])
                    agent = rng.choice(["agent-a", "agent-a-sub"])
                    d.update(agent, actor=OP, now=NOW, status=status)
                elif what == 1:
                    policy.set_disabled(rng.choice(names), disabled=rng.random() < 0.5)
                elif what == 2:
                    verb = rng.choice(["deny", "revoke"])
                    getattr(policy, verb)(rng.choice(names), "rate", "edit")
                else:
                    d.update("agent-a-cust", actor=OP, now=NOW, memo=str(rng.random()))
        except BaseException as error:  # reported below
            failures.append(error)

    with deciding(decide):
        changers = [threading.Thread(target=change, args=(seed,)) for seed in range(2)]
        for thread in changers:
            thread.start()
        for thread in changers:
            thread.join(60)
    assert not failures, failures
    fresh = copy(policy, d)  # the same state, decided from scratch
    for name in names:
        for action in MODULES["account"]:
            assert policy.check_account(name, "agent-a-cust", action, now=NOW) == (
                fresh.check_account(name, "agent-a-cust", action, now=NOW)
            ), (name, action)
        assert policy.check_module(name, "rate", "edit", now=NOW) == (
            fresh.check_module(name, "rate", "edit", now=NOW)
        )


# -- 4. a change costs what it changes -------------------------------------------------------------


class _Compiles:
    """Counts the compiled forms a policy builds (each one is a compile)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from vosengine.policy import _compiled

        self.count = 0
        real = _compiled._Compiled

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(_compiled, "_Compiled", counting)

    def after(self, policy: Policy, names: list[str], change) -> int:  # type: ignore[no-untyped-def]
        """How many admins recompile when every admin decides after ``change``."""
        for name in names:
            policy.check_module(name, "rate", "view", ip="192.0.2.1", now=NOW)
        self.count = 0
        change()
        for name in names:
            policy.check_module(name, "rate", "view", ip="192.0.2.1", now=NOW)
            policy.check_account(name, "agent-a-cust", "view", ip="192.0.2.1", now=NOW)
        return self.count


def _world(size: int) -> tuple[Policy, AccountDirectory, list[str]]:
    """``size`` admins: globals, admins of agent A and of its sub-agent, sub-admins."""
    d = directory()
    d.add(Account(id="agent-b", authorizations=FULL), actor=OP, now=NOW)
    policy = Policy(directory=d)
    names = []
    for index in range(size):
        agent = (None, "agent-a", "agent-b")[index % 3]
        policy.add_admin(
            Admin(
                name=f"adm{index}", role=Role.ADMIN, agent_id=agent, ip_whitelist=("192.0.2.0/24",)
            )
        )
        names.append(f"adm{index}")
    policy.add_admin(Admin(name="staff", role=Role.OPERATOR, agent_id="agent-a-sub", parent="adm1"))
    policy.add_admin(Admin(name="temp", role=Role.OPERATOR, agent_id="agent-a-sub", parent="staff"))
    return policy, d, [*names, "staff", "temp"]


@pytest.mark.parametrize("size", [9, 90])
def test_a_permission_change_recompiles_that_admin_and_those_below_it(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiles = _Compiles(monkeypatch)
    policy, _d, names = _world(size)
    assert compiles.after(policy, names, lambda: policy.grant("adm4", "cdr", "modify")) == 1
    assert compiles.after(policy, names, lambda: policy.deny("adm1", "rate", "edit")) == 3
    assert compiles.after(policy, names, lambda: policy.deny("staff", "rate", "edit")) == 2
    assert compiles.after(policy, names, lambda: policy.set_disabled("adm7")) == 1
    assert compiles.after(policy, names, lambda: policy.clone("adm4", "adm5")) == 1
    batch = [("grant", "adm2", "cdr", "modify"), ("deny", "adm3", "rate", "edit")]
    assert compiles.after(policy, names, lambda: policy.apply_batch(batch)) == 2
    new = Admin(name="new", role=Role.READ_ONLY)
    assert compiles.after(policy, names, lambda: policy.add_admin(new)) == 0
    assert compiles.after(policy, names, lambda: policy.add_api_key("k", "adm4")) == 0
    assert compiles.after(policy, names, lambda: policy.revoke("adm4", "alarm", "clear")) == 0


@pytest.mark.parametrize("size", [9, 90])
def test_a_directory_change_recompiles_only_the_admins_it_can_stop(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiles = _Compiles(monkeypatch)
    policy, d, names = _world(size)
    bound_to_a = sum(1 for n in names if policy._admins[n].agent_id in ("agent-a", "agent-a-sub"))

    def update(account_id: str, **changes: object) -> None:
        d.update(account_id, actor=OP, now=NOW, **changes)

    nothing = [
        lambda: update("agent-a", memo="called on Monday"),
        lambda: update("agent-a", name="Agent A Ltd"),
        lambda: update("agent-a-cust", status=AccountStatus.LOCKED),  # no admin's agent
        lambda: d.add(Account(id="agent-a-new", parent_id="agent-a"), actor=OP, now=NOW),
    ]
    for change in nothing:
        assert compiles.after(policy, names, change) == 0
    assert compiles.after(policy, names, lambda: update("agent-a", status=AccountStatus.LOCKED))
    assert compiles.count == bound_to_a
    expiry = NOW + timedelta(days=3)
    assert compiles.after(policy, names, lambda: update("agent-a-sub", expires_at=expiry)) == 2
    moved = compiles.after(
        policy, names, lambda: d.move("agent-a-sub", "agent-b", actor=OP, now=NOW)
    )
    assert moved == 2  # staff and temp: their agent's chain changed
    assert not policy.check_module("staff", "rate", "view", ip="192.0.2.1", now=NOW)  # locked A


def test_compiling_reads_no_rule_of_another_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled rights come from the policy's index by subject: Casbin's scans of the whole
    rule list are never asked for, and the decisions still equal Casbin's."""
    policy, _d, names = _world(30)
    for index, name in enumerate(names[:30]):
        (policy.grant if index % 2 else policy.deny)(name, "cdr", "modify")

    def scan(*args: object, **kwargs: object) -> object:
        raise AssertionError("a scan of every rule")

    permissions = [(m, a) for m, actions in MODULES.items() for a in actions]
    with monkeypatch.context() as patch:
        for method in (
            "get_implicit_permissions_for_user",
            "get_permissions_for_user",
            "get_filtered_policy",
            "get_filtered_named_policy",
            "get_policy",
            "get_named_policy",
        ):
            patch.setattr(policy.enforcer, method, scan)
        for index, name in enumerate(names[:30]):
            policy.revoke(name, "cdr", "modify") if index % 3 else policy.grant(
                name, "alarm", "clear"
            )
        decided = {
            (name, module, action): bool(
                policy.check_module(name, module, action, ip="192.0.2.1", now=NOW)
            )
            for name in names
            for module, action in permissions
        }
    for (name, module, action), allowed in decided.items():
        assert allowed == policy.casbin_decision(name, module, action, ip="192.0.2.1", now=NOW)


def _scan(*args: object) -> object:
    raise AssertionError("a scan of every rule")


@pytest.mark.parametrize("size", [10, 1000])
def test_a_grant_or_revoke_scans_no_rule_list(size: int) -> None:
    """Casbin's rule lists are indexed: with every full scan made to fail (iteration,
    ``index``, ``count``), admins are added, granted, denied, revoked, disabled and decided."""
    from vosengine.policy._rules import _Rules

    class _NoScan(_Rules):
        __slots__ = ()
        __iter__ = index = count = _scan  # type: ignore[assignment]

    policy = Policy()
    for index in range(size):
        policy.add_admin(Admin(name=f"adm{index}", role=Role.OPERATOR))
        policy.grant(f"adm{index}", "rate", "add")
    model = policy.enforcer.get_model().model
    lists = [model[sec][key].policy for sec in ("p", "g") for key in model[sec]]
    assert all(type(rules) is _Rules for rules in lists)
    for rules in lists:
        rules.__class__ = _NoScan
    try:
        policy.add_admin(Admin(name="new", role=Role.ADMIN))
        policy.add_admin(Admin(name="staff", role=Role.OPERATOR, parent="new"))
        for name in ("adm0", f"adm{size - 1}", "new", "staff"):
            policy.grant(name, "cdr", "export")
            policy.deny(name, "rate", "view")
            assert not policy.check_module(name, "rate", "view", now=NOW)
            policy.revoke(name, "rate", "view")
            policy.revoke(name, "cdr", "export")
            assert policy.check_module(name, "rate", "view", now=NOW)
        policy.set_disabled("new")
        assert not policy.check_module("staff", "rate", "view", now=NOW)
        policy.set_disabled("new", disabled=False)
        policy.add_api_key("k", "staff")
        assert policy.check_module("key:k", "account", "add", now=NOW)
    finally:
        for rules in lists:
            rules.__class__ = _Rules
    assert policy.enforcer.enforce("admin:adm0", "rate", "add")
    assert ["admin:adm0", "cdr", "export", "allow"] not in policy.enforcer.get_policy()
    assert policy.enforcer.has_policy("admin:adm0", "rate", "add", "allow")


_RULES = st.lists(st.sampled_from("abc"), min_size=1, max_size=2)


@settings(deadline=None, max_examples=150, derandomize=True)
@given(
    start=st.lists(_RULES, max_size=6),
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                ["append", "remove", "set", "del", "insert", "pop", "sort", "extend", "clear"]
            ),
            _RULES,
            st.integers(0, 8),
        ),
        max_size=25,
    ),
)
def test_the_indexed_rule_list_holds_what_a_list_would(
    start: list[list[str]], steps: list[tuple[str, list[str], int]]
) -> None:
    """Any sequence of list operations leaves an indexed rule list with the rules a plain list
    would hold (in another order after a removal), answering ``in`` the same, its index
    pointing at each rule; a copy, a deep copy and a pickle hold the same."""
    import copy
    import pickle
    from collections import Counter

    from vosengine.policy._rules import _Rules

    rules, plain = _Rules(start), [list(r) for r in start]
    for verb, rule, at in steps:
        if verb == "append":
            rules.append(list(rule)), plain.append(list(rule))
        elif verb == "remove":
            if rule in plain:
                rules.remove(rule), plain.remove(rule)
            else:
                with pytest.raises(ValueError, match="not in list"):
                    rules.remove(rule)
        elif verb in ("set", "del", "insert", "pop") and plain:
            at %= len(plain)
            if verb == "set":
                rules[at] = list(rule)
                plain = list(rules)  # the order is the indexed list's after a removal
            elif verb == "del":
                del rules[at]
                plain = list(rules)
            elif verb == "insert":
                rules.insert(at, list(rule)), plain.insert(at, list(rule))
            else:
                assert rules.pop(at) in plain
                plain = list(rules)
        elif verb == "sort":
            rules.sort(), plain.sort()
        elif verb == "extend":
            rules += [list(rule)]
            plain += [list(rule)]
        elif verb == "clear":
            rules.clear(), plain.clear()
        assert Counter(map(tuple, rules)) == Counter(map(tuple, plain))
        for candidate in (["a"], ["b", "c"], ["c", "c"], ("a",), "a", [["a"]], 5):
            assert (candidate in rules) == (candidate in plain)
        for key, places in rules._where.items():
            assert all(tuple(rules[place]) == key for place in places)
        assert sum(map(len, rules._where.values())) == len(rules)
    for twin in (copy.copy(rules), copy.deepcopy(rules), pickle.loads(pickle.dumps(rules))):
        assert type(twin) is _Rules
        assert list(twin) == list(rules)
        assert twin._where == rules._where


def test_casbin_reloads_and_filtered_removals_keep_the_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from casbin.persist.adapters import FileAdapter

    from vosengine.policy._rules import _Rules

    path = tmp_path / "policy.csv"
    path.write_text("")
    policy = Policy(directory=directory(), adapter=FileAdapter(str(path)))
    policy.add_admin(Admin(name="ann", role=Role.ADMIN, agent_id="agent-a"))
    policy.grant("ann", "cdr", "modify")
    policy.save()
    policy.sync_hierarchy()
    policy.sync_hierarchy()  # a filtered removal, then the links again
    policy.enforcer.load_policy()  # a deep copy of the model, cleared and loaded
    model = policy.enforcer.get_model().model
    for sec in ("p", "g"):
        for key in model[sec]:
            rules = model[sec][key].policy
            assert type(rules) is _Rules
            assert sum(map(len, rules._where.values())) == len(rules)
    assert ["admin:ann", "cdr", "modify", "allow"] in policy.enforcer.get_policy()
    assert policy.enforcer.enforce("admin:ann", "cdr", "modify")
    policy.enforcer.remove_policy("admin:ann", "cdr", "modify", "allow")
    assert not policy.enforcer.enforce("admin:ann", "cdr", "modify")


_CIDRS = st.sampled_from(
    [
        "192.0.2.0/24",
        "192.0.2.128/25",
        "192.0.2.7",
        "10.0.0.0/8",
        "10.1.0.0/16",
        "0.0.0.0/0",
        "2001:db8::/32",
        "2001:db8:1::/48",
        "::/0",
    ]
)
_ADDRESSES = st.sampled_from(
    [
        *("192.0.2.7", "192.0.2.200", "192.0.2.1", "10.1.2.3", "10.9.9.9", "203.0.113.5"),
        *("2001:db8::1", "2001:db8:1::5", "2001:db9::1", "::ffff:192.0.2.7", "::ffff:10.1.2.3"),
    ]
)


@settings(deadline=None, max_examples=200, derandomize=True)
@given(
    one=st.lists(_CIDRS, max_size=3, unique=True),
    other=st.lists(_CIDRS, max_size=3, unique=True),
    ip=_ADDRESSES,
)
def test_the_intersection_of_two_whitelists_holds_what_both_hold(
    one: list[str], other: list[str], ip: str
) -> None:
    """A sub-admin's compiled whitelist is the intersection of its chain's: an address is in
    it exactly when it is in each."""
    from vosengine._net import Networks

    a, b = Networks(one, field="a"), Networks(other, field="b")
    assert (ip in (a & b)) == (ip in a and ip in b)


def test_an_admin_whose_agent_is_removed_is_refused_until_it_is_back() -> None:
    d = directory()
    policy = Policy(directory=d)
    policy.add_admin(Admin(name="a-admin", role=Role.ADMIN, agent_id="agent-a-sub"))
    policy.add_admin(Admin(name="global", role=Role.ADMIN))
    assert policy.check_module("a-admin", "rate", "view", now=NOW)
    d.remove("agent-a-sub", actor=OP, now=NOW, cascade=True)
    gone = policy.check_module("a-admin", "rate", "view", now=NOW)
    assert not gone
    assert gone.reason == "agent 'agent-a-sub' does not exist"
    assert not policy.casbin_decision("a-admin", "rate", "view", now=NOW)
    assert policy.check_module("global", "rate", "view", now=NOW)
    d.add(Account(id="agent-a-sub", parent_id="agent-a", authorizations=FULL), actor=OP, now=NOW)
    assert policy.check_module("a-admin", "rate", "view", now=NOW)
    d.update("agent-a", actor=OP, now=NOW, status=AccountStatus.LOCKED)
    assert policy.check_module("a-admin", "rate", "view", now=NOW).reason == (
        "agent 'agent-a' is locked"
    )


def test_while_threads_decide_the_next_decision_after_each_change_reflects_it() -> None:
    """The live-change promise under load: while three threads decide for every admin, each
    change made here is seen by the decision made right after it, against a plain model of
    who may edit rates (not disabled, no deny, no locked agent in the chain)."""
    import random

    d = directory()
    policy = Policy(directory=d)
    admins = {  # name -> (agent, parent)
        "global": (None, None),
        "a": ("agent-a", None),
        "s": ("agent-a-sub", "a"),
        "b": ("agent-a-sub", None),
    }
    for name, (agent, parent) in admins.items():
        policy.add_admin(Admin(name=name, role=Role.ADMIN, agent_id=agent, parent=parent))
    locked: set[str] = set()
    disabled: set[str] = set()
    denied: set[str] = set()

    def expected(name: str) -> bool:
        chain = [name] + ([admins[name][1]] if admins[name][1] else [])
        agents = {"agent-a": ["agent-a"], "agent-a-sub": ["agent-a-sub", "agent-a"], None: []}
        return not any(
            n in disabled or n in denied or set(agents[admins[n][0]]) & locked for n in chain
        )

    def decide() -> None:
        for name in admins:
            policy.check_module(name, "rate", "edit", now=NOW)

    rng = random.Random(7)
    with deciding(decide):
        for _ in range(400):
            what = rng.randrange(4)
            if what == 0:
                agent = rng.choice(["agent-a", "agent-a-sub"])
                lock = agent not in locked
                status = AccountStatus.LOCKED if lock else AccountStatus.ACTIVE
                d.update(agent, actor=OP, now=NOW, status=status)
                (locked.add if lock else locked.discard)(agent)
            elif what == 1:
                name = rng.choice(list(admins))
                policy.set_disabled(name, disabled=name not in disabled)
                (disabled.discard if name in disabled else disabled.add)(name)
            elif what == 2:
                name = rng.choice(list(admins))
                if name in denied:
                    policy.revoke(name, "rate", "edit")
                    denied.discard(name)
                else:
                    policy.deny(name, "rate", "edit")
                    denied.add(name)
            else:
                d.update("agent-a-cust", actor=OP, now=NOW, memo=str(rng.random()))
            for name in admins:
                decision = policy.check_module(name, "rate", "edit", now=NOW)
                assert bool(decision) == expected(name), (name, decision.reason)
