"""The filters, written once: what removes a gateway from a call's routes and how the removal
reads, and the re-ranking a call may need after them.

:func:`judge` applies every filter, in order, to one plan candidate. The compiled router
(``_walk.pyx``, twin ``_walk_py.py``) decides the plain cases itself and records them as small
integers -- a position in the key's candidates, and for a removal the filter's :data:`CODES`
entry -- which :func:`entries` and :func:`removals` turn into the same tuples the judge writes,
with the same writers, when the routes are first read.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, Protocol

from .._checks import check_items, check_type, iterate
from .._time import check_aware, check_seconds
from ..errors import InvalidArgument, InvalidArgumentType, NotFound
from ..numbering import normalize_number, rewrite
from ..rating import Rate
from ._gateway import Filter, Gateway
from ._load import LOADS, Load
from ._plan import NO_RATE, Candidate, by_cost, by_priority, ratio

__all__ = [
    "CODE",
    "CODES",
    "SHIFT",
    "BalanceSource",
    "Detail",
    "bound_of",
    "check_call",
    "customer_rate_required",
    "entries",
    "entry_at",
    "finish",
    "judge",
    "judge_every",
    "keep_numbers",
    "removals",
    "resort",
    "serving",
    "show_price",
    "weighted",
    "weighted_order",
]

#: Why a gateway was removed: the text, or a function that writes it when it is read.
Detail = str | Callable[[], str]

#: The removals the router records as ``position << SHIFT | code``, by code.
CODES = (
    None,
    Filter.DISABLED,
    Filter.CLIENT_REFUSED,
    Filter.CLIENT_NOT_ALLOWED,
    Filter.NO_VENDOR_RATE,
    Filter.ABOVE_MAX_RATE,
    Filter.BELOW_MIN_PROFIT,
)
SHIFT = 3

#: Each filter's code in :data:`CODES`, for the routers that record removals.
CODE = {why: code for code, why in enumerate(CODES) if why is not None}

#: A route entry (gateway, what matched, vendor rate, price per second n, d) and a removal
#: (gateway, filter, detail).
Entry = tuple[Gateway, str, Rate | None, int, int]
Removal = tuple[Gateway, Filter, Detail]


class _Available(Protocol):
    @property
    def available(self) -> Decimal: ...


class BalanceSource(Protocol):
    """Where a prepaid vendor's balance is read: any
    :class:`~vosengine.ledger.Ledger` is one."""

    def balance(self, account_id: str, /) -> _Available: ...


def check_call(
    callee: object,
    client: object,
    at: object,
    now: object,
    caller: object,
    customer_rate: object,
    load: object,
    rng: object,
) -> tuple[str, str, float]:
    """The arguments of :meth:`~vosengine.routing.RouteTable.route` checked: the callee and
    the caller normalised, and ``now``; anything else raises naming the argument."""
    callee = normalize_number(callee, field="callee")
    if caller:
        caller = normalize_number(caller, field="caller")
    elif caller != "":
        raise InvalidArgumentType(f"caller: expected the number as a str, got {caller!r}")
    if type(client) is not str:
        raise InvalidArgumentType(f"client: expected a str, got {client!r}")
    check_aware(at, "at")
    seconds = check_seconds(now)
    if load is not None and not isinstance(load, LOADS):
        raise InvalidArgumentType(f"load: expected a Load, got {load!r}")
    if customer_rate is not None and type(customer_rate) is not Rate:
        raise InvalidArgumentType(f"customer_rate: expected a Rate, got {customer_rate!r}")
    if rng is not None and not isinstance(rng, random.Random):
        raise InvalidArgumentType(f"rng: expected a random.Random, got {rng!r}")
    return callee, caller, seconds


def customer_rate_required() -> InvalidArgument:
    """The error of a call without a customer rate where a minimum profit is set."""
    return InvalidArgument(
        "customer_rate: required when a minimum profit is set; it is what the vendor's rate"
        " is compared with"
    )


def show_price(num: int, den: int) -> str:
    """A price per second ``num / den`` as a person reads it: per minute, rounded half-even
    to 6 decimals in exact integers.

    >>> show_price(1, 6000), show_price(-1, 12_000_000)
    ('0.010000/min', '-0.000005/min')
    """
    micro, rest = divmod(num * 60 * 10**6, den)  # den > 0: rest is in [0, den)
    if 2 * rest > den or (2 * rest == den and micro & 1):
        micro += 1
    sign = "-" if micro < 0 else ""
    whole, part = divmod(abs(micro), 10**6)
    return f"{sign}{whole}.{part:06d}/min"


def judge(candidate: Candidate, context: tuple[Any, ...]) -> tuple[Any, ...]:
    """Every filter, in order, on one candidate: its route entry (5 items) or its removal
    (3 items). ``context`` is ``(client, load, now, balances, callee, at, bound, cap, floor,
    customer_rate)``; ``bound`` is the highest price per second that passes, ``(n, d)``."""
    client, load, now, balances, callee, at, bound, cap, floor, customer_rate = context
    gateway, matched, _, _, rate, num, den, dynamic, checks = candidate
    if checks:
        why = _refusal(gateway, client, load, now, balances)
        if why is not None:
            return why
    if dynamic:
        rate = None if gateway.rates is None else gateway.rates.lookup(callee, at=at)
        num, den = (0, 0) if rate is None else ratio(rate)
    if rate is None:
        if gateway.rates is not None:
            return gateway, Filter.NO_VENDOR_RATE, NO_RATE
        if bound is not None:
            return gateway, Filter.NO_VENDOR_RATE, "no rate table to compare prices with"
    elif bound is not None and num * bound[1] > bound[0] * den:
        return _priced_out(gateway, num, den, cap, floor, customer_rate)
    return gateway, matched, rate, num, den


def _refusal(
    gateway: Gateway,
    client: str,
    load: Load | None,
    now: float,
    balances: BalanceSource | None,
) -> Removal | None:
    """Why ``gateway`` may not carry this call whatever its price, or None."""
    if not gateway.enabled:
        return _disabled(gateway)
    why = gateway.admits(client)
    if why is not None:
        return _unbound(gateway, why, client)
    if load is not None and (gateway.capacity is not None or gateway.cps is not None):
        why = load.refusal(gateway, now=now)
        if why is not None:
            return gateway, why, _busy(load, gateway, why)
    if gateway.prepaid:
        detail = _exhausted(gateway, balances)
        if detail is not None:
            return gateway, Filter.VENDOR_EXHAUSTED, detail
    return None


def _disabled(gateway: Gateway) -> Removal:
    return gateway, Filter.DISABLED, "the gateway is disabled"


def _unbound(gateway: Gateway, why: Filter, client: str) -> Removal:
    return gateway, why, f"client {client!r}"


def _busy(load: Load, gateway: Gateway, why: Filter) -> str:
    if why is Filter.OVER_CAPACITY:
        return f"{load.concurrent(gateway.id)} of {gateway.capacity} calls"
    return f"limit {gateway.cps} per second"


def _exhausted(gateway: Gateway, balances: BalanceSource | None) -> str | None:
    """Why a prepaid vendor cannot be used now, or None when it has funds."""
    if balances is None:
        return "no balances given to check"
    try:
        available = balances.balance(gateway.vendor).available
    except NotFound:
        return f"vendor {gateway.vendor!r} has no account"
    if available <= 0:
        return f"vendor {gateway.vendor!r} has {available}"
    return None


def _priced_out(
    gateway: Gateway,
    num: int,
    den: int,
    cap: tuple[int, int] | None,
    floor: tuple[int, int] | None,
    customer_rate: Rate | None,
) -> Removal:
    """The removal of a gateway whose price passes the bound; its detail is written only
    if someone reads it."""
    if cap is not None and num * cap[1] > cap[0] * den:
        return gateway, Filter.ABOVE_MAX_RATE, partial(_over_cap, num, den, cap)
    assert floor is not None
    assert customer_rate is not None
    return gateway, Filter.BELOW_MIN_PROFIT, partial(_margin, num, den, floor, customer_rate)


def _over_cap(num: int, den: int, cap: tuple[int, int]) -> str:
    return f"{show_price(num, den)} > cap {show_price(*cap)}"


def _margin(num: int, den: int, floor: tuple[int, int], customer_rate: Rate) -> str:
    margin = Fraction(*ratio(customer_rate)) - Fraction(num, den)
    return f"margin {show_price(margin.numerator, margin.denominator)} < {show_price(*floor)}"


#: What a call's records point into: the candidates of the plan slot it read (or those it
#: judged), in which a found or removed position is an index.
Source = Sequence[Candidate]


def bound_of(
    cap: tuple[int, int] | None, floor: tuple[int, int] | None, customer_rate: Rate | None
) -> tuple[int, int] | None:
    """The highest vendor price per second that passes, ``(n, d)``: the cap, or the
    customer's price less the minimum profit, whichever is lower (``None``: no bound)."""
    if floor is None:
        return cap
    assert customer_rate is not None
    pn, pd = ratio(customer_rate)
    fn, fd = floor
    margin = (pn * fd - fn * pd, pd * fd)
    if cap is None or margin[0] * cap[1] < cap[0] * margin[1]:
        return margin
    return cap


def judge_every(
    candidates: Sequence[Candidate],
    anywhere: Sequence[Candidate],
    callee: str,
    cost_first: bool,
    longest_only: bool,
    context: tuple[Any, ...],
) -> tuple[list[Any], list[Any], list[Candidate]]:
    """``(found, gone, serving)``: every candidate serving ``callee`` judged in turn -- the
    way a call goes when dial patterns must be checked against the whole number.
    ``candidates`` are a slot's, ranked by priority."""
    kept, top = serving(by_cost(candidates) if cost_first else candidates, anywhere, callee)
    found: list[Any] = []
    gone: list[Any] = []
    for candidate in kept:
        if longest_only and candidate.head != top:
            continue
        verdict = judge(candidate, context)
        (found if len(verdict) == 5 else gone).append(verdict)
    return found, gone, kept


def finish(
    found: list[Any],
    gone: list[Any],
    source: Source,
    callee: str,
    *,
    again: bool,
    cost_first: bool,
    weighted_by: random.Random | None,
    rewrites: bool,
) -> list[Any]:
    """What a call found, ranked again where a price was looked up per call (``again``),
    in weighted order (``weighted_by``), and without the routes whose callee rules leave
    no number (``rewrites``: some gateway has callee rules; those go to ``gone``)."""
    if not found or not (again or weighted_by is not None or rewrites):
        return found
    found = entries(found, source)
    if again:
        found = resort(found, cost_first)
    if weighted_by is not None and len(found) > 1:
        found = weighted(found, weighted_by)
    if rewrites:
        found = keep_numbers(found, callee, gone)
    return found


def entries(found: list[Any], source: Source) -> list[Entry]:
    """The route entries of what the router found: a position stands for that candidate's
    entry (in ``source``) as the plan built it."""
    if all(type(item) is not int for item in found):
        return found
    return [_entry(source[item]) if type(item) is int else item for item in found]


def entry_at(item: Any, source: Source) -> Entry:
    """One item of what the router found, as a route entry (see :func:`entries`)."""
    return _entry(source[item]) if type(item) is int else item


def gateway_at(item: Any, source: Source) -> Gateway:
    """The gateway of one item of what the router found (:func:`entry_at`'s first field)."""
    gateway: Gateway = source[item].gateway if type(item) is int else item[0]
    return gateway


def _entry(candidate: Candidate) -> Entry:
    gateway, matched, _, _, rate, num, den, _, _ = candidate
    return gateway, matched, rate, num, den


def removals(gone: Sequence[Any], source: Source, context: tuple[Any, ...]) -> list[Removal]:
    """The removals the router recorded, as the judge writes them. ``context`` is
    ``(client, cap, floor, customer_rate)``."""
    client, cap, floor, customer_rate = context
    written = []
    for item in gone:
        if type(item) is not int:
            written.append(item)
            continue
        candidate = source[item >> SHIFT]
        why = CODES[item & ((1 << SHIFT) - 1)]
        gateway = candidate.gateway
        if why is Filter.DISABLED:
            written.append(_disabled(gateway))
        elif why is Filter.CLIENT_REFUSED or why is Filter.CLIENT_NOT_ALLOWED:
            written.append(_unbound(gateway, why, client))
        elif why is Filter.NO_VENDOR_RATE:
            written.append((gateway, why, NO_RATE))
        else:
            written.append(
                _priced_out(gateway, candidate.num, candidate.den, cap, floor, customer_rate)
            )
    return written


def serving(
    candidates: Sequence[Candidate], anywhere: Sequence[Candidate], callee: str
) -> tuple[list[Candidate], int]:
    """The candidates that serve ``callee`` (patterns checked against the whole number),
    each gateway once by its longest entry, in the given order; and the longest head."""
    kept = []
    seen: set[str] = set()
    for candidate in (*candidates, *anywhere):
        gateway_id = candidate.gateway.id
        if gateway_id in seen:
            continue
        pattern = candidate.pattern
        if pattern is None or pattern.matches(callee):
            seen.add(gateway_id)
            kept.append(candidate)
    return kept, max((c.head for c in kept), default=-1)


def resort(found: list[Entry], cost_first: bool) -> list[Entry]:
    """Rank again where a price was looked up per call (dated vendor rates, or a pattern
    that may match anything)."""
    ranked = {entry[0].id: entry for entry in found}
    order = by_cost if cost_first else by_priority
    return [ranked[c.gateway.id] for c in order(_as_candidate(entry) for entry in found)]


def _as_candidate(entry: Entry) -> Candidate:
    gateway, matched, rate, num, den = entry
    return Candidate(gateway, matched, 0, None, rate, num, den, False, False)


def weighted(found: list[Entry], rng: random.Random) -> list[Entry]:
    """Weighted random order within each priority (``found`` is ranked by priority)."""
    ranked: list[Entry] = []
    start = 0
    while start < len(found):
        priority = found[start][0].priority
        end = start + 1
        while end < len(found) and found[end][0].priority == priority:
            end += 1
        group = sorted(found[start:end], key=lambda entry: entry[0].id)
        ranked.extend(weighted_order(group, [entry[0].weight for entry in group], rng))
        start = end
    return ranked


def keep_numbers(found: list[Entry], callee: str, gone: list[Any]) -> list[Entry]:
    """Drop the routes whose callee rules leave no number (recorded in ``gone``)."""
    kept = []
    for entry in found:
        gateway = entry[0]
        if gateway.callee_rules and not rewrite(callee, gateway.callee_rules):
            gone.append(
                (gateway, Filter.EMPTY_NUMBER, f"callee rules turn {callee!r} into nothing")
            )
        else:
            kept.append(entry)
    return kept


def weighted_order(items: list[Any], weights: list[int], rng: random.Random) -> list[Any]:
    """``items`` in a random order where each place goes to one of those left with
    probability exactly its weight over their total weight (integer draws: no float bias)."""
    items = list(iterate(items, "items"))
    weights = check_items(weights, "weights", lambda v, f: check_type(v, int, f))
    if len(items) != len(weights) or any(weight < 1 for weight in weights):
        raise InvalidArgument("weights: expected one weight of 1 or more for each item")
    check_type(rng, random.Random, "rng")
    order = []
    total = sum(weights)
    while items:
        draw = rng.randrange(total)
        index = 0
        while draw >= weights[index]:
            draw -= weights[index]
            index += 1
        order.append(items.pop(index))
        total -= weights.pop(index)
    return order
