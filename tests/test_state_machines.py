"""Model-based tests: a Hypothesis ``RuleBasedStateMachine`` applies each step to the real
ledger (and registrar) and to a plain model, and compares them after every step; the
object's own ``_check()`` asserts its internal invariants as well."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from vosengine.accounts import Operator
from vosengine.errors import VosEngineError
from vosengine.ledger import (
    InMemoryLedger,
    InsufficientFunds,
    OverdraftAction,
    UnknownLedgerAccount,
    UnknownReservation,
)
from vosengine.sip import AuthMethod, DigestAuthenticator, Registrar, SipAccount, parse, parse_uri

OP = Operator(name="root")
START = datetime(2026, 3, 1, tzinfo=UTC)
NAMES = ("a", "b", "c")
# amounts in hundredths, so the model adds integers
cents = st.integers(1, 5_000)


def _money(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


@dataclass
class _Account:
    overdraft: OverdraftAction
    balance: int = 0
    credit: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.balance + self.credit - self.reserved


class LedgerMachine(RuleBasedStateMachine):
    """Recharges, deductions, adjustments, transfers, credit limits, reservations, settles,
    releases and replays against integers."""

    reservations = Bundle("reservations")

    def __init__(self) -> None:
        super().__init__()
        self.ledger = InMemoryLedger(decimals=2)
        self.model: dict[str, _Account] = {}
        self.open: dict[int, tuple[str, int]] = {}
        self.keys = itertools.count()
        self.now = START
        self.done: list[tuple[str, Any, Any]] = []  # (key, call, first result)

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def _key(self) -> str:
        return f"k{next(self.keys)}"

    @rule(
        name=st.sampled_from(NAMES),
        credit=st.integers(0, 2_000),
        overdraft=st.sampled_from(OverdraftAction),
    )
    def open_account(self, name: str, credit: int, overdraft: OverdraftAction) -> None:
        if name in self.model:
            with pytest.raises(VosEngineError):
                self.ledger.open_account(name, credit_limit=_money(credit), overdraft=overdraft)
            return
        self.ledger.open_account(name, credit_limit=_money(credit), overdraft=overdraft)
        self.model[name] = _Account(overdraft=overdraft, credit=credit)

    @rule(name=st.sampled_from((*NAMES, "ghost")), amount=cents)
    def recharge(self, name: str, amount: int) -> None:
        key = self._key()

        def call() -> Any:
            return self.ledger.recharge(name, _money(amount), key=key, actor=OP, now=self.now)

        if name not in self.model:
            with pytest.raises(UnknownLedgerAccount):
                call()
            return
        record = call()
        self.model[name].balance += amount
        assert record.amount == _money(amount)
        self.done.append((key, call, record))

    @rule(name=st.sampled_from(NAMES), amount=cents)
    def deduct(self, name: str, amount: int) -> None:
        if name not in self.model:
            return
        account = self.model[name]
        key = self._key()

        def call() -> Any:
            return self.ledger.deduct(name, _money(amount), key=key, actor=OP, now=self.now)

        if amount > account.available:
            with pytest.raises(InsufficientFunds):
                call()
            return
        self.done.append((key, call, call()))
        account.balance -= amount

    @rule(name=st.sampled_from(NAMES), amount=cents, negative=st.booleans())
    def adjust(self, name: str, amount: int, negative: bool) -> None:
        if name not in self.model:
            return
        delta = -amount if negative else amount
        record = self.ledger.adjust(name, _money(delta), key=self._key(), actor=OP, now=self.now)
        self.model[name].balance += delta
        assert record.balance_after == _money(self.model[name].balance)

    @rule(payer=st.sampled_from(NAMES), payee=st.sampled_from(NAMES), amount=cents)
    def transfer(self, payer: str, payee: str, amount: int) -> None:
        if payer == payee or payer not in self.model or payee not in self.model:
            return

        def call() -> Any:
            return self.ledger.transfer(
                payer, payee, _money(amount), key=self._key(), actor=OP, now=self._tick()
            )

        if amount > self.model[payer].available:
            with pytest.raises(InsufficientFunds):
                call()
            return
        call()
        self.model[payer].balance -= amount
        self.model[payee].balance += amount

    @rule(name=st.sampled_from(NAMES), limit=st.integers(0, 3_000))
    def set_credit_limit(self, name: str, limit: int) -> None:
        if name not in self.model:
            return
        self.ledger.set_credit_limit(name, _money(limit), key=self._key(), actor=OP, now=self.now)
        self.model[name].credit = limit

    @rule(target=reservations, name=st.sampled_from(NAMES), amount=st.integers(0, 3_000))
    def reserve(self, name: str, amount: int) -> int:
        if name not in self.model:
            return -1
        account = self.model[name]
        if amount > account.available and account.overdraft is not OverdraftAction.WARN:
            with pytest.raises(InsufficientFunds):
                self.ledger.reserve(name, _money(amount), "call", now=self.now)
            return -1
        reservation = self.ledger.reserve(name, _money(amount), "call", now=self.now)
        account.reserved += amount
        self.open[reservation.id] = (name, amount)
        return reservation.id

    @rule(reservation=consumes(reservations), charge=st.integers(0, 4_000))
    def settle(self, reservation: int, charge: int) -> None:
        if reservation not in self.open:
            with pytest.raises(UnknownReservation):
                self.ledger.settle(reservation, _money(charge), now=self.now)
            return
        name, held = self.open.pop(reservation)
        record = self.ledger.settle(reservation, _money(charge), now=self.now)
        assert record.amount == _money(-charge)
        self.model[name].reserved -= held
        self.model[name].balance -= charge

    @rule(reservation=consumes(reservations))
    def release(self, reservation: int) -> None:
        if reservation not in self.open:
            with pytest.raises(UnknownReservation):
                self.ledger.release(reservation, now=self.now)
            return
        name, held = self.open.pop(reservation)
        self.ledger.release(reservation, now=self.now)
        self.model[name].reserved -= held

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        """A retried request (same key, same arguments) returns the first result and changes
        nothing."""
        _, call, first = data.draw(st.sampled_from(self.done))
        assert call() == first

    @invariant()
    def balances_agree(self) -> None:
        for name, account in self.model.items():
            balance = self.ledger.balance(name)
            assert balance.balance == _money(account.balance), name
            assert balance.credit_limit == _money(account.credit), name
            assert balance.reserved == _money(account.reserved), name
            assert balance.available == _money(account.available), name
        assert {r.id: (r.account_id, r.amount) for r in self.ledger.open_reservations()} == {
            rid: (name, _money(held)) for rid, (name, held) in self.open.items()
        }
        self.ledger._check()


LedgerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestLedgerMachine = LedgerMachine.TestCase


# -- the registrar ----------------------------------------------------------------------------

REALM = "vos.example.com"
SOURCE = ("192.0.2.10", 5060)
USERS = ("1001", "1002")
CONTACTS = tuple(f"sip:{n}@192.0.2.10:50{n}" for n in range(60, 65))
MIN, MAX, MAX_CONTACTS = 60, 3600, 3


class _Store:
    def __init__(self) -> None:
        self.accounts = {
            user: SipAccount(username=user, auth=AuthMethod.IP, addresses=("192.0.2.0/24",))
            for user in USERS
        }

    def lookup(self, username: str, *, now: float) -> SipAccount | None:
        return self.accounts.get(username)


def _aor(user: str) -> str:
    return parse_uri(f"sip:{user}@{REALM}").aor


class RegistrarMachine(RuleBasedStateMachine):
    """REGISTERs adding, refreshing and removing contacts (one or several at once, with a
    header or per-contact expiry, the ``*`` form), refused ones (too brief, too many), and
    the clock running out bindings, against a dict of deadlines."""

    def __init__(self) -> None:
        super().__init__()
        self.registrar = Registrar(
            _Store(),
            DigestAuthenticator(REALM, b"0123456789abcdef-server-secret"),
            min_expires=MIN,
            max_expires=MAX,
            max_contacts=MAX_CONTACTS,
        )
        self.model: dict[str, dict[str, float]] = {}
        self.now = 1000.0
        self.requests = itertools.count(1)

    def _send(self, user: str, contacts: list[str], expires: int | None) -> int:
        n = next(self.requests)
        lines = [
            f"REGISTER sip:{REALM} SIP/2.0",
            f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{n}",
            "Max-Forwards: 70",
            f"From: <sip:{user}@{REALM}>;tag=f{n}",
            f"To: <sip:{user}@{REALM}>",
            f"Call-ID: reg-{n}",
            f"CSeq: {n} REGISTER",
            *[f"Contact: {c}" for c in contacts],
            *([f"Expires: {expires}"] if expires is not None else []),
            "Content-Length: 0",
            "",
            "",
        ]
        request = parse("\r\n".join(lines).encode())
        return self.registrar.handle(request, SOURCE, now=self.now).status  # type: ignore[arg-type]

    @rule(
        user=st.sampled_from(USERS),
        plan=st.dictionaries(
            st.sampled_from(CONTACTS),
            st.sampled_from([None, 0, 30, MIN, 600, MAX, MAX + 1000]),
            min_size=1,
            max_size=4,
        ),
        header=st.sampled_from([None, 0, MIN, 900]),
    )
    def register(self, user: str, plan: dict[str, int | None], header: int | None) -> None:
        contacts = [c if e is None else f"<{c}>;expires={e}" for c, e in plan.items()]
        status = self._send(user, contacts, header)
        current = self.model.get(_aor(user), {})
        wanted = {
            c: (e if e is not None else header if header is not None else MAX)
            for c, e in plan.items()
        }
        if any(0 < e < MIN for e in wanted.values()):
            assert status == 423
            return
        kept = {c for c in current if wanted.get(c, 1) != 0} | {
            c for c, e in wanted.items() if e != 0
        }
        if len(current) + len(wanted) > MAX_CONTACTS and len(kept) > MAX_CONTACTS:
            assert status == 503
            return
        assert status == 200
        bindings = self.model.setdefault(_aor(user), {})
        for contact, expires in wanted.items():
            if expires == 0:
                bindings.pop(contact, None)
            else:
                bindings[contact] = self.now + min(expires, MAX)
        if not bindings:
            del self.model[_aor(user)]

    @rule(user=st.sampled_from(USERS))
    def unregister_all(self, user: str) -> None:
        assert self._send(user, ["*"], 0) == 200
        self.model.pop(_aor(user), None)

    @rule(seconds=st.sampled_from([1.0, 59.0, 600.0, 3600.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        gone = {(b.aor, b.contact) for b in self.registrar.expire(now=self.now)}
        expected = {
            (aor, contact)
            for aor, bindings in self.model.items()
            for contact, deadline in bindings.items()
            if deadline <= self.now
        }
        assert gone == expected
        for aor, contact in gone:
            del self.model[aor][contact]
            if not self.model[aor]:
                del self.model[aor]

    @invariant()
    def bindings_agree(self) -> None:
        online = {(b.aor, b.contact): b.expires_at for b in self.registrar.online()}
        assert online == {
            (aor, contact): deadline
            for aor, bindings in self.model.items()
            for contact, deadline in bindings.items()
        }
        deadlines = [d for bindings in self.model.values() for d in bindings.values()]
        assert self.registrar.next_deadline() == (min(deadlines) if deadlines else None)
        self.registrar._check()


RegistrarMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None
)
TestRegistrarMachine = RegistrarMachine.TestCase
