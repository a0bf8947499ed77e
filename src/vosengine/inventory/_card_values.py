"""Prepaid phone cards: the :class:`PhoneCard` value, its PIN (made by a cryptographically
secure generator, kept only as a keyed digest), and the :class:`CardBatch` a generation
returns -- the one place the clear PINs ever appear, for printing."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from .._checks import check_name, check_str, check_type, of_type
from .._time import aware_validator
from ..errors import InvalidArgument
from ..money import to_decimal
from ._fields import date_field, fields_of, stamp

__all__ = ["CardBatch", "PhoneCard", "new_pins", "pin_digest"]

#: How many guesses per card the PIN space must leave at least: ``len(alphabet) **
#: pin_length`` must reach ``count × MIN_GUESSES`` for a batch of ``count`` cards.
MIN_GUESSES = 1_000_000


def pin_digest(key: bytes, pin: str) -> str:
    """The keyed digest a PIN is kept as (HMAC-SHA-256 under the inventory's ``pin_key``)."""
    return hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()


def _patterned(pin: str, alphabet: str) -> bool:
    """A PIN a person would guess first: one symbol repeated, or a run up or down the
    alphabet (``123456``, ``987654``)."""
    first = alphabet.index(pin[0])
    step = alphabet.index(pin[1]) - first
    if step not in (0, 1, -1):
        return False  # most PINs: decided by their first two symbols
    return all(alphabet.index(c) == first + i * step for i, c in enumerate(pin))


def new_pins(
    count: int,
    *,
    length: int,
    alphabet: str,
    rng: random.Random,
    taken: Callable[[str], bool],
) -> list[str]:
    """``count`` distinct PINs of ``length`` symbols of ``alphabet``, each drawn whole and
    uniformly from ``rng`` (a ``random.SystemRandom`` in use: the operating system's secure
    generator), none for which ``taken`` is true and none :func:`_patterned`. Nothing ties
    one PIN to the next: they are independent draws, in the order drawn.

    The draws come from ``rng.randbytes`` in bulk, a few bytes more than a PIN needs, by
    rejection: a value past the largest multiple of the PIN space is drawn again, so every
    PIN is equally likely."""
    base = len(alphabet)
    space = base**length
    if space < max(count, 1) * MIN_GUESSES:
        raise InvalidArgument(
            f"pin_length: {length} symbols of a {base}-symbol alphabet give {space:,} PINs,"
            f" fewer than {MIN_GUESSES:,} per card for {count:,} cards; make the PINs longer"
        )
    width = (space.bit_length() + 7) // 8 + 1  # bytes a draw takes: at most 1/256 rejected
    ceiling = (1 << (8 * width)) // space * space
    decimal = alphabet == "0123456789"
    pins: list[str] = []
    seen: set[str] = set()
    while len(pins) < count:
        wanted = count - len(pins)
        data = rng.randbytes(width * (wanted + wanted // 64 + 8))
        for offset in range(0, len(data), width):
            value = int.from_bytes(data[offset : offset + width], "big")
            if value >= ceiling:
                continue  # past the last whole multiple of the space: not uniform
            value %= space
            if decimal:
                pin = f"{value:0{length}d}"
            else:
                symbols = []
                for _ in range(length):
                    value, digit = divmod(value, base)
                    symbols.append(alphabet[digit])
                pin = "".join(symbols)
            if pin in seen or _patterned(pin, alphabet) or taken(pin):
                continue  # drawn again: uniqueness, and no guessable PIN
            seen.add(pin)
            pins.append(pin)
            if len(pins) == count:
                break
    return pins


def _amount(value: Decimal | int | str) -> Decimal:
    return to_decimal(value, "face_value")


def _positive_amount(instance: object, attribute: Any, value: Any) -> None:
    check_type(value, Decimal, attribute.name)
    assert isinstance(value, Decimal)
    if not value.is_finite() or value <= 0:
        raise InvalidArgument(f"{attribute.name}: {value} is not positive")


@attrs.frozen(kw_only=True)
class PhoneCard:
    """One prepaid calling card: its printed ``serial`` (of its ``batch``), the digest of its
    PIN, its ``face_value`` (credited to its own ledger account, :attr:`ledger_account`,
    when it is activated), ``expires_at``, the ``rate_group`` its calls are priced by (a
    name the host resolves), and ``account_id``: the agent or account it is designated to
    (``None``: the operator's stock). ``activated_at`` is set by activation."""

    serial: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    batch: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    pin_digest: str = attrs.field(repr=False, validator=of_type(str))
    face_value: Decimal = attrs.field(converter=_amount, validator=_positive_amount)
    account_id: str | None = attrs.field(default=None, validator=of_type(str, optional=True))
    expires_at: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    rate_group: str = attrs.field(default="", validator=of_type(str))
    activated_at: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    locked: bool = attrs.field(default=False, validator=of_type(bool))

    def __attrs_post_init__(self) -> None:
        digest = self.pin_digest
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidArgument("pin_digest: expected an HMAC-SHA-256 hex digest")
        if self.account_id is not None:
            check_name(self.account_id, "account_id")

    @property
    def key(self) -> str:
        return self.serial

    @property
    def ledger_account(self) -> str:
        """The id of the card's own ledger account: ``card:<serial>``."""
        return f"card:{self.serial}"

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data (the PIN's digest, never the PIN)."""
        return {
            "serial": self.serial,
            "batch": self.batch,
            "pin_digest": self.pin_digest,
            "face_value": str(self.face_value),
            "account_id": self.account_id,
            "expires_at": stamp(self.expires_at),
            "rate_group": self.rate_group,
            "activated_at": stamp(self.activated_at),
            "locked": self.locked,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PhoneCard:
        """The inverse of :meth:`to_dict`; a bad field is an error naming it."""
        fields = fields_of(cls, raw, "card")
        fields["expires_at"] = date_field(fields, "expires_at")
        fields["activated_at"] = date_field(fields, "activated_at")
        return cls(**fields)


@attrs.frozen(kw_only=True)
class CardBatch:
    """What a generation made: the ``cards`` and, in the same order, their clear ``pins``.
    The inventory keeps only the PINs' digests: this value is the one chance to print
    them (:meth:`to_csv`)."""

    batch: str
    cards: tuple[PhoneCard, ...]
    pins: tuple[str, ...] = attrs.field(repr=False)

    def __len__(self) -> int:
        return len(self.cards)

    def to_csv(self) -> str:
        """One row per card for the printer: ``serial,pin,face_value,expires_at,rate_group``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["serial", "pin", "face_value", "expires_at", "rate_group"])
        for card, pin in zip(self.cards, self.pins, strict=True):
            expires = "" if card.expires_at is None else card.expires_at.isoformat()
            writer.writerow([card.serial, pin, str(card.face_value), expires, card.rate_group])
        return out.getvalue()


def check_alphabet(alphabet: object) -> str:
    text = check_str(alphabet, "alphabet")
    if len(text) < 2 or len(set(text)) != len(text):
        raise InvalidArgument(f"alphabet: {text!r} needs at least 2 symbols, each once")
    if not all("!" <= c <= "~" and c != "," for c in text):
        raise InvalidArgument(f"alphabet: {text!r} holds a symbol a printer cannot show")
    return text
