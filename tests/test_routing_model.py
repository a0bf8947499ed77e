"""Routing in a random world (decks, gateways, patterns, loads, balances) against a brute-force
reference that scans every gateway with the rules as written in the docs."""

from __future__ import annotations

import contextlib
import gc
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vosengine.errors import InvalidArgument, NotFound
from vosengine.numbering import rewrite
from vosengine.rating import Rate, RateTable
from vosengine.routing import (
    Filter,
    Gateway,
    GatewayBusy,
    Load,
    Ordering,
    Routes,
    RouteSettings,
    RouteTable,
)
from vosengine.routing._plan import read_slot

# every test here runs on the compiled walk and on its pure-Python twin
pytestmark = pytest.mark.usefixtures("route_walk")

AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
NOW = 50.0
CLIENTS = ["c1", "c2"]


class Balances:
    """A plain balance source: vendor -> available; a missing vendor has no account."""

    def __init__(self, available: dict[str, Decimal]) -> None:
        self.available = available

    def balance(self, account_id: str, /) -> Any:
        if account_id not in self.available:
            raise NotFound(account_id)
        return type("B", (), {"available": self.available[account_id]})()


prefixes = st.text(alphabet="12", min_size=1, max_size=3)
DAY = timedelta(days=1)
# dated rates make a deck change with time: the table looks such a deck up per call
DATES = [(None, None), (None, None), (AT - DAY, None), (None, AT + DAY), (AT + DAY, None)]
rates = st.builds(
    lambda p, price, unit, dates: Rate(
        prefix=p,
        price=price,
        unit_seconds=unit,
        effective_from=dates[0],
        effective_until=dates[1],
    ),
    prefixes,
    st.sampled_from(["0.01", "0.03"]),
    st.sampled_from([60, 1]),
    st.sampled_from(DATES),
)
decks = st.none() | st.lists(rates, min_size=1, max_size=3, unique_by=lambda r: r.prefix).map(
    RateTable
)


@st.composite
def gateway(draw: st.DrawFn, name: str, with_patterns: bool = True) -> Gateway:
    served = draw(st.frozensets(prefixes, max_size=2))
    patterns = draw(
        st.lists(
            st.sampled_from(["1*", "1?2*", "*2", "12?{3,5}", "2*{,3}"]),
            max_size=2 if with_patterns else 0,
        )
    )
    if not served and not patterns:
        served = frozenset({"1"})
    return Gateway(
        id=name,
        vendor=draw(st.sampled_from(["v1", "v2", "v3"])),
        prefixes=served,
        patterns=patterns,
        priority=draw(st.integers(0, 2)),
        weight=draw(st.integers(1, 3)),
        rates=draw(decks),
        capacity=draw(st.none() | st.integers(0, 2)),
        cps=draw(st.none() | st.integers(0, 2)),
        enabled=draw(st.booleans().map(lambda b: b or draw(st.booleans()))),
        clients_allowed=draw(st.frozensets(st.sampled_from(CLIENTS), max_size=1)),
        clients_refused=draw(st.frozensets(st.sampled_from(CLIENTS), max_size=1)),
        callee_rules=draw(st.lists(st.sampled_from(["1:", ":9", "12:3"]), max_size=1)),
        prepaid=draw(st.booleans()),
    )


@st.composite
def worlds(draw: st.DrawFn, with_patterns: bool = True) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    gateways = [draw(gateway(f"g{i}", with_patterns)) for i in range(count)]
    load = Load()
    for index, at in draw(
        st.lists(st.tuples(st.integers(0, count - 1), st.floats(49.0, NOW)), max_size=6)
    ):
        with contextlib.suppress(GatewayBusy, ValueError):
            load.acquire(gateways[index], f"call-{at}-{index}-{draw(st.integers())}", now=at)
    route_settings = RouteSettings(
        ordering=draw(st.sampled_from(list(Ordering))),
        longest_prefix_only=draw(st.booleans()),
        min_profit=draw(st.none() | st.sampled_from(["-0.01", "0", "0.01"])),
        max_rate=draw(st.none() | st.sampled_from(["0.02", "0.05"])),
        per_seconds=draw(st.sampled_from([60, 1])),
    )
    return {
        "gateways": gateways,
        "load": load,
        "settings": route_settings,
        "balances": draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(["v1", "v2", "v3"]), st.sampled_from([Decimal(0), Decimal(5)])
            ).map(Balances)
        ),
        "callee": draw(st.text(alphabet="123", min_size=1, max_size=6)),
        "client": draw(st.sampled_from(CLIENTS)),
        "customer": Rate(prefix="1", price=draw(st.sampled_from(["0.01", "0.03", "0.06"]))),
        "seed": draw(st.integers(0, 2**32)),
    }


def reference(world: dict[str, Any]) -> tuple[list[tuple[str, str, str]], dict[str, Filter]]:
    """Scan every gateway: what serves, what each filter removes, in which order the rest go.
    Returns ``[(gateway id, what matched, callee sent)]`` in rank order (weighted: by id within
    a priority) and ``{gateway id: filter}``."""
    callee, client, s = world["callee"], world["client"], world["settings"]
    load, balances = world["load"], world["balances"]
    serving = []
    for g in world["gateways"]:
        best, what = -1, ""
        for p in sorted(g.prefixes):
            if callee.startswith(p) and len(p) > best:
                best, what = len(p), p
        for pattern in g.patterns:
            if pattern.matches(callee) and len(pattern.head) > best:
                best, what = len(pattern.head), pattern.text
        if best >= 0:
            serving.append((g, what, best))
    if s.longest_prefix_only and serving:
        top = max(size for _, _, size in serving)
        serving = [entry for entry in serving if entry[2] == top]
    floor = None if s.min_profit is None else Fraction(s.min_profit) / s.per_seconds
    cap = None if s.max_rate is None else Fraction(s.max_rate) / s.per_seconds
    customer = world["customer"]
    kept, removed = [], {}
    for g, what, _ in serving:
        rate = g.rates.lookup(callee, at=AT) if g.rates is not None else None
        cost = None if rate is None else Fraction(rate.price) / rate.unit_seconds
        if not g.enabled:
            why = Filter.DISABLED
        elif client in g.clients_refused:
            why = Filter.CLIENT_REFUSED
        elif g.clients_allowed and client not in g.clients_allowed:
            why = Filter.CLIENT_NOT_ALLOWED
        elif g.capacity is not None and load.concurrent(g.id) >= g.capacity:
            why = Filter.OVER_CAPACITY
        elif g.cps is not None and load.attempts(g.id, now=NOW) >= g.cps:
            why = Filter.OVER_CPS
        elif g.prepaid and (balances is None or balances.available.get(g.vendor, Decimal(0)) <= 0):
            why = Filter.VENDOR_EXHAUSTED
        elif (g.rates is not None and rate is None) or (
            (floor is not None or cap is not None) and cost is None
        ):
            why = Filter.NO_VENDOR_RATE
        elif cap is not None and cost > cap:
            why = Filter.ABOVE_MAX_RATE
        elif floor is not None and Fraction(customer.price) / customer.unit_seconds - cost < floor:
            why = Filter.BELOW_MIN_PROFIT
        elif not rewrite(callee, g.callee_rules):
            why = Filter.EMPTY_NUMBER
        else:
            kept.append((g, what, cost))
            continue
        removed[g.id] = why
    unknown = Fraction(10**9)
    if s.ordering is Ordering.COST:
        kept.sort(key=lambda k: (k[2] is None, k[2] or unknown, k[0].priority, k[0].id))
    elif s.ordering is Ordering.PRIORITY:
        kept.sort(key=lambda k: (k[0].priority, k[2] is None, k[2] or unknown, k[0].id))
    else:
        kept.sort(key=lambda k: (k[0].priority, k[0].id))
    return [(g.id, what, rewrite(callee, g.callee_rules)) for g, what, _ in kept], removed


def run(world: dict[str, Any], *extra: Gateway) -> Routes:
    table = RouteTable([*world["gateways"], *extra], settings=world["settings"])
    table._check()
    return table.route(
        world["callee"],
        client=world["client"],
        at=AT,
        now=NOW,
        customer_rate=world["customer"],
        load=world["load"],
        balances=world["balances"],
        rng=random.Random(world["seed"]),
    )


@settings(max_examples=250, deadline=None)
@given(worlds())
def test_route_agrees_with_a_scan_of_every_gateway(world: dict[str, Any]) -> None:
    routes = run(world)
    expected, removed = reference(world)
    got = [(r.gateway.id, r.prefix, r.callee) for r in routes]
    assert {r.gateway.id: r.filter for r in routes.removed} == removed
    if world["settings"].ordering is Ordering.WEIGHTED:
        assert sorted(got) == sorted(expected)
        priorities = [r.gateway.priority for r in routes]
        assert priorities == sorted(priorities)
    else:
        assert got == expected


#: A pattern with no literal head that never matches the test numbers: with it in a table,
#: every call takes the judge for every candidate instead of the plan's packed records.
NEVER = Gateway(id="never", vendor="v1", patterns=["*9{20}"])


@settings(max_examples=250, deadline=None)
@given(worlds(with_patterns=False))
def test_the_packed_records_decide_as_the_judge_does(world: dict[str, Any]) -> None:
    table = RouteTable(world["gateways"], settings=world["settings"])
    slot = table._plan.slots.longest_value(world["callee"])
    assert slot is None or read_slot(table._plan, slot).fast  # the records decide this call
    by_records, by_judge = run(world), run(world, NEVER)
    assert [
        (r.gateway.id, r.prefix, r.callee, r.caller, r.vendor_rate, r.rank) for r in by_records
    ] == [(r.gateway.id, r.prefix, r.callee, r.caller, r.vendor_rate, r.rank) for r in by_judge]
    assert [(r.gateway.id, r.filter, r.detail) for r in by_records.removed] == [
        (r.gateway.id, r.filter, r.detail) for r in by_judge.removed
    ]


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_route_never_returns_a_gateway_that_may_not_carry_the_call(world: dict[str, Any]) -> None:
    routes = run(world)
    s, load, client = world["settings"], world["load"], world["client"]
    for r in routes:
        g = r.gateway
        assert g.enabled
        assert client not in g.clients_refused
        assert not g.clients_allowed or client in g.clients_allowed
        assert g.capacity is None or load.concurrent(g.id) < g.capacity
        assert g.cps is None or load.attempts(g.id, now=NOW) < g.cps
        if s.min_profit is not None:
            assert r.vendor_rate is not None
            customer = world["customer"]
            margin = (
                Fraction(customer.price) / customer.unit_seconds
                - Fraction(r.vendor_rate.price) / r.vendor_rate.unit_seconds
            )
            assert margin * s.per_seconds >= Fraction(s.min_profit)
        if s.max_rate is not None:
            assert r.vendor_rate is not None
            assert Fraction(
                r.vendor_rate.price
            ) / r.vendor_rate.unit_seconds * s.per_seconds <= Fraction(s.max_rate)
    assert (routes.reason is None) == bool(routes)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=12),
    st.text(max_size=6),
    st.sampled_from(["44", "4?*", "*", "12?{3,5}"]),
)
def test_any_text_either_routes_or_is_refused_clearly(
    callee: str, caller: str, pattern: str
) -> None:
    """Whatever a user types as numbers, route() answers or raises InvalidArgument."""
    table = RouteTable(
        [
            Gateway(id="a", vendor="v", prefixes={"4"}, patterns=[pattern]),
            Gateway(id="b", vendor="v", prefixes={"44"}, callee_rules=["4:"]),
        ]
    )
    try:
        routes = table.route(callee, client="c", at=AT, now=NOW, caller=caller)
    except InvalidArgument as error:
        refused = str(error)
        assert refused.startswith(("callee:", "caller:")), refused
        return
    for found in routes:
        assert found.callee
        assert set(found.callee) <= set("0123456789*#")
    assert len(routes) + len(routes.removed) <= 2


def _shown(routes: Routes) -> tuple[list[tuple[str, str, str]], list[tuple[str, Filter]]]:
    return (
        [(r.gateway.id, r.prefix, r.callee) for r in routes],
        [(r.gateway.id, r.filter) for r in routes.removed],
    )


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_a_slot_looked_up_beforehand_routes_as_route_does(world: dict[str, Any]) -> None:
    """``route`` with the plan's slot for the callee (what admission looks up in lock
    step with the customer's deck) answers as ``route``; for a callee the checks normalise,
    the slot given is not trusted and the normalised number is looked up."""
    table = RouteTable(world["gateways"], settings=world["settings"])
    router, slots = table._router, table._plan.slots
    callee = world["callee"]
    common = (world["client"], AT, NOW, "", world["customer"], world["load"], world["balances"])

    def rng() -> random.Random:
        return random.Random(world["seed"])

    expected = _shown(router.route(callee, *common, rng()))
    assert _shown(router.route(callee, *common, rng(), slots.longest_value(callee))) == expected
    stale = slots.longest_value("9" + callee)  # some other number's slot, or none
    assert _shown(router.route(f"+{callee}", *common, rng(), stale)) == _shown(
        router.route(f"+{callee}", *common, rng())
    )


@settings(max_examples=100, deadline=None)
@given(world=worlds())
def test_the_routes_hold_what_their_init_makes_of_the_same_answer(
    world: dict[str, Any], route_walk: Any
) -> None:
    """The compiled walk fills its ``Routes`` without ``Routes.__init__``: every field is what
    ``__init__`` sets from the same answer (the found and the removed kept as tuples, the
    caches empty), and the routes are out of the collector's way."""
    routes = run(world)
    assert routes._client == world["client"] and routes._rate is world["customer"]
    assert routes._settings is world["settings"]
    made = Routes(
        routes.settings,
        list(routes._found),
        list(routes._gone),
        routes._source,
        routes._callee,
        routes._caller,
        routes._client,
        routes._cap,
        routes._floor,
        routes._rate,
    )
    for name in Routes.__slots__:
        field, expected = getattr(routes, name), getattr(made, name)
        assert type(field) is type(expected) and field == expected, name
    assert gc.is_tracked(routes) is (route_walk.__name__.endswith("_py"))


def test_a_plan_whose_candidates_are_not_tuples_is_refused(route_walk: Any) -> None:
    """The compiled router reads a slot's candidates as a tuple's items, without a check per
    call: a plan holding them otherwise is refused when the router is made."""
    table = RouteTable([Gateway(id="g", vendor="v1", prefixes=["1"])])
    plan = table._plan
    listed = plan._replace(candidates=tuple(list(each) for each in plan.candidates))
    args = (RouteSettings(), {}, random.Random(0), False)
    if route_walk.__name__.endswith("_py"):
        router = route_walk.Router(listed, *args)
        assert router.route("12", "c1", AT, NOW, "", None, None, None, None)
    else:
        with pytest.raises(TypeError, match="candidates of each slot as a tuple"):
            route_walk.Router(listed, *args)
