"""Routing: every filter, ordering and failover rule on hand-built worlds; the load's
accounting; a random world against a brute-force scan of every gateway; the weighted choice
against its exact proportions."""

from __future__ import annotations

import gc
import random
import threading
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine._actors import Operator
from vosengine.errors import InvalidArgument, InvalidArgumentType, NotFound
from vosengine.ledger import InMemoryLedger, OperatorsOnly
from vosengine.rating import Rate, RateTable
from vosengine.reasons import TerminationReason
from vosengine.routing import (
    FailoverPolicy,
    Filter,
    Gateway,
    GatewayBusy,
    Load,
    Ordering,
    Routes,
    RouteSettings,
    RouteTable,
    UnknownCall,
    weighted_order,
)
from vosengine.routing._filters import show_price

# every test here runs on the compiled walk and on its pure-Python twin
pytestmark = pytest.mark.usefixtures("route_walk")

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def deck(price: str, prefix: str = "44", **terms: object) -> RateTable:
    return RateTable([Rate(prefix=prefix, price=price, **terms)])


def _walk_py_module() -> Any:
    from vosengine.routing import _walk_py

    return _walk_py


def gw(name: str, **fields: Any) -> Gateway:
    fields.setdefault("vendor", f"vendor-{name}")
    fields.setdefault("prefixes", {"44"})
    return Gateway(id=name, **fields)


def ids(routes: Routes) -> list[str]:
    return [route.gateway.id for route in routes]


def route(table: RouteTable, callee: str = "442079460958", **kwargs: Any) -> Routes:
    kwargs.setdefault("client", "c1")
    kwargs.setdefault("at", AT)
    kwargs.setdefault("now", 100.0)
    return table.route(callee, **kwargs)


# -- matching -------------------------------------------------------------------------------


def test_every_gateway_serving_the_number_is_a_candidate_by_default() -> None:
    table = RouteTable(
        [gw("a", prefixes={"44"}), gw("b", prefixes={"4420"}), gw("c", prefixes={"33"})]
    )
    assert sorted(ids(route(table))) == ["a", "b"]


def test_longest_prefix_only_keeps_the_most_specific_route() -> None:
    table = RouteTable(
        [gw("a", prefixes={"44"}), gw("b", prefixes={"4420"}, enabled=False)],
        settings=RouteSettings(longest_prefix_only=True),
    )
    routes = route(table)
    assert ids(routes) == []  # the specific route overrides even when it is filtered out
    assert [(r.gateway.id, r.filter) for r in routes.removed] == [("b", Filter.DISABLED)]
    assert routes.reason is TerminationReason.NO_AVAILABLE_ROUTER
    assert ids(route(table, "447700900123")) == ["a"]


def test_a_dial_pattern_serves_only_numbers_it_matches_whole() -> None:
    table = RouteTable(
        [gw("mobile", prefixes=(), patterns=["447?*{12}"]), gw("any", prefixes=(), patterns=["*"])]
    )
    assert sorted(ids(route(table, "447700900123"))) == ["any", "mobile"]
    assert ids(route(table, "4477009001234")) == ["any"]  # 13 digits: not the mobile pattern
    found = route(table, "447700900123")
    assert {r.gateway.id: r.prefix for r in found} == {"mobile": "447?*{12}", "any": "*"}


def test_the_number_is_normalised_and_a_bad_one_refused() -> None:
    table = RouteTable([gw("a")])
    assert ids(route(table, "+44 20 7946-0958")) == ["a"]
    with pytest.raises(InvalidArgument, match="callee: '\\+44 20 7946x' has 'x'"):
        route(table, "+44 20 7946x")
    with pytest.raises(InvalidArgument, match="caller"):
        route(table, caller="anonymous")


def test_a_gateway_listed_twice_or_serving_nothing_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="gateway id 'a' is listed twice"):
        RouteTable([gw("a"), gw("a")])
    with pytest.raises(InvalidArgument, match="serves no prefix and no pattern"):
        gw("a", prefixes=())
    with pytest.raises(InvalidArgumentType, match="gateways\\[0\\]: expected a Gateway"):
        RouteTable(["a"])  # type: ignore[list-item]


# -- rewriting ------------------------------------------------------------------------------


def test_each_route_carries_the_numbers_rewritten_for_its_gateway() -> None:
    table = RouteTable(
        [
            gw("tech", callee_rules=[":1234#"], caller_rules=["44:0"]),
            gw("plain", priority=1),
        ]
    )
    tech, plain = route(table, caller="+44 1632 960001")
    assert (tech.callee, tech.caller) == ("1234#442079460958", "01632960001")
    assert (plain.callee, plain.caller) == ("442079460958", "441632960001")


def test_a_rewrite_that_leaves_no_number_removes_the_gateway() -> None:
    table = RouteTable([gw("a", callee_rules=["442079460958:"])])
    routes = route(table)
    assert ids(routes) == []
    assert routes.removed[0].filter is Filter.EMPTY_NUMBER


# -- filters --------------------------------------------------------------------------------


def test_client_binding_allows_and_refuses() -> None:
    table = RouteTable(
        [gw("only-c2", clients_allowed={"c2"}), gw("not-c1", clients_refused={"c1"}), gw("open")]
    )
    routes = route(table, client="c1")
    assert ids(routes) == ["open"]
    assert {r.gateway.id: r.filter for r in routes.removed} == {
        "only-c2": Filter.CLIENT_NOT_ALLOWED,
        "not-c1": Filter.CLIENT_REFUSED,
    }
    assert sorted(ids(route(table, client="c2"))) == ["not-c1", "only-c2", "open"]


def test_capacity_and_cps_filter_through_the_load() -> None:
    full = gw("full", capacity=1)
    fast = gw("fast", cps=2)
    table = RouteTable([full, fast, gw("free", priority=1)])
    load = Load()
    load.acquire(full, "call-1", now=10.0)
    load.acquire(fast, "call-2", now=10.0)
    load.acquire(fast, "call-3", now=10.5)
    routes = route(table, load=load, now=10.9)
    assert ids(routes) == ["free"]
    assert {r.gateway.id: r.filter for r in routes.removed} == {
        "full": Filter.OVER_CAPACITY,
        "fast": Filter.OVER_CPS,
    }
    assert ids(route(table, load=load, now=11.01)) == [
        "fast",
        "free",
    ]  # one attempt left the second
    load.release("call-1")
    assert ids(route(table, load=load, now=11.6)) == ["fast", "full", "free"]
    assert ids(route(table, now=10.9)) == ["fast", "full", "free"]  # no load given: no load filter


def test_a_prepaid_vendor_with_no_funds_is_skipped_and_fails_closed() -> None:
    ledger = InMemoryLedger(decimals=4, payers=OperatorsOnly())
    ledger.open_account("vendor-paid")
    ledger.open_account("vendor-empty")
    ledger.recharge("vendor-paid", Decimal("10"), key="r1", actor=Operator(name="ops"), now=AT)
    table = RouteTable(
        [
            gw("paid", prepaid=True),
            gw("empty", prepaid=True),
            gw("ghost", prepaid=True, vendor="nobody"),
        ]
    )
    routes = route(table, balances=ledger)
    assert ids(routes) == ["paid"]
    assert {r.gateway.id: r.filter for r in routes.removed} == {
        "empty": Filter.VENDOR_EXHAUSTED,
        "ghost": Filter.VENDOR_EXHAUSTED,
    }
    assert ids(route(table)) == []  # no balances to read: a prepaid gateway is left out


def test_min_profit_compares_prices_per_second_on_each_side() -> None:
    customer = Rate(prefix="44", price="0.0600")  # 0.001 per second
    table = RouteTable(
        [
            gw("per-minute-cheap", rates=deck("0.0500")),  # margin 0.0100/min
            gw("per-second-dear", rates=deck("0.0011", unit_seconds=1)),  # 0.066/min: a loss
            gw("equal", rates=deck("0.0060", unit_seconds=6)),  # 0.06/min: margin 0
        ],
        settings=RouteSettings(min_profit="0"),
    )
    routes = route(table, customer_rate=customer)
    assert sorted(ids(routes)) == ["equal", "per-minute-cheap"]
    assert [r.filter for r in routes.removed] == [Filter.BELOW_MIN_PROFIT]
    stricter = RouteTable(table.gateways, settings=RouteSettings(min_profit="0.005"))
    assert ids(route(stricter, customer_rate=customer)) == ["per-minute-cheap"]
    per_second = RouteTable(
        table.gateways, settings=RouteSettings(min_profit="-0.0001", per_seconds=1)
    )
    assert len(route(per_second, customer_rate=customer)) == 3


def test_min_profit_needs_the_customer_rate_and_a_vendor_price() -> None:
    table = RouteTable([gw("unpriced")], settings=RouteSettings(min_profit="0"))
    with pytest.raises(InvalidArgument, match="customer_rate: required when a minimum profit"):
        route(table)
    routes = route(table, customer_rate=Rate(prefix="44", price="1"))
    assert [r.filter for r in routes.removed] == [Filter.NO_VENDOR_RATE]


def test_max_rate_caps_the_vendor_price() -> None:
    table = RouteTable(
        [gw("cheap", rates=deck("0.010")), gw("dear", rates=deck("0.030"))],
        settings=RouteSettings(max_rate="0.02"),
    )
    routes = route(table)
    assert ids(routes) == ["cheap"]
    assert routes.removed[0].filter is Filter.ABOVE_MAX_RATE


def test_a_vendor_deck_without_the_number_removes_the_gateway() -> None:
    table = RouteTable([gw("a", rates=deck("0.01", prefix="33"))])
    assert route(table).removed[0].filter is Filter.NO_VENDOR_RATE


def test_the_vendor_rate_in_force_at_the_instant_prices_the_route() -> None:
    later = datetime(2027, 1, 1, tzinfo=UTC)
    rates = RateTable(
        [
            Rate(prefix="44", price="0.01", effective_until=later),
            Rate(prefix="44", price="0.05", effective_from=later),
        ]
    )
    table = RouteTable([gw("a", rates=rates)], settings=RouteSettings(max_rate="0.02"))
    assert ids(route(table, at=AT)) == ["a"]
    assert ids(route(table, at=later)) == []


def test_a_dated_vendor_deck_is_ranked_by_its_price_at_the_instant() -> None:
    """A deck with dated rates cannot be ranked when the table is built: its gateway is
    priced per call and ranked with the others."""
    later = datetime(2027, 1, 1, tzinfo=UTC)
    dated = RateTable(
        [
            Rate(prefix="44", price="0.005", effective_until=later),
            Rate(prefix="44", price="0.050", effective_from=later),
        ]
    )
    table = RouteTable(
        [gw("static", rates=deck("0.02")), gw("dated", rates=dated), gw("unpriced")],
        settings=RouteSettings(ordering=Ordering.COST),
    )
    assert ids(route(table, at=AT)) == ["dated", "static", "unpriced"]
    assert ids(route(table, at=later)) == ["static", "dated", "unpriced"]
    table._check()


def test_per_client_settings_override_the_table() -> None:
    table = RouteTable(
        [gw("dear", rates=deck("0.03")), gw("cheap", rates=deck("0.01"), priority=1)],
        client_settings={"lcr": RouteSettings(ordering=Ordering.COST)},
    )
    assert ids(route(table, client="c1")) == ["dear", "cheap"]
    assert ids(route(table, client="lcr")) == ["cheap", "dear"]


# -- ordering -------------------------------------------------------------------------------


def test_priority_then_cost_and_cost_then_priority() -> None:
    gateways = [
        gw("p0-dear", priority=0, rates=deck("0.03")),
        gw("p0-cheap", priority=0, rates=deck("0.02")),
        gw("p1-cheapest", priority=1, rates=deck("0.01")),
        gw("p0-unknown", priority=0),
    ]
    by_priority = RouteTable(gateways)
    assert ids(route(by_priority)) == ["p0-cheap", "p0-dear", "p0-unknown", "p1-cheapest"]
    by_cost = RouteTable(gateways, settings=RouteSettings(ordering=Ordering.COST))
    assert ids(route(by_cost)) == ["p1-cheapest", "p0-cheap", "p0-dear", "p0-unknown"]
    first = route(by_cost)[0]
    assert first.rank.startswith("#1 by cost: priority 1, cost 0.010000/min")
    assert first.vendor_rate.price == Decimal("0.01")


def test_equal_cost_falls_back_to_priority_then_id() -> None:
    table = RouteTable(
        [
            gw("a", rates=deck("0.01"), priority=1),
            gw("c", rates=deck("0.01"), priority=0),
            gw("b", rates=deck("0.01"), priority=0),
        ],
        settings=RouteSettings(ordering=Ordering.COST),
    )
    assert ids(route(table)) == ["b", "c", "a"]


def test_weighted_order_keeps_priority_groups_and_is_reproducible_with_a_seed() -> None:
    gateways = [gw("x", weight=1), gw("y", weight=5), gw("z", weight=3), gw("backup", priority=9)]
    table = RouteTable(gateways, settings=RouteSettings(ordering=Ordering.WEIGHTED))
    first = ids(route(table, rng=random.Random(7)))
    assert first[-1] == "backup"
    assert sorted(first[:3]) == ["x", "y", "z"]
    assert ids(route(table, rng=random.Random(7))) == first


def test_weights_are_honoured_exactly_in_proportion() -> None:
    """Weights 1:2 give the first place 1/3 and 2/3 (Kamailio's lcr gives 1/4 and 3/4); a
    chi-square test over 30,000 seeded draws of 1:2:3:4 at the 0.1% level."""
    weights = [1, 2, 3, 4]
    rng = random.Random(20261203)
    draws = 30_000
    counts = dict.fromkeys("abcd", 0)
    for _ in range(draws):
        counts[weighted_order(list("abcd"), weights, rng)[0]] += 1
    expected = [draws * w / sum(weights) for w in weights]
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in zip("abcd", expected, strict=True))
    assert chi2 < 16.27  # 3 degrees of freedom, p = 0.001
    two = [weighted_order(["a", "b"], [1, 2], rng)[0] for _ in range(9_000)].count("a")
    chi2 = (two - 3000) ** 2 / 3000 + (two - 3000) ** 2 / 6000
    assert chi2 < 10.83  # 1 degree of freedom, p = 0.001: a third, not a quarter


def test_the_second_place_is_weighted_among_those_left() -> None:
    """After 'a' (weight 2 of 2+1+1) wins, 'b' and 'c' share the second place evenly."""
    rng = random.Random(5)
    seconds = {"b": 0, "c": 0}
    for _ in range(6_000):
        order = weighted_order(["a", "b", "c"], [2, 1, 1], rng)
        if order[0] == "a":
            seconds[order[1]] += 1
    total = seconds["b"] + seconds["c"]
    chi2 = sum((n - total / 2) ** 2 / (total / 2) for n in seconds.values())
    assert chi2 < 10.83


# -- failover -------------------------------------------------------------------------------


def _three(**settings: Any) -> Routes:
    gateways = [
        gw("g1", priority=0),
        gw("g2", priority=1, failover=FailoverPolicy(retry_on={503, 486})),
        gw("g3", priority=2),
    ]
    return route(RouteTable(gateways, settings=RouteSettings(**settings)))


def test_a_retriable_failure_moves_to_the_next_gateway() -> None:
    routes = _three()
    step = routes.failover(0, status=503)
    assert step.next.gateway.id == "g2"
    timeout = routes.failover(0, status=None)
    assert timeout.next.gateway.id == "g2"
    assert timeout.reason is TerminationReason.RESPONSE_TIMEOUT


def test_a_final_answer_stops_with_the_vendors_status_and_reason() -> None:
    routes = _three()
    for status, reason in [
        (486, TerminationReason.USER_BUSY),
        (404, TerminationReason.NOT_FOUND),
        (484, TerminationReason.NOT_FOUND),
        (403, TerminationReason.DECLINED),
        (603, TerminationReason.DECLINED),
    ]:
        stop = routes.failover(0, status=status)
        assert stop.next is None
        assert (stop.status, stop.reason) == (status, reason)
        assert "stops the search" in stop.why


def test_retry_statuses_are_per_gateway_and_busy_can_always_stop() -> None:
    routes = _three(stop_on_busy=False)
    assert routes.failover(1, status=486).next.gateway.id == "g3"
    assert routes.failover(1, status=408).next is None  # not in g2's list
    busy = _three().failover(1, status=486)
    assert busy.next is None
    assert "busy stops the search" in busy.why


def test_the_switch_limit_and_the_last_route_end_the_search() -> None:
    limited = _three(max_attempts=2)
    assert limited.failover(0, status=503).next.gateway.id == "g2"
    last = limited.failover(1, status=503)
    assert (last.next, last.status, "2 gateways tried" in last.why) == (None, 503, True)
    end = _three().failover(2, status=None)
    assert (end.next, end.status, end.reason) == (None, 408, TerminationReason.RESPONSE_TIMEOUT)


def test_failover_refuses_what_is_not_a_failure_of_a_tried_route() -> None:
    routes = _three()
    with pytest.raises(InvalidArgument, match="attempt: 3 is not the index"):
        routes.failover(3, status=503)
    with pytest.raises(InvalidArgument, match="200 is not a final failure"):
        routes.failover(0, status=200)
    with pytest.raises(InvalidArgument, match="retry_on: 180 is not a final failure"):
        FailoverPolicy(retry_on={180})


# -- load -----------------------------------------------------------------------------------


def test_release_of_an_unknown_call_is_an_error_and_a_double_release_a_no_op(load_cls: Any) -> None:
    load = load_cls(remember=2)
    gateway = gw("a", capacity=5)
    with pytest.raises(UnknownCall, match="'nope' holds no gateway"):
        load.release("nope")
    assert isinstance(UnknownCall("x"), NotFound)
    for call in ("c1", "c2", "c3"):
        load.acquire(gateway, call, now=1.0)
    with pytest.raises(InvalidArgument, match="'c1' holds gateway 'a' already"):
        load.acquire(gateway, "c1", now=1.0)
    for call in ("c1", "c2", "c3"):
        load.release(call)
    load.release("c3")  # a repeat: no-op
    assert load.concurrent("a") == 0
    with pytest.raises(UnknownCall):
        load.release("c1")  # released longer ago than the memory keeps
    load._check()


def test_a_call_id_taken_again_after_its_release_is_remembered_from_its_last_release(
    load_cls: Any,
) -> None:
    load = load_cls(remember=2)
    gateway = gw("a", capacity=5)
    load.acquire(gateway, "c1", now=1.0)
    load.release("c1")
    assert load.holder("c1") is None
    load.acquire(gateway, "c1", now=1.0)  # the same id again: it holds a slot
    assert load.holder("c1") == "a" and load.concurrent("a") == 1
    load.release("c1")
    load.acquire(gateway, "c2", now=1.0)
    load.release("c2")  # the first release of c1 is forgotten now, not its second
    load.release("c1")  # a repeat of its last release: no-op
    load._check()
    load.acquire(gateway, "c3", now=1.0)
    load.release("c3")
    with pytest.raises(UnknownCall):
        load.release("c1")  # two releases since its last: forgotten
    assert load.concurrent("a") == 0
    load._check()


def test_acquire_refuses_at_the_cps_limit_and_counts_per_second(load_cls: Any) -> None:
    load = load_cls()
    gateway = gw("a", cps=2)
    load.acquire(gateway, "c1", now=5.0)
    load.acquire(gateway, "c2", now=5.5)
    with pytest.raises(GatewayBusy, match="limit of 2 call attempts per second") as busy:
        load.acquire(gateway, "c3", now=5.9)
    assert busy.value.filter is Filter.OVER_CPS
    assert load.attempts("a", now=5.9) == 2
    load.acquire(gateway, "c3", now=6.0)  # the attempt at 5.0 has left the window
    zero = gw("z", cps=0)
    with pytest.raises(GatewayBusy):
        load.acquire(zero, "c4", now=6.0)


def test_concurrent_acquires_never_exceed_capacity(load_cls: Any) -> None:
    load = load_cls()
    gateway = gw("a", capacity=50)
    taken: list[str] = []
    refused: list[str] = []

    def worker(n: int) -> None:
        for i in range(40):
            call = f"t{n}-{i}"
            try:
                load.acquire(gateway, call, now=float(i))
            except GatewayBusy:
                refused.append(call)
            else:
                taken.append(call)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken) == 50
    assert len(refused) == 110
    assert load.concurrent("a") == 50
    load._check()


def test_routing_refuses_wrong_types_and_clocks() -> None:
    table = RouteTable([gw("a")])
    with pytest.raises(InvalidArgument, match=r"at: .* has no time zone"):
        route(table, at=datetime(2026, 12, 3))
    with pytest.raises(InvalidArgumentType, match="now"):
        route(table, now=AT)
    with pytest.raises(InvalidArgumentType, match="load: expected a Load"):
        route(table, load={})
    with pytest.raises(InvalidArgumentType, match="client: expected a str"):
        route(table, client=5)
    with pytest.raises(InvalidArgument, match="weight: 0 is below 1"):
        gw("b", weight=0)
    with pytest.raises(InvalidArgument, match="pattern '4a'"):
        gw("b", patterns=["4a"])


def test_a_route_table_is_immutable_and_checks_its_invariants() -> None:
    table = RouteTable([gw("a"), gw("b", prefixes={"4420", "33"}, patterns=["*9"])])
    table._check()
    with pytest.raises(AttributeError):
        table.settings = RouteSettings()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        table.gateways[0].priority = 3


def test_tables_take_the_walk_of_the_seam(route_walk: Any) -> None:
    assert type(RouteTable([gw("a")])._router) is route_walk.Router


def test_routes_are_read_only_and_the_compiled_walk_keeps_them_from_the_collector(
    route_walk: Any,
) -> None:
    """A ``Routes`` never changes once made, so it can be in no cycle: the compiled router
    untracks it (an open call keeps it, and the collector would read what it refers to on
    every pass), and what is made from it on first read stays right."""
    table = RouteTable([gw("a", capacity=1), gw("b", enabled=False)])
    routes = route(table)
    with pytest.raises(AttributeError):
        routes.settings = routes.settings  # type: ignore[misc]
    assert gc.is_tracked(routes) == (route_walk is _walk_py_module())
    gc.collect()
    assert ids(routes) == ["a"] and [r.gateway.id for r in routes.removed] == ["b"]
    assert routes[0].gateway.id == "a" and routes.gateway(0).id == "a"
    gc.collect()
    assert routes.routes[0] is routes[0]  # made once, kept


def _same(left: Routes, right: Routes) -> None:
    assert [(r.gateway.id, r.prefix, r.vendor_rate, r.rank) for r in left] == [
        (r.gateway.id, r.prefix, r.vendor_rate, r.rank) for r in right
    ]
    assert [(r.gateway.id, r.filter, r.detail) for r in left.removed] == [
        (r.gateway.id, r.filter, r.detail) for r in right.removed
    ]


#: Serves no number the tests dial; with it, every candidate goes to the judge.
NEVER = Gateway(id="never", vendor="v", patterns=["*9{20}"])


@pytest.mark.parametrize("ordering", list(Ordering))
def test_prices_too_large_for_the_packed_records_are_judged_exactly(ordering: Ordering) -> None:
    # per-second prices over denominators whose common multiple is far past 64 bits
    units = [999_983, 1_000_003, 1_000_033]
    prices = ["1.0000000001", "1.0000000003", "0.0000000007"]
    gateways = [
        gw(f"g{index}", rates=deck(price, unit_seconds=unit), priority=index % 2)
        for index, (price, unit) in enumerate(zip(prices, units, strict=True))
    ]
    customer = Rate(prefix="44", price="0.000061", unit_seconds=1_000_003)
    for settings in (
        RouteSettings(ordering=ordering),
        RouteSettings(ordering=ordering, min_profit="-0.0000000001", per_seconds=7),
        RouteSettings(ordering=ordering, max_rate="0.00006", min_profit="0"),
    ):
        table = RouteTable(gateways, settings=settings)
        assert table._plan.common >= 1 << 63
        table._check()
        got = route(table, customer_rate=customer, rng=random.Random(5))
        judged = route(
            RouteTable([*gateways, NEVER], settings=settings),
            customer_rate=customer,
            rng=random.Random(5),
        )
        _same(got, judged)
    assert ids(got) == ["g2"]
    assert {r.gateway.id: r.filter for r in got.removed} == {
        "g0": Filter.ABOVE_MAX_RATE,  # 1.0000000001 / 999,983 s is just above the cap
        "g1": Filter.BELOW_MIN_PROFIT,  # 1.0000000003 / 1,000,003 s is just below it
    }


def test_a_table_past_the_records_gate_limit_judges_every_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vosengine.routing import _plan

    gateways = [gw(f"g{i}", rates=deck(f"0.0{i}"), capacity=1) for i in range(1, 4)]
    load = Load()
    load.acquire(gateways[0], "call", now=1.0)
    settings = RouteSettings(ordering=Ordering.COST, max_rate="0.025")
    packed = RouteTable(gateways, settings=settings)
    monkeypatch.setattr(_plan, "MAX_GATES", 2)
    judged = RouteTable(gateways, settings=settings)
    assert _plan.read_slot(packed._plan, packed._plan.slots["44"]).fast
    assert not _plan.read_slot(judged._plan, judged._plan.slots["44"]).fast
    judged._check()
    _same(route(packed, load=load), route(judged, load=load))
    assert ids(route(judged, load=load)) == ["g2"]


@pytest.mark.parametrize(
    ("customer_price", "kept"),
    [("0.0000000001", 1), ("0.010000000001", 2), ("0.02", 3), ("9" * 12, 3)],
)
def test_a_customer_rate_of_any_size_bounds_the_records_exactly(
    customer_price: str, kept: int
) -> None:
    gateways = [gw(f"g{i}", rates=deck(f"0.0{i}")) for i in range(1, 4)]
    customer = Rate(prefix="44", price=customer_price)
    for floor in ("-0.00000000001", "0", "0.000000000001", "-0.01"):
        settings = RouteSettings(ordering=Ordering.COST, min_profit=floor)
        got = route(RouteTable(gateways, settings=settings), customer_rate=customer)
        judged = route(RouteTable([*gateways, NEVER], settings=settings), customer_rate=customer)
        _same(got, judged)
    assert len(got) == kept  # with a loss of up to 0.01 a minute allowed


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**30))
def test_a_price_reads_per_minute_rounded_half_even(num: int, den: int) -> None:
    micro = round(Fraction(num * 60 * 10**6, den))  # Fraction rounds half to even
    sign = "-" if micro < 0 else ""
    assert show_price(num, den) == f"{sign}{abs(micro) // 10**6}.{abs(micro) % 10**6:06d}/min"


def test_one_route_is_read_alone_and_indexing_works_like_a_tuple() -> None:
    table = RouteTable([gw(f"g{i}", rates=deck(f"0.0{i}")) for i in range(1, 4)])
    routes = route(table)
    assert routes[-1].gateway.id == "g3"
    assert routes[0].rank == "#1 by priority: priority 0, cost 0.010000/min"
    assert [r.gateway.id for r in routes] == ids(routes) == ["g1", "g2", "g3"]
    assert routes[0] is routes.routes[0]
    assert routes[1:] == routes.routes[1:]
    for index in (3, -4):
        with pytest.raises(IndexError):
            routes[index]
    fresh = route(table)
    assert [fresh.gateway(i).id for i in range(3)] == ["g1", "g2", "g3"]
    assert not fresh._made  # no Route was made to name the gateways
    assert [fresh.gateway(i) for i in range(3)] == [r.gateway for r in fresh]
    for index in (3, -1):
        with pytest.raises(InvalidArgument, match="not one of the 3 routes"):
            fresh.gateway(index)
