"""The inventory's phone cards: batches generated with secure PINs, looked up by PIN,
activated onto their own ledger accounts, and their state at a time."""

from __future__ import annotations

import hmac
from datetime import datetime
from decimal import Decimal

import attrs

from .._actors import Actor, Operator, actor_label
from .._checks import check_name, check_type, not_a_key
from .._time import check_aware
from ..accounts import AgentAction
from ..errors import InvalidArgument, InvalidArgumentType, PermissionDenied
from ..ledger import UnknownLedgerAccount
from ..verdicts import Decision
from ._card_values import CardBatch, PhoneCard, check_alphabet, new_pins, pin_digest
from ._errors import DuplicateItem, UnknownItem
from ._store import _Store
from ._values import own_state

__all__: list[str] = []

_A = AgentAction
#: Who posts a card's face value to its ledger account (the acting agent was checked by
#: the inventory; the record's memo names it).
ISSUER = Operator(name="inventory")
#: The most cards one generation makes.
MAX_BATCH = 10_000_000


class _Cards(_Store):
    """Phone cards, on the state of :class:`~vosengine.inventory.Inventory`."""

    def generate_cards(
        self,
        count: int,
        *,
        batch: str,
        face_value: Decimal | int | str,
        account_id: str | None = None,
        expires_at: datetime | None = None,
        rate_group: str = "",
        pin_length: int = 12,
        alphabet: str = "0123456789",
        actor: Actor,
        now: datetime,
    ) -> CardBatch:
        """Make ``count`` new cards of ``face_value`` in the new batch ``batch`` (serials
        ``<batch>-000001`` ...), designated to ``account_id`` (an agent with "add/delete/
        modify phone card" over it, or an operator; ``None``: the operator's stock, for an
        operator only). Each PIN is ``pin_length`` symbols of ``alphabet`` drawn from the
        inventory's ``rng`` (the operating system's secure generator by default), unique in
        the inventory, never one symbol repeated nor a run (``123456``); the PIN space must
        hold a million PINs per card. Returns the :class:`CardBatch` holding the clear PINs:
        the inventory keeps their digests only. One audit record for the batch."""
        if not 1 <= check_type(count, int, "count") <= MAX_BATCH:
            raise InvalidArgument(f"count: {count} is outside 1..{MAX_BATCH:,}")
        check_name(batch, "batch")
        if "-" in batch or "," in batch:
            raise InvalidArgument(f"batch: {batch!r} holds '-' or ',' (serials are <batch>-<n>)")
        if not 4 <= check_type(pin_length, int, "pin_length") <= 64:
            raise InvalidArgument(f"pin_length: {pin_length} is outside 4..64")
        alphabet = check_alphabet(alphabet)
        check_aware(now, "now")
        template = PhoneCard(  # checks the other fields once for the whole batch
            serial=f"{batch}-1",
            batch=batch,
            pin_digest="0" * 64,
            face_value=face_value,
            account_id=account_id,
            expires_at=expires_at,
            rate_group=rate_group,
        )
        label = actor_label(actor)
        self._card_rights(actor, _A.ADD_PHONE_CARD, account_id, now)
        key = self._key()
        with self._lock:
            if batch in self._batches:
                raise DuplicateItem(f"batch: a batch {batch!r} exists already")
            digests: dict[str, str] = {}

            def taken(pin: str) -> bool:
                digest = digests[pin] = pin_digest(key, pin)
                return digest in self._pins

            pins = new_pins(count, length=pin_length, alphabet=alphabet, rng=self.rng, taken=taken)
            width = max(6, len(str(count)))
            cards = tuple(
                attrs.evolve(template, serial=f"{batch}-{n:0{width}d}", pin_digest=digests[pin])
                for n, pin in enumerate(pins, 1)
            )
            self._batches[batch] = count
            for card in cards:
                self._cards[card.serial] = card
                self._pins[card.pin_digest] = card.serial
            detail = f"{count} cards of {template.face_value}"
            self._note(
                now, label, "generate_cards", "batch", batch, account_id or "", None, None, detail
            )
        return CardBatch(batch=batch, cards=cards, pins=tuple(pins))

    def card(self, serial: str) -> PhoneCard:
        """The card with this serial; :class:`UnknownItem` when there is none."""
        try:
            return self._cards[serial]
        except KeyError:
            raise UnknownItem(f"serial: no card has serial {serial!r}") from None
        except TypeError:
            raise not_a_key(serial, "serial") from None

    def cards(self, *, batch: str | None = None, account_id: str | None = None) -> list[PhoneCard]:
        """The cards of ``batch`` and of ``account_id`` (``None``: any), by serial."""
        return sorted(
            (
                card
                for card in list(self._cards.values())
                if (batch is None or card.batch == batch)
                and (account_id is None or card.account_id == account_id)
            ),
            key=lambda card: card.serial,
        )

    def card_by_pin(self, pin: str) -> PhoneCard | None:
        """The card whose PIN is ``pin``, or ``None``. The PIN is compared as its keyed
        digest, so the time taken tells nothing of how close a guess came."""
        if not isinstance(pin, str):
            raise InvalidArgumentType(f"pin: expected a str, got {type(pin).__name__}")
        digest = pin_digest(self._key(), pin)
        serial = self._pins.get(digest)
        card = None if serial is None else self._cards.get(serial)
        if card is None or not hmac.compare_digest(card.pin_digest, digest):
            return None
        return card

    def card_state(self, card: PhoneCard, *, at: datetime) -> str:
        """What ``card`` may do at ``at``: ``"active"`` (call on its balance), or why not --
        ``"locked"``, ``"expired"``, ``"new"`` (not activated), ``"exhausted"`` (nothing
        left on its ledger account), or the status of the account it is designated to
        (``"locked"``, ``"inactive"``, ``"expired"``, ``"removed"``: that account or an
        agent above it)."""
        check_type(card, PhoneCard, "card")
        check_aware(at, "at")
        state = own_state(card.locked, card.expires_at, at)
        if state != "active":
            return state
        if card.activated_at is None:
            return "new"
        if card.account_id is not None:
            state = self._state(False, None, card.account_id, at)
            if state != "active":
                return state
        try:
            left = self._ledger().available(card.ledger_account)
        except UnknownLedgerAccount:
            return "exhausted"
        return "active" if left > 0 else "exhausted"

    def activate_card(self, serial: str, *, actor: Actor, now: datetime) -> PhoneCard:
        """Activate a new card: open its ledger account and credit its face value there
        (idempotent: a retry after a failure credits it once), then mark it activated at
        ``now``. Needs "add/delete/modify phone card" over its account (an operator for
        stock cards)."""
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.card(serial)
        self._card_rights(actor, _A.MODIFY_PHONE_CARD, old.account_id, now)
        if old.activated_at is not None:
            raise InvalidArgument(f"serial: card {serial!r} was activated at {old.activated_at}")
        if old.locked:
            raise InvalidArgument(f"serial: card {serial!r} is locked")
        ledger = self._ledger()
        try:
            ledger.open_account(old.ledger_account)
        except InvalidArgument:
            ledger.balance(old.ledger_account)  # it exists: an earlier try opened it
        ledger.recharge(
            old.ledger_account,
            old.face_value,
            key=f"card-activation:{serial}",
            actor=ISSUER,
            now=now,
            memo=f"card {serial} activated by {label}",
        )
        card = attrs.evolve(old, activated_at=now)
        self._swap(old, card, now, label, "activate_card")
        return card

    def modify_card(self, card: PhoneCard, *, actor: Actor, now: datetime) -> PhoneCard:
        """Replace the card with ``card``'s serial by ``card``: its lock, expiry, rate group
        or designation (another account needs the authorization over both; a face value only
        before activation). Its batch, PIN and activation are not the host's to change."""
        check_type(card, PhoneCard, "card")
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.card(card.serial)
        self._card_rights(actor, _A.MODIFY_PHONE_CARD, old.account_id, now)
        if card.account_id != old.account_id:
            self._card_rights(actor, _A.MODIFY_PHONE_CARD, card.account_id, now)
        for field in ("batch", "pin_digest", "activated_at"):
            if getattr(card, field) != getattr(old, field):
                raise InvalidArgument(f"{field}: a card's {field} cannot be changed")
        if card.face_value != old.face_value and old.activated_at is not None:
            raise InvalidArgument("face_value: the card is activated; its balance is the ledger's")
        if card != old:
            self._swap(old, card, now, label, "modify_card")
        return card

    def remove_card(self, serial: str, *, actor: Actor, now: datetime) -> PhoneCard:
        """Remove a card (its PIN stops working; its ledger account is the ledger's)."""
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.card(serial)
        self._card_rights(actor, _A.DELETE_PHONE_CARD, old.account_id, now)
        self._swap(old, None, now, label, "remove_card")
        return old

    # -- helpers ---------------------------------------------------------------------------

    def _swap(
        self, old: PhoneCard, new: PhoneCard | None, now: datetime, label: str, action: str
    ) -> None:
        with self._lock:
            if self._cards.get(old.serial) is not old:
                raise UnknownItem(f"serial: card {old.serial!r} changed meanwhile; try again")
            if new is None:
                del self._cards[old.serial]
                del self._pins[old.pin_digest]
            else:
                self._cards[old.serial] = new
            after = new if new is not None else old
            self._note(now, label, action, "card", old.serial, after.account_id or "", old, new)

    def _card_rights(
        self, actor: Actor, action: AgentAction, account_id: str | None, now: datetime
    ) -> None:
        if account_id is not None:
            self.directory.require(actor, action, account_id, now=now)
        elif not isinstance(actor, Operator):
            actor_label(actor)
            raise PermissionDenied(
                Decision(
                    allowed=False,
                    reason=f"agent {actor!r} may not {action.value} the operator's stock cards",
                )
            )
