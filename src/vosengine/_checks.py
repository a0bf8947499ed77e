"""The argument checks every package shares: a value of the wrong type is an
:class:`~vosengine.errors.InvalidArgumentType` naming the argument and what was expected,
raised before anything changes (never a bare ``TypeError`` or ``AttributeError`` from deep
inside)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .errors import InvalidArgument, InvalidArgumentType

__all__ = [
    "check_address",
    "check_items",
    "check_name",
    "check_positive",
    "check_rows",
    "check_str",
    "check_type",
    "iterate",
    "not_a_key",
    "of_type",
]

T = TypeVar("T")

_NAMES = {str: "a str", int: "an int", bool: "a bool", float: "a float", tuple: "a tuple"}


def _expected(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_NAMES.get(k, f"a {k.__name__}") for k in kinds)


def check_type(value: Any, kind: type[T] | tuple[type, ...], field: str) -> T:
    """``value`` if it is an instance of ``kind`` (a ``bool`` is no ``int`` here), else
    :class:`InvalidArgumentType` naming ``field``.

    >>> check_type(5, str, "name")
    Traceback (most recent call last):
    ...
    vosengine.errors.InvalidArgumentType: name: expected a str, got 5
    """
    if not isinstance(value, kind) or (type(value) is bool and bool not in _tuple(kind)):
        raise InvalidArgumentType(f"{field}: expected {_expected(kind)}, got {value!r}")
    return value  # type: ignore[return-value]


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def check_str(value: Any, field: str) -> str:
    """``value`` if it is a ``str``, else :class:`InvalidArgumentType` naming ``field``."""
    return check_type(value, str, field)


def check_name(value: Any, field: str) -> str:
    """``value`` if it is a non-empty ``str`` without surrounding spaces (an id, a login, a
    key), else an error naming ``field``."""
    check_type(value, str, field)
    if not value or value != value.strip():
        raise InvalidArgument(f"{field}: {value!r} must be non-empty, without surrounding spaces")
    return value  # type: ignore[no-any-return]


def iterate(value: Any, field: str) -> Any:
    """An iterator over the collection ``value``; a ``str``, ``bytes`` or anything that is no
    collection is :class:`InvalidArgumentType` naming ``field``."""
    if not isinstance(value, str | bytes):
        try:
            return iter(value)
        except TypeError:
            pass
    raise InvalidArgumentType(f"{field}: expected a collection, got {value!r}")


def check_items(value: Any, field: str, check: Callable[[Any, str], T]) -> list[T]:
    """The items of the collection ``value`` (a ``str`` is not one), each passed through
    ``check(item, f"{field}[i]")``; anything that is no collection is
    :class:`InvalidArgumentType` naming ``field``."""
    return [check(item, f"{field}[{i}]") for i, item in enumerate(iterate(value, field))]


def of_type(kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    """An attrs validator: the field's value is an instance of ``kind`` (or ``None`` when
    ``optional``)."""

    def validate(instance: object, attribute: Any, value: object) -> None:
        if value is None and optional:
            return
        check_type(value, kind, attribute.name)

    return validate


def not_a_key(value: object, field: str) -> InvalidArgumentType:
    """The error for ``value`` that cannot be a key (it is not hashable): raise it where a
    dictionary look-up refused ``value`` with ``TypeError``, so the common path checks
    nothing."""
    return InvalidArgumentType(
        f"{field}: expected a key such as a str or an address tuple, got {value!r}"
    )


def check_rows(value: Any, field: str, width: int) -> list[tuple[Any, ...]]:
    """The items of the collection ``value``, each a tuple (or list) of ``width`` values, else
    :class:`InvalidArgumentType` naming ``field[i]``."""

    def row(item: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(item, tuple | list) or len(item) != width:
            raise InvalidArgumentType(f"{where}: expected a tuple of {width} values, got {item!r}")
        return tuple(item)

    return check_items(value, field, row)


def check_address(value: Any, field: str) -> tuple[Any, ...]:
    """``value`` if it is a socket address as sockets give it: ``(host, port)`` for IPv4,
    ``(host, port, flowinfo, scope_id)`` for IPv6, with a ``str`` host and a port from 0 to
    65535; else an error naming ``field``."""
    if type(value) is not tuple or len(value) not in (2, 4):
        check_type(value, tuple, field)
        raise InvalidArgumentType(f"{field}: expected a (host, port) address, got {value!r}")
    check_str(value[0], f"{field}[0]")
    if not 0 <= check_type(value[1], int, f"{field}[1]") <= 65535:
        raise InvalidArgument(f"{field}[1]: port {value[1]} is not between 0 and 65535")
    return value


def check_positive(value: Any, field: str, kind: type | tuple[type, ...]) -> Any:
    """``value`` if it is a ``kind`` (never a ``bool``) above zero, else an error naming
    ``field``: a limit, a window, a threshold."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidArgumentType(f"{field}: expected a positive number, got {value!r}")
    if not value > 0:  # type: ignore[operator]
        raise InvalidArgument(f"{field}: {value!r} is not positive")
    return value
