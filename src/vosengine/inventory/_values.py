"""The values an agent manages besides accounts: :class:`Phone` and :class:`MappingGateway`,
the :class:`PasswordPolicy` their secrets must meet, and the :class:`InventoryRecord` of a
change. All frozen; an inventory replaces them whole on every change."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from .._checks import check_name, check_str, iterate, of_type
from .._net import Networks
from .._time import aware_validator, check_aware
from ..errors import InvalidArgument, InvalidArgumentType
from ..reasons import TerminationReason
from ..sip import ALGORITHMS, AuthMethod
from ._card_values import PhoneCard
from ._errors import WeakPassword
from ._fields import date_field, fields_of, stamp

__all__ = [
    "STATE_REASONS",
    "GatewayProtocol",
    "InventoryRecord",
    "MappingGateway",
    "PasswordPolicy",
    "Phone",
]


def _digits(value: object, field: str) -> str:
    """A phone number, DID or caller id as the switch keeps it: 1 to 32 ASCII digits."""
    text = check_str(value, field)
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 32):
        raise InvalidArgument(f"{field}: {text!r} is not a number of 1 to 32 digits")
    return text


def _numbers(value: object, field: str) -> tuple[str, ...]:
    numbers = tuple(_digits(item, f"{field}[{i}]") for i, item in enumerate(iterate(value, field)))
    if len(set(numbers)) != len(numbers):
        twice = next(n for n in numbers if numbers.count(n) > 1)
        raise InvalidArgument(f"{field}: {twice!r} appears twice")
    return numbers


def _networks(value: object, field: str) -> tuple[str, ...]:
    texts = tuple(Networks(value, field=field).texts)  # type: ignore[arg-type]
    return texts


def _ha1s(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidArgumentType(f"ha1s: expected a mapping of algorithm to HA1, got {value!r}")
    table = {}
    for algorithm, stored in value.items():
        if algorithm not in ALGORITHMS:
            raise InvalidArgument(f"ha1s: {algorithm!r} is not one of {sorted(ALGORITHMS)}")
        text = check_str(stored, f"ha1s[{algorithm!r}]")
        if not text or any(c not in "0123456789abcdef" for c in text):
            raise InvalidArgument(f"ha1s[{algorithm!r}]: expected a lower-case hex digest")
        table[algorithm] = text
    return MappingProxyType(dict(sorted(table.items())))


def _secret_rules(instance: Phone | MappingGateway) -> None:
    if instance.auth is not AuthMethod.DIGEST and not instance.networks:
        raise InvalidArgument(
            f"networks: authentication by {instance.auth.value} needs at least one source network"
        )


def own_state(locked: bool, expires_at: datetime | None, at: datetime) -> str:
    """An item's own state at ``at``: ``"locked"``, ``"expired"`` or ``"active"``."""
    if locked:
        return "locked"
    if expires_at is not None and at >= expires_at:
        return "expired"
    return "active"


@attrs.frozen(kw_only=True)
class PasswordPolicy:
    """What a SIP password must be: ``min_length`` to ``max_length`` characters, printable
    ASCII without spaces, with characters of at least ``min_classes`` of the four classes
    (lower case, upper case, digits, others), and -- with ``forbid_username`` -- not
    containing the username. A refusal names the rule it breaks, never the password."""

    min_length: int = attrs.field(default=8, validator=of_type(int))
    max_length: int = attrs.field(default=64, validator=of_type(int))
    min_classes: int = attrs.field(default=2, validator=of_type(int))
    forbid_username: bool = attrs.field(default=True, validator=of_type(bool))

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length:
            raise InvalidArgument("min_length: expected 1 <= min_length <= max_length")
        if not 1 <= self.min_classes <= 4:
            raise InvalidArgument(f"min_classes: {self.min_classes} is outside 1..4")

    def check(self, password: str, *, username: str, field: str = "password") -> str:
        """``password`` if it meets the policy, else :class:`WeakPassword` naming ``field``
        and the rule (the password itself is never in the message)."""
        if not isinstance(password, str):
            raise InvalidArgumentType(f"{field}: expected a str, got {type(password).__name__}")
        if not self.min_length <= len(password) <= self.max_length:
            raise WeakPassword(
                f"{field}: {len(password)} characters, the policy asks for"
                f" {self.min_length} to {self.max_length}"
            )
        if not all("!" <= c <= "~" for c in password):
            raise WeakPassword(f"{field}: only printable ASCII without spaces is accepted")
        classes = (
            any(c.islower() for c in password)
            + any(c.isupper() for c in password)
            + any(c.isdigit() for c in password)
            + any(not c.isalnum() for c in password)
        )
        if classes < self.min_classes:
            raise WeakPassword(
                f"{field}: characters of {classes} class(es), the policy asks for"
                f" {self.min_classes} of lower case, upper case, digits and others"
            )
        if self.forbid_username and username and username.lower() in password.lower():
            raise WeakPassword(f"{field}: contains the username {username!r}")
        return password


@attrs.frozen(kw_only=True)
class Phone:
    """A SIP phone of an account: its ``number`` is the username it registers with.

    ``auth`` is how it authenticates (digest, source address, or both; ``networks`` are the
    source networks for the last two), ``ha1s`` its stored digest secrets, one per algorithm
    (an :class:`Inventory` makes them from a password: the clear password is never kept).
    ``caller_id`` is the number it presents (``""``: its own), ``dids`` the numbers that
    reach it. A ``locked`` phone, or one past ``expires_at``, may not register."""

    number: str = attrs.field(validator=lambda _, a, v: _digits(v, a.name))
    account_id: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    auth: AuthMethod = attrs.field(default=AuthMethod.DIGEST, validator=of_type(AuthMethod))
    networks: tuple[str, ...] = ()
    ha1s: Mapping[str, str] = attrs.field(factory=dict, converter=_ha1s, hash=False, repr=False)
    expires_at: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    caller_id: str = attrs.field(default="", validator=of_type(str))
    dids: tuple[str, ...] = ()
    locked: bool = attrs.field(default=False, validator=of_type(bool))
    memo: str = attrs.field(default="", validator=of_type(str))

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "networks", _networks(self.networks, "networks"))
        object.__setattr__(self, "dids", _numbers(self.dids, "dids"))
        if self.caller_id:
            _digits(self.caller_id, "caller_id")
        _secret_rules(self)

    @property
    def key(self) -> str:
        return self.number

    @property
    def sip_username(self) -> str:
        """The SIP username it registers with: its number."""
        return self.number

    def state(self, *, at: datetime) -> str:
        """``"locked"``, ``"expired"`` (at ``at``) or ``"active"``: the phone's own state."""
        return own_state(self.locked, self.expires_at, check_aware(at, "at"))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data (the stored HA1s, never a password)."""
        return {
            "number": self.number,
            "account_id": self.account_id,
            "auth": self.auth.value,
            "networks": list(self.networks),
            "ha1s": dict(self.ha1s),
            "expires_at": stamp(self.expires_at),
            "caller_id": self.caller_id,
            "dids": list(self.dids),
            "locked": self.locked,
            "memo": self.memo,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Phone:
        """The inverse of :meth:`to_dict`; a bad field is an error naming it."""
        fields = fields_of(cls, raw, "phone")
        fields["auth"] = _auth(fields.get("auth", "digest"))
        fields["expires_at"] = date_field(fields, "expires_at")
        return cls(**fields)


class GatewayProtocol(enum.Enum):
    """The signalling a mapping gateway speaks."""

    SIP = "sip"
    H323 = "h323"


#: The fields of a :class:`MappingGateway` that "modify gateway capacity" covers; every other
#: field but ``id`` and ``account_id`` is "modify gateway information".
CAPACITY_FIELDS = frozenset({"capacity"})


@attrs.frozen(kw_only=True)
class MappingGateway:
    """A customer's inbound trunk: calls from its ``networks`` (authentication by IP), or
    from whoever proves its digest ``username`` (by digest), or both, bill to
    ``account_id``. ``capacity`` bounds its concurrent calls (``None``: no bound),
    ``prefixes`` the numbers it may call (empty: any), ``codecs`` and ``protocol`` describe
    it. A ``locked`` gateway, or one past ``expires_at``, carries no call."""

    id: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    account_id: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    networks: tuple[str, ...] = ()
    auth: AuthMethod = attrs.field(default=AuthMethod.IP, validator=of_type(AuthMethod))
    username: str = attrs.field(default="", validator=of_type(str))
    ha1s: Mapping[str, str] = attrs.field(factory=dict, converter=_ha1s, hash=False, repr=False)
    capacity: int | None = attrs.field(default=None, validator=of_type(int, optional=True))
    port: int = attrs.field(default=5060, validator=of_type(int))
    protocol: GatewayProtocol = attrs.field(
        default=GatewayProtocol.SIP, validator=of_type(GatewayProtocol)
    )
    codecs: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    expires_at: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    locked: bool = attrs.field(default=False, validator=of_type(bool))
    memo: str = attrs.field(default="", validator=of_type(str))

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "networks", _networks(self.networks, "networks"))
        object.__setattr__(self, "prefixes", _numbers(self.prefixes, "prefixes"))
        codecs = tuple(
            check_name(c, f"codecs[{i}]") for i, c in enumerate(iterate(self.codecs, "codecs"))
        )
        object.__setattr__(self, "codecs", codecs)
        if self.capacity is not None and self.capacity < 0:
            raise InvalidArgument(f"capacity: {self.capacity} is negative")
        if not 1 <= self.port <= 65535:
            raise InvalidArgument(f"port: {self.port} is not between 1 and 65535")
        _secret_rules(self)
        if self.auth is not AuthMethod.IP:
            check_name(self.username, "username")

    @property
    def key(self) -> str:
        return self.id

    @property
    def sip_username(self) -> str:
        """The SIP username it registers with (``""``: it authenticates by IP only)."""
        return self.username if self.auth is not AuthMethod.IP else ""

    def state(self, *, at: datetime) -> str:
        """``"locked"``, ``"expired"`` (at ``at``) or ``"active"``: the gateway's own state."""
        return own_state(self.locked, self.expires_at, check_aware(at, "at"))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data (the stored HA1s, never a password)."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "networks": list(self.networks),
            "auth": self.auth.value,
            "username": self.username,
            "ha1s": dict(self.ha1s),
            "capacity": self.capacity,
            "port": self.port,
            "protocol": self.protocol.value,
            "codecs": list(self.codecs),
            "prefixes": list(self.prefixes),
            "expires_at": stamp(self.expires_at),
            "locked": self.locked,
            "memo": self.memo,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MappingGateway:
        """The inverse of :meth:`to_dict`; a bad field is an error naming it."""
        fields = fields_of(cls, raw, "gateway")
        fields["auth"] = _auth(fields.get("auth", "ip"))
        try:
            fields["protocol"] = GatewayProtocol(fields.get("protocol", "sip"))
        except ValueError:
            raise InvalidArgument(f"protocol: {fields['protocol']!r} is not sip or h323") from None
        fields["expires_at"] = date_field(fields, "expires_at")
        return cls(**fields)


def _auth(value: object) -> AuthMethod:
    try:
        return AuthMethod(value)
    except ValueError:
        raise InvalidArgument(f"auth: {value!r} is not ip, digest or both") from None


#: The termination reason of each state an item can be in (:meth:`Inventory.credentials
#: <vosengine.inventory.Inventory.credentials>`' ``status``, :meth:`Inventory.gateway_state
#: <vosengine.inventory.Inventory.gateway_state>`, :meth:`Inventory.card_state
#: <vosengine.inventory.Inventory.card_state>`) but ``"active"``: what a switch answers a call
#: from it with.
STATE_REASONS: Mapping[str, TerminationReason] = MappingProxyType(
    {
        "locked": TerminationReason.ACCOUNT_LOCKED,
        "expired": TerminationReason.ACCOUNT_EXPIRED,
        "inactive": TerminationReason.ACCOUNT_INACTIVE,
        "removed": TerminationReason.ACCOUNT_INACTIVE,
        "new": TerminationReason.ACCOUNT_INACTIVE,
        "exhausted": TerminationReason.INSUFFICIENT_BALANCE,
    }
)


@attrs.frozen(kw_only=True)
class InventoryRecord:
    """One change to an inventory: who (``actor``), when (``at``), what (``action``, such as
    ``add_phone``), on which item (``kind``: ``"phone"``, ``"gateway"``, ``"card"``, or
    ``"batch"`` for a generation of cards; ``key``: its number, id, serial or batch) of
    which account (``""``: the operator's stock), and the item before and after (``None``
    when added or removed, and for a batch, which ``detail`` sums up)."""

    seq: int
    at: datetime
    actor: str
    action: str
    kind: str
    key: str
    account_id: str
    before: Phone | MappingGateway | PhoneCard | None
    after: Phone | MappingGateway | PhoneCard | None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "kind": self.kind,
            "key": self.key,
            "account_id": self.account_id,
            "before": None if self.before is None else self.before.to_dict(),
            "after": None if self.after is None else self.after.to_dict(),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> InventoryRecord:
        fields = fields_of(cls, raw, "audit record")
        makers: dict[str, Callable[[Mapping[str, Any]], Phone | MappingGateway | PhoneCard]] = {
            "phone": Phone.from_dict,
            "gateway": MappingGateway.from_dict,
            "card": PhoneCard.from_dict,
        }
        kind = fields.get("kind", "")
        item = makers.get(kind)
        if item is None and kind != "batch":
            raise InvalidArgument(f"kind: {kind!r} is not phone, gateway, card or batch")
        for side in ("before", "after"):
            if fields.get(side) is not None:
                if item is None:
                    raise InvalidArgument(f"{side}: a batch record holds no item")
                fields[side] = item(fields[side])
        fields["at"] = date_field(fields, "at")
        return cls(**fields)
