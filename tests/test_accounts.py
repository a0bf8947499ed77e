"""Accounts, the agent tree, authorizations, status and number sections."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vosengine.accounts import (
    AUTHORIZATION_TEMPLATES,
    CALLING_CARD,
    FULL,
    RETAIL,
    SIP_TRUNK_PROVIDER,
    WHOLESALE,
    Account,
    AccountCategory,
    AccountDirectory,
    AccountStatus,
    AgentAction,
    Authorization,
    AuthorizationNotHeld,
    BillingModel,
    DuplicateAccount,
    HierarchyError,
    Operator,
    PermissionDenied,
    Scope,
    UnknownAccount,
)
from vosengine.errors import InvalidArgument, VosEngineError
from vosengine.numbering import NumberSection

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OP = Operator(name="root")
A = Authorization


def build_guide_tree() -> AccountDirectory:
    """The hierarchy of the VOS3000 guides: operator -> wholesale agent -> retail sub-agent
    -> customer, and a second, unrelated agent B with its own customer."""
    d = AccountDirectory()
    d.add(
        Account(id="bd-wholesale", name="BD-Wholesale-Agent", authorizations=FULL),
        actor=OP,
        now=NOW,
    )
    d.add(
        Account(
            id="dhaka-retail",
            name="Dhaka-Retail-Sub",
            parent_id="bd-wholesale",
            authorizations=RETAIL,
            number_section=NumberSection(allowed={"880"}),
        ),
        actor="bd-wholesale",
        now=NOW,
    )
    d.add(
        Account(id="customer-001", name="Customer-001", parent_id="dhaka-retail"),
        actor="dhaka-retail",
        now=NOW,
    )
    d.add(Account(id="agent-b", authorizations=WHOLESALE), actor=OP, now=NOW)
    d.add(Account(id="b-customer", parent_id="agent-b"), actor="agent-b", now=NOW)
    return d


def unchanged(d: AccountDirectory, call: Callable[[], Any], error: type[BaseException]) -> str:
    """Run a call that must fail; check the directory is exactly as before. Returns the
    message."""
    before = json.dumps(d.to_dict(), sort_keys=True)
    with pytest.raises(error) as info:
        call()
    assert json.dumps(d.to_dict(), sort_keys=True) == before
    d._check()
    return str(info.value)


# -- values ------------------------------------------------------------------------------


def test_templates_are_the_documented_sets() -> None:
    assert RETAIL == A.ACCOUNT | A.PHONE | A.PAYMENT_SUB | A.PAYMENT_SELF
    assert WHOLESALE == (
        A.ACCOUNT | A.GATEWAY | A.GATEWAY_INFO | A.GATEWAY_CAPACITY | A.PAYMENT_SUB
    )
    assert CALLING_CARD == A.ACCOUNT | A.PHONE_CARD | A.PAYMENT_SELF | A.PAYMENT_SUB
    assert not (SIP_TRUNK_PROVIDER & A.PHONE_CARD)
    assert SIP_TRUNK_PROVIDER | A.PHONE_CARD == FULL
    assert len(FULL.names()) == 8
    assert set(AUTHORIZATION_TEMPLATES) == {
        "retail",
        "wholesale",
        "calling_card",
        "sip_trunk_provider",
        "full",
    }


def test_authorization_names_parse_and_unknown_names_fail() -> None:
    assert A.parse(["account", "PAYMENT_SUB"]) == A.ACCOUNT | A.PAYMENT_SUB
    assert A.parse(RETAIL.names()) == RETAIL
    with pytest.raises(InvalidArgument, match="unknown authorization 'teleport'"):
        A.parse(["account", "teleport"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id: account id '' must be non-empty"),
        ({"id": " x"}, "id: account id ' x'"),
        ({"id": 5}, "id: expected a str"),
        ({"id": "a", "parent_id": ""}, "parent_id"),
        ({"id": "a", "status": AccountStatus.EXPIRED}, "status: 'expired' is derived"),
        ({"id": "a", "status": "active"}, "status: expected an AccountStatus"),
        ({"id": "a", "expires_at": datetime(2027, 1, 1)}, "expires_at: .* no time zone"),
        ({"id": "a", "authorizations": 3}, "authorizations: expected Authorization"),
        ({"id": "a", "billing_model": "flow"}, "billing_model: expected BillingModel"),
    ],
)
def test_bad_account_fields_name_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        Account(**fields)


# -- number sections ---------------------------------------------------------------------


def test_number_section_longest_entry_decides() -> None:
    section = NumberSection(allowed={"880"}, blocked={"8801"})
    assert section.allows("8802123")
    assert not section.allows("88017123")
    assert not section.allows("91123")  # an allow-list closes what it does not name
    assert section.decide("88017123").entry == "8801"
    blocked_only = NumberSection(blocked={"8816", "8817"})
    assert blocked_only.allows("4420")
    assert not blocked_only.allows("881612")
    assert NumberSection().allows("4420") and NumberSection().is_open


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"allowed": {"88a"}}, "allowed: prefix '88a' has character 'a' at position 2"),
        ({"blocked": {""}}, "blocked: a prefix may not be empty"),
        ({"allowed": "880"}, "allowed: expected a collection of prefixes"),
        ({"allowed": {"880"}, "blocked": {"880"}}, "blocked: prefix '880' is also allowed"),
        ({"allowed": 5}, "allowed: expected a collection"),
    ],
)
def test_bad_number_sections(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        NumberSection(**kwargs)


def test_number_sections_are_inherited_down_the_chain() -> None:
    d = AccountDirectory()
    d.add(
        Account(
            id="global",
            authorizations=FULL,
            number_section=NumberSection(blocked={"8816", "8817"}),  # satellite
        ),
        actor=OP,
        now=NOW,
    )
    d.add(
        Account(
            id="regional",
            parent_id="global",
            authorizations=FULL,
            number_section=NumberSection(allowed={"880", "91", "94", "8816"}),
        ),
        actor=OP,
        now=NOW,
    )
    d.add(
        Account(
            id="local",
            parent_id="regional",
            number_section=NumberSection(allowed={"880"}),
        ),
        actor=OP,
        now=NOW,
    )
    d.add(Account(id="customer", parent_id="local"), actor=OP, now=NOW)
    assert d.number_allowed("customer", "8801712345678")
    assert not d.number_allowed("customer", "919876543210")  # local allows only 880
    assert d.number_allowed("regional", "919876543210")
    check = d.number_check("customer", "919876543210")
    assert not check and check.account_id == "local" and check.entry is None
    assert "allowed prefixes of account 'local'" in check.reason
    # regional allows 8816 but global blocks it: every level must allow
    check = d.number_check("regional", "881612345")
    assert not check and check.account_id == "global" and check.entry == "8816"
    assert d.number_check("customer", "8801").allowed
    # a change above is seen below at once
    d.update("local", actor=OP, now=NOW, number_section=NumberSection(allowed={"880", "91"}))
    assert d.number_allowed("customer", "919876543210")


def test_the_sections_of_a_chain_fail_closed_on_a_number_typed_another_way() -> None:
    d = AccountDirectory()
    d.add(
        Account(id="agent", authorizations=FULL, number_section=NumberSection(blocked={"44"})),
        actor=OP,
        now=NOW,
    )
    d.add(Account(id="customer", parent_id="agent"), actor=OP, now=NOW)
    d.add(Account(id="open"), actor=OP, now=NOW)
    for typed in ("+4420", "44 20 7946 0958", "+44-20"):
        assert not d.number_allowed("customer", typed)
        check = d.number_check("customer", typed)
        assert not check and check.account_id == "agent" and check.entry == "44"
    assert d.number_allowed("customer", "+33 1 23")
    # a number no section can read is refused, even where no section limits anything
    for account_id in ("customer", "open"):
        for ask in (d.number_allowed, d.number_check):
            with pytest.raises(InvalidArgument, match="number: '٤٤20' has '٤' at position 0"):
                ask(account_id, "٤٤20")
            with pytest.raises(InvalidArgument, match="number: '44x' has 'x' at position 2"):
                ask(account_id, "44x")


# -- the tree ----------------------------------------------------------------------------


def test_guide_hierarchy_categories_and_scopes() -> None:
    d = build_guide_tree()
    assert d.category("bd-wholesale") is AccountCategory.AGENT
    assert d.category("dhaka-retail") is AccountCategory.AGENT
    assert d.category("customer-001") is AccountCategory.ACCOUNT
    assert d.sub_accounts("bd-wholesale") == ["dhaka-retail"]
    assert d.sub_accounts("bd-wholesale", scope=Scope.ALL) == ["dhaka-retail", "customer-001"]
    assert d.ancestors("customer-001") == ["dhaka-retail", "bd-wholesale"]
    assert d.level("customer-001") == 2
    assert d.is_within("customer-001", "bd-wholesale")
    assert not d.is_within("b-customer", "bd-wholesale")
    tree = d.tree()
    assert [node["id"] for node in tree] == ["bd-wholesale", "agent-b"]
    assert tree[0]["children"][0]["children"][0] == {
        "id": "customer-001",
        "name": "Customer-001",
        "category": "account",
        "children": [],
    }
    # removing the only customer turns the retail agent back into an account
    d.remove("customer-001", actor="dhaka-retail", now=NOW)
    assert d.category("dhaka-retail") is AccountCategory.ACCOUNT
    d._check()


def test_agent_a_never_touches_agent_b_customers() -> None:
    d = build_guide_tree()
    for action in AgentAction:
        decision = d.decide("bd-wholesale", action, "b-customer", now=NOW)
        assert not decision
        assert "outside the scope of agent 'bd-wholesale'" in decision.reason
    message = unchanged(
        d,
        lambda: d.update("b-customer", actor="bd-wholesale", now=NOW, name="stolen"),
        PermissionDenied,
    )
    assert "outside the scope" in message
    unchanged(
        d,
        lambda: d.add(Account(id="x", parent_id="agent-b"), actor="bd-wholesale", now=NOW),
        PermissionDenied,
    )
    unchanged(d, lambda: d.remove("b-customer", actor="bd-wholesale", now=NOW), PermissionDenied)
    unchanged(
        d,
        lambda: d.move("b-customer", "dhaka-retail", actor="bd-wholesale", now=NOW),
        PermissionDenied,
    )


def test_check_scope_and_authorization_rules() -> None:
    d = build_guide_tree()
    ok = d.decide("bd-wholesale", AgentAction.MODIFY_ACCOUNT, "customer-001", now=NOW)
    assert ok and "may modify_account" in ok.reason
    # an agent cannot modify itself, only its sub-accounts
    assert not d.decide("dhaka-retail", AgentAction.MODIFY_ACCOUNT, "dhaka-retail", now=NOW)
    # payment for this account: itself only; for sub accounts: strictly below
    assert d.decide("dhaka-retail", AgentAction.PAY_SELF, "dhaka-retail", now=NOW)
    assert not d.decide("dhaka-retail", AgentAction.PAY_SELF, "customer-001", now=NOW)
    assert d.decide("dhaka-retail", AgentAction.PAY_SUB, "customer-001", now=NOW)
    assert not d.decide("dhaka-retail", AgentAction.PAY_SUB, "dhaka-retail", now=NOW)
    # retail has no gateway or phone card rights
    denied = d.decide("dhaka-retail", AgentAction.ADD_GATEWAY, "customer-001", now=NOW)
    assert not denied and "lacks the 'gateway' authorization" in denied.reason
    assert not d.decide("dhaka-retail", AgentAction.ADD_PHONE_CARD, "customer-001", now=NOW)
    assert d.decide("dhaka-retail", AgentAction.ADD_PHONE, "customer-001", now=NOW)
    # a customer (no authorizations) may view itself but not add accounts
    assert d.decide("customer-001", AgentAction.VIEW, "customer-001", now=NOW)
    assert not d.decide("customer-001", AgentAction.ADD_ACCOUNT, "customer-001", now=NOW)
    assert not d.decide("customer-001", AgentAction.VIEW, "dhaka-retail", now=NOW)
    # operators act outside the tree
    assert d.decide(OP, AgentAction.DELETE_ACCOUNT, "b-customer", now=NOW)
    with pytest.raises(UnknownAccount, match="'ghost' does not exist"):
        d.decide("ghost", AgentAction.VIEW, "customer-001", now=NOW)
    with pytest.raises(UnknownAccount):
        d.decide("bd-wholesale", AgentAction.VIEW, "ghost", now=NOW)


def test_a_locked_or_expired_agent_stops_its_subtree() -> None:
    d = build_guide_tree()
    assert d.effective_status("customer-001", now=NOW) is AccountStatus.ACTIVE
    d.update("bd-wholesale", actor=OP, now=NOW, status=AccountStatus.LOCKED)
    verdict = d.status_verdict("customer-001", now=NOW)
    assert verdict.status is AccountStatus.LOCKED and verdict.account_id == "bd-wholesale"
    assert not verdict
    denied = d.decide("dhaka-retail", AgentAction.MODIFY_ACCOUNT, "customer-001", now=NOW)
    assert not denied and "is locked (its agent 'bd-wholesale')" in denied.reason
    d.update("bd-wholesale", actor=OP, now=NOW, status=AccountStatus.ACTIVE)
    d.update("dhaka-retail", actor=OP, now=NOW, expires_at=NOW + timedelta(days=1))
    assert d.effective_status("customer-001", now=NOW) is AccountStatus.ACTIVE
    later = NOW + timedelta(days=1)
    assert d.effective_status("customer-001", now=later) is AccountStatus.EXPIRED
    assert d.effective_status("bd-wholesale", now=later) is AccountStatus.ACTIVE
    # the worst wins: an inactive customer under an expired agent is expired
    d.update("customer-001", actor=OP, now=NOW, status=AccountStatus.INACTIVE)
    assert d.effective_status("customer-001", now=later) is AccountStatus.EXPIRED
    assert d.effective_status("customer-001", now=NOW) is AccountStatus.INACTIVE


def test_subset_rule_on_add_grant_move_and_revoke_cascades() -> None:
    d = build_guide_tree()
    message = unchanged(
        d,
        lambda: d.add(
            Account(id="x", parent_id="dhaka-retail", authorizations=A.GATEWAY),
            actor=OP,
            now=NOW,
        ),
        AuthorizationNotHeld,
    )
    assert "cannot hold ['gateway']" in message and "'dhaka-retail' does not" in message
    unchanged(
        d,
        lambda: d.grant("customer-001", A.PHONE_CARD | A.GATEWAY, actor=OP, now=NOW),
        AuthorizationNotHeld,
    )
    d.grant("customer-001", A.PHONE | A.PAYMENT_SELF, actor="dhaka-retail", now=NOW)
    assert d.get("customer-001").authorizations == A.PHONE | A.PAYMENT_SELF
    # moving an account under an agent that lacks its rights is refused
    unchanged(d, lambda: d.move("dhaka-retail", "agent-b", actor=OP, now=NOW), AuthorizationNotHeld)
    # revoking from the top revokes all the way down
    d.revoke("bd-wholesale", A.PHONE, actor=OP, now=NOW)
    assert not d.get("dhaka-retail").authorizations & A.PHONE
    assert d.get("customer-001").authorizations == A.PAYMENT_SELF
    actions = [record.action for record in d.audit_log()[-3:]]
    assert actions == ["update", "update (cascade)", "update (cascade)"]
    d._check()


def test_remove_never_orphans() -> None:
    d = build_guide_tree()
    message = unchanged(d, lambda: d.remove("bd-wholesale", actor=OP, now=NOW), HierarchyError)
    assert "has 2 sub-accounts" in message
    unchanged(
        d,
        lambda: d.remove("bd-wholesale", actor=OP, now=NOW, reassign_to="customer-001"),
        HierarchyError,
    )
    unchanged(
        d,
        lambda: d.remove("bd-wholesale", actor=OP, now=NOW, reassign_to="nobody"),
        UnknownAccount,
    )
    # agent-b (wholesale) cannot take dhaka-retail (retail rights: phone, payment-self)
    unchanged(
        d,
        lambda: d.remove("bd-wholesale", actor=OP, now=NOW, reassign_to="agent-b"),
        AuthorizationNotHeld,
    )
    d.add(Account(id="heir", authorizations=FULL), actor=OP, now=NOW)
    assert d.remove("bd-wholesale", actor=OP, now=NOW, reassign_to="heir") == ["bd-wholesale"]
    assert d.get("dhaka-retail").parent_id == "heir"
    assert d.sub_accounts("heir", scope=Scope.ALL) == ["dhaka-retail", "customer-001"]
    assert d.remove("heir", actor=OP, now=NOW, cascade=True) == [
        "customer-001",
        "dhaka-retail",
        "heir",
    ]
    assert "customer-001" not in d
    d._check()


def test_move_refuses_cycles_and_agents_stay_in_their_subtree() -> None:
    d = build_guide_tree()
    message = unchanged(
        d, lambda: d.move("bd-wholesale", "customer-001", actor=OP, now=NOW), HierarchyError
    )
    assert "would make a cycle" in message
    unchanged(d, lambda: d.move("bd-wholesale", "bd-wholesale", actor=OP, now=NOW), HierarchyError)
    unchanged(
        d, lambda: d.move("customer-001", None, actor="bd-wholesale", now=NOW), PermissionDenied
    )
    d.move("customer-001", "bd-wholesale", actor="bd-wholesale", now=NOW)
    assert d.sub_accounts("bd-wholesale") == ["dhaka-retail", "customer-001"]
    assert d.category("dhaka-retail") is AccountCategory.ACCOUNT
    d.move("customer-001", None, actor=OP, now=NOW)
    assert d.level("customer-001") == 0
    d._check()


def test_rejected_calls_change_nothing() -> None:
    d = build_guide_tree()
    unchanged(d, lambda: d.add(Account(id="agent-b"), actor=OP, now=NOW), DuplicateAccount)
    unchanged(
        d, lambda: d.add(Account(id="n", parent_id="ghost"), actor=OP, now=NOW), UnknownAccount
    )
    unchanged(d, lambda: d.add(Account(id="n"), actor="bd-wholesale", now=NOW), PermissionDenied)
    unchanged(d, lambda: d.update("ghost", actor=OP, now=NOW, name="x"), UnknownAccount)
    unchanged(d, lambda: d.update("agent-b", actor=OP, now=NOW, parent_id="x"), InvalidArgument)
    unchanged(d, lambda: d.update("agent-b", actor=OP, now=NOW, colour="red"), InvalidArgument)
    unchanged(
        d,
        lambda: d.update("agent-b", actor=OP, now=NOW, status=AccountStatus.EXPIRED),
        InvalidArgument,
    )
    unchanged(
        d,
        lambda: d.update("agent-b", actor=OP, now=datetime(2026, 1, 1), name="x"),
        InvalidArgument,
    )
    unchanged(
        d,
        lambda: d.update("agent-b", actor=42, now=NOW, name="x"),  # type: ignore[arg-type]
        InvalidArgument,
    )
    unchanged(d, lambda: d.remove("ghost", actor=OP, now=NOW), UnknownAccount)
    unchanged(
        d,
        lambda: d.remove("agent-b", actor=OP, now=NOW, cascade=True, reassign_to="x"),
        InvalidArgument,
    )
    for error in (
        UnknownAccount,
        DuplicateAccount,
        HierarchyError,
        AuthorizationNotHeld,
        PermissionDenied,
    ):
        assert issubclass(error, VosEngineError)


def test_audit_records_who_what_before_after_when() -> None:
    d = build_guide_tree()
    later = NOW + timedelta(minutes=5)
    d.update("customer-001", actor="dhaka-retail", now=later, memo="VIP")
    record = d.audit_log()[-1]
    assert record.actor == "agent:dhaka-retail"
    assert record.action == "update"
    assert record.at == later
    assert record.before is not None and record.before.memo == ""
    assert record.after is not None and record.after.memo == "VIP"
    assert [r.seq for r in d.audit_log()] == list(range(1, len(d.audit_log()) + 1))
    assert d.audit_log()[0].actor == "operator:root"
    assert d.audit_log()[0].before is None


def test_snapshot_round_trips_exactly() -> None:
    d = build_guide_tree()
    d.update(
        "customer-001",
        actor=OP,
        now=NOW,
        expires_at=NOW + timedelta(days=30),
        billing_model=BillingModel.FLOW,
        number_section=NumberSection(allowed={"8801"}, blocked={"88019"}),
    )
    data = json.loads(json.dumps(d.to_dict()))
    restored = AccountDirectory.from_dict(data)
    assert restored.to_dict() == d.to_dict()
    assert restored.get("customer-001") == d.get("customer-001")
    assert restored.audit_log() == d.audit_log()
    assert restored.number_allowed("customer-001", "8801712") is True
    restored._check()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["accounts"].reverse(), "is not listed before its sub-account"),
        (lambda s: s["accounts"].append(s["accounts"][0]), "appears twice"),
        (lambda s: s["accounts"][0].update(status="frozen"), "'frozen' is not a valid"),
        (lambda s: s["accounts"][0].update(colour="red"), "unknown field 'colour'"),
        (
            lambda s: s["accounts"][2].update(authorizations=["gateway", "phone_card"]),
            "cannot hold",
        ),
        (lambda s: s.update(format="other"), "format"),
        (lambda s: s["accounts"][0].update(expires_at="tomorrow"), "expires_at"),
    ],
)
def test_bad_snapshots_are_rejected(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    data = json.loads(json.dumps(build_guide_tree().to_dict()))
    mutate(data)
    with pytest.raises(InvalidArgument, match=message):
        AccountDirectory.from_dict(data)


# -- model-based -------------------------------------------------------------------------

import os  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

auth_st = st.sampled_from([m for m in Authorization if m.value]).map(lambda m: m) | st.builds(
    lambda flags: Authorization(flags), st.integers(0, 255)
)
status_st = st.sampled_from([AccountStatus.ACTIVE, AccountStatus.LOCKED, AccountStatus.INACTIVE])
prefix_st = st.text(alphabet="0189", min_size=1, max_size=3)


class DirectoryMachine(RuleBasedStateMachine):
    """Random operation sequences against a plain model of the tree."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.d = AccountDirectory()
        self.parent: dict[str, str | None] = {}
        self.auth: dict[str, Authorization] = {}
        self.status: dict[str, AccountStatus] = {}
        self.sections: dict[str, NumberSection] = {}
        self.counter = 0

    # the model's own answers
    def model_children(self, account_id: str) -> list[str]:
        return [a for a, p in self.parent.items() if p == account_id]

    def model_subtree(self, account_id: str) -> set[str]:
        out: set[str] = set()
        todo = self.model_children(account_id)
        while todo:
            current = todo.pop()
            out.add(current)
            todo.extend(self.model_children(current))
        return out

    def model_chain(self, account_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = account_id
        while current is not None:
            chain.append(current)
            current = self.parent[current]
        return chain

    @rule(
        target=ids,
        data=st.data(),
        auth=auth_st,
        status=status_st,
        allowed=st.frozensets(prefix_st, max_size=2),
        blocked=st.frozensets(prefix_st, max_size=2),
    )
    def add(
        self,
        data: st.DataObject,
        auth: Authorization,
        status: AccountStatus,
        allowed: frozenset[str],
        blocked: frozenset[str],
    ) -> str:
        self.counter += 1
        new_id = f"a{self.counter}"
        parent = (
            data.draw(st.none() | st.sampled_from(sorted(self.parent))) if self.parent else None
        )
        section = NumberSection(allowed=allowed - blocked, blocked=blocked)
        account = Account(
            id=new_id, parent_id=parent, authorizations=auth, status=status, number_section=section
        )
        if parent is not None and auth & ~self.auth[parent]:
            unchanged(self.d, lambda: self.d.add(account, actor=OP, now=NOW), AuthorizationNotHeld)
            account = attrs_evolve(account, authorizations=auth & self.auth[parent])
        self.d.add(account, actor=OP, now=NOW)
        self.parent[new_id] = parent
        self.auth[new_id] = account.authorizations
        self.status[new_id] = status
        self.sections[new_id] = section
        return new_id

    @rule(account_id=ids, auth=auth_st)
    def revoke(self, account_id: str, auth: Authorization) -> None:
        if account_id not in self.parent:
            return
        self.d.revoke(account_id, auth, actor=OP, now=NOW)
        for sub in {account_id} | self.model_subtree(account_id):
            self.auth[sub] &= ~auth

    @rule(account_id=ids, auth=auth_st)
    def grant(self, account_id: str, auth: Authorization) -> None:
        if account_id not in self.parent:
            return
        parent = self.parent[account_id]
        if parent is not None and auth & ~self.auth[parent]:
            unchanged(
                self.d,
                lambda: self.d.grant(account_id, auth, actor=OP, now=NOW),
                AuthorizationNotHeld,
            )
            return
        self.d.grant(account_id, auth, actor=OP, now=NOW)
        self.auth[account_id] |= auth

    @rule(account_id=ids, new_parent=ids)
    def move(self, account_id: str, new_parent: str) -> None:
        if account_id not in self.parent or new_parent not in self.parent:
            return
        if new_parent == account_id or new_parent in self.model_subtree(account_id):
            unchanged(
                self.d,
                lambda: self.d.move(account_id, new_parent, actor=OP, now=NOW),
                HierarchyError,
            )
        elif self.auth[account_id] & ~self.auth[new_parent]:
            unchanged(
                self.d,
                lambda: self.d.move(account_id, new_parent, actor=OP, now=NOW),
                AuthorizationNotHeld,
            )
        else:
            self.d.move(account_id, new_parent, actor=OP, now=NOW)
            self.parent[account_id] = new_parent

    @rule(account_id=consumes(ids), cascade=st.booleans())
    def remove(self, account_id: str, cascade: bool) -> None:
        if account_id not in self.parent:
            return
        below = self.model_subtree(account_id)
        if below and not cascade:
            unchanged(self.d, lambda: self.d.remove(account_id, actor=OP, now=NOW), HierarchyError)
            return
        removed = self.d.remove(account_id, actor=OP, now=NOW, cascade=cascade)
        assert set(removed) == below | {account_id}
        for gone in removed:
            del self.parent[gone], self.auth[gone], self.status[gone], self.sections[gone]

    @rule(actor=ids, victim=ids, action=st.sampled_from(list(AgentAction)))
    def scope_isolation(self, actor: str, victim: str, action: AgentAction) -> None:
        if actor not in self.parent or victim not in self.parent:
            return
        decision = self.d.decide(actor, action, victim, now=NOW)
        if decision:
            assert victim == actor or victim in self.model_subtree(actor)
            assert all(self.status[a] is AccountStatus.ACTIVE for a in self.model_chain(actor))
        elif victim not in self.model_subtree(actor) and victim != actor:
            assert "outside the scope" in decision.reason

    @rule(account_id=ids, number=st.text(alphabet="01289", min_size=1, max_size=6))
    def numbers(self, account_id: str, number: str) -> None:
        if account_id not in self.parent:
            return
        expected = all(self.sections[a].allows(number) for a in self.model_chain(account_id))
        assert self.d.number_allowed(account_id, number) is expected
        assert bool(self.d.number_check(account_id, number)) is expected

    @invariant()
    def matches_the_model(self) -> None:
        self.d._check()
        assert len(self.d) == len(self.parent)
        for account_id, parent in self.parent.items():
            account = self.d.get(account_id)
            assert account.parent_id == parent
            assert account.authorizations == self.auth[account_id]
            if parent is not None:  # the subset rule
                assert not (self.auth[account_id] & ~self.auth[parent])
            children = self.model_children(account_id)
            expected = AccountCategory.AGENT if children else AccountCategory.ACCOUNT
            assert self.d.category(account_id) is expected
            assert set(self.d.sub_accounts(account_id, scope=Scope.ALL)) == self.model_subtree(
                account_id
            )
            worst = max(
                (self.status[a] for a in self.model_chain(account_id)), key=lambda s: s.severity
            )
            assert self.d.effective_status(account_id, now=NOW) is worst


@given(
    levels=st.lists(
        st.tuples(
            st.sampled_from([AccountStatus.ACTIVE, AccountStatus.INACTIVE, AccountStatus.LOCKED]),
            st.one_of(st.none(), st.integers(0, 4)),  # expires after so many days
        ),
        min_size=1,
        max_size=4,
    ),
    days=st.lists(st.integers(-1, 5), min_size=1, max_size=4),
    change=st.tuples(
        st.integers(0, 3),
        st.sampled_from([AccountStatus.ACTIVE, AccountStatus.INACTIVE, AccountStatus.LOCKED]),
    ),
)
def test_status_verdict_is_the_worst_own_status_of_the_chain_nearest_first(
    levels: list[tuple[AccountStatus, int | None]], days: list[int], change: tuple[int, Any]
) -> None:
    d = AccountDirectory()
    for index, (status, expires) in enumerate(levels):
        d.add(
            Account(
                id=f"a{index}",
                parent_id=f"a{index - 1}" if index else None,
                authorizations=FULL,
                status=status,
                expires_at=None if expires is None else NOW + timedelta(days=expires),
            ),
            actor=OP,
            now=NOW,
        )
    leaf = f"a{len(levels) - 1}"

    def model(when: datetime) -> tuple[AccountStatus, str]:
        chain = [d.get(leaf), *(d.get(i) for i in d.ancestors(leaf))]
        worst = chain[0]
        for level in chain[1:]:
            if level.own_status(now=when).severity > worst.own_status(now=when).severity:
                worst = level
        return worst.own_status(now=when), worst.id

    for step, offset in enumerate(days):
        when = NOW + timedelta(days=offset, hours=1)
        verdict = d.status_verdict(leaf, now=when)
        assert (verdict.status, verdict.account_id) == model(when)
        assert d.effective_status(leaf, now=when) is verdict.status
        if step == 0:  # a change drops what was summed up
            index, status = change
            if index < len(levels):
                d.update(f"a{index}", actor=OP, now=NOW, status=status)


def attrs_evolve(account: Account, **changes: Any) -> Account:
    import attrs

    return attrs.evolve(account, **changes)


TestDirectoryMachine = DirectoryMachine.TestCase
TestDirectoryMachine.settings = settings(
    max_examples=150 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 40,
    stateful_step_count=30,
    deadline=None,
)
