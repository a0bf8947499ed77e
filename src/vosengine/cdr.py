"""Call detail records, agent-chain billing, re-rating and call reports.

**Agent-chain billing.** A call made by a customer is billed at every level of its agent
chain: the customer pays its own rate table's price; every agent above pays *its* (wholesale)
rate table's price for the same call. An agent's income on the call is what the level below
it paid less what it paid itself. The operator's revenue is what the top-level account paid.

**Flow (callback) model.** A Flow call has two legs, each a CDR of its own (``leg="A"``:
the switch calls the caller back; ``leg="B"``: the switch calls the callee); each leg is
rated and charged on its own, one CDR line per leg.

**Re-rating (modify CDR).** :func:`rerate` prices CDRs again under corrected tables and posts
the difference from what was charged before to the ledger as adjustments. Each adjustment's
idempotency key is built from the batch id, the call, the leg and the account, so running
the same re-rate again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from ._checks import check_items, check_str, check_type
from ._time import aware_validator, check_aware
from .accounts import AccountDirectory, Actor, Scope
from .errors import InvalidArgument, InvalidArgumentType, NotFound
from .ledger import Ledger, PaymentRecord, Posting
from .money import CONTEXT, ZERO, Rounding, RoundingRule
from .rating import Charge, RateTable

__all__ = [
    "CDR",
    "Adjustment",
    "ChainBiller",
    "ChainCharge",
    "DistributionRow",
    "IncomeReport",
    "LevelCharge",
    "MissingRateTable",
    "distribution",
    "income_report",
    "rerate",
]


_MILLISECOND = timedelta(milliseconds=1)
_SECOND_MS = 1000


class MissingRateTable(NotFound):
    """An account on the chain has no rate table to be billed with."""


def _text(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{attribute.name}: expected a str, got {value!r}")


@attrs.frozen(kw_only=True)
class CDR:
    """One call leg: who called whom through which gateway, when, for how long, and why it
    ended. ``duration_ms`` is the hold time (0 for a call that was not answered); billing uses
    it, so it must agree with ``end - answer`` to within less than a second (switches often
    stamp whole seconds but measure the hold time in milliseconds). A CDR whose times and
    duration disagree by more is refused, never silently billed by either."""

    call_id: str = attrs.field(validator=_text)
    account_id: str = attrs.field(validator=_text)
    caller: str = attrs.field(validator=_text)
    callee: str = attrs.field(validator=_text)
    start: datetime = attrs.field(validator=aware_validator())
    end: datetime = attrs.field(validator=aware_validator())
    answer: datetime | None = attrs.field(default=None, validator=aware_validator(optional=True))
    duration_ms: int = 0
    gateway: str | None = None
    termination: str = "normal"
    leg: str = "A"

    def __attrs_post_init__(self) -> None:
        if isinstance(self.duration_ms, bool) or not isinstance(self.duration_ms, int):
            raise InvalidArgumentType(f"duration_ms: expected an int, got {self.duration_ms!r}")
        if self.duration_ms < 0:
            raise InvalidArgument(f"duration_ms: {self.duration_ms} is negative")
        if self.end < self.start:
            raise InvalidArgument(f"end: {self.end.isoformat()} is before start")
        if self.answer is None:
            if self.duration_ms:
                raise InvalidArgument("duration_ms: a call that was not answered has none")
        elif not self.start <= self.answer <= self.end:
            raise InvalidArgument(f"answer: {self.answer.isoformat()} is outside start..end")
        else:
            span_ms = (self.end - self.answer) // _MILLISECOND
            if not -_SECOND_MS < self.duration_ms - span_ms < _SECOND_MS:
                raise InvalidArgument(
                    f"duration_ms: {self.duration_ms} disagrees with answer..end ({span_ms} ms)"
                    " by a second or more"
                )
        if self.leg not in ("A", "B"):
            raise InvalidArgument(f"leg: expected 'A' or 'B', got {self.leg!r}")

    @property
    def answered(self) -> bool:
        return self.answer is not None and self.duration_ms > 0


@attrs.frozen(kw_only=True)
class LevelCharge:
    """What one account on the chain pays for a call, and (for agents) what it earns."""

    account_id: str
    charge: Charge | None
    amount: Decimal
    income: Decimal | None


@attrs.frozen(kw_only=True)
class ChainCharge:
    """A CDR priced at every level: the customer first, then each agent up to the top."""

    cdr: CDR
    levels: tuple[LevelCharge, ...]

    @property
    def customer(self) -> LevelCharge:
        return self.levels[0]

    @property
    def top(self) -> LevelCharge:
        return self.levels[-1]

    def level(self, account_id: str) -> LevelCharge:
        for level in self.levels:
            if level.account_id == account_id:
                return level
        raise NotFound(f"account {account_id!r} is not on the chain of {self.cdr.call_id!r}")


TableSource = Mapping[str, RateTable] | Callable[[str], RateTable | None]


class ChainBiller:
    """Prices CDRs along the agent chain. ``tables`` gives each account's rate table (the
    price it pays): a mapping or a function of the account id."""

    def __init__(self, directory: AccountDirectory, tables: TableSource) -> None:
        self.directory = directory
        self._tables = tables
        # one call per look-up, decided once (a mapping is read live: changes to it count)
        self._table_of: Callable[[str], RateTable | None] = (
            tables.get if isinstance(tables, Mapping) else tables
        )

    def table_for(self, account_id: str) -> RateTable:
        """The rate table of ``account_id``; :class:`MissingRateTable` when it has none."""
        try:
            table = self._table_of(account_id)
        except TypeError:
            check_str(account_id, "account_id")
            raise
        if table is None:
            raise MissingRateTable(f"account {account_id!r} has no rate table")
        return table

    def rate(self, cdr: CDR) -> ChainCharge:
        """Price ``cdr`` for its account and every agent above it. A level whose table has
        no rate for the callee pays nothing on this call (its ``charge`` is ``None``); a
        failed call costs every level nothing."""
        check_type(cdr, CDR, "cdr")
        chain = [cdr.account_id, *self.directory.ancestors(cdr.account_id)]
        amounts: list[tuple[str, Charge | None, Decimal]] = []
        for account_id in chain:
            table = self.table_for(account_id)
            charge = None
            if cdr.answered:
                assert cdr.answer is not None
                rate = table.lookup(cdr.callee, at=cdr.answer)
                if rate is not None:
                    charge = table.price(cdr.callee, cdr.duration_ms, at=cdr.answer)
            amounts.append((account_id, charge, ZERO if charge is None else charge.amount))
        levels = []
        for index, (account_id, charge, amount) in enumerate(amounts):
            income = None if index == 0 else CONTEXT.subtract(amounts[index - 1][2], amount)
            levels.append(
                LevelCharge(account_id=account_id, charge=charge, amount=amount, income=income)
            )
        return ChainCharge(cdr=cdr, levels=tuple(levels))

    def rate_many(self, cdrs: Iterable[CDR]) -> list[ChainCharge]:
        listed = check_items(cdrs, "cdrs", lambda cdr, field: check_type(cdr, CDR, field))
        return [self.rate(cdr) for cdr in listed]


@attrs.frozen(kw_only=True)
class IncomeReport:
    agent_id: str
    scope: Scope
    calls: int
    revenue: Decimal
    cost: Decimal

    @property
    def income(self) -> Decimal:
        return CONTEXT.subtract(self.revenue, self.cost)


def income_report(
    charges: Iterable[ChainCharge],
    agent_id: str,
    *,
    directory: AccountDirectory,
    start: datetime,
    end: datetime,
    scope: Scope = Scope.ALL,
) -> IncomeReport:
    """An agent's income over ``[start, end)`` (by call start): calls of its direct
    sub-accounts (``DIRECT``) or of its whole subtree (``ALL``). Revenue is what the level
    below the agent paid on those calls, cost what the agent paid."""
    check_type(directory, AccountDirectory, "directory"), check_type(scope, Scope, "scope")
    check_aware(start, "start"), check_aware(end, "end")
    below = set(directory.sub_accounts(agent_id, scope=scope))
    calls, revenue, cost = 0, ZERO, ZERO
    for charged in check_items(charges, "charges", _charge_of):
        if not start <= charged.cdr.start < end or charged.cdr.account_id not in below:
            continue
        for index, level in enumerate(charged.levels):
            if level.account_id == agent_id:
                calls += 1
                revenue = CONTEXT.add(revenue, charged.levels[index - 1].amount)
                cost = CONTEXT.add(cost, level.amount)
                break
    return IncomeReport(agent_id=agent_id, scope=scope, calls=calls, revenue=revenue, cost=cost)


def _charge_of(value: object, field: str) -> ChainCharge:
    return check_type(value, ChainCharge, field)


@attrs.frozen(kw_only=True)
class Adjustment:
    """One posted re-rating difference (``delta`` = new - old; the balance moves by
    ``-delta``)."""

    call_id: str
    leg: str
    account_id: str
    old: Decimal
    new: Decimal
    record: PaymentRecord

    @property
    def delta(self) -> Decimal:
        return CONTEXT.subtract(self.new, self.old)


def rerate(
    previous: Sequence[ChainCharge],
    biller: ChainBiller,
    ledger: Ledger,
    *,
    batch_id: str,
    actor: Actor,
    now: datetime,
) -> list[Adjustment]:
    """Re-price the CDRs of ``previous`` with ``biller`` (corrected tables) and post each
    difference to ``ledger`` as an adjustment (memo names the call and the batch).

    Idempotent: a second run with the same ``batch_id`` changes nothing and returns the
    same adjustments. Every CDR is priced before anything is posted, and the adjustments are
    posted as one batch (:meth:`~vosengine.ledger.Ledger.adjust_many`): a CDR that cannot be
    priced, an account the ledger does not know, or a key taken by another request fails the
    whole re-rate with nothing posted."""
    if not isinstance(batch_id, str) or not batch_id:
        raise InvalidArgument(f"batch_id: expected a non-empty str, got {batch_id!r}")
    check_type(biller, ChainBiller, "biller")
    planned: list[tuple[ChainCharge, ChainCharge]] = [
        (old, biller.rate(old.cdr)) for old in check_items(previous, "previous", _charge_of)
    ]
    changes: list[tuple[CDR, str, Decimal, Decimal]] = []
    postings: list[Posting] = []
    for old, new in planned:
        before = {level.account_id: level.amount for level in old.levels}
        cdr = new.cdr
        for level in new.levels:
            was = before.get(level.account_id, ZERO)
            if level.amount == was:
                continue
            changes.append((cdr, level.account_id, was, level.amount))
            postings.append(
                Posting(
                    level.account_id,
                    CONTEXT.subtract(was, level.amount),
                    f"rerate:{batch_id}:{cdr.call_id}:{cdr.leg}:{level.account_id}",
                    f"re-rate {batch_id}: call {cdr.call_id} leg {cdr.leg}: {was} -> "
                    f"{level.amount}",
                )
            )
    records = ledger.adjust_many(postings, actor=actor, now=now)
    return [
        Adjustment(
            call_id=cdr.call_id, leg=cdr.leg, account_id=account_id, old=was, new=new, record=record
        )
        for (cdr, account_id, was, new), record in zip(changes, records, strict=True)
    ]


@attrs.frozen(kw_only=True)
class DistributionRow:
    """Call distribution for one key: ASR = answered / calls, ACD = average answered hold
    seconds, minutes of hold time, revenue (what the top-level account paid), cost (vendor
    price of the gateway, when given) and margin. The ratios (ASR, ACD, minutes) are rounded
    ``HALF_EVEN`` to 6 decimals; the amounts are exact."""

    key: str
    calls: int
    answered: int
    hold_seconds: int
    revenue: Decimal
    cost: Decimal

    @property
    def asr(self) -> Decimal:
        return _RATIO.round_fraction(self.answered, self.calls) if self.calls else ZERO

    @property
    def acd_seconds(self) -> Decimal:
        return _RATIO.round_fraction(self.hold_seconds, self.answered) if self.answered else ZERO

    @property
    def minutes(self) -> Decimal:
        return _RATIO.round_fraction(self.hold_seconds, 60)

    @property
    def margin(self) -> Decimal:
        return CONTEXT.subtract(self.revenue, self.cost)


_RATIO = RoundingRule(mode=Rounding.HALF_EVEN, decimals=6)
_GROUPS = ("prefix", "area", "gateway", "termination")


def distribution(
    charges: Iterable[ChainCharge],
    *,
    by: str,
    vendor_tables: Mapping[str, RateTable] | None = None,
) -> list[DistributionRow]:
    """Calls grouped ``by`` ``"prefix"`` / ``"area"`` (of the customer's rate),
    ``"gateway"`` or ``"termination"``, sorted by key. Hold seconds count the customer's
    rated hold time."""
    if by not in _GROUPS:
        raise InvalidArgument(f"by: expected one of {_GROUPS}, got {by!r}")
    rows: dict[str, list[Any]] = {}
    for charged in charges:
        cdr = charged.cdr
        customer = charged.customer.charge
        if by == "prefix":
            key = customer.rate.prefix if customer else "(no rate)"
        elif by == "area":
            key = customer.rate.area if customer else "(no rate)"
        elif by == "gateway":
            key = cdr.gateway or "(none)"
        else:
            key = cdr.termination
        row = rows.setdefault(key, [0, 0, 0, ZERO, ZERO])
        row[0] += 1
        if cdr.answered:
            row[1] += 1
            row[2] += customer.hold_seconds if customer else -(-cdr.duration_ms // 1000)
            row[3] = CONTEXT.add(row[3], charged.top.amount)
            table = (vendor_tables or {}).get(cdr.gateway or "")
            if table is not None and cdr.answer is not None:
                rate = table.lookup(cdr.callee, at=cdr.answer)
                if rate is not None:
                    amount = table.price(cdr.callee, cdr.duration_ms, at=cdr.answer).amount
                    row[4] = CONTEXT.add(row[4], amount)
    return [
        DistributionRow(
            key=key, calls=r[0], answered=r[1], hold_seconds=r[2], revenue=r[3], cost=r[4]
        )
        for key, r in sorted(rows.items())
    ]
