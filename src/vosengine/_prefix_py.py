"""Pure-Python prefix table: the readable reference for the compiled ``_prefix`` module.

Both modules define :class:`PrefixTable` with the identical API and behaviour; the test suite
runs every test against both, and against a brute-force model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeGuard, TypeVar, overload

from ._checks import iterate
from ._prefix_rules import _ALPHABET_SET, ALPHABET, check_prefix
from .errors import InvalidArgument, InvalidArgumentType, NotFound

__all__ = ["ALPHABET", "PrefixTable", "longest_values"]

V = TypeVar("V")
D = TypeVar("D")


def _pairs(source: Mapping[str, V] | Iterable[tuple[str, V]]) -> Iterator[tuple[str, V]]:
    """Yield ``(prefix, value)`` pairs from a mapping or an iterable of pairs, validated.

    Each yielded pair is the one a table returns for its key: an item that already is a
    ``(str, value)`` tuple is yielded as it is, anything else as a new tuple."""
    items: Iterable[Any] = source.items() if isinstance(source, Mapping) else source
    for index, item in enumerate(iterate(items, "source")):
        try:
            if isinstance(item, str | bytes):  # "12" would unpack as ("1", "2")
                raise TypeError
            key, value = item
        except (TypeError, ValueError):
            raise InvalidArgument(
                f"item {index}: expected a (prefix, value) pair, got {item!r}"
            ) from None
        check_prefix(key, f"item {index}")
        if type(item) is tuple and type(key) is str:
            yield item
        else:
            yield str.__str__(key), value


class PrefixTable(Generic[V]):
    """An immutable map from digit-string prefixes to values, with longest-prefix lookup.

    Keys are non-empty strings over ``0123456789*#``. Build a table from a mapping or an
    iterable of ``(prefix, value)`` pairs; when a prefix occurs more than once, the last
    occurrence wins. A table never changes after construction, so any number of threads may
    read it at once; derive a changed copy with :meth:`with_items` or :meth:`without`.

    Results are shared: each key's ``(prefix, value)`` tuple is made once, when the table is
    built (an item of the source that already is such a tuple is kept as it is), and every
    look-up that ends at that key returns that same immutable tuple, so a look-up allocates
    nothing.

    A lookup walks the number from its first character and stops at the first character
    outside the key alphabet: ``"12a3"`` is looked up as ``"12"``. Lookups accept any ``str``
    and never raise for one.

    >>> table = PrefixTable([("1", "NANP"), ("1212", "New York"), ("44", "UK")])
    >>> table.longest("12125551234")
    ('1212', 'New York')
    >>> table.matches("12125551234")
    [('1', 'NANP'), ('1212', 'New York')]
    >>> table.longest("33123") is None
    True
    """

    __slots__ = ("_map", "_max_len", "_sorted_keys")

    def __init__(self, source: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        mapping: dict[str, tuple[str, V]] = {}  # each key's shared result pair
        for pair in _pairs(source):
            mapping[pair[0]] = pair  # the last occurrence of a prefix wins
        self._map = mapping
        self._sorted_keys = sorted(mapping)
        self._max_len = max(map(len, mapping), default=0)

    # -- lookups ------------------------------------------------------------------------

    def _valid_length(self, number: object) -> int:
        """How many leading characters of ``number`` may be part of a match."""
        if not isinstance(number, str):
            raise InvalidArgumentType(
                f"number {number!r}: expected a str, got {type(number).__name__}"
            )
        limit = min(len(number), self._max_len)
        for position in range(limit):
            if number[position] not in _ALPHABET_SET:
                return position
        return limit

    def longest(self, number: str, /) -> tuple[str, V] | None:
        """The longest key that is a prefix of ``number``, with its value, or ``None``.

        O(k) dictionary probes, k = the longest key's length. The pair is the key's shared
        tuple: the same object on every call.

        >>> PrefixTable({"44": 1, "4420": 2}).longest("442071234567")
        ('4420', 2)
        """
        mapping = self._map
        for length in range(self._valid_length(number), 0, -1):
            pair = mapping.get(number[:length])
            if pair is not None:
                return pair
        return None

    @overload
    def longest_value(self, number: str, /) -> V | None: ...
    @overload
    def longest_value(self, number: str, /, default: D) -> V | D: ...
    def longest_value(self, number: str, /, default: object = None) -> object:
        """The value of the longest key that is a prefix of ``number``, or ``default``.

        The same walk as :meth:`longest` without building a pair.

        >>> PrefixTable({"44": 1}).longest_value("4471", default=0)
        1
        """
        found = self.longest(number)
        return default if found is None else found[1]

    def longest_many(self, numbers: Iterable[str], /) -> list[tuple[str, V] | None]:
        """:meth:`longest` for each number, in order: the batch form for throughput.

        >>> PrefixTable({"1": "a"}).longest_many(["15", "25"])
        [('1', 'a'), None]
        """
        longest = self.longest
        return [longest(number) for number in iterate(numbers, "numbers")]

    @overload
    def longest_value_many(self, numbers: Iterable[str], /) -> list[V | None]: ...
    @overload
    def longest_value_many(self, numbers: Iterable[str], /, default: D) -> list[V | D]: ...
    def longest_value_many(self, numbers: Iterable[str], /, default: object = None) -> list[Any]:
        """:meth:`longest_value` for each number, in order (the batch form).

        >>> PrefixTable({"1": "a"}).longest_value_many(["15", "25"], default="-")
        ['a', '-']
        """
        longest = self.longest
        out: list[Any] = []
        for number in iterate(numbers, "numbers"):
            found = longest(number)
            out.append(default if found is None else found[1])
        return out

    def matches(self, number: str, /) -> list[tuple[str, V]]:
        """Every key that is a prefix of ``number``, with its value, shortest first.

        >>> PrefixTable({"4": 0, "44": 1, "447": 2}).matches("4471")
        [('4', 0), ('44', 1), ('447', 2)]
        """
        mapping = self._map
        found = []
        for length in range(1, self._valid_length(number) + 1):
            pair = mapping.get(number[:length])
            if pair is not None:
                found.append(pair)
        return found

    # -- exact access -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, prefix: object) -> bool:
        return isinstance(prefix, str) and prefix in self._map

    def __getitem__(self, prefix: str) -> V:
        try:
            return self._map[prefix][1]
        except (KeyError, TypeError):
            raise NotFound(f"prefix {prefix!r} is not in the table") from None

    @overload
    def get(self, prefix: str) -> V | None: ...
    @overload
    def get(self, prefix: str, default: D) -> V | D: ...
    def get(self, prefix: str, default: object = None) -> object:
        """The value stored under exactly ``prefix``, or ``default``."""
        pair = self._map.get(prefix) if isinstance(prefix, str) else None
        return default if pair is None else pair[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sorted_keys)

    def keys(self) -> list[str]:
        """Every key, in key order (``#`` < ``*`` < ``0`` < ... < ``9``, shorter first)."""
        return list(self._sorted_keys)

    def values(self) -> list[V]:
        """Every value, in key order."""
        mapping = self._map
        return [mapping[key][1] for key in self._sorted_keys]

    def items(self) -> list[tuple[str, V]]:
        """Every ``(prefix, value)`` pair, in key order: the shared pairs look-ups return."""
        mapping = self._map
        return [mapping[key] for key in self._sorted_keys]

    # -- derived copies -----------------------------------------------------------------

    def with_items(self, source: Mapping[str, V] | Iterable[tuple[str, V]]) -> PrefixTable[V]:
        """A new table with ``source``'s pairs added (replacing equal keys). O(n + m).

        >>> PrefixTable({"1": "a"}).with_items({"2": "b"}).items()
        [('1', 'a'), ('2', 'b')]
        """
        return type(self)(_chain_items(self.items(), _pairs(source)))

    def without(self, prefixes: Iterable[str]) -> PrefixTable[V]:
        """A new table without the given keys; a key that is not in the table is an error.

        >>> PrefixTable({"1": "a", "2": "b"}).without(["1"]).items()
        [('2', 'b')]
        """
        drop = set()
        for prefix in iterate(prefixes, "prefixes"):
            if prefix not in self:
                raise NotFound(f"prefix {prefix!r} is not in the table")
            drop.add(prefix)
        return type(self)(pair for pair in self.items() if pair[0] not in drop)

    # -- protocol -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not _is_table(other):
            return NotImplemented
        return bool(self.items() == other.items())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.items(),))

    def __repr__(self) -> str:
        shown = ", ".join(f"{key!r}: {value!r}" for key, value in self.items()[:5])
        more = f", ... ({len(self)} prefixes)" if len(self) > 5 else ""
        return f"PrefixTable({{{shown}{more}}})"

    def _check(self) -> None:
        """Assert every internal invariant (used by stress and property tests)."""
        assert self._sorted_keys == sorted(self._map)
        assert self._max_len == max(map(len, self._map), default=0)
        for key, pair in self._map.items():
            check_prefix(key, "key")
            assert type(pair) is tuple, f"the pair of {key!r} is not a tuple"
            assert len(pair) == 2, f"the pair of {key!r} is not a pair"
            assert pair[0] == key, f"the pair of {key!r} names another key"
            assert type(pair[0]) is str, f"key {key!r} is not an exact str"


def _chain_items(
    first: Iterable[tuple[str, V]], second: Iterable[tuple[str, V]]
) -> Iterator[tuple[str, V]]:
    yield from first
    yield from second


def longest_values(number: str, tables: Iterable[PrefixTable[Any]], /) -> tuple[Any, ...]:
    """:meth:`PrefixTable.longest_value` of ``number`` in each of ``tables``, as a tuple in
    their order (``None`` where a table has no key that is a prefix of it).

    The compiled module walks the tables in lock step, so that their cache misses overlap;
    here each table is looked up in turn. A table of either implementation is accepted.

    >>> longest_values("4471", [PrefixTable({"44": 1}), PrefixTable({"4": 2, "447": 3})])
    (1, 3)
    """
    if not isinstance(number, str):
        raise InvalidArgumentType(f"number {number!r}: expected a str, got {type(number).__name__}")
    found = []
    for index, table in enumerate(iterate(tables, "tables")):
        if not _is_table(table):
            raise InvalidArgumentType(f"tables[{index}]: expected a PrefixTable, got {table!r}")
        found.append(table.longest_value(number))
    return tuple(found)


def _is_table(obj: object) -> TypeGuard[PrefixTable[Any]]:
    """Whether ``obj`` is a ``PrefixTable`` of either implementation."""
    if isinstance(obj, PrefixTable):
        return True
    try:
        from ._prefix import PrefixTable as CompiledTable
    except ImportError:
        return False
    return isinstance(obj, CompiledTable)
