"""The one number normalisation: what a user types becomes the digits the tables match.

Rating, number sections and routing all match digit strings over ``0-9``, ``*`` and ``#``. A
number as people write it (``+44 20 7946-0958``, ``(020) 7946.0958``) goes through
:func:`normalize_number` first: one leading ``+`` and the separators users type (space, ``-``,
``.``, ``(``, ``)``) are dropped; anything else (a letter, a non-ASCII digit such as ``'٤'``, a
``+`` in the middle) is an error, never silently cut, so a block-list cannot be passed by
writing a number another way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._checks import iterate
from ..errors import InvalidArgument, InvalidArgumentType

__all__ = ["SEPARATORS", "normalize_number", "normalize_numbers"]

#: The characters dropped from a number: what people type between digit groups.
SEPARATORS = " -.()"

_KEEP = frozenset("0123456789*#")
_DROP = frozenset(SEPARATORS)
_PLAIN = str.maketrans("", "", SEPARATORS)
_TABLE_READY = re.compile(r"[0-9*#]*").fullmatch


def normalize_number(number: object, *, field: str = "number") -> str:
    """``number`` as the digits a table matches: a leading ``+`` and the separators in
    :data:`SEPARATORS` dropped. O(len(number)).

    Raises :class:`~vosengine.errors.InvalidArgument` naming ``field``, the character and its
    position for anything else, and for a number with no digits at all.

    >>> normalize_number("+44 20 7946-0958")
    '442079460958'
    >>> normalize_number("*67#")
    '*67#'
    >>> try:
    ...     normalize_number("+44 20 79x6")
    ... except InvalidArgument as error:
    ...     print(error)  # doctest: +ELLIPSIS
    number: '+44 20 79x6' has 'x' at position 9; a number is digits, '*' and '#', ...
    """
    if type(number) is not str:
        if not isinstance(number, str):
            raise InvalidArgumentType(
                f"{field}: expected the number as a str, got {type(number).__name__}"
            )
        number = str(number)
    if number.isdigit() and number.isascii():
        return number  # already plain ASCII digits: what every table look-up passes on
    start = 1 if number[:1] == "+" else 0
    digits = number[start:].translate(_PLAIN)
    if digits.isascii() and digits.isdigit():
        return digits
    for position in range(start, len(number)):
        char = number[position]
        if char not in _KEEP and char not in _DROP:
            raise InvalidArgument(
                f"{field}: {number!r} has {char!r} at position {position}; a number is digits,"
                f" '*' and '#', with one leading '+' and the separators {SEPARATORS!r}"
            )
    if not digits:
        raise InvalidArgument(f"{field}: {number!r} has no digits")
    return digits


def normalize_numbers(numbers: Sequence[str], *, field: str = "numbers") -> Sequence[str]:
    """:func:`normalize_number` of each of ``numbers``, an error naming ``field[i]``. A batch
    whose every number is already table-ready (non-empty, over ``0-9*#``) is returned as it
    is, checked in one pass over the joined text; O(total length) either way."""
    try:
        if all(numbers) and _TABLE_READY("".join(numbers)):
            return numbers
    except TypeError:
        pass  # something other than a str: the loop names it
    return [
        normalize_number(number, field=f"{field}[{i}]")
        for i, number in enumerate(iterate(numbers, field))
    ]
