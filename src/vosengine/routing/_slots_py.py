"""The load of the gateways: calls in progress and call attempts per second, as pure state
(pure Python; ``_slots.pyx`` is its compiled twin, ``vosengine.routing._load`` picks one)."""

from __future__ import annotations

import threading
from collections import deque

from .._checks import check_type, not_a_key
from ..abuse import SlidingWindowCounter
from ..errors import InvalidArgument, InvalidArgumentType
from ._busy import CPS_WINDOW, GatewayBusy, UnknownCall, busy, call_id_of  # noqa: F401 (GatewayBusy: the example)
from ._gateway import Filter, Gateway

__all__ = ["Load"]

# the members, read once: an attribute of an Enum class is slow to read in Python 3.11
_OVER_CAPACITY, _OVER_CPS = Filter.OVER_CAPACITY, Filter.OVER_CPS


class Load:
    """Calls in progress per gateway and their attempts in the last second.

    :meth:`acquire` checks a gateway's capacity and CPS limit and takes a slot in one step,
    so two threads cannot both take the last one; :meth:`release` gives it back. Thread-safe:
    every method holds one lock for O(1) work. The host mutates it; a
    :class:`~vosengine.routing.RouteTable` only reads it.

    A release of a call released before is a no-op (a BYE and a timeout may both report the
    end); the call ids of the last ``remember`` releases are kept to tell such a repeat from a
    call that never held a gateway (:class:`UnknownCall`).

    >>> gw = Gateway(id="gw1", vendor="v", prefixes={"44"}, capacity=1)
    >>> load = Load()
    >>> load.acquire(gw, "call-1", now=0.0)
    >>> load.concurrent("gw1")
    1
    >>> try:
    ...     load.acquire(gw, "call-2", now=0.1)
    ... except GatewayBusy as busy:
    ...     print(busy)
    gateway 'gw1' is at its capacity of 1 call
    >>> load.release("call-1"); load.release("call-1"); load.concurrent("gw1")
    0
    """

    def __init__(self, *, remember: int = 100_000) -> None:
        if isinstance(remember, bool) or not isinstance(remember, int):
            raise InvalidArgumentType(f"remember: expected an int, got {remember!r}")
        if remember < 1:
            raise InvalidArgument(f"remember: {remember} is below 1")
        self._lock = threading.Lock()
        # call id -> the id of the gateway it holds, or, once released and while it is
        # remembered, the number of its release: one look-up tells a call that holds a slot,
        # one released before and an unknown one
        self._calls: dict[str, str | int] = {}
        self._concurrent: dict[str, int] = {}
        self._attempts: dict[str, SlidingWindowCounter[str]] = {}
        # (call id, number of its release), oldest first: the last ``remember`` releases
        self._released: deque[tuple[str, int]] = deque()
        self._releases = 0
        self._remember = remember

    def concurrent(self, gateway: str) -> int:
        """How many calls hold ``gateway`` (its id) now."""
        try:
            return self._concurrent.get(gateway, 0)
        except TypeError:
            raise not_a_key(gateway, "gateway") from None

    def holder(self, call_id: str) -> str | None:
        """The id of the gateway ``call_id`` holds now, or ``None``."""
        try:
            held = self._calls.get(call_id)
        except TypeError:
            raise not_a_key(call_id, "call_id") from None
        return held if type(held) is str else None

    def attempts(self, gateway: str, *, now: float) -> int:
        """Call attempts through ``gateway`` in the second before ``now`` (at most its CPS
        limit: the count saturates there)."""
        with self._lock:
            try:
                counter = self._attempts.get(gateway)
            except TypeError:
                raise not_a_key(gateway, "gateway") from None
            return 0 if counter is None else counter.count(gateway, now=now)

    def refusal(self, gateway: Gateway, *, now: float) -> Filter | None:
        """Why ``gateway`` cannot take one more call at ``now`` (``None``: it can)."""
        check_type(gateway, Gateway, "gateway")
        with self._lock:
            return self._refusal(gateway, now)

    def _refusal(self, gateway: Gateway, now: float) -> Filter | None:
        capacity = gateway.capacity
        if capacity is not None and self._concurrent.get(gateway.id, 0) >= capacity:
            return _OVER_CAPACITY
        cps = gateway.cps
        if cps is not None:
            if cps == 0:
                return _OVER_CPS
            counter = self._attempts.get(gateway.id)
            if counter is not None and counter.count(gateway.id, now=now) >= cps:
                return _OVER_CPS
        return None

    def acquire(self, gateway: Gateway, call_id: str, *, now: float) -> None:
        """Take a slot of ``gateway`` for ``call_id`` at ``now`` (monotonic seconds) and count
        the attempt. Raises :class:`GatewayBusy` at capacity or at the CPS limit, and
        :class:`~vosengine.errors.InvalidArgument` for a call id that holds a gateway."""
        if type(gateway) is not Gateway and not isinstance(gateway, Gateway):
            raise InvalidArgumentType(f"gateway: expected a Gateway, got {gateway!r}")
        if type(call_id) is not str or not call_id:
            call_id = call_id_of(call_id)
        with self._lock:
            calls = self._calls
            held = calls.get(call_id)
            if type(held) is str:
                raise InvalidArgument(f"call_id: {call_id!r} holds gateway {held!r} already")
            if gateway.capacity is not None or gateway.cps is not None:
                self._count(gateway, now)
            gateway_id = gateway.id
            calls[call_id] = gateway_id  # a call released before holds a slot again
            concurrent = self._concurrent
            concurrent[gateway_id] = concurrent.get(gateway_id, 0) + 1

    def _count(self, gateway: Gateway, now: float) -> None:
        """Refuse a call ``gateway`` has no room for at ``now``, else count its attempt.
        Under the lock."""
        refusal = self._refusal(gateway, now)
        if refusal is not None:
            raise busy(gateway.id, refusal, gateway.capacity, gateway.cps)
        if gateway.cps is not None:
            counter = self._attempts.get(gateway.id)
            if counter is None or counter.limit != gateway.cps:
                counter = SlidingWindowCounter(window=CPS_WINDOW, limit=gateway.cps, max_keys=1)
                self._attempts[gateway.id] = counter
            counter.hit(gateway.id, now=now)

    def release(self, call_id: str) -> None:
        """Give back the slot ``call_id`` holds. Releasing it again is a no-op; a call id
        that never held a slot raises :class:`UnknownCall`."""
        call_id = call_id_of(call_id)
        with self._lock:
            calls = self._calls
            gateway = calls.get(call_id)
            if type(gateway) is not str:
                if gateway is not None:  # released before, and still remembered
                    return
                raise UnknownCall(f"call_id: {call_id!r} holds no gateway")
            left = self._concurrent[gateway] - 1
            if left:
                self._concurrent[gateway] = left
            else:
                del self._concurrent[gateway]
            number = self._releases = self._releases + 1
            calls[call_id] = number
            released = self._released
            released.append((call_id, number))
            if len(released) > self._remember:  # forget the oldest release
                oldest, its_number = released.popleft()
                if calls.get(oldest) == its_number:  # not taken or released again since
                    del calls[oldest]

    def _check(self) -> None:
        """Assert the internal invariants (for tests)."""
        with self._lock:
            counts: dict[str, int] = {}
            marks = {}
            for call_id, held in self._calls.items():
                if type(held) is str:
                    counts[held] = counts.get(held, 0) + 1
                else:
                    marks[call_id] = held
            assert counts == self._concurrent, (counts, self._concurrent)
            assert len(self._released) <= self._remember
            # every remembered release is the last one of its call, and in the queue
            assert set(marks.items()) <= set(self._released), (marks, self._released)
