"""Dial patterns and rewrite rules, as VOS3000 gateways write them.

A :class:`DialPattern` matches a **whole** number:

* ``0``-``9`` and ``#`` stand for themselves; ``\\*`` is a literal ``*`` (the star key);
* ``*`` is any run of digits, the empty run included; ``?`` is exactly one digit;
* a closing ``{m,n}`` bounds the length of the whole number (``{m}``, ``{m,}`` and ``{,n}``
  also work).

``44?0*{11,12}`` matches ``4410`` followed by 7 or 8 more digits. The literal start of a pattern
(``44`` here) is its :attr:`~DialPattern.head`: a table files the pattern under it and tests
the rest only for numbers that start with it.

A :class:`RewriteRule` changes the start of a number: ``match`` (digits, with ``?`` for any one
digit) is replaced by ``replacement``. It covers the three rewrites a gateway needs: strip N
leading digits (``RewriteRule.strip(3)``: ``???`` → nothing), add a prefix
(``RewriteRule.add("00")``: nothing → ``00``) and replace one (``RewriteRule.replace("0086",
"86")``). Its text form is VOS3000's ``match:replacement`` (``0086:86``, ``:00``, ``???:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from .._checks import check_str, check_type, iterate
from .._prefix_rules import ALPHABET
from ..errors import InvalidArgument, InvalidArgumentType

__all__ = ["DialPattern", "RewriteRule", "rewrite"]

_LITERAL = frozenset("0123456789#")
_DIGIT = "[0-9]"
_BOUNDS = re.compile(r"\{(\d*)(,?)(\d*)\}\Z")


def _bad(text: str, position: int, what: str) -> InvalidArgument:
    return InvalidArgument(f"pattern {text!r}: {what} at position {position}")


def _compile(text: str) -> tuple[str, str, int, int | None]:
    """``(head, regex, min_length, max_length)`` of a pattern; raises naming the position."""
    body = text
    low, high = 0, None
    bounds = _BOUNDS.search(text)
    if bounds is not None:
        body = text[: bounds.start()]
        first, comma, last = bounds.groups()
        if not first and not last:
            raise _bad(text, bounds.start(), "a length bound without a number")
        low = int(first) if first else 0
        high = (int(last) if last else None) if comma else low
        if high is not None and high < low:
            raise _bad(text, bounds.start(), f"length bound {{{first},{last}}} has max < min")
    parts: list[str] = []
    head: list[str] = []
    in_head = True
    fixed = 0  # characters every match has
    open_ended = False
    position = 0
    while position < len(body):
        char = body[position]
        if char in _LITERAL:
            parts.append(char)
            fixed += 1
            if in_head:
                head.append(char)
        elif char == "\\":
            if body[position + 1 : position + 2] != "*":
                raise _bad(text, position, "'\\' escapes only '*'")
            position += 1
            parts.append(r"\*")
            fixed += 1
            if in_head:
                head.append("*")
        elif char == "*":
            parts.append(_DIGIT + "*")
            in_head = False
            open_ended = True
        elif char == "?":
            parts.append(_DIGIT)
            fixed += 1
            in_head = False
        elif char in "{}":
            raise _bad(text, position, "a length bound that is not a closing '{m,n}'")
        else:
            raise _bad(
                text, position, f"{char!r} is none of the digits, '#', '*', '?', '\\*' or '{{m,n}}'"
            )
        position += 1
    if not parts:
        raise InvalidArgument(f"pattern {text!r}: matches no digit at all")
    shortest = max(low, fixed)
    longest = fixed if not open_ended else None
    if high is not None:
        longest = high if longest is None else min(longest, high)
    if longest is not None and longest < shortest:
        raise InvalidArgument(
            f"pattern {text!r}: can never match (its length bound leaves no length between"
            f" {shortest} and {longest})"
        )
    return "".join(head), "".join(parts), shortest, longest


def _check_text(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{attribute.name}: expected a str, got {value!r}")


@attrs.frozen
class DialPattern:
    """A dial pattern (see the module docstring). Build it from its text:

    >>> p = DialPattern("44?0*{11,12}")
    >>> p.head, p.matches("44107946095"), p.matches("4410794609"), p.matches("44217946095")
    ('44', True, False, False)
    >>> DialPattern("1800\\\\*?").matches("1800*5")
    True
    """

    text: str = attrs.field(validator=_check_text)
    head: str = attrs.field(init=False, eq=False, repr=False)
    min_length: int = attrs.field(init=False, eq=False, repr=False)
    max_length: int | None = attrs.field(init=False, eq=False, repr=False)
    _regex: re.Pattern[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        head, regex, shortest, longest = _compile(self.text)
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "min_length", shortest)
        object.__setattr__(self, "max_length", longest)
        object.__setattr__(self, "_regex", re.compile(regex))

    def matches(self, number: str) -> bool:
        """Whether the whole of ``number`` (normalised digits) fits. O(len(number))."""
        size = len(number if type(number) is str else check_str(number, "number"))
        if size < self.min_length or (self.max_length is not None and size > self.max_length):
            return False
        return self._regex.fullmatch(number) is not None


def _check_digits(field: str, extra: str) -> Any:
    allowed = frozenset(ALPHABET + extra)

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidArgumentType(f"{field}: expected a str, got {value!r}")
        for position, char in enumerate(value):
            if char not in allowed:
                raise InvalidArgument(
                    f"{field}: {value!r} has {char!r} at position {position}, not one of"
                    f" {ALPHABET + extra!r}"
                )

    return check


@attrs.frozen(kw_only=True)
class RewriteRule:
    """Replace a number's start ``match`` (``?``: any one digit) by ``replacement``.

    >>> RewriteRule.parse("0086:86").apply("008613800138000")
    '8613800138000'
    >>> RewriteRule.strip(2).apply("0044123"), RewriteRule.add("9").apply("123")
    ('44123', '9123')
    >>> RewriteRule.replace("0086", "86").apply("0044123") is None
    True
    """

    match: str = attrs.field(default="", validator=_check_digits("match", "?"))
    replacement: str = attrs.field(default="", validator=_check_digits("replacement", ""))

    def __attrs_post_init__(self) -> None:
        if not self.match and not self.replacement:
            raise InvalidArgument("rewrite rule: match and replacement are both empty")

    @classmethod
    def strip(cls, digits: int) -> RewriteRule:
        """Drop the first ``digits`` digits of every number long enough."""
        if isinstance(digits, bool) or not isinstance(digits, int):
            raise InvalidArgumentType(f"digits: expected an int, got {digits!r}")
        if not 1 <= digits <= 64:
            raise InvalidArgument(f"digits: {digits} is not between 1 and 64")
        return cls(match="?" * digits)

    @classmethod
    def add(cls, prefix: str) -> RewriteRule:
        """Put ``prefix`` in front of every number."""
        return cls(replacement=prefix)

    @classmethod
    def replace(cls, old: str, new: str) -> RewriteRule:
        """Replace the prefix ``old`` by ``new`` (``new`` may be empty: delete it)."""
        return cls(match=old, replacement=new)

    @classmethod
    def parse(cls, text: str) -> RewriteRule:
        """A rule from VOS3000's ``match:replacement`` text."""
        if not isinstance(text, str):
            raise InvalidArgumentType(f"rewrite rule: expected a str, got {text!r}")
        match, colon, replacement = text.partition(":")
        if not colon:
            raise InvalidArgument(f"rewrite rule {text!r}: expected 'match:replacement'")
        return cls(match=match, replacement=replacement)

    def applies(self, number: str) -> bool:
        """Whether ``number`` starts with :attr:`match`."""
        match = self.match
        if type(number) is not str:
            check_str(number, "number")
        if len(number) < len(match):
            return False
        for want, got in zip(match, number, strict=False):
            if want != got and (want != "?" or got not in "0123456789"):
                return False
        return True

    def apply(self, number: str) -> str | None:
        """``number`` rewritten, or ``None`` when it does not start with :attr:`match`."""
        if not self.applies(number):
            return None
        return self.replacement + number[len(self.match) :]

    def __str__(self) -> str:
        return f"{self.match}:{self.replacement}"


def rewrite(number: str, rules: Iterable[RewriteRule]) -> str:
    """``number`` rewritten by the first of ``rules`` that applies (unchanged if none does).

    >>> rewrite("0086138", [RewriteRule.parse("0044:44"), RewriteRule.parse("00:")])
    '86138'
    """
    for index, rule in enumerate(iterate(rules, "rules")):
        if type(rule) is not RewriteRule:
            check_type(rule, RewriteRule, f"rules[{index}]")
        result: str | None = rule.apply(number)
        if result is not None:
            return result
    return number
