"""How the inventory's values read and write their snapshot fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .._checks import check_str, check_type
from ..errors import InvalidArgument

__all__ = ["date_field", "fields_of", "stamp"]


def stamp(value: datetime | None) -> str | None:
    """A snapshot's form of an optional date-time: ISO 8601, or ``None``."""
    return None if value is None else value.isoformat()


def date_field(raw: Mapping[str, Any], field: str) -> datetime | None:
    """The date-time ``raw[field]`` (ISO 8601 or absent), or an error naming ``field``."""
    value = raw.get(field)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(check_str(value, field))
    except ValueError:
        raise InvalidArgument(f"{field}: {value!r} is not an ISO 8601 date-time") from None


def fields_of(cls: type, raw: object, what: str) -> dict[str, Any]:
    """``raw`` (a snapshot's entry) as keyword arguments of ``cls``; an unknown or missing
    field is an error naming it."""
    data = check_type(raw, Mapping, what)
    names = {field.name for field in attrs.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise InvalidArgument(f"{what}: unknown field {min(unknown)!r}")
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING and field.name not in data:
            raise InvalidArgument(f"{what}: the field {field.name!r} is missing")
    return dict(data)
