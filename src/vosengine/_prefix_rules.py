"""What a prefix is, written once: the alphabet and the check with its one error message.

The pure-Python prefix table, the compiled one (on its error path), number sections and rate
rows all refuse a bad prefix through :func:`check_prefix`.
"""

from __future__ import annotations

from .errors import InvalidArgument, InvalidArgumentType

__all__ = ["ALPHABET", "check_prefix", "first_bad_character"]

#: The characters a prefix may be made of, in key order ("#" < "*" < "0" < ... < "9").
ALPHABET = "#*0123456789"

_ALPHABET_SET = frozenset(ALPHABET)


def first_bad_character(key: str) -> int | None:
    """The position of the first character of ``key`` outside the alphabet, or None."""
    for position, char in enumerate(key):
        if char not in _ALPHABET_SET:
            return position
    return None


def check_prefix(key: object, where: str) -> str:
    """Return ``key`` if it is a non-empty ``str`` over :data:`ALPHABET`, else raise naming
    ``where`` (a field, or the item of an input) and the key.

    >>> check_prefix("8801", "allowed")
    '8801'
    >>> try:
    ...     check_prefix("88a1", "allowed")
    ... except InvalidArgument as error:
    ...     print(error)
    allowed: prefix '88a1' has character 'a' at position 2, not one of '#*0123456789'
    """
    if not isinstance(key, str):
        raise InvalidArgumentType(
            f"{where}: prefix {key!r}: expected a str, got {type(key).__name__}"
        )
    if not key:
        raise InvalidArgument(f"{where}: a prefix may not be empty")
    position = first_bad_character(key)
    if position is not None:
        raise InvalidArgument(
            f"{where}: prefix {key!r} has character {key[position]!r} at position {position},"
            f" not one of {ALPHABET!r}"
        )
    return key
