"""PrefixTable: both implementations, against each other and a brute-force model."""

from __future__ import annotations

import doctest
import gc
import pickle
import re
import sys
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import vosengine
from tests.conftest import top_tables
from vosengine import (
    InvalidArgument,
    InvalidArgumentType,
    NotFound,
    VosEngineError,
    _prefix_py,
    prefix,
)

ALPHABET = "#*0123456789"

keys_st = st.text(alphabet=ALPHABET, min_size=1, max_size=10)
short_keys_st = st.text(alphabet="0123", min_size=1, max_size=4)
numbers_st = st.one_of(
    st.text(alphabet=ALPHABET, max_size=80),
    st.text(alphabet="0123", max_size=12),
    st.text(max_size=20),  # anything at all: lookups never raise for a str
)


def brute_matches(pairs: dict[str, Any], number: str) -> list[tuple[str, Any]]:
    """Every key that is a prefix of ``number``, shortest first: the model."""
    return sorted(
        ((key, value) for key, value in pairs.items() if number.startswith(key)),
        key=lambda pair: len(pair[0]),
    )


def brute_longest(pairs: dict[str, Any], number: str) -> tuple[str, Any] | None:
    found = brute_matches(pairs, number)
    return found[-1] if found else None


# -- the picker --------------------------------------------------------------------------


def test_picker_names_its_implementation() -> None:
    assert prefix.IMPLEMENTATION in ("cython", "python")
    assert vosengine.PrefixTable is prefix.PrefixTable
    if prefix.IMPLEMENTATION == "cython":
        assert prefix.EXTENSION_ERROR is None
        assert type(prefix.PrefixTable).__name__ == "type"
        assert prefix.PrefixTable.__module__ == "vosengine._prefix"
    else:
        assert prefix.EXTENSION_ERROR


def test_compiled_module_in_use_when_required() -> None:
    import os

    if not os.environ.get("VOSENGINE_REQUIRE_EXTENSIONS"):
        pytest.skip(
            "the compiled prefix engine may be absent here:"
            " VOSENGINE_REQUIRE_EXTENSIONS=1 makes its absence a failure"
        )
    assert prefix.IMPLEMENTATION == "cython", prefix.EXTENSION_ERROR


def test_no_extensions_variable_forces_the_twin() -> None:
    import subprocess

    code = "import vosengine.prefix as p; print(p.IMPLEMENTATION, p.PrefixTable.__module__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"VOSENGINE_NO_EXTENSIONS": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["python", "vosengine._prefix_py"]


# -- semantics ---------------------------------------------------------------------------


def test_longest_and_matches(table_cls: Any) -> None:
    table = table_cls([("1", "NANP"), ("1212", "NY"), ("44", "UK"), ("4420", "London")])
    assert table.longest("12125551234") == ("1212", "NY")
    assert table.longest("13105551234") == ("1", "NANP")
    assert table.longest("442071234567") == ("4420", "London")
    assert table.longest("33123") is None
    assert table.longest("") is None
    assert table.matches("12125551234") == [("1", "NANP"), ("1212", "NY")]
    assert table.matches("9") == []
    assert table.longest_value("4420", default=0) == "London"
    assert table.longest_value("5", default=0) == 0
    assert table.longest_value("5") is None


def test_lookup_stops_at_a_character_outside_the_alphabet(table_cls: Any) -> None:
    table = table_cls({"12": "a", "123": "b", "1*2": "star", "#9": "hash"})
    assert table.longest("12a3") == ("12", "a")
    assert table.longest("123") == ("123", "b")
    assert table.longest("1*2345") == ("1*2", "star")
    assert table.longest("#99") == ("#9", "hash")
    assert table.longest("1 23") is None
    assert table.longest("12\u0663") == ("12", "a")  # ARABIC-INDIC DIGIT THREE is no digit
    assert table.longest("\U0001f4de123") is None
    assert table.matches("123\x00") == [("12", "a"), ("123", "b")]


def test_duplicate_prefixes_last_one_wins(table_cls: Any) -> None:
    table = table_cls([("44", 1), ("1", 2), ("44", 3)])
    assert len(table) == 2
    assert table["44"] == 3
    assert table.items() == [("1", 2), ("44", 3)]


def test_repeated_prefixes_in_a_long_source_last_one_wins(table_cls: Any) -> None:
    """The compiled build inserts keys in groups: repeats within a group and across groups
    keep the input order's last value, and a repeat of a new key right after it too."""
    keys = [f"{i % 37}{'#' * (i % 3)}" for i in range(1_000)]
    source = [(key, index) for index, key in enumerate(keys)]
    source += [("99999", "first"), ("99999", "second")]
    table = table_cls(source)
    model = dict(source)
    assert table.items() == sorted(model.items())
    assert all(table[key] == value for key, value in model.items())
    assert table.longest("999991") == ("99999", "second")
    table._check()


def test_empty_table(table_cls: Any) -> None:
    table = table_cls()
    assert len(table) == 0
    assert table.longest("123") is None
    assert table.matches("123") == []
    assert table.longest_many(["1", ""]) == [None, None]
    assert table.items() == []
    assert list(table) == []
    assert "1" not in table
    table._check()


def test_mapping_source_and_exact_access(table_cls: Any) -> None:
    table = table_cls({"9": "x", "1": "y", "10": "z"})
    assert len(table) == 3
    assert table.keys() == ["1", "10", "9"]
    assert table.values() == ["y", "z", "x"]
    assert table.items() == [("1", "y"), ("10", "z"), ("9", "x")]
    assert list(table) == ["1", "10", "9"]
    assert "10" in table
    assert "100" not in table
    assert "" not in table
    assert "1a" not in table
    assert 1 not in table
    assert None not in table
    assert table["10"] == "z"
    assert table.get("10") == "z"
    assert table.get("100") is None
    assert table.get("100", "d") == "d"
    assert table.get(5, "d") == "d"


@pytest.mark.parametrize("missing", ["100", "", "1a", 1, None])
def test_getitem_of_a_missing_prefix_is_not_found(table_cls: Any, missing: object) -> None:
    table = table_cls({"1": "y"})
    with pytest.raises(NotFound, match="not in the table") as info:
        table[missing]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, VosEngineError)


def test_items_are_in_key_order(table_cls: Any) -> None:
    keys = ["9", "#", "*", "0", "*1", "12", "1", "#0", "100", "99"]
    table = table_cls((key, i) for i, key in enumerate(keys))
    assert table.keys() == sorted(keys)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "may not be empty"),
        ("12a", "has character 'a' at position 2, not one of '#*0123456789'"),
        ("1 2", "character ' ' at position 1"),
        ("+44", "character '+' at position 0"),
        ("٣", "character '٣' at position 0"),
    ],
)
def test_bad_keys_are_rejected_naming_key_and_item(table_cls: Any, bad: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)) as info:
        table_cls([("1", 0), ("2", 0), (bad, 0)])
    assert str(info.value).startswith(f"item 2: prefix {bad!r}" if bad else "item 2: a prefix")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [12, None, b"12", 1.5])
def test_non_str_keys_are_rejected(table_cls: Any, bad: object) -> None:
    with pytest.raises(InvalidArgumentType, match="expected a str") as info:
        table_cls([("1", 0), (bad, 0)])
    assert str(info.value).startswith("item 1: prefix ")
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("item", [("1",), ("1", 2, 3), 5, None, "12"])
def test_items_that_are_not_pairs_are_rejected(table_cls: Any, item: object) -> None:
    with pytest.raises(InvalidArgument, match=r"item 1: expected a \(prefix, value\) pair"):
        table_cls([("9", 0), item])


@pytest.mark.parametrize("bad", [5, None, b"123", ["1"]])
def test_lookups_of_non_str_raise_the_library_error(table_cls: Any, bad: object) -> None:
    table = table_cls({"1": 0})
    for lookup in (table.longest, table.matches, table.longest_value):
        with pytest.raises(InvalidArgumentType, match="expected a str"):
            lookup(bad)
    with pytest.raises(InvalidArgumentType):
        table.longest_many(["1", bad])


def test_longest_many_accepts_any_iterable(table_cls: Any) -> None:
    table = table_cls({"1": "a", "12": "b"})
    assert table.longest_many(iter(["123", "2", "1"])) == [("12", "b"), None, ("1", "a")]
    assert table.longest_many(("12",)) == [("12", "b")]
    assert table.longest_many(n for n in ["1"]) == [("1", "a")]
    assert table.longest_many([]) == []


def test_long_numbers_and_long_keys(table_cls: Any) -> None:
    key = "1234567890" * 7  # 70 digits
    table = table_cls({key: "deep", key[:35]: "mid", "1": "top"})
    number = key + "99999"
    assert table.longest(number) == (key, "deep")
    assert table.longest(key[:-1]) == (key[:35], "mid")
    assert table.matches(number) == [("1", "top"), (key[:35], "mid"), (key, "deep")]
    assert table.longest("1" + "0" * 200) == ("1", "top")
    table._check()


def test_single_digit_keys_and_every_symbol(table_cls: Any) -> None:
    table = table_cls((symbol, i) for i, symbol in enumerate(ALPHABET))
    for i, symbol in enumerate(ALPHABET):
        assert table.longest(symbol + "5") == (symbol, i)
    assert table.keys() == sorted(ALPHABET)
    table._check()


def test_derived_copies_leave_the_original_alone(table_cls: Any) -> None:
    table = table_cls({"1": "a", "2": "b"})
    grown = table.with_items({"3": "c", "1": "A"})
    assert grown.items() == [("1", "A"), ("2", "b"), ("3", "c")]
    shrunk = table.without(["1"])
    assert shrunk.items() == [("2", "b")]
    assert table.items() == [("1", "a"), ("2", "b")]
    with pytest.raises(NotFound, match="'9' is not in the table"):
        table.without(["2", "9"])
    with pytest.raises(InvalidArgument, match="character 'x'"):
        table.with_items([("x", 1)])
    assert type(grown) is type(table)


def test_equality_pickle_and_repr(table_cls: Any) -> None:
    table = table_cls({"1": "a", "2": ["b"]})
    same = table_cls([("2", ["b"]), ("1", "a")])
    assert table == same
    assert (table != same) is False
    assert table != table_cls({"1": "a"})
    assert table != {"1": "a", "2": ["b"]}
    restored = pickle.loads(pickle.dumps(table))
    assert restored == table
    assert type(restored) is type(table)
    assert repr(table) == "PrefixTable({'1': 'a', '2': ['b']})"
    big = table_cls((str(i), i) for i in range(10, 20))
    assert repr(big).endswith(", ... (10 prefixes)})")
    with pytest.raises(TypeError):
        hash(table)


def test_tables_of_both_implementations_compare_equal(
    both_table_classes: tuple[Any, Any],
) -> None:
    compiled, twin = both_table_classes
    assert compiled({"1": 2}) == twin({"1": 2})
    assert twin({"1": 2}) == compiled({"1": 2})
    assert compiled({"1": 2}) != twin({"1": 3})


def test_generic_alias(table_cls: Any) -> None:
    alias = table_cls[int]
    assert alias.__origin__ is table_cls


def test_docstring_examples_hold_for_both(table_cls: Any) -> None:
    """The twin's doctests, run against each implementation."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(_prefix_py.PrefixTable, "PrefixTable", globs={})
    assert sum(len(test.examples) for test in tests) >= 10
    for test in tests:
        test.globs = {"PrefixTable": table_cls}
        runner.run(test)
    assert runner.failures == 0


# -- references --------------------------------------------------------------------------


def test_no_reference_leaks(table_cls: Any) -> None:
    value = object()
    key = "123"
    before = (sys.getrefcount(value), sys.getrefcount(key))
    for _ in range(50):
        table = table_cls([(key, value), ("12", value), ("12", value), ("9", value)])
        table.longest("1234")
        table.longest_value("1234")
        table.longest_many(["1234", "12", "x"])
        table.matches("1234")
        table.items()
        table.get("12")
        _ = table["12"]
        _ = "12" in table
        pickle.loads(pickle.dumps(table))
        table.with_items([("5", value)]).without(["5"])
        del table, _
    gc.collect()
    assert (sys.getrefcount(value), sys.getrefcount(key)) == before


def test_failed_build_leaks_nothing(table_cls: Any) -> None:
    value = object()
    before = sys.getrefcount(value)
    for _ in range(50):
        with pytest.raises(InvalidArgument):
            table_cls([("1", value), ("2", value), ("bad", value)])
    gc.collect()
    assert sys.getrefcount(value) == before


def test_values_are_kept_alive_by_the_table(table_cls: Any) -> None:
    table = table_cls([("1", ["payload"])])
    gc.collect()
    assert table.longest("15") == ("1", ["payload"])


def test_a_cycle_through_a_value_is_collected(table_cls: Any) -> None:
    import weakref

    class Holder:
        table: Any = None

    holder = Holder()
    holder.table = table_cls([("1", holder)])
    ref = weakref.ref(holder)
    del holder
    gc.collect()
    assert ref() is None


# -- shared results ----------------------------------------------------------------------


def test_results_are_the_keys_shared_pairs(table_cls: Any) -> None:
    """Each key's pair is made once; every look-up ending at the key returns that object."""
    given_pair = ("44", "UK")
    table = table_cls([("1", "NANP"), given_pair, ["4420", "London"]])
    london = table.longest("442071234567")
    assert london == ("4420", "London") and type(london) is tuple
    assert table.longest("442079999999") is london
    assert table.longest_many(["442071234567", "4420"]) == [london, london]
    assert all(found is london for found in table.longest_many(["442071234567", "4420"]))
    assert table.matches("44207")[1] is london
    assert table.items()[2] is london
    # a (str, value) tuple of the source is the pair itself
    assert table.longest("4471") is given_pair
    assert table.matches("44207")[0] is given_pair


def test_a_key_of_a_str_subclass_gives_an_exact_str_pair(table_cls: Any) -> None:
    class Digits(str):
        pass

    source = (Digits("12"), "a")
    found = table_cls([source]).longest("123")
    assert found == ("12", "a") and found is not source
    assert type(found[0]) is str
    assert type(table_cls([source]).items()[0][0]) is str


def test_look_ups_allocate_nothing_per_number(table_cls: Any) -> None:
    """``longest()`` and ``longest_many()`` hand out the shared pairs: keeping a thousand
    results costs the list that holds them and not one block more."""
    table = table_cls([(str(key), key) for key in range(100, 1_000)])
    numbers = [f"{key}{key}" for key in range(100, 1_000)]
    longest = table.longest
    gc.collect()
    gc.disable()
    try:
        kept: list[Any] = [None] * len(numbers)
        before = sys.getallocatedblocks()
        for index, number in enumerate(numbers):
            kept[index] = longest(number)
        single = sys.getallocatedblocks() - before
        before = sys.getallocatedblocks()
        many = table.longest_many(numbers)
        batch = sys.getallocatedblocks() - before
    finally:
        gc.enable()
    assert all(found is not None for found in kept) and many == kept
    # a pair and a prefix string per number would be 1,800 blocks; the loop's own counters
    # and the result list are a handful
    assert single < 16
    assert batch < 16


# -- threads -----------------------------------------------------------------------------


def test_concurrent_readers_see_consistent_answers(table_cls: Any) -> None:
    import random

    rng = random.Random(7)
    pairs = {"".join(rng.choices("0123456789", k=rng.randint(1, 6))): i for i in range(5_000)}
    table = table_cls(pairs)
    numbers = ["".join(rng.choices("0123456789", k=11)) for _ in range(2_000)]
    expected = [brute_longest(pairs, number) for number in numbers]
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(5):
                assert [table.longest(n) for n in numbers] == expected
                assert table.longest_many(numbers) == expected
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# -- properties against the model ---------------------------------------------------------


@given(pairs=st.dictionaries(keys_st, st.integers()), numbers=st.lists(numbers_st))
def test_matches_the_brute_force_model(
    both_table_classes: tuple[Any, Any], pairs: dict[str, int], numbers: list[str]
) -> None:
    for cls in both_table_classes:
        table = cls(pairs)
        assert len(table) == len(pairs)
        assert table.items() == sorted(pairs.items())
        shared = {pair[0]: pair for pair in table.items()}
        for number in numbers:
            found = table.longest(number)
            assert found == brute_longest(pairs, number)
            assert found is None or found is shared[found[0]]
            matched = table.matches(number)
            assert matched == brute_matches(pairs, number)
            assert all(pair is shared[pair[0]] for pair in matched)
        many = table.longest_many(numbers)
        assert many == [brute_longest(pairs, n) for n in numbers]
        assert all(pair is None or pair is shared[pair[0]] for pair in many)
        table._check()


@given(
    pairs=st.lists(st.tuples(short_keys_st, st.integers(0, 3))),
    numbers=st.lists(st.text(alphabet="01234", max_size=70)),
)
def test_dense_overlapping_keys(
    both_table_classes: tuple[Any, Any], pairs: list[tuple[str, int]], numbers: list[str]
) -> None:
    model = dict(pairs)  # the last occurrence wins, as in the table
    compiled, twin = both_table_classes
    a, b = compiled(pairs), twin(pairs)
    assert a.items() == b.items() == sorted(model.items())
    for number in numbers:
        assert a.longest(number) == b.longest(number) == brute_longest(model, number)
        assert a.matches(number) == b.matches(number)
    for key in model:
        assert a[key] == b[key] == model[key]
    a._check()


top_keys_st = st.text(alphabet="#*0129", min_size=1, max_size=6)
top_numbers_st = st.one_of(
    st.text(alphabet="#*0129", max_size=9),
    st.text(alphabet="#*0129a", max_size=6),  # stopping inside the top, or after it
    st.text(alphabet="0129\u0100", max_size=6),  # a number that is not 1-byte text
)


@given(
    pairs=st.dictionaries(top_keys_st, st.integers(), max_size=40),
    numbers=st.lists(top_numbers_st, max_size=30),
)
def test_the_top_table_walk_is_the_plain_walk(
    both_table_classes: tuple[Any, Any], pairs: dict[str, int], numbers: list[str]
) -> None:
    """A compiled table starts each walk in its top table once it has enough nodes; built
    with one at any size, every look-up still answers as the model does."""
    compiled, _ = both_table_classes
    with top_tables(compiled):
        table = compiled(pairs)
    shared = {pair[0]: pair for pair in table.items()}
    for number in numbers:
        found = table.longest(number)
        assert found == brute_longest(pairs, number)
        assert found is None or found is shared[found[0]]
        assert table.longest_value(number, -1) == (-1 if found is None else found[1])
        assert table.matches(number) == brute_matches(pairs, number)
    assert table.longest_many(numbers) == [brute_longest(pairs, n) for n in numbers]
    assert table.longest_value_many(numbers) == [
        None if (found := brute_longest(pairs, n)) is None else found[1] for n in numbers
    ]
    table._check()  # with every top-table entry against a plain walk


def test_a_large_table_walks_through_its_top_table(table_cls: Any) -> None:
    import random

    rng = random.Random(11)
    pairs = {"".join(rng.choices("0123456789", k=rng.randint(1, 8))): i for i in range(12_000)}
    table = table_cls(pairs)
    numbers = ["".join(rng.choices("0123456789", k=rng.randint(0, 12))) for _ in range(3_000)]
    numbers += [key + "5" for key in list(pairs)[:1_000]] + ["12", "1a23", "#123"]
    expected = [brute_longest(pairs, number) for number in numbers]
    assert [table.longest(number) for number in numbers] == expected
    assert table.longest_many(numbers) == expected
    table._check()


# -- one number, several tables ------------------------------------------------------------


def _longest_values(cls: Any) -> Any:
    """The ``longest_values`` of ``cls``'s implementation."""
    return sys.modules[cls.__module__].longest_values


def test_the_picker_gives_the_longest_values_of_its_implementation() -> None:
    assert prefix.longest_values is _longest_values(prefix.PrefixTable)


@given(
    decks=st.lists(st.dictionaries(keys_st, st.integers(), max_size=12), max_size=40),
    numbers=st.lists(numbers_st, max_size=8),
    top=st.booleans(),
)
def test_longest_values_is_each_tables_longest_value(
    both_table_classes: tuple[Any, Any], decks: list[dict[str, int]], numbers: list[str], top: bool
) -> None:
    """More tables than one batch of lanes, numbers of any text, tables with and without a
    top table: each answer is the model's, on both implementations."""
    compiled, twin = both_table_classes
    if top:
        with top_tables(compiled):
            tables = [compiled(deck) for deck in decks]
    else:
        tables = [compiled(deck) for deck in decks]
    twins = [twin(deck) for deck in decks]
    for number in numbers:
        expected = tuple(
            None if (found := brute_longest(deck, number)) is None else found[1] for deck in decks
        )
        assert _longest_values(compiled)(number, tables) == expected
        assert _longest_values(compiled)(number, iter(tables)) == expected
        assert _longest_values(twin)(number, twins) == expected


def test_longest_values_takes_tables_of_either_implementation(
    both_table_classes: tuple[Any, Any],
) -> None:
    compiled, twin = both_table_classes
    mixed = (compiled({"44": 1}), twin({"4": 2, "447": 3}), compiled({}), twin({"5": 4}))
    for cls in both_table_classes:
        assert _longest_values(cls)("4471", mixed) == (1, 3, None, None)
        assert _longest_values(cls)("4471", ()) == ()


@pytest.mark.parametrize(
    ("number", "tables", "message"),
    [
        (4471, (), "number 4471: expected a str, got int"),
        ("4471", None, "tables: expected a collection, got None"),
        ("4471", "44", "tables: expected a collection, got '44'"),
        ("4471", ({"44": 1},), r"tables\[1\]: expected a PrefixTable, got \{'44': 1\}"),
    ],
)
def test_longest_values_names_a_bad_argument(
    table_cls: Any, number: object, tables: object, message: str
) -> None:
    if isinstance(tables, tuple) and tables:
        tables = (table_cls({"4": 0}), *tables)  # the bad one second
    with pytest.raises(InvalidArgumentType, match=message):
        _longest_values(table_cls)(number, tables)


def test_longest_values_docstring_holds_for_both(table_cls: Any) -> None:
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(_prefix_py.longest_values, "longest_values"):
        test.globs = {"PrefixTable": table_cls, "longest_values": _longest_values(table_cls)}
        runner.run(test)
    assert runner.tries == 1
    assert runner.failures == 0


class PrefixTableMachine(RuleBasedStateMachine):
    """Derive tables by adding and removing keys; compare both twins with a dict model."""

    def __init__(self) -> None:
        super().__init__()
        from vosengine import _prefix

        self.model: dict[str, int] = {}
        self.tables = [_prefix.PrefixTable(), _prefix_py.PrefixTable()]

    @rule(key=keys_st, value=st.integers())
    def add(self, key: str, value: int) -> None:
        self.model[key] = value
        self.tables = [table.with_items([(key, value)]) for table in self.tables]

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.model)))
        del self.model[key]
        self.tables = [table.without([key]) for table in self.tables]

    @rule(number=numbers_st)
    def lookup(self, number: str) -> None:
        for table in self.tables:
            assert table.longest(number) == brute_longest(self.model, number)
            assert table.matches(number) == brute_matches(self.model, number)

    @rule(key=keys_st)
    def exact(self, key: str) -> None:
        for table in self.tables:
            assert (key in table) == (key in self.model)
            assert table.get(key) == self.model.get(key)

    @invariant()
    def same_items(self) -> None:
        for table in self.tables:
            assert table.items() == sorted(self.model.items())
            table._check()


def test_state_machine(both_table_classes: tuple[Any, Any]) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(PrefixTableMachine)


def test_look_up_arguments_are_positional_on_both_implementations(table_cls: Any) -> None:
    """The compiled table and its twin take the number positionally, as their stub says."""
    table = table_cls({"1": "a"})
    assert table.longest("12") == ("1", "a")
    calls = [
        lambda: table.longest(number="12"),
        lambda: table.longest_value(number="12"),
        lambda: table.longest_many(numbers=["12"]),
        lambda: table.longest_value_many(numbers=["12"]),
        lambda: table.matches(number="12"),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()
