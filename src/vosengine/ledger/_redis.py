"""A ledger that several switch nodes share: balances, credit limits, records and the holds of
calls in progress kept in Redis, each operation that checks and changes money one Lua script
that Redis runs whole (see :mod:`vosengine.ledger._redis_scripts`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .._actors import Actor
from .._checks import check_name, check_str, check_type
from .._time import check_aware
from ..errors import InvalidArgument, InvalidArgumentType, Unavailable
from ..money import CONTEXT, ZERO, total
from . import _redis_scripts as lua
from ._calls import _check_key, _checked_charges, _checked_postings, _same_request
from ._grid import _Grid
from ._keys import DEFAULT_KEY_RETENTION
from ._memory import _request
from ._payments import _Payments
from ._protocol import OperatorsOnly, PayerRules
from ._redis_wire import _Funds, _milliseconds, _NoHold, _text, _Wire
from ._values import (
    Balance,
    InsufficientFunds,
    LedgerEvent,
    OverdraftAction,
    PaymentKind,
    PaymentRecord,
    Posting,
    Reservation,
    UnknownReservation,
    hold_refused,
)

__all__ = ["RedisLedger"]

#: How long a hold lives without a settle, release or grow when not told otherwise.
DEFAULT_HOLD_TTL = timedelta(hours=4)

_SCRIPTS = {
    "open": lua.OPEN,
    "read": lua.READ,
    "move": lua.MOVE,
    "transfer": lua.TRANSFER,
    "limit": lua.LIMIT,
    "reserve": lua.RESERVE,
    "grow": lua.GROW,
    "settle": lua.SETTLE,
    "release": lua.RELEASE,
    "settle_call": lua.SETTLE_CALL,
    "adjust_many": lua.ADJUST_MANY,
    "holds": lua.HOLDS,
    "drain_records": lua.DRAIN_RECORDS,
    "drain_events": lua.DRAIN_EVENTS,
}


class RedisLedger(_Payments, _Wire, _Grid):
    """The :class:`~vosengine.ledger.Ledger` of several nodes, on the host's Redis client.

    Every operation that checks and changes money runs as one script on the server, so
    nodes reserving against one account concurrently never take it past its credit limit, and
    a transfer or a call's chain settlement is applied whole or not at all. Amounts are kept
    as integers of the grid (``decimals``), never floats, up to :data:`MAX_QUANTA`.

    Idempotency keys live in Redis for ``key_retention`` (measured by Redis' clock, not the
    business ``now``), so a request retried from any node within it is applied once. A hold
    lives ``hold_ttl`` from its reserve or last grow: a hold whose node died without settling
    or releasing it is freed by the next operation on its account, with a ``HOLD_EXPIRED``
    event (``hold_ttl`` must outlast the longest call; admission bounds every call).

    Payment records stay in Redis until a node takes them (:meth:`drain_records`, which hands
    each record to one caller only), so the host drains them into its own store. A drain whose
    reply is lost on the network loses that batch: a host that cannot afford it exports
    :meth:`records` first.

    When Redis does not answer, an operation raises :class:`~vosengine.errors.Unavailable`:
    it may or may not have been applied, and one with a key is retried safely with the same
    key; when Redis refuses to run it (a replica after a failover, out of memory), nothing
    was applied. Keys live under ``prefix``; every node of a ledger gives the same ``prefix`` and
    ``decimals`` (the first node records its ``decimals``; a node that differs is refused)."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "vosengine:ledger:",
        decimals: int = 4,
        payers: PayerRules | None = None,
        key_retention: timedelta = DEFAULT_KEY_RETENTION,
        hold_ttl: timedelta = DEFAULT_HOLD_TTL,
    ) -> None:
        if not callable(getattr(client, "register_script", None)):
            raise InvalidArgumentType(f"client: expected a redis.Redis, got {client!r}")
        from redis import exceptions  # an optional dependency: vosengine[redis]

        self._errors = exceptions
        self._set_grid(decimals)
        self.prefix = check_name(prefix, "prefix")
        if payers is None:
            payers = OperatorsOnly()
        elif not isinstance(payers, PayerRules):
            raise InvalidArgumentType(
                f"payers: expected payer rules (authorize, authorize_transfer), got {payers!r}"
            )
        self.payers = payers
        self.key_retention = key_retention
        self._retention = str(_milliseconds(key_retention, "key_retention"))
        self.hold_ttl = hold_ttl
        self._ttl = str(_milliseconds(hold_ttl, "hold_ttl"))
        self.client = client
        self._scripts = {
            name: client.register_script(lua.PRELUDE + body) for name, body in _SCRIPTS.items()
        }
        try:
            client.set(self.prefix + "decimals", decimals, nx=True)
            stored = int(_text(client.get(self.prefix + "decimals")))
        except self._errors.RedisError as error:
            raise Unavailable(f"ledger {self.prefix!r}: Redis did not answer ({error})") from error
        if stored != decimals:
            raise InvalidArgument(
                f"decimals: the ledger {self.prefix!r} in Redis keeps {stored} decimals,"
                f" not {decimals}"
            )

    def __repr__(self) -> str:
        return f"RedisLedger(prefix={self.prefix!r}, decimals={self.decimals})"

    # -- accounts ----------------------------------------------------------------------------

    def open_account(
        self,
        account_id: str,
        *,
        credit_limit: Decimal = ZERO,
        overdraft: OverdraftAction = OverdraftAction.BLOCK,
        low_balance: Decimal | None = None,
    ) -> Balance:
        """Open an account with a zero balance."""
        limit, low = self._account_terms(account_id, credit_limit, overdraft, low_balance)
        threshold = "" if low is None else self._quanta(low, "low_balance")
        args = [account_id, self._quanta(limit, "credit_limit"), overdraft.value, threshold]
        self._run("open", None, args, accounts=(account_id,))
        return Balance(account_id=account_id, balance=ZERO, credit_limit=limit, reserved=ZERO)

    def balance(self, account_id: str) -> Balance:
        """The account's balance, credit limit, reserved and available amounts (overdue
        holds freed first)."""
        check_str(account_id, "account_id")
        reply = self._run("read", None, [account_id], accounts=(account_id,))
        balance, limit, reserved = (self._money(x) for x in reply)
        return Balance(
            account_id=account_id, balance=balance, credit_limit=limit, reserved=reserved
        )

    def available(self, account_id: str) -> Decimal:
        """What a new call may still use."""
        return self.balance(account_id).available

    def records(self, *, account_id: str | None = None) -> list[PaymentRecord]:
        """Payment records not drained yet, oldest first: of one account, or all."""
        key = "rec" if account_id is None else "rec:" + check_str(account_id, "account_id")
        return [self._record(t) for t in self._call(self.client.lrange, self.prefix + key, 0, -1)]

    def drain_records(self) -> list[PaymentRecord]:
        """Every payment record since the last call, oldest first, handed over and no longer
        kept (balances, holds and keys stay)."""
        return [self._record(t) for t in self._run("drain_records", None, [])]

    def open_reservations(self, *, account_id: str | None = None) -> list[Reservation]:
        """The open holds, oldest first: of one account (its overdue ones freed first), or
        all."""
        args = [] if account_id is None else [check_str(account_id, "account_id")]
        reply = self._run("holds", None, args, accounts=args)
        return sorted((self._reservation(t) for t in reply), key=lambda r: r.id)

    def drain_events(self) -> list[LedgerEvent]:
        """The events since the last call, oldest first."""
        return [self._event(json.loads(t)) for t in self._run("drain_events", None, [])]

    # -- payments ----------------------------------------------------------------------------

    def _move(
        self,
        kind: PaymentKind,
        account_id: str,
        delta: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str,
        require_funds: bool,
    ) -> PaymentRecord:
        check_aware(now, "now")
        check_str(account_id, "account_id")
        _check_key(key, "key")
        check_str(memo, "memo")
        label = self.payers.authorize(actor, account_id, now=now)
        request = json.dumps(_request(kind, account_id, delta, actor, memo), default=str)
        args = [
            kind.value,
            account_id,
            self._quanta(delta, "amount"),
            "1" if require_funds else "0",
        ]
        args += [key, request, label, memo, self._retention]
        try:
            reply = self._run("move", now, args, accounts=(account_id,))
        except _Funds as funds:
            raise InsufficientFunds(
                f"account {account_id!r} has {funds.available} available,"
                f" {delta.copy_negate()} needed",
                account_id=account_id,
                available=funds.available,
            ) from None
        return self._record(self._outcome(key, request, reply))

    def adjust_many(
        self, postings: Sequence[Posting], *, actor: Actor, now: datetime
    ) -> list[PaymentRecord]:
        """:meth:`adjust` for each of ``postings``, all of them or none, in one script (see
        :meth:`InMemoryLedger.adjust_many <vosengine.ledger.InMemoryLedger.adjust_many>`)."""
        check_aware(now, "now")
        args = [self._retention]
        accounts: list[str] = []
        requests: dict[str, str] = {}
        for index, (account_id, amount, key, memo) in enumerate(
            _checked_postings(postings, self._adjustment)
        ):
            check_str(account_id, f"postings[{index}].account_id")
            accounts.append(account_id)
            label = self.payers.authorize(actor, account_id, now=now)
            request = json.dumps(
                _request(PaymentKind.ADJUST, account_id, amount, actor, memo), default=str
            )
            if requests.setdefault(key, request) != request:
                _same_request(key, tuple(json.loads(requests[key])), tuple(json.loads(request)))
            args += [account_id, self._quanta(amount, f"postings[{index}].amount"), key]
            args += [request, label, memo]
        try:
            reply = self._run("adjust_many", now, args, accounts=accounts)
        except self._errors.ResponseError as error:
            code, _, detail = str(error).partition(" ")
            if code != "VOSCONFLICT":
                raise
            key, first = json.loads(detail)
            _same_request(key, tuple(json.loads(first)), tuple(json.loads(requests[key])))
            raise  # not reached: the requests differ
        return [self._record(data) for data in json.loads(_text(reply))]

    def transfer(
        self,
        source: str,
        target: str,
        amount: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> tuple[PaymentRecord, PaymentRecord]:
        """Move ``amount`` from ``source`` to ``target``: both records, or neither."""
        amount = self._amount(amount, "amount")
        check_aware(now, "now")
        check_str(source, "source")
        check_str(target, "target")
        _check_key(key, "key")
        check_str(memo, "memo")
        if source == target:
            raise InvalidArgument("target: cannot transfer to the same account")
        label = self.payers.authorize_transfer(actor, source, target, now=now)
        request = json.dumps(("transfer", source, target, amount, str(actor), memo), default=str)
        args = [source, target, self._quanta(amount, "amount"), key, request, label, memo]
        try:
            reply = self._run("transfer", now, [*args, self._retention], accounts=(source, target))
        except _Funds as funds:
            raise InsufficientFunds(
                f"account {source!r} has {funds.available} available, {amount} needed",
                account_id=source,
                available=funds.available,
            ) from None
        out, into = json.loads(self._outcome(key, request, reply))
        return self._record(out), self._record(into)

    def set_credit_limit(
        self,
        account_id: str,
        limit: Decimal,
        *,
        key: str,
        actor: Actor,
        now: datetime,
        memo: str = "",
    ) -> PaymentRecord:
        """Set how far below zero the balance may go (>= 0)."""
        limit = self._at_least_zero(limit, "limit")
        check_aware(now, "now")
        check_str(account_id, "account_id")
        _check_key(key, "key")
        check_str(memo, "memo")
        label = self.payers.authorize(actor, account_id, now=now)
        request = json.dumps(("credit_limit", account_id, limit, str(actor), memo), default=str)
        args = [account_id, self._quanta(limit, "limit"), key, request, label, memo]
        reply = self._run("limit", now, [*args, self._retention], accounts=(account_id,))
        return self._record(self._outcome(key, request, reply))

    # -- calls in progress -------------------------------------------------------------------

    def reserve(
        self, account_id: str, amount: Decimal, call_id: str, *, now: datetime
    ) -> Reservation:
        """Hold ``amount`` (>= 0) for a call, by the account's overdraft rule (see
        :meth:`InMemoryLedger.reserve <vosengine.ledger.InMemoryLedger.reserve>`)."""
        amount = self._at_least_zero(amount, "amount")
        check_aware(now, "now")
        check_str(account_id, "account_id")
        check_str(call_id, "call_id")
        args = [account_id, self._quanta(amount, "amount"), call_id, self._ttl]
        try:
            return self._reservation(self._run("reserve", now, args, accounts=(account_id,)))
        except _Funds as funds:
            raise hold_refused(account_id, call_id, amount, funds.available) from None

    def grow(self, reservation_id: int, amount: Decimal, *, now: datetime) -> Reservation:
        """Hold ``amount`` (> 0) more for an open reservation's call; its deadline starts
        again."""
        amount = self._amount(amount, "amount")
        check_aware(now, "now")
        hid = self._hold_id(reservation_id)
        try:
            return self._reservation(
                self._run("grow", now, [hid, self._quanta(amount, "amount"), self._ttl])
            )
        except _NoHold:
            raise UnknownReservation(f"reservation {reservation_id!r} is not open") from None
        except _Funds as funds:
            held = self._held(reservation_id)
            raise hold_refused(held.account_id, held.call_id, amount, funds.available) from None

    def _held(self, reservation_id: int) -> Reservation:
        text = self._call(self.client.hmget, f"{self.prefix}h:{reservation_id}", "a", "m", "c", "t")
        account_id, amount, call_id, at = (None if t is None else _text(t) for t in text)
        if account_id is None or amount is None or call_id is None or at is None:
            raise UnknownReservation(f"reservation {reservation_id!r} is not open")
        return Reservation(
            reservation_id, account_id, self._money(amount), call_id, datetime.fromisoformat(at)
        )

    @staticmethod
    def _hold_id(reservation_id: object) -> str:
        check_type(reservation_id, int, "reservation_id")
        if isinstance(reservation_id, bool):
            raise InvalidArgumentType(f"reservation_id: expected an int, got {reservation_id!r}")
        return str(reservation_id)

    def settle(self, reservation_id: int, charge: Decimal, *, now: datetime) -> PaymentRecord:
        """Charge a call's cost (>= 0, may exceed what was held) and free its hold."""
        charge = self._at_least_zero(charge, "charge")
        check_aware(now, "now")
        hid = self._hold_id(reservation_id)
        try:
            return self._record(self._run("settle", now, [hid, self._quanta(charge, "charge")]))
        except _NoHold:
            raise UnknownReservation(f"reservation {reservation_id!r} is not open") from None

    def settle_call(
        self,
        reservation_id: int,
        charges: Sequence[tuple[str, Decimal]],
        *,
        key: str,
        now: datetime,
    ) -> tuple[PaymentRecord, ...]:
        """Settle a call along its agent chain, all levels or none, idempotent by ``key``
        (see :meth:`InMemoryLedger.settle_call
        <vosengine.ledger.InMemoryLedger.settle_call>`)."""
        _check_key(key, "key")
        check_aware(now, "now")
        checked = _checked_charges(charges, self._at_least_zero)
        hid = self._hold_id(reservation_id)
        request = json.dumps(("call", reservation_id, checked), default=str)
        args = [hid, key, request, self._retention]
        for index, (account_id, amount) in enumerate(checked):
            args += [account_id, self._quanta(amount, f"charges[{index}].amount")]
        try:
            reply = self._run(
                "settle_call", now, args, accounts=[account_id for account_id, _ in checked]
            )
        except _NoHold:
            raise UnknownReservation(f"reservation {reservation_id!r} is not open") from None
        except self._errors.ResponseError as error:
            code, _, owner = str(error).partition(" ")
            if code != "VOSNOTOWN":
                raise
            raise InvalidArgument(
                f"charges[0]: {checked[0][0]!r} is not the account of reservation"
                f" {reservation_id} ({owner!r})"
            ) from None
        return tuple(self._record(data) for data in json.loads(self._outcome(key, request, reply)))

    def release(self, reservation_id: int, *, now: datetime) -> None:
        """Free a hold unused (the call failed)."""
        check_aware(now, "now")
        try:
            self._run("release", now, [self._hold_id(reservation_id)])
        except _NoHold:
            raise UnknownReservation(f"reservation {reservation_id!r} is not open") from None

    def _check(self) -> None:
        """Assert the ledger's invariants: money is conserved and holds add up (reads every
        key of the ledger: for tests)."""
        holds: dict[str, list[Decimal]] = {}
        for reservation in self.open_reservations():
            holds.setdefault(reservation.account_id, []).append(reservation.amount)
        for key in self.client.scan_iter(match=self.prefix + "a:*"):
            account_id = _text(key)[len(self.prefix) + 2 :]
            fields = self.client.hgetall(key).items()
            state = {_text(k): self._money(v) for k, v in fields if _text(k) in ("b", "r", "d")}
            kept = total(
                r.amount
                for r in self.records(account_id=account_id)
                if r.kind is not PaymentKind.CREDIT_LIMIT
            )
            assert CONTEXT.add(state["d"], kept) == state["b"], (account_id, state, kept)
            assert total(holds.get(account_id, [])) == state["r"], (account_id, state)
