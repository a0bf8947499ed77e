"""The gateways' load: the compiled ``Load`` and its Python twin against each other and a
plain model, step by step, on random sequences of slots taken and given back."""

from __future__ import annotations

import contextlib
import doctest
import pickle
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_implementation
from vosengine.abuse import SlidingWindowCounter
from vosengine.accounts import AccountDirectory
from vosengine.admission import Admission
from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.ledger import InMemoryLedger
from vosengine.routing import (
    Filter,
    Gateway,
    GatewayBusy,
    Load,
    RouteTable,
    UnknownCall,
    _load,
    _slots_py,
)

GATEWAYS = [
    Gateway(id="free", vendor="v", prefixes={"1"}),
    Gateway(id="one", vendor="v", prefixes={"1"}, capacity=1),
    Gateway(id="two", vendor="v", prefixes={"1"}, capacity=2, cps=3),
    Gateway(id="slow", vendor="v", prefixes={"1"}, cps=1),
    Gateway(id="shut", vendor="v", prefixes={"1"}, cps=0),
]
CALLS = ["c0", "c1", "c2"]  # few: the same calls are taken, given back and taken again


class Model:
    """What a load must answer, written plainly: who holds what, every release in order."""

    def __init__(self, remember: int) -> None:
        self.remember = remember
        self.holds: dict[str, str] = {}
        self.releases: list[str] = []  # the call id of every release, in order
        self.counters: dict[str, SlidingWindowCounter[str]] = {}

    def concurrent(self, gateway: str) -> int:
        return sum(1 for held in self.holds.values() if held == gateway)

    def holder(self, call_id: str) -> str | None:
        return self.holds.get(call_id)

    def attempts(self, gateway: str, *, now: float) -> int:
        counter = self.counters.get(gateway)
        return 0 if counter is None else counter.count(gateway, now=now)

    def refusal(self, gateway: Gateway, *, now: float) -> Filter | None:
        if gateway.capacity is not None and self.concurrent(gateway.id) >= gateway.capacity:
            return Filter.OVER_CAPACITY
        if gateway.cps is not None and self.attempts(gateway.id, now=now) >= gateway.cps:
            return Filter.OVER_CPS
        return None

    def acquire(self, gateway: Gateway, call_id: str, *, now: float) -> None:
        if call_id in self.holds:
            raise InvalidArgument(f"call_id: {call_id!r} holds gateway {self.holds[call_id]!r}")
        refusal = self.refusal(gateway, now=now)
        if refusal is not None:
            raise GatewayBusy(str(refusal), gateway=gateway.id, filter=refusal)
        if gateway.cps is not None:
            counter = self.counters.setdefault(
                gateway.id, SlidingWindowCounter(window=1.0, limit=gateway.cps, max_keys=1)
            )
            counter.hit(gateway.id, now=now)
        self.holds[call_id] = gateway.id

    def release(self, call_id: str) -> None:
        if call_id in self.holds:
            del self.holds[call_id]
            self.releases.append(call_id)
            return
        # a repeat while its last release is one of the last ``remember``: a no-op
        if call_id not in self.releases[-self.remember :]:
            raise UnknownCall(call_id)


steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["acquire"] * 3 + ["release"] * 3 + ["holder", "concurrent", "attempts", "refusal"]
        ),
        st.integers(0, len(GATEWAYS) - 1),
        st.sampled_from(CALLS),
        st.sampled_from([0.0, 0.25, 0.5, 1.0]),  # how far the clock moves first
    ),
    min_size=10,
    max_size=80,
)


def step(load: Any, what: str, gateway: Gateway, call_id: str, now: float) -> tuple[str, object]:
    """One step on ``load`` (an implementation or the model), as what it answered."""
    try:
        if what == "acquire":
            return "value", load.acquire(gateway, call_id, now=now)
        if what == "release":
            return "value", load.release(call_id)
        if what == "holder":
            return "value", load.holder(call_id)
        if what == "concurrent":
            return "value", load.concurrent(gateway.id)
        if what == "attempts":
            return "value", load.attempts(gateway.id, now=now)
        return "value", load.refusal(gateway, now=now)
    except (GatewayBusy, InvalidArgument, UnknownCall) as error:
        detail = error.filter if isinstance(error, GatewayBusy) else None
        return type(error).__name__, detail


@given(steps=steps, remember=st.integers(1, 4))
def test_both_implementations_answer_as_the_model(
    steps: list[tuple[str, int, str, float]], remember: int
) -> None:
    loads = [load_implementation(name).Load(remember=remember) for name in _available()]
    model = Model(remember)
    now = 100.0
    for what, index, call_id, later in steps:
        now += later
        gateway = GATEWAYS[index]
        expected = step(model, what, gateway, call_id, now)
        for load in loads:
            assert step(load, what, gateway, call_id, now) == expected, (what, load)
    for load in loads:
        load._check()
        for gateway in GATEWAYS:
            assert load.concurrent(gateway.id) == model.concurrent(gateway.id)


def _available() -> list[str]:
    """The implementations built here (the compiled one is absent without extensions)."""
    return ["python"] if _load.IMPLEMENTATION == "python" else ["cython", "python"]


def test_the_picked_class_is_the_public_one() -> None:
    assert Load is _load.SLOTS.Load
    assert _slots_py.Load in _load.LOADS and Load in _load.LOADS
    assert Load.__name__ == "Load"


def test_the_docstring_example_holds_for_both(load_cls: Any) -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(_slots_py.Load, "Load", globs={})
    assert sum(len(test.examples) for test in tests) >= 5
    for test in tests:
        test.globs = {"Load": load_cls, "Gateway": Gateway, "GatewayBusy": GatewayBusy}
        runner.run(test)
    assert runner.failures == 0


def test_bad_arguments_are_refused_by_name_and_change_nothing(load_cls: Any) -> None:
    load = load_cls()
    gateway = GATEWAYS[1]
    for bad in (None, 7, ""):
        with pytest.raises(InvalidArgumentType, match="call_id: expected a non-empty str"):
            load.acquire(gateway, bad, now=1.0)
        with pytest.raises(InvalidArgumentType, match="call_id: expected a non-empty str"):
            load.release(bad)
    with pytest.raises(InvalidArgumentType, match="gateway: expected a Gateway"):
        load.acquire("one", "c1", now=1.0)
    with pytest.raises(InvalidArgumentType, match="gateway"):
        load.concurrent(["one"])
    with pytest.raises(InvalidArgumentType, match="call_id"):
        load.holder(["c1"])
    with pytest.raises(InvalidArgumentType, match="remember: expected an int"):
        load_cls(remember=True)
    with pytest.raises(InvalidArgument, match="remember: 0 is below 1"):
        load_cls(remember=0)
    with pytest.raises(TypeError):
        load_cls(5)  # remember is keyword-only
    assert load.concurrent("one") == 0 and load._calls == {}
    with pytest.raises(TypeError):
        pickle.dumps(load)


def test_a_compiled_load_made_without_init_refuses_every_call() -> None:
    cls = load_implementation("cython").Load
    blank = cls.__new__(cls)
    with pytest.raises(TypeError, match="__init__ was never called"):
        blank.acquire(GATEWAYS[0], "c1", now=1.0)
    with pytest.raises(TypeError, match="__init__ was never called"):
        blank.release("c1")


def test_either_load_routes_and_admits_through_either_table(load_cls: Any) -> None:
    """A route table and admission take every implementation alike."""
    from datetime import UTC, datetime

    load = load_cls()
    load.acquire(GATEWAYS[1], "c1", now=1.0)
    table = RouteTable(GATEWAYS[:2])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    routes = table.route("123", client="a", at=at, now=1.5, load=load)
    assert [route.gateway.id for route in routes] == ["free"]
    assert [removed.filter for removed in routes.removed] == [Filter.OVER_CAPACITY]
    with pytest.raises(InvalidArgumentType, match="load: expected a Load"):
        table.route("123", client="a", at=at, now=1.5, load=object())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentType, match="load: expected a Load"):
        Admission(
            directory=AccountDirectory(),
            rates={},
            ledger=InMemoryLedger(),
            routes=table,
            load=object(),  # type: ignore[arg-type]
        )
    assert (
        Admission(
            directory=AccountDirectory(), rates={}, ledger=InMemoryLedger(), routes=table, load=load
        ).load
        is load
    )


def test_threads_taking_and_giving_back_slots_keep_the_counts(load_cls: Any) -> None:
    load = load_cls(remember=50)  # the ring of releases wraps many times
    gateway = Gateway(id="g", vendor="v", prefixes={"1"}, capacity=7)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(300):
                call = f"t{n}-{i}"
                try:
                    load.acquire(gateway, call, now=1.0)
                except GatewayBusy:
                    continue
                assert load.concurrent("g") <= 7
                load.release(call)
                with contextlib.suppress(UnknownCall):
                    load.release(call)  # a repeat: a no-op, or forgotten already
                with pytest.raises(UnknownCall):
                    load.release(f"never-{n}-{i}")
        except BaseException as error:  # a thread's failure fails the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert load.concurrent("g") == 0
    load._check()
