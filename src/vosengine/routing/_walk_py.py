"""The router: the hot path of :meth:`~vosengine.routing.RouteTable.route` (pure-Python twin of
``_walk.pyx``; the picker is :mod:`vosengine.routing.walk`).

A call checks its arguments, turns the client's settings and the customer's rate into one
integer *limit* on the packed price (a price per second over the plan's common denominator,
see ``_plan``), takes the plan's slot for its longest key, and walks that slot's packed
records in the client's order. A record that plainly passes is kept as its position in the
slot; one that is plainly removed -- a disabled gateway, a client the gateway is not bound
to, a fixed deck without the number, a price past the limit -- is kept as its position and
the filter's code (``_filters.CODES``). Every other record (a CPS limit or a prepaid vendor
to check, a full gateway, a price looked up per call, no price table) goes to
``_filters.judge``, the one place the filters are written. A slot with a dial pattern, or a
table with patterns that may match any number, takes the judge for every candidate.
:class:`~vosengine.routing.Routes` writes the route and removal values when first read.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..rating import Rate
from ._filters import (
    CODE,
    SHIFT,
    BalanceSource,
    bound_of,
    check_call,
    customer_rate_required,
    finish,
    judge,
    judge_every,
)
from ._gateway import Filter
from ._load import Load
from ._plan import (
    AT_TOP,
    JUDGE,
    NO_PRICE,
    RECORD,
    Plan,
    Policy,
    Slot,
    packed_limit,
    policy,
    read_slot,
)
from ._routes import Routes, RouteSettings

__all__ = ["Router"]

_DISABLED = CODE[Filter.DISABLED]
_REFUSED = CODE[Filter.CLIENT_REFUSED]
_NOT_ALLOWED = CODE[Filter.CLIENT_NOT_ALLOWED]
_NO_RATE = CODE[Filter.NO_VENDOR_RATE]
_ABOVE_CAP = CODE[Filter.ABOVE_MAX_RATE]
_BELOW_FLOOR = CODE[Filter.BELOW_MIN_PROFIT]


#: ``Router.route``'s ``stored`` when the caller did not look the plan's slot up
_UNWALKED: Any = object()


class Router:
    """Routes calls over ``plan`` with ``settings`` for every client without an entry in
    ``client_settings``; ``rng`` orders weighted routes when a call brings none;
    ``rewrites``: some gateway has callee rules (a route may be left with no number)."""

    def __init__(
        self,
        plan: Plan,
        settings: RouteSettings,
        client_settings: Mapping[str, RouteSettings],
        rng: random.Random,
        rewrites: bool,
    ) -> None:
        self._plan = plan
        self._default = policy(settings, plan.common)
        self._policies = {
            client: policy(value, plan.common) for client, value in client_settings.items()
        }
        self._rng = rng
        self._rewrites = rewrites

    def route(
        self,
        callee: str,
        client: str,
        at: datetime,
        now: float,
        caller: str,
        customer_rate: Rate | None,
        load: Load | None,
        balances: BalanceSource | None,
        rng: random.Random | None,
        stored: Any = _UNWALKED,
    ) -> Routes:
        """The routes of one call; the arguments are those of
        :meth:`~vosengine.routing.RouteTable.route`, checked here. ``stored`` is the plan's
        slot for ``callee`` when the caller has already looked it up
        (``plan.slots.longest_value(callee)``), as admission does in lock step with the
        customer's deck; a ``callee`` the checks have to normalise is looked up again, as
        normalised."""
        checked, caller, now = check_call(callee, client, at, now, caller, customer_rate, load, rng)
        if checked != callee:
            stored, callee = _UNWALKED, checked
        chosen = self._policies.get(client, self._default)
        plan = self._plan
        cap, floor = chosen.cap, chosen.floor
        if floor is not None and customer_rate is None:
            raise customer_rate_required()
        # the highest price per second that passes, exact (bound) and packed (limit)
        bound = bound_of(cap, floor, customer_rate)
        limit = packed_limit(bound, plan.common)
        cap_limit = chosen.cap_limit
        context = (client, load, now, balances, callee, at, bound, cap, floor, customer_rate)
        if stored is _UNWALKED:
            stored = plan.slots.longest_value(callee)
        slot = None if stored is None else read_slot(plan, stored)
        source: Any
        if slot is not None and slot.fast and not plan.anywhere:
            source = slot.candidates
            found, gone = self._read(slot, chosen, client, load, limit, cap_limit, context)
            again = slot.dynamic
        else:
            found, gone, source = judge_every(
                () if slot is None else slot.candidates,
                plan.anywhere,
                callee,
                chosen.cost_first,
                chosen.longest_only,
                context,
            )
            again = bool(plan.anywhere) or (slot is not None and slot.dynamic)
        found = finish(
            found,
            gone,
            source,
            callee,
            again=again,
            cost_first=chosen.cost_first,
            weighted_by=(self._rng if rng is None else rng) if chosen.weighted else None,
            rewrites=self._rewrites,
        )
        return Routes(
            chosen.settings, found, gone, source, callee, caller, client, cap, floor, customer_rate
        )

    def _read(
        self,
        slot: Slot,
        chosen: Policy,
        client: str,
        load: Load | None,
        limit: int,
        cap_limit: int,
        context: tuple[Any, ...],
    ) -> tuple[list[Any], list[Any]]:
        """``(found, gone)`` from a slot's records in the client's order."""
        found: list[Any] = []
        gone: list[Any] = []
        candidates = slot.candidates
        rows = slot.by_cost if chosen.cost_first else slot.by_priority
        # a count read without the lock is as fresh as a route can be: acquire() is the
        # atomic check
        concurrent = None if load is None else load._concurrent
        gates = self._plan.gates
        for price, index, position, flags in RECORD.iter_unpack(rows):
            if chosen.longest_only and not flags & AT_TOP:
                continue
            gate = gates[index]
            if gate.disabled:
                gone.append(position << SHIFT | _DISABLED)
            elif gate.refused is not None and client in gate.refused:
                gone.append(position << SHIFT | _REFUSED)
            elif gate.allowed is not None and client not in gate.allowed:
                gone.append(position << SHIFT | _NOT_ALLOWED)
            elif (
                flags & JUDGE
                or gate.judged
                or (concurrent is not None and 0 <= gate.capacity <= concurrent.get(gate.id, 0))
            ):
                # more to check, a price per call, or full: the judge decides (and checks a
                # capacity again under the load's lock)
                verdict = judge(candidates[position], context)
                (found if len(verdict) == 5 else gone).append(verdict)
            elif flags & NO_PRICE:
                gone.append(position << SHIFT | _NO_RATE)
            elif price > limit:
                code = _ABOVE_CAP if price > cap_limit else _BELOW_FLOOR
                gone.append(position << SHIFT | code)
            else:
                found.append(position)
        return found, gone
