"""Phone cards: batches with secure PINs, look-up by PIN, activation onto the ledger, states,
and who may touch them."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from vosengine.accounts import (
    CALLING_CARD,
    RETAIL,
    Account,
    AccountDirectory,
    AccountStatus,
    Operator,
    PermissionDenied,
)
from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.inventory import DuplicateItem, Inventory, PhoneCard, UnknownItem
from vosengine.inventory._card_values import MIN_GUESSES, _patterned, new_pins
from vosengine.ledger import InMemoryLedger

from .test_inventory import unchanged

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
OP = Operator(name="root")
KEY = b"k" * 32


def world(**kw: Any) -> tuple[AccountDirectory, InMemoryLedger, Inventory]:
    """A calling-card distributor ``cards`` with a sub-distributor ``shop``, and an unrelated
    retail agent ``retail`` without the phone card authorization."""
    d = AccountDirectory()
    d.add(Account(id="cards", authorizations=CALLING_CARD), actor=OP, now=NOW)
    d.add(Account(id="shop", parent_id="cards", authorizations=CALLING_CARD), actor=OP, now=NOW)
    d.add(Account(id="retail", authorizations=RETAIL), actor=OP, now=NOW)
    d.add(Account(id="r1", parent_id="retail"), actor=OP, now=NOW)
    ledger = InMemoryLedger()
    kw.setdefault("rng", random.Random(15))
    return d, ledger, Inventory(d, realm="vos.example.com", ledger=ledger, pin_key=KEY, **kw)


def test_a_batch_is_printed_once_and_kept_as_digests() -> None:
    _, _, inventory = world()
    expires = NOW + timedelta(days=180)
    made = inventory.generate_cards(
        50, batch="B7", face_value="5.00", account_id="shop", expires_at=expires,
        rate_group="intl", actor="cards", now=NOW,
    )  # fmt: skip
    assert len(made) == 50 and len(set(made.pins)) == 50
    assert [c.serial for c in made.cards][:2] == ["B7-000001", "B7-000002"]
    assert all(len(pin) == 12 and pin.isdigit() for pin in made.pins)
    rows = list(csv.DictReader(io.StringIO(made.to_csv())))
    assert rows[0] == {
        "serial": "B7-000001",
        "pin": made.pins[0],
        "face_value": "5.00",
        "expires_at": expires.isoformat(),
        "rate_group": "intl",
    }
    kept = json.dumps(inventory.to_dict())
    assert not any(pin in kept for pin in made.pins)
    assert all(pin not in repr(made) + repr(made.cards) for pin in made.pins)
    for card, pin in zip(made.cards, made.pins, strict=True):
        assert inventory.card_by_pin(pin) is card
    assert inventory.card_by_pin("000000000000") is None
    assert inventory.card_by_pin(made.pins[0][:-1]) is None
    assert inventory.cards(batch="B7") == list(made.cards)
    [record] = inventory.audit_log()
    assert (record.action, record.kind, record.key, record.account_id, record.detail) == (
        "generate_cards",
        "batch",
        "B7",
        "shop",
        "50 cards of 5.00",
    )
    message = unchanged(
        inventory,
        lambda: inventory.generate_cards(1, batch="B7", face_value=1, actor=OP, now=NOW),
        DuplicateItem,
    )
    assert "a batch 'B7' exists already" in message


def test_only_distributors_make_cards_inside_their_own_subtree() -> None:
    _, _, inventory = world()
    for actor, account, message in (
        ("retail", "r1", "lacks the 'phone_card' authorization"),
        ("shop", "cards", "outside the scope of agent 'shop'"),
        ("cards", "r1", "outside the scope of agent 'cards'"),
        ("cards", None, "may not add_phone_card the operator's stock cards"),
    ):
        error = unchanged(
            inventory,
            lambda actor=actor, account=account: inventory.generate_cards(
                1, batch="X", face_value=1, account_id=account, actor=actor, now=NOW
            ),
            PermissionDenied,
        )
        assert message in error
    stock = inventory.generate_cards(2, batch="S", face_value=1, actor=OP, now=NOW)
    assert stock.cards[0].account_id is None
    unchanged(
        inventory,
        lambda: inventory.activate_card("S-000001", actor="cards", now=NOW),
        PermissionDenied,
    )
    shop = inventory.generate_cards(
        1, batch="P", face_value=1, account_id="shop", actor="cards", now=NOW
    )
    card = shop.cards[0]
    unchanged(
        inventory,
        lambda: inventory.modify_card(
            attrs.evolve(card, account_id="cards"), actor="shop", now=NOW
        ),
        PermissionDenied,
    )
    moved = inventory.modify_card(attrs.evolve(card, rate_group="x"), actor="shop", now=NOW)
    assert moved.rate_group == "x"
    unchanged(
        inventory,
        lambda: inventory.remove_card(card.serial, actor="retail", now=NOW),
        PermissionDenied,
    )
    assert inventory.remove_card(card.serial, actor="cards", now=NOW) == moved
    assert inventory.card_by_pin(shop.pins[0]) is None
    unchanged(inventory, lambda: inventory.card(card.serial), UnknownItem)


def test_a_card_lives_new_active_exhausted_expired() -> None:
    d, ledger, inventory = world()
    expires = NOW + timedelta(days=30)
    made = inventory.generate_cards(
        2,
        batch="L",
        face_value="2.50",
        account_id="shop",
        expires_at=expires,
        actor="shop",
        now=NOW,
    )
    card = made.cards[0]
    assert inventory.card_state(card, at=NOW) == "new"
    active = inventory.activate_card(card.serial, actor="shop", now=NOW)
    assert active.activated_at == NOW and inventory.card(card.serial) == active
    assert ledger.balance(card.ledger_account).balance == Decimal("2.50")
    assert inventory.card_state(active, at=NOW) == "active"
    message = unchanged(
        inventory, lambda: inventory.activate_card(card.serial, actor=OP, now=NOW), InvalidArgument
    )
    assert "was activated" in message
    assert ledger.balance(card.ledger_account).balance == Decimal("2.50")  # credited once
    ledger.deduct(card.ledger_account, Decimal("2.50"), key="spent", actor=OP, now=NOW)
    assert inventory.card_state(active, at=NOW) == "exhausted"
    assert inventory.card_state(active, at=expires) == "expired"
    d.update("cards", actor=OP, now=NOW, status=AccountStatus.LOCKED)
    assert inventory.card_state(inventory.card(made.cards[1].serial), at=NOW) == "new"
    assert inventory.card_state(attrs.evolve(active, locked=False), at=NOW) == "locked"
    d.update("cards", actor=OP, now=NOW, status=AccountStatus.ACTIVE)
    locked = inventory.modify_card(attrs.evolve(active, locked=True), actor=OP, now=NOW)
    assert inventory.card_state(locked, at=NOW) == "locked"
    for change, field in (({"face_value": Decimal(9)}, "face_value"), ({"batch": "Z"}, "batch")):
        message = unchanged(
            inventory,
            lambda change=change: inventory.modify_card(
                attrs.evolve(locked, **change), actor=OP, now=NOW
            ),
            InvalidArgument,
        )
        assert message.startswith(f"{field}: ")


def test_activation_credits_once_after_a_failed_try() -> None:
    _, ledger, inventory = world()
    card = inventory.generate_cards(1, batch="R", face_value=3, actor=OP, now=NOW).cards[0]
    ledger.open_account(card.ledger_account)  # as a try that failed after opening it leaves it
    inventory.activate_card(card.serial, actor=OP, now=NOW)
    assert ledger.balance(card.ledger_account).balance == 3


def test_cards_need_a_key_a_ledger_and_a_pin_space_large_enough() -> None:
    d = AccountDirectory()
    bare = Inventory(d, realm="r")
    message = unchanged(
        bare,
        lambda: bare.generate_cards(1, batch="A", face_value=1, actor=OP, now=NOW),
        InvalidArgument,
    )
    assert "pin_key: the inventory needs one" in message
    keyed = Inventory(d, realm="r", pin_key=KEY)
    card = keyed.generate_cards(1, batch="A", face_value=1, actor=OP, now=NOW).cards[0]
    message = unchanged(
        keyed, lambda: keyed.activate_card(card.serial, actor=OP, now=NOW), InvalidArgument
    )
    assert "ledger: the inventory needs one" in message
    with pytest.raises(InvalidArgument, match="pin_key: expected at least 16"):
        Inventory(d, realm="r", pin_key=b"short")
    for kwargs, error, message in (
        ({"pin_length": 6}, InvalidArgument, "fewer than 1,000,000 per card"),
        ({"pin_length": 3}, InvalidArgument, "pin_length: 3 is outside 4..64"),
        ({"alphabet": "00123"}, InvalidArgument, "each once"),
        ({"alphabet": "01,"}, InvalidArgument, "a printer cannot show"),
        ({"face_value": 0}, InvalidArgument, "face_value: 0 is not positive"),
        ({"face_value": 1.5}, InvalidArgumentType, "face_value: 1.5 is a float"),
        ({"batch": "A-1"}, InvalidArgument, "holds '-'"),
        ({"count": 0}, InvalidArgument, "count: 0 is outside"),
        ({"expires_at": datetime(2027, 1, 1)}, InvalidArgument, "expires_at: .* no time zone"),
    ):
        arguments: dict[str, Any] = {"count": 2, "batch": "B", "face_value": 1, **kwargs}
        count = arguments.pop("count")
        with pytest.raises(error, match=message):
            keyed.generate_cards(count, **arguments, actor=OP, now=NOW)
    assert keyed.cards() == [card]


def test_a_million_pins_are_unique_unpatterned_and_unrelated() -> None:
    """1,000,000 PINs from the operating system's generator: no repeat, no guessable PIN,
    every digit equally likely in every position, and nothing relating a PIN to the next."""
    count = 1_000_000
    pins = new_pins(
        count, length=12, alphabet="0123456789", rng=random.SystemRandom(), taken=lambda _: False
    )
    assert len(pins) == count and len(set(pins)) == count
    assert not any(_patterned(pin, "0123456789") for pin in pins[:100_000])
    # each position: every digit near count / 10 (chi-square, 9 degrees of freedom: p < 1e-6
    # beyond 50)
    for position in (0, 5, 11):
        counts = [0] * 10
        for pin in pins:
            counts[ord(pin[position]) - 48] += 1
        chi2 = sum((c - count / 10) ** 2 / (count / 10) for c in counts)
        assert chi2 < 50, (position, counts)
    # consecutive PINs: their values uncorrelated, their differences never a fixed step
    values = [int(pin) for pin in pins[:200_000]]
    correlation = statistics.correlation(values[:-1], values[1:])
    assert abs(correlation) < 0.02
    steps = [b - a for a, b in itertools.pairwise(values)]
    assert len(set(steps)) > len(steps) * 0.99


def test_pins_avoid_those_taken_and_the_patterned() -> None:
    rng = random.Random(3)
    taken = set(new_pins(10, length=24, alphabet="01", rng=random.Random(3), taken=lambda _: False))
    fresh = new_pins(10, length=24, alphabet="01", rng=rng, taken=taken.__contains__)
    assert not set(fresh) & taken
    assert (
        _patterned("0000", "01") and _patterned("ABCD", "ABCDE") and not _patterned("ABDC", "ABCDE")
    )
    with pytest.raises(InvalidArgument, match="fewer than"):
        new_pins(2, length=20, alphabet="01", rng=rng, taken=lambda _: False)
    assert 2 * MIN_GUESSES > 2**20  # why: 20 bits leave fewer than a million per card


def test_card_snapshots_need_the_same_pin_key() -> None:
    d, ledger, inventory = world()
    made = inventory.generate_cards(
        3, batch="S", face_value="1.5", account_id="shop", actor=OP, now=NOW
    )
    inventory.activate_card(made.cards[0].serial, actor=OP, now=NOW)
    data = json.loads(json.dumps(inventory.to_dict()))
    restored = Inventory.from_dict(data, directory=d, ledger=ledger, pin_key=KEY)
    assert restored.to_dict() == inventory.to_dict()
    assert restored.card_by_pin(made.pins[2]) == made.cards[2]
    restored._check()
    for key, message in ((None, "give their pin_key"), (b"x" * 32, "not the key")):
        with pytest.raises(InvalidArgument, match=message):
            Inventory.from_dict(data, directory=d, pin_key=key)
    data["cards"].append(dict(data["cards"][0]))
    with pytest.raises(DuplicateItem, match=r"cards\[3\]"):
        Inventory.from_dict(data, directory=d, pin_key=KEY)
    copy = inventory.snapshot()
    assert copy.to_dict() == inventory.to_dict() and copy.ledger is ledger
    assert isinstance(copy.card(made.cards[0].serial), PhoneCard)


def test_every_state_but_active_has_its_termination_reason() -> None:
    """The states the inventory answers with, each mapped to what a switch answers a call."""
    from vosengine.inventory import STATE_REASONS
    from vosengine.reasons import TerminationReason as R

    _, ledger, inventory = world()
    card = inventory.generate_cards(1, batch="Q", face_value=1, actor=OP, now=NOW).cards[0]
    states = {inventory.card_state(card, at=NOW)}
    card = inventory.activate_card(card.serial, actor=OP, now=NOW)
    ledger.deduct(card.ledger_account, Decimal(1), key="all", actor=OP, now=NOW)
    states.add(inventory.card_state(card, at=NOW))
    states.add(inventory.card_state(attrs.evolve(card, expires_at=NOW), at=NOW))
    states.add(inventory.card_state(attrs.evolve(card, locked=True), at=NOW))
    assert states == {"new", "exhausted", "expired", "locked"}
    assert {STATE_REASONS[state] for state in states} == {
        R.ACCOUNT_INACTIVE,
        R.INSUFFICIENT_BALANCE,
        R.ACCOUNT_EXPIRED,
        R.ACCOUNT_LOCKED,
    }
    assert set(STATE_REASONS) == states | {"inactive", "removed"}
