"""The account value: :class:`Account`, its status, category, billing model, and who acts
on it (:class:`Operator` or an agent's id)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs

from .._actors import Actor, Operator, actor_label
from .._checks import check_type
from .._time import aware_validator, check_aware
from ..errors import InvalidArgument, InvalidArgumentType
from ..numbering import NumberSection
from ._authorizations import Authorization

__all__ = [
    "SEVERITY",
    "Account",
    "AccountCategory",
    "AccountStatus",
    "Actor",
    "BillingModel",
    "Operator",
    "Scope",
    "actor_label",
    "check_aware",
]


class AccountStatus(enum.Enum):
    """The status of an account. ``EXPIRED`` is derived from ``expires_at``, never stored."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    EXPIRED = "expired"
    LOCKED = "locked"

    @property
    def severity(self) -> int:
        """Order of badness: active < inactive < expired < locked."""
        return SEVERITY[self]


SEVERITY: Mapping[AccountStatus, int] = MappingProxyType(
    {
        AccountStatus.ACTIVE: 0,
        AccountStatus.INACTIVE: 1,
        AccountStatus.EXPIRED: 2,
        AccountStatus.LOCKED: 3,
    }
)


class AccountCategory(enum.Enum):
    """Derived: an account with sub-accounts is an agent."""

    ACCOUNT = "account"
    AGENT = "agent"


class BillingModel(enum.Enum):
    """CTD billing model: per-minute by destination, or Flow (callback, two legs)."""

    STANDARD = "standard"
    FLOW = "flow"


class Scope(enum.Enum):
    """How far down to list sub-accounts."""

    DIRECT = "direct"
    ALL = "all"


def _check_id(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{field}: expected a str account id, got {value!r}")
    if not value or value != value.strip():
        raise InvalidArgument(
            f"{field}: account id {value!r} must be non-empty, without surrounding spaces"
        )
    return value


def _id_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_id(value, attribute.name)


def _parent_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_id(value, attribute.name)


def _status_validator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, AccountStatus):
        raise InvalidArgumentType(f"status: expected an AccountStatus, got {value!r}")
    if value is AccountStatus.EXPIRED:
        raise InvalidArgument("status: 'expired' is derived from expires_at and is not stored")


def _type_validator(kind: type, field: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise InvalidArgumentType(f"{field}: expected {kind.__name__}, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Account:
    """One account. Immutable: a directory replaces it whole on every change."""

    id: str = attrs.field(validator=_id_validator)
    name: str = attrs.field(default="", validator=_type_validator(str, "name"))
    parent_id: str | None = attrs.field(default=None, validator=_parent_validator)
    status: AccountStatus = attrs.field(default=AccountStatus.ACTIVE, validator=_status_validator)
    expires_at: datetime | None = attrs.field(
        default=None, validator=aware_validator(optional=True)
    )
    authorizations: Authorization = attrs.field(
        default=Authorization.NONE, validator=_type_validator(Authorization, "authorizations")
    )
    number_section: NumberSection = attrs.field(
        factory=NumberSection, validator=_type_validator(NumberSection, "number_section")
    )
    billing_model: BillingModel = attrs.field(
        default=BillingModel.STANDARD, validator=_type_validator(BillingModel, "billing_model")
    )
    memo: str = attrs.field(default="", validator=_type_validator(str, "memo"))

    def own_status(self, *, now: datetime) -> AccountStatus:
        """This account's status at ``now``, ignoring its agents: locked and inactive win
        over expired."""
        if type(now) is not datetime or (
            type(now.tzinfo) is not timezone and now.utcoffset() is None
        ):
            check_aware(now, "now")
        if self.status is not AccountStatus.ACTIVE:
            return self.status
        if self.expires_at is not None and now >= self.expires_at:
            return AccountStatus.EXPIRED
        return AccountStatus.ACTIVE

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data."""
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "status": self.status.value,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "authorizations": self.authorizations.names(),
            "number_section": self.number_section.to_dict(),
            "billing_model": self.billing_model.value,
            "memo": self.memo,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        """The inverse of :meth:`to_dict`; a bad field is an error naming it."""
        known = {field.name for field in attrs.fields(cls)}
        unknown = set(check_type(data, Mapping, "account")) - known
        if unknown:
            raise InvalidArgument(f"account: unknown field {min(unknown)!r}")
        if "id" not in data:
            raise InvalidArgument("account: the field 'id' is missing")
        fields = dict(data)
        try:
            if "status" in fields:
                fields["status"] = AccountStatus(fields["status"])
            if "billing_model" in fields:
                fields["billing_model"] = BillingModel(fields["billing_model"])
        except ValueError as error:
            raise InvalidArgument(f"account {data.get('id')!r}: {error}") from None
        if fields.get("expires_at") is not None:
            try:
                fields["expires_at"] = datetime.fromisoformat(fields["expires_at"])
            except (TypeError, ValueError):
                raise InvalidArgument(
                    f"expires_at: {fields['expires_at']!r} is not an ISO 8601 date-time"
                ) from None
        if "authorizations" in fields:
            fields["authorizations"] = Authorization.parse(fields["authorizations"])
        if "number_section" in fields:
            fields["number_section"] = NumberSection.from_dict(fields["number_section"])
        return cls(**fields)
