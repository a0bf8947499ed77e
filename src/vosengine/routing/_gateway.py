"""Vendor (routing) gateways and their failover policy, as frozen values."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from .._checks import check_str, check_type
from ..errors import InvalidArgument, InvalidArgumentType
from ..numbering import DialPattern, RewriteRule
from ..numbering._sections import prefix_set
from ..rating import RateTable
from ..reasons import check_final_status

__all__ = ["DEFAULT_RETRY_ON", "FailoverPolicy", "Filter", "Gateway"]

#: The vendor responses after which the next gateway is tried: the vendor could not carry the
#: call, another may (408 Request Timeout, 480 Temporarily Unavailable, 500, 502, 503, 504).
DEFAULT_RETRY_ON = frozenset({408, 480, 500, 502, 503, 504})


class Filter(enum.Enum):
    """Why a gateway that serves the number was left out of the routes."""

    DISABLED = "disabled"
    CLIENT_REFUSED = "client refused"
    CLIENT_NOT_ALLOWED = "client not allowed"
    OVER_CAPACITY = "over capacity"
    OVER_CPS = "over CPS"
    VENDOR_EXHAUSTED = "prepaid vendor exhausted"
    NO_VENDOR_RATE = "no vendor rate"
    ABOVE_MAX_RATE = "above max rate"
    BELOW_MIN_PROFIT = "below min profit"
    EMPTY_NUMBER = "rewrite left no number"


def _statuses(value: Iterable[int]) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgumentType(f"retry_on: expected a collection of statuses, got {value!r}")
    return frozenset(check_final_status(status, "retry_on") for status in value)


def instance_of(kind: type, *, optional: bool = False) -> Any:
    """An attrs validator: the value is a ``kind`` (or ``None`` when ``optional``)."""
    expected = f"a {kind.__name__}" + (" or None" if optional else "")

    def check(instance: Any, attribute: Any, value: object) -> None:
        if not isinstance(value, kind) and not (optional and value is None):
            raise InvalidArgumentType(f"{attribute.name}: expected {expected}, got {value!r}")

    return check


def whole(field: str, minimum: int, *, optional: bool = False) -> Any:
    """An attrs validator: the value is an ``int`` (never a ``bool``) of at least
    ``minimum`` (or ``None`` when ``optional``)."""

    def check(instance: Any, attribute: Any, value: object) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgumentType(f"{field}: expected an int, got {value!r}")
        if value < minimum:
            raise InvalidArgument(f"{field}: {value} is below {minimum}")

    return check


@attrs.frozen(kw_only=True)
class FailoverPolicy:
    """Which final responses of a gateway send the call on to the next one: a status in
    ``retry_on``, or no final response at all when ``retry_on_timeout``. Any other status
    (486 busy, 404, 484, 403, 603 ...) stops the search: the callee answered, another
    gateway would reach the same callee."""

    retry_on: frozenset[int] = attrs.field(default=DEFAULT_RETRY_ON, converter=_statuses)
    retry_on_timeout: bool = attrs.field(default=True, validator=instance_of(bool))

    def retries(self, status: int | None) -> bool:
        """Whether a failure with ``status`` (``None``: a timeout) tries the next gateway."""
        if status is None:
            return self.retry_on_timeout
        return check_type(status, int, "status") in self.retry_on


def _id(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{attribute.name}: expected a non-empty str, got {value!r}")


def _prefixes(value: Iterable[str]) -> frozenset[str]:
    return prefix_set(value, "prefixes")


def _patterns(value: Iterable[DialPattern | str]) -> tuple[DialPattern, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgumentType(f"patterns: expected a collection of patterns, got {value!r}")
    return tuple(item if isinstance(item, DialPattern) else DialPattern(item) for item in value)


def _rules(value: Iterable[RewriteRule | str], field: str) -> tuple[RewriteRule, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgumentType(f"{field}: expected a sequence of rules, got {value!r}")
    return tuple(
        item if isinstance(item, RewriteRule) else RewriteRule.parse(item) for item in value
    )


def _callee_rules(value: Iterable[RewriteRule | str]) -> tuple[RewriteRule, ...]:
    return _rules(value, "callee_rules")


def _caller_rules(value: Iterable[RewriteRule | str]) -> tuple[RewriteRule, ...]:
    return _rules(value, "caller_rules")


def _names(value: Iterable[str], field: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgumentType(f"{field}: expected a collection of ids, got {value!r}")
    names = frozenset(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{field}: expected non-empty str ids, got {name!r}")
    return names


def _allowed(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "clients_allowed")


def _refused(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "clients_refused")


@attrs.frozen(kw_only=True)
class Gateway:
    """A vendor (routing) gateway: which numbers it serves and on what terms.

    * ``prefixes`` it serves (a number starting with one), and ``patterns``
      (:class:`~vosengine.numbering.DialPattern`, matching the whole number);
    * ``priority`` (smaller first, as in DNS SRV and Kamailio's lcr) and ``weight`` (the
      share of calls among gateways of equal priority under weighted ordering);
    * ``rates``: the vendor's rate table, what a call through it costs (``None``: unknown);
    * ``capacity`` (concurrent calls) and ``cps`` (call attempts per second), ``None`` for
      no limit;
    * ``clients_allowed`` (empty: every client) and ``clients_refused``: binding clients to
      vendors;
    * ``callee_rules`` and ``caller_rules``: rewrites before the call leaves (first that
      applies), e.g. the vendor's technical prefix;
    * ``prepaid``: the vendor is paid in advance; skip it when its balance is used up.

    >>> gw = Gateway(id="gw1", vendor="carrier-a", prefixes={"44"}, callee_rules=[":1234#"])
    >>> gw.priority, gw.weight, gw.callee_rules[0].replacement
    (0, 1, '1234#')
    """

    id: str = attrs.field(validator=_id)
    vendor: str = attrs.field(validator=_id)
    prefixes: frozenset[str] = attrs.field(default=frozenset(), converter=_prefixes)
    patterns: tuple[DialPattern, ...] = attrs.field(default=(), converter=_patterns)
    priority: int = attrs.field(default=0, validator=whole("priority", 0))
    weight: int = attrs.field(default=1, validator=whole("weight", 1))
    rates: RateTable | None = attrs.field(
        default=None, validator=instance_of(RateTable, optional=True), eq=False
    )
    capacity: int | None = attrs.field(default=None, validator=whole("capacity", 0, optional=True))
    cps: int | None = attrs.field(default=None, validator=whole("cps", 0, optional=True))
    enabled: bool = attrs.field(default=True, validator=instance_of(bool))
    clients_allowed: frozenset[str] = attrs.field(default=frozenset(), converter=_allowed)
    clients_refused: frozenset[str] = attrs.field(default=frozenset(), converter=_refused)
    callee_rules: tuple[RewriteRule, ...] = attrs.field(default=(), converter=_callee_rules)
    caller_rules: tuple[RewriteRule, ...] = attrs.field(default=(), converter=_caller_rules)
    failover: FailoverPolicy = attrs.field(
        factory=FailoverPolicy, validator=instance_of(FailoverPolicy)
    )
    prepaid: bool = attrs.field(default=False, validator=instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if not self.prefixes and not self.patterns:
            raise InvalidArgument(f"gateway {self.id!r}: serves no prefix and no pattern")

    def admits(self, client: str) -> Filter | None:
        """Why ``client`` may not use this gateway (``None``: it may), enabled flag aside."""
        check_str(client, "client")
        if client in self.clients_refused:
            return Filter.CLIENT_REFUSED
        if self.clients_allowed and client not in self.clients_allowed:
            return Filter.CLIENT_NOT_ALLOWED
        return None
