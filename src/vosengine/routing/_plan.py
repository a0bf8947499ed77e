"""The route plan: what a route table computes once, when it is built, so that a call costs
one prefix look-up and a walk over a short, ranked list.

Every key of the plan is a gateway's prefix, a dial pattern's head, or a prefix of a vendor
deck that never changes with time. For a key ``K`` the plan holds every gateway entry whose
head is a prefix of ``K``, with the vendor's rate for ``K``, ranked both ways (priority then
cost, cost then priority). This is exact for every number ``N`` whose longest key is ``K``:
a head or a deck prefix that is a prefix of ``N`` is a key, so it is no longer than ``K`` and
a prefix of ``K`` too -- ``N`` and ``K`` have the same serving heads and the same longest
vendor prefix. A vendor table with dated rates or tariff windows is looked up per call
instead (the entry is ``dynamic``); a dial pattern is checked against the whole number.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..numbering import DialPattern
from ..prefix import PrefixTable
from ..rating import Rate, RateTable
from ._gateway import Gateway

__all__ = [
    "ANY_INSTANT",
    "AT_TOP",
    "DYNAMIC",
    "FAST",
    "HEADER",
    "JUDGE",
    "LIMIT",
    "MAX_GATES",
    "NO_PRICE",
    "NO_RATE",
    "PRICED",
    "RECORD",
    "Candidate",
    "Gate",
    "Plan",
    "Policy",
    "Slot",
    "build_plan",
    "packed_limit",
    "policy",
    "read_slot",
    "by_cost",
    "by_priority",
    "ratio",
]

#: A fixed table's rates are in force at every instant; this one stands for all of them.
ANY_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)


class Candidate(NamedTuple):
    """One way a gateway serves the numbers of a key.

    ``num / den`` is the vendor's exact price per second (``den == 0``: no price, either
    because the gateway has no rate table or because its deck has no rate here); ``head``
    is the length of what matched (a prefix, or a pattern's head); ``dynamic``: the price
    is looked up per call; ``checks``: a call checks the gateway's state too (disabled,
    clients, capacity, CPS, prepaid vendor)."""

    gateway: Gateway
    matched: str
    head: int
    pattern: DialPattern | None
    rate: Rate | None
    num: int
    den: int
    dynamic: bool
    checks: bool


class Slot(NamedTuple):
    """One slot of a plan as Python reads it (:func:`read_slot`).

    A slot is stored as plain ``bytes`` -- nothing for the garbage collector to track, and
    one run of memory for a call to read: a :data:`HEADER` (how many records each order
    holds, the longest head of a plain prefix among the candidates (``top``), the index of
    the candidates in :attr:`Plan.candidates`, and the flags :data:`FAST` and
    :data:`DYNAMIC`), then the records (:data:`RECORD`) ranked by priority, then the same
    ranked by cost. ``FAST``: the records decide every call (no dial pattern to check
    against the whole number); ``DYNAMIC``: a vendor rate is looked up per call, so the
    order is made again. ``candidates`` are ranked by priority; the records' positions
    point into them."""

    candidates: tuple[Candidate, ...]
    by_priority: memoryview
    by_cost: memoryview
    top: int
    fast: bool
    dynamic: bool


def read_slot(plan: Plan, slot: bytes) -> Slot:
    """``slot`` (a value of ``plan.slots``) with its candidates."""
    count, top, index, flags = HEADER.unpack_from(slot)
    rows = memoryview(slot)[HEADER.size :]
    split = count * RECORD.size
    return Slot(
        candidates=plan.candidates[index],
        by_priority=rows[:split],
        by_cost=rows[split:],
        top=top,
        fast=bool(flags & FAST),
        dynamic=bool(flags & DYNAMIC),
    )


#: A slot's header: how many records each order holds, ``top``, the index of its candidates,
#: and its flags.
HEADER = struct.Struct("<IiIBxxx")

#: Slot flags (see :class:`Slot`).
FAST, DYNAMIC = 1, 2


#: One candidate as the compiled router reads it: its price per second over the plan's
#: common denominator, its gate (index into :attr:`Plan.gates`), its position in
#: :attr:`Slot.candidates`, and flags (:data:`PRICED`, :data:`NO_PRICE`, :data:`JUDGE`,
#: :data:`AT_TOP`).
RECORD = struct.Struct("<qHHBxxx")

#: Record flags: a fixed price is known; a fixed deck has no rate for the key; the judge
#: decides (a price per call, a pattern, no rate table, a price too large for the row); the
#: head is the slot's ``top``.
PRICED, NO_PRICE, JUDGE, AT_TOP = 1, 2, 4, 8

#: Gate indexes and positions fit a record's 16 bits: a table with more gateways than this
#: takes the judge for every candidate.
MAX_GATES = 0xFFFF

#: Packed prices lie strictly between ``-LIMIT`` and ``LIMIT``, so a call's bound clamped to
#: that range compares exactly in 64 bits.
LIMIT = 1 << 62


class Gate(NamedTuple):
    """What the router checks of a gateway before its price, by gate index: ``capacity``
    is ``-1`` for none; ``judged``: a CPS limit or a prepaid vendor, which only the judge
    checks."""

    gateway: Gateway
    id: str
    disabled: bool
    allowed: frozenset[str] | None
    refused: frozenset[str] | None
    capacity: int
    judged: bool


class Policy(NamedTuple):
    """One :class:`~vosengine.routing.RouteSettings` as the router applies it: ``cap``
    and ``floor`` are the max rate and min profit per second as exact pairs, and
    ``cap_limit`` the highest packed price the cap lets through, clamped to
    ``[-LIMIT, LIMIT]`` (``LIMIT``: no cap)."""

    settings: Any
    cost_first: bool
    weighted: bool
    longest_only: bool
    cap: tuple[int, int] | None
    floor: tuple[int, int] | None
    cap_limit: int


class Plan(NamedTuple):
    """Everything :meth:`RouteTable.route` reads: the slots by key (see :class:`Slot`), the
    candidates of each slot, those of patterns with no literal head, the gates, and the
    common denominator of packed prices."""

    slots: PrefixTable[bytes]
    candidates: tuple[tuple[Candidate, ...], ...]
    anywhere: tuple[Candidate, ...]
    gates: tuple[Gate, ...]
    common: int


def clamp(value: int) -> int:
    """``value`` within ``[-LIMIT, LIMIT]``."""
    return -LIMIT if value < -LIMIT else LIMIT if value > LIMIT else value


def packed_limit(bound: tuple[int, int] | None, common: int) -> int:
    """The highest packed price (over ``common``) at or below ``bound``, a price per second
    ``(n, d > 0)``, clamped (``LIMIT``: no bound)."""
    return LIMIT if bound is None else clamp(bound[0] * common // bound[1])


def policy(settings: Any, common: int) -> Policy:
    """The policy of ``settings`` over a plan whose packed prices have denominator
    ``common``."""
    cap = settings._cap
    ordering = settings.ordering.value
    return Policy(
        settings=settings,
        cost_first=ordering == "cost",
        weighted=ordering == "weighted",
        longest_only=settings.longest_prefix_only,
        cap=cap,
        floor=settings._floor,
        cap_limit=packed_limit(cap, common),
    )


def ratio(rate: Rate) -> tuple[int, int]:
    """A rate's exact price per second as ``(numerator, denominator)``, the denominator
    positive: ``price ÷ unit_seconds``, the fraction :class:`~vosengine.rating.Rate` keeps."""
    return rate._price_n, rate._price_d


class _Exact:
    """A sort key comparing ``num/den`` pairs exactly (no float rounding)."""

    __slots__ = ("den", "known", "num")

    def __init__(self, candidate: Candidate) -> None:
        self.known = candidate.den != 0
        self.num, self.den = candidate.num, candidate.den or 1

    def __lt__(self, other: _Exact) -> bool:
        if self.known != other.known:
            return self.known
        return self.num * other.den < other.num * self.den

    def __eq__(self, other: object) -> bool:
        assert isinstance(other, _Exact)
        return self.known == other.known and self.num * other.den == other.num * self.den


def by_priority(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Priority, then cost (unknown last), then gateway id; the longest head first last."""
    return sorted(candidates, key=lambda c: (c.gateway.priority, _Exact(c), c.gateway.id, -c.head))


def by_cost(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Cost (unknown last), then priority, then gateway id; the longest head first last."""
    return sorted(candidates, key=lambda c: (_Exact(c), c.gateway.priority, c.gateway.id, -c.head))


def _is_static(table: RateTable) -> bool:
    return not table.windows and all(
        rate.effective_from is None and rate.effective_until is None for rate in table.rates
    )


#: Why a gateway whose vendor deck has no rate for the number is removed.
NO_RATE = "the vendor's deck has no rate for the number"


def _gate(gateway: Gateway) -> Gate:
    return Gate(
        gateway=gateway,
        id=gateway.id,
        disabled=not gateway.enabled,
        allowed=gateway.clients_allowed or None,
        refused=gateway.clients_refused or None,
        capacity=-1 if gateway.capacity is None else gateway.capacity,
        judged=gateway.cps is not None or gateway.prepaid,
    )


def _checks(gate: Gate) -> bool:
    """Whether a call checks anything of the gate's gateway besides its price."""
    return (
        gate.disabled
        or gate.allowed is not None
        or gate.refused is not None
        or gate.capacity >= 0
        or gate.judged
    )


def _pack(
    ranked: Sequence[tuple[Candidate, int, int]],
    positions: Mapping[int, int],
    gates: Mapping[str, int],
    top: int,
) -> bytes:
    """The records of ``(candidate, flags, packed price)`` in the given order."""
    rows = bytearray(RECORD.size * len(ranked))
    for row, (candidate, flags, price) in enumerate(ranked):
        if candidate.head == top:
            flags |= AT_TOP
        RECORD.pack_into(
            rows,
            row * RECORD.size,
            0 if flags & JUDGE else price,
            gates[candidate.gateway.id],
            positions[id(candidate)],
            flags,
        )
    return bytes(rows)


def build_plan(gateways: Sequence[Gateway]) -> Plan:
    """The plan of ``gateways``. O(K × (g + d)) for K keys, g gateway entries and d decks
    serving a key; a candidate that several keys share is one object."""
    heads: dict[str, list[tuple[Gateway, DialPattern | None]]] = {}
    anywhere = []
    static: dict[int, bool] = {}
    gates = tuple(_gate(gateway) for gateway in gateways)
    gate_of = {gate.id: index for index, gate in enumerate(gates)}
    checks = {gate.id: _checks(gate) for gate in gates}
    for gateway in gateways:
        for prefix in sorted(gateway.prefixes):
            heads.setdefault(prefix, []).append((gateway, None))
        for dial in gateway.patterns:
            if dial.head:
                heads.setdefault(dial.head, []).append((gateway, dial))
            else:
                dynamic = gateway.rates is not None
                needs = checks[gateway.id]
                anywhere.append(Candidate(gateway, dial.text, 0, dial, None, 0, 0, dynamic, needs))
        if gateway.rates is not None and id(gateway.rates) not in static:
            static[id(gateway.rates)] = _is_static(gateway.rates)
    head_table = PrefixTable((head, tuple(entries)) for head, entries in heads.items())
    keys = set(heads)
    decks = {id(g.rates): g.rates for g in gateways if g.rates is not None and static[id(g.rates)]}
    dens = {1}
    for deck in decks.values():
        keys.update(rate.prefix for rate in deck.rates)
        dens.update(ratio(rate)[1] for rate in deck.rates)
    # every static price per second as an integer over one common denominator: exact keys
    common = math.lcm(*dens)
    fits = len(gates) <= MAX_GATES
    interned: dict[tuple[str, str, int], Candidate] = {}
    slots = []
    cold: list[tuple[Candidate, ...]] = []
    for key in keys:
        levels = head_table.matches(key)
        if not levels:
            continue
        candidates: list[Candidate] = []
        done: set[str] = set()  # gateways whose longest plain prefix is in already
        prices: dict[int, tuple[Rate | None, int, int]] = {}
        for head, entries in reversed(levels):  # longest head first
            for gateway, pattern in entries:
                if gateway.id in done:
                    continue
                table = gateway.rates
                rate, num, den = None, 0, 0
                if table is not None and id(table) in decks:
                    found = prices.get(id(table))
                    if found is None:
                        looked = table.lookup(key, at=ANY_INSTANT)
                        found = (None, 0, 0) if looked is None else (looked, *ratio(looked))
                        prices[id(table)] = found
                    rate, num, den = found
                matched = head if pattern is None else pattern.text
                token = (gateway.id, matched, id(rate))
                candidate = interned.get(token)
                if candidate is None:
                    dynamic = table is not None and id(table) not in decks
                    candidate = Candidate(
                        gateway,
                        matched,
                        len(head),
                        pattern,
                        rate,
                        num,
                        den,
                        dynamic,
                        checks[gateway.id],
                    )
                    interned[token] = candidate
                candidates.append(candidate)
                if pattern is None:
                    done.add(gateway.id)
        ranked = [(c, *_flags(c, common)) for c in candidates]
        ranked.sort(key=lambda k: (k[0].gateway.priority, _rank(k), k[0].gateway.id, -k[0].head))
        by_priority = tuple(k[0] for k in ranked)
        positions = {id(c): index for index, c in enumerate(by_priority)}
        plain = [c.head for c in candidates if c.pattern is None]
        top = max(plain, default=-1)
        fast = fits and not any(c.pattern is not None for c in candidates)
        priority_rows = _pack(ranked, positions, gate_of, top) if fast else b""
        ranked.sort(key=lambda k: (_rank(k), k[0].gateway.priority, k[0].gateway.id, -k[0].head))
        cost_rows = _pack(ranked, positions, gate_of, top) if fast else b""
        flags = (FAST if fast else 0) | (DYNAMIC if any(c.dynamic for c in candidates) else 0)
        header = HEADER.pack(len(priority_rows) // RECORD.size, top, len(cold), flags)
        cold.append(by_priority)
        slots.append((key, header + priority_rows + cost_rows))
    return Plan(PrefixTable(slots), tuple(cold), tuple(anywhere), gates, common)


def _flags(candidate: Candidate, common: int) -> tuple[int, int]:
    """A candidate's record flags and packed price (0 when it has none)."""
    if candidate.den:
        price = candidate.num * (common // candidate.den)
        if not -LIMIT < price < LIMIT:
            return JUDGE | PRICED, price
        return PRICED, price
    table = candidate.gateway.rates
    if table is None or candidate.dynamic or candidate.pattern is not None:
        return JUDGE, 0
    return NO_PRICE, 0


def _rank(keyed: tuple[Candidate, int, int]) -> tuple[bool, int]:
    """Cost as a sort key: a known price first, then the packed price."""
    _, flags, price = keyed
    return not flags & PRICED, price
