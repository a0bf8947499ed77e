"""The strategies behind :mod:`vosengine.testing`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ..accounts import Account, AccountDirectory, Authorization, Operator
from ..cdr import CDR
from ..errors import InvalidArgument
from ..ledger import InMemoryLedger, InsufficientFunds, OverdraftAction
from ..money import Rounding, RoundingRule
from ..numbering import NumberSection
from ..rating import MAX_DURATION_MS, Rate, RateTable

#: Billing periods seen in real rate decks (first/next increment, seconds).
COMMON_INCREMENTS = ((60, 60), (30, 6), (6, 6), (1, 1), (30, 30), (60, 1), (60, 6))

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_OPERATOR = Operator(name="hypothesis")


def _check_range(name: str, low: int, high: int) -> None:
    if low > high:
        raise InvalidArgument(f"{name}: minimum {low} is above maximum {high}")


def prefixes(*, min_size: int = 1, max_size: int = 6, alphabet: str = "0123456789") -> Any:
    """Dial prefixes over ``alphabet`` (a subset of ``0-9*#``)."""
    _check_range("prefixes", min_size, max_size)
    if min_size < 1:
        raise InvalidArgument("min_size: a prefix has at least one digit")
    if not alphabet or set(alphabet) - set("0123456789*#"):
        raise InvalidArgument(f"alphabet: {alphabet!r} is not a subset of '0123456789*#'")
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def amounts(
    *, min_value: Decimal | int | str = 0, max_value: Decimal | int | str = 100, decimals: int = 4
) -> Any:
    """Exact amounts with at most ``decimals`` decimals in ``[min_value, max_value]``."""
    if not 0 <= decimals <= 6:
        raise InvalidArgument(f"decimals: {decimals} is outside 0..6")
    low, high = Decimal(min_value), Decimal(max_value)
    if low > high:
        raise InvalidArgument(f"amounts: minimum {low} is above maximum {high}")
    return st.decimals(
        min_value=low, max_value=high, places=decimals, allow_nan=False, allow_infinity=False
    )


def rounding_rules(*, max_decimals: int = 6) -> Any:
    """Any rounding mode with 0..``max_decimals`` decimals."""
    if not 0 <= max_decimals <= 6:
        raise InvalidArgument(f"max_decimals: {max_decimals} is outside 0..6")
    return st.builds(
        RoundingRule,
        mode=st.sampled_from(list(Rounding)),
        decimals=st.integers(0, max_decimals),
    )


def durations_ms(*, max_seconds: int = 7_200) -> Any:
    """Call durations in milliseconds, from 0 to ``max_seconds``; short calls and exact
    second boundaries come up often."""
    if not 0 <= max_seconds <= MAX_DURATION_MS // 1000:
        raise InvalidArgument(
            f"max_seconds: {max_seconds} is not between 0 and {MAX_DURATION_MS // 1000}"
        )
    return st.one_of(
        st.integers(0, max_seconds * 1000),
        st.integers(0, min(max_seconds, 180)).map(lambda s: s * 1000),
        st.integers(0, min(max_seconds * 1000, 5_000)),
    )


@st.composite
def rates(
    draw: Any,
    *,
    prefix: str | None = None,
    max_price: Decimal | int | str = 2,
    fees: bool = True,
    limits: bool = True,
    limit_decimals: int = 4,
) -> Rate:
    """A :class:`~vosengine.rating.Rate` with common or arbitrary increments, and (when
    ``fees``) connect fee, free and grace seconds, (when ``limits``) min/max charges with at
    most ``limit_decimals`` decimals (a table refuses limits off its rounding grid)."""
    first, next_ = draw(
        st.one_of(
            st.sampled_from(COMMON_INCREMENTS),
            st.tuples(st.integers(1, 120), st.integers(1, 60)),
        )
    )
    min_charge = max_charge = None
    if limits and draw(st.booleans()):
        low = draw(amounts(max_value=1, decimals=limit_decimals))
        high = draw(amounts(min_value=low, max_value=max(low, Decimal(5)), decimals=limit_decimals))
        min_charge = draw(st.sampled_from([None, low]))
        max_charge = draw(st.sampled_from([None, high]))
    return Rate(
        prefix=prefix if prefix is not None else draw(prefixes()),
        area=draw(st.sampled_from(["", "Mobile", "Fixed", "Premium"])),
        price=draw(amounts(max_value=max_price)),
        unit_seconds=draw(st.sampled_from([60, 60, 60, 1, 30])),
        first_increment=first,
        next_increment=next_,
        connect_fee=draw(amounts(max_value=Decimal("0.5"))) if fees else Decimal(0),
        free_seconds=draw(st.sampled_from([0, 0, 0, 5, 30])) if fees else 0,
        grace_seconds=draw(st.sampled_from([0, 0, 0, 3, 10])) if fees else 0,
        min_charge=min_charge,
        max_charge=max_charge,
    )


@st.composite
def rate_tables(
    draw: Any, *, min_rates: int = 1, max_rates: int = 12, rounding: RoundingRule | None = None
) -> RateTable:
    """A :class:`~vosengine.rating.RateTable` of rates on distinct prefixes (no dates or
    windows), rounded by ``rounding`` or a drawn rule."""
    _check_range("rate_tables", min_rates, max_rates)
    keys = draw(st.lists(prefixes(max_size=4), min_size=min_rates, max_size=max_rates, unique=True))
    rule = rounding if rounding is not None else draw(rounding_rules(max_decimals=5))
    return RateTable(
        [draw(rates(prefix=key, limit_decimals=rule.decimals)) for key in keys], rounding=rule
    )


@st.composite
def cdrs(
    draw: Any,
    *,
    account_ids: list[str] | None = None,
    callee_prefixes: list[str] | None = None,
    answered: bool | None = None,
    max_seconds: int = 3_600,
) -> CDR:
    """A CDR: answered (with a drawn duration) or failed, for one of ``account_ids``, to a
    callee that starts with one of ``callee_prefixes`` when given."""
    account = (
        draw(st.sampled_from(account_ids))
        if account_ids
        else draw(st.text("abc", min_size=1, max_size=3))
    )
    lead = draw(st.sampled_from(callee_prefixes)) if callee_prefixes else ""
    callee = lead + draw(st.text("0123456789", min_size=4, max_size=10))
    start = _EPOCH + timedelta(seconds=draw(st.integers(0, 365 * 86_400)))
    is_answered = draw(st.booleans()) if answered is None else answered
    if not is_answered:
        end = start + timedelta(seconds=draw(st.integers(0, 60)))
        return CDR(
            call_id=draw(st.uuids()).hex,
            account_id=account,
            caller="1000",
            callee=callee,
            start=start,
            end=end,
            termination=draw(st.sampled_from(["busy", "no_answer", "rate_not_found"])),
        )
    ring = timedelta(seconds=draw(st.integers(0, 30)))
    duration = draw(durations_ms(max_seconds=max_seconds).filter(bool))
    answer = start + ring
    end = answer + timedelta(milliseconds=duration)
    return CDR(
        call_id=draw(st.uuids()).hex,
        account_id=account,
        caller="1000",
        callee=callee,
        start=start,
        answer=answer,
        end=end,
        duration_ms=duration,
        gateway=draw(st.sampled_from(["gw-a", "gw-b", None])),
    )


@st.composite
def agent_trees(draw: Any, *, max_accounts: int = 20, sections: bool = True) -> AccountDirectory:
    """An :class:`~vosengine.accounts.AccountDirectory` whose accounts ``a0, a1, ...`` form a
    random forest; each account's authorizations are a subset of its parent's."""
    if max_accounts < 1:
        raise InvalidArgument("max_accounts: at least one account")
    directory = AccountDirectory()
    count = draw(st.integers(1, max_accounts))
    for index in range(count):
        parent = None
        if index and draw(st.booleans()):
            parent = f"a{draw(st.integers(0, index - 1))}"
        ceiling = directory.get(parent).authorizations if parent else Authorization(255)
        auth = Authorization(draw(st.integers(0, 255))) & ceiling
        section = NumberSection()
        if sections and draw(st.booleans()):
            allowed = draw(st.frozensets(prefixes(max_size=2), max_size=3))
            blocked = draw(st.frozensets(prefixes(max_size=3), max_size=2)) - allowed
            section = NumberSection(allowed=allowed, blocked=blocked)
        directory.add(
            Account(id=f"a{index}", parent_id=parent, authorizations=auth, number_section=section),
            actor=_OPERATOR,
            now=_EPOCH,
        )
    return directory


@st.composite
def ledgers_with_operations(
    draw: Any, *, accounts: int = 3, max_operations: int = 30
) -> tuple[InMemoryLedger, list[tuple[Any, ...]]]:
    """An :class:`~vosengine.ledger.InMemoryLedger` after a drawn sequence of operations,
    with the list of operations that succeeded (``(name, *arguments)``)."""
    ledger = InMemoryLedger()
    ids = [f"acct{i}" for i in range(accounts)]
    for account_id in ids:
        ledger.open_account(
            account_id,
            credit_limit=draw(amounts(max_value=50, decimals=2)),
            overdraft=draw(st.sampled_from(list(OverdraftAction))),
        )
    applied: list[tuple[Any, ...]] = []
    open_holds: list[int] = []
    for step in range(draw(st.integers(0, max_operations))):
        kind = draw(
            st.sampled_from(
                ["recharge", "deduct", "adjust", "transfer", "reserve", "settle", "release"]
            )
        )
        account = draw(st.sampled_from(ids))
        amount = draw(amounts(min_value=Decimal("0.01"), max_value=40, decimals=2))
        key = f"op{step}"
        try:
            if kind == "recharge":
                ledger.recharge(account, amount, key=key, actor=_OPERATOR, now=_EPOCH)
            elif kind == "deduct":
                ledger.deduct(account, amount, key=key, actor=_OPERATOR, now=_EPOCH)
            elif kind == "adjust":
                signed = amount if draw(st.booleans()) else amount.copy_negate()
                ledger.adjust(account, signed, key=key, actor=_OPERATOR, now=_EPOCH)
                amount = signed
            elif kind == "transfer":
                other = draw(st.sampled_from([i for i in ids if i != account] or ids))
                if other == account:
                    continue
                ledger.transfer(account, other, amount, key=key, actor=_OPERATOR, now=_EPOCH)
                applied.append((kind, account, other, amount))
                continue
            elif kind == "reserve":
                hold = ledger.reserve(account, amount, key, now=_EPOCH)
                open_holds.append(hold.id)
            elif kind == "settle" and open_holds:
                hold_id = open_holds.pop(draw(st.integers(0, len(open_holds) - 1)))
                ledger.settle(hold_id, amount, now=_EPOCH)
                applied.append((kind, hold_id, amount))
                continue
            elif kind == "release" and open_holds:
                hold_id = open_holds.pop()
                ledger.release(hold_id, now=_EPOCH)
                applied.append((kind, hold_id))
                continue
            else:
                continue
        except InsufficientFunds:  # refused: not applied
            continue
        applied.append((kind, account, amount))
    return ledger, applied
