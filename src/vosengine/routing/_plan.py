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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..numbering import DialPattern
from ..prefix import PrefixTable
from ..rating import Rate, RateTable
from ._gateway import Filter, Gateway

__all__ = [
    "ANY_INSTANT",
    "CAPACITY",
    "EVERYTHING",
    "NOTHING",
    "NO_RATE",
    "Candidate",
    "Slot",
    "build_plan",
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
    is looked up per call; ``checks``: what else a call checks of the gateway (see
    :func:`_needs_checks`); ``entry``: what the candidate yields once its checks pass, built
    once -- the route entry ``(gateway, matched, rate, num, den)``, or, for a fixed deck with
    no rate here, the removal ``(gateway, Filter.NO_VENDOR_RATE, NO_RATE)``."""

    gateway: Gateway
    matched: str
    head: int
    pattern: DialPattern | None
    rate: Rate | None
    num: int
    den: int
    dynamic: bool
    checks: int
    entry: tuple[Any, ...]


class Slot(NamedTuple):
    """The plan's value for one key: its candidates ranked both ways, the longest head of
    a plain prefix among them (``top``), and whether a call must check patterns or look up
    a dated vendor rate."""

    by_priority: tuple[Candidate, ...]
    by_cost: tuple[Candidate, ...]
    top: int
    patterns: bool
    dynamic: bool


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


#: What a call checks of a gateway besides the price: nothing, its capacity, or everything
#: (enabled, clients, capacity and CPS, prepaid vendor).
NOTHING, CAPACITY, EVERYTHING = 0, 1, 2


#: Why a gateway whose vendor deck has no rate for the number is removed.
NO_RATE = "the vendor's deck has no rate for the number"


def _entry(
    gateway: Gateway, matched: str, rate: Rate | None, num: int, den: int, dynamic: bool
) -> tuple[Any, ...]:
    if rate is None and gateway.rates is not None and not dynamic:
        return gateway, Filter.NO_VENDOR_RATE, NO_RATE
    return gateway, matched, rate, num, den


def _needs_checks(gateway: Gateway) -> int:
    """Which of :data:`NOTHING`, :data:`CAPACITY` and :data:`EVERYTHING` a call checks."""
    if (
        not gateway.enabled
        or gateway.clients_allowed
        or gateway.clients_refused
        or gateway.cps is not None
        or gateway.prepaid
    ):
        return EVERYTHING
    return NOTHING if gateway.capacity is None else CAPACITY


def build_plan(
    gateways: Sequence[Gateway],
) -> tuple[PrefixTable[Slot], tuple[Candidate, ...]]:
    """The plan of ``gateways``, and the entries of patterns with no literal head (they may
    match any number). O(K × (g + d)) for K keys, g gateway entries and d decks serving a
    key; a candidate that several keys share is one object."""
    heads: dict[str, list[tuple[Gateway, DialPattern | None]]] = {}
    anywhere = []
    static: dict[int, bool] = {}
    for gateway in gateways:
        for prefix in sorted(gateway.prefixes):
            heads.setdefault(prefix, []).append((gateway, None))
        for dial in gateway.patterns:
            if dial.head:
                heads.setdefault(dial.head, []).append((gateway, dial))
            else:
                dynamic = gateway.rates is not None
                needs = _needs_checks(gateway)
                entry = (gateway, dial.text, None, 0, 0)
                anywhere.append(
                    Candidate(gateway, dial.text, 0, dial, None, 0, 0, dynamic, needs, entry)
                )
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
    checks = {gateway.id: _needs_checks(gateway) for gateway in gateways}
    interned: dict[tuple[str, str, int], Candidate] = {}
    slots = []
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
                        _entry(gateway, matched, rate, num, den, dynamic),
                    )
                    interned[token] = candidate
                candidates.append(candidate)
                if pattern is None:
                    done.add(gateway.id)
        keyed = [(c, c.den == 0, c.num * (common // c.den) if c.den else 0) for c in candidates]
        keyed.sort(key=lambda k: (k[0].gateway.priority, k[1], k[2], k[0].gateway.id, -k[0].head))
        ranked_priority = tuple(k[0] for k in keyed)
        keyed.sort(key=lambda k: (k[1], k[2], k[0].gateway.priority, k[0].gateway.id, -k[0].head))
        plain = [c.head for c in candidates if c.pattern is None]
        slots.append(
            (
                key,
                Slot(
                    by_priority=ranked_priority,
                    by_cost=tuple(k[0] for k in keyed),
                    top=max(plain, default=-1),
                    patterns=any(c.pattern is not None for c in candidates),
                    dynamic=any(c.dynamic for c in candidates),
                ),
            )
        )
    return PrefixTable(slots), tuple(anywhere)
