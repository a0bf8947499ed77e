"""Number sections: the allowed and blocked prefixes of an account (VOS3000 §2.4.6).

A :class:`NumberSection` holds two sets of prefixes. Within one section **the longest
matching entry decides**: allowed ``880`` with blocked ``8801`` blocks ``88017...`` and allows
``8802...``. A number that matches no entry is allowed only when the section has no allowed
entries (an allow-list closes everything it does not name; a block-list alone opens
everything it does not name). The empty section allows every number.

Across an agent chain every level must allow a number; that rule lives in
:meth:`vosengine.accounts.AccountDirectory.number_allowed`.

A section fails closed: every number it is asked about goes through
:func:`~vosengine.numbering.normalize_number` first, so ``+44 20 ...`` meets the entry ``44``
as ``4420...`` does, and a number it cannot read (a letter, a non-ASCII digit) is an
:class:`~vosengine.errors.InvalidArgument`, never allowed by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from .._checks import check_items, check_type
from ..errors import InvalidArgument
from ..prefix import PrefixTable, check_prefix
from ._normalize import normalize_number

__all__ = ["NumberSection", "SectionVerdict", "validate_prefix"]


def validate_prefix(prefix: object, field: str) -> str:
    """Return ``prefix`` if it is a non-empty string over ``0-9*#``, else raise naming ``field``
    (the one prefix rule, shared with :class:`~vosengine.PrefixTable`).

    >>> validate_prefix("8801", "allowed")
    '8801'
    """
    return check_prefix(prefix, field)


def prefix_set(value: Iterable[str], field: str) -> frozenset[str]:
    """``value`` as a frozenset of valid prefixes, else raise naming ``field``."""
    if isinstance(value, str):
        raise InvalidArgument(f"{field}: expected a collection of prefixes, got the str {value!r}")
    try:
        items = list(value)
    except TypeError:
        raise InvalidArgument(
            f"{field}: expected a collection of prefixes, got {value!r}"
        ) from None
    return frozenset(validate_prefix(prefix, field) for prefix in items)


def _allowed_set(value: Iterable[str]) -> frozenset[str]:
    return prefix_set(value, "allowed")


def _blocked_set(value: Iterable[str]) -> frozenset[str]:
    return prefix_set(value, "blocked")


@attrs.frozen(kw_only=True)
class SectionVerdict:
    """What one number section says of a number: allowed or not, and which entry decided
    (``None`` when no entry matched)."""

    allowed: bool
    entry: str | None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        if self.entry is None:
            return "allowed" if self.allowed else "not in the allowed prefixes"
        return f"{'allowed' if self.allowed else 'blocked'} by prefix {self.entry!r}"


@attrs.frozen(kw_only=True)
class NumberSection:
    """Allowed and blocked prefixes of one account. Immutable; equal sections compare equal.

    >>> section = NumberSection(allowed={"880"}, blocked={"8801"})
    >>> section.decide("8802123").allowed, section.decide("88017123").allowed
    (True, False)
    >>> section.decide("91123")
    SectionVerdict(allowed=False, entry=None)
    """

    allowed: frozenset[str] = attrs.field(default=frozenset(), converter=_allowed_set)
    blocked: frozenset[str] = attrs.field(default=frozenset(), converter=_blocked_set)
    _table: PrefixTable[bool] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        both = self.allowed & self.blocked
        if both:
            raise InvalidArgument(
                f"blocked: prefix {min(both)!r} is also allowed; a prefix is one or the other"
            )
        table = PrefixTable(
            [(prefix, True) for prefix in self.allowed]
            + [(prefix, False) for prefix in self.blocked]
        )
        object.__setattr__(self, "_table", table)

    @property
    def is_open(self) -> bool:
        """True when the section allows every number (no entries at all)."""
        return not self.allowed and not self.blocked

    def decide(self, number: str) -> SectionVerdict:
        """The verdict for ``number`` (normalised first, :func:`normalize_number`): the
        longest matching entry decides. O(len(number))."""
        return self._decide_digits(normalize_number(number))

    def _decide_digits(self, digits: str) -> SectionVerdict:
        """:meth:`decide` for ``digits`` the caller has normalised already."""
        found = self._table.longest(digits)
        if found is None:
            return SectionVerdict(allowed=not self.allowed, entry=None)
        return SectionVerdict(allowed=found[1], entry=found[0])

    def allows(self, number: str) -> bool:
        """``decide(number).allowed`` without building the verdict."""
        return self._allows_digits(normalize_number(number))

    def _allows_digits(self, digits: str) -> bool:
        """:meth:`allows` for ``digits`` the caller has normalised already."""
        verdict = self._table.longest_value(digits)
        if verdict is None:
            return not self.allowed
        return verdict

    def _look_up(self) -> tuple[Callable[[str, bool], bool], bool]:
        """:meth:`_allows_digits` as a prefix look-up and what it answers where no entry
        matches: ``look_up(digits, default)`` is ``_allows_digits(digits)``."""
        return self._table.longest_value, not self.allowed

    def to_dict(self) -> dict[str, list[str]]:
        """Plain, JSON-able data: ``{"allowed": [...], "blocked": [...]}``, sorted."""
        return {"allowed": sorted(self.allowed), "blocked": sorted(self.blocked)}

    @classmethod
    def from_dict(cls, data: dict[str, Iterable[str]]) -> NumberSection:
        """The inverse of :meth:`to_dict`."""
        unknown = set(check_type(data, Mapping, "number_section")) - {"allowed", "blocked"}
        if unknown:
            raise InvalidArgument(f"number_section: unknown field {min(unknown)!r}")
        return cls(allowed=data.get("allowed", ()), blocked=data.get("blocked", ()))


class AllSections:
    """Whether every one of ``sections`` allows a number, in one prefix look-up.

    The table holds every entry of every section, each valued by whether all the sections
    allow that prefix as a number. That is exact: the longest entry ``p`` of the union that
    starts a number is at least as long as each section's own longest matching entry, which
    therefore starts ``p`` too, so each section says of ``p`` what it says of the number.
    A number that no entry starts is allowed only when no section has an allow-list."""

    __slots__ = ("_default", "_longest")

    def __init__(self, sections: Iterable[NumberSection]) -> None:
        listed = check_items(sections, "sections", lambda v, f: check_type(v, NumberSection, f))
        prefixes = set().union(*(section.allowed | section.blocked for section in listed))
        table = PrefixTable(
            (prefix, all(section._allows_digits(prefix) for section in listed))
            for prefix in prefixes
        )
        self._longest = table.longest_value
        self._default = all(not section.allowed for section in listed)

    def allows(self, number: str) -> bool:
        """Whether every section allows ``number`` (normalised first). O(len(number))."""
        return self._allows_digits(normalize_number(number))

    def _allows_digits(self, digits: str) -> bool:
        """:meth:`allows` for ``digits`` the caller has normalised already."""
        verdict = self._longest(digits)
        return self._default if verdict is None else verdict

    def _look_up(self) -> tuple[Callable[[str, bool], bool], bool]:
        """:meth:`_allows_digits` as a prefix look-up and what it answers where no entry
        matches (see :meth:`NumberSection._look_up`)."""
        return self._longest, self._default
