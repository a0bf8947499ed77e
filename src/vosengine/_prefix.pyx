# cython: language_level=3, embedsignature=True, always_allow_keywords=False
"""Compiled prefix table: a bitmap-compressed trie over the alphabet ``#*0123456789``.

Layout: one contiguous array of 24-byte nodes (allocated with ``PyMem_Malloc``, so that
``tracemalloc`` sees it), breadth first, so the hot top levels share a few cache lines:

* ``bitmap`` -- bit ``c`` is set when the node has a child for alphabet symbol ``c``;
* ``child``  -- index of the node's first child; a node's children are contiguous, so the
  child for symbol ``c`` is ``child + popcount(bitmap & ((1 << c) - 1))``;
* ``pair``   -- a borrowed pointer to the result of the key that ends here, or NULL: the
  key's ``(prefix, value)`` tuple, built once at construction (an item of the source that
  already is such a tuple is kept as it is). The table's ``_pairs`` list owns the
  references (and shows them to the garbage collector);
* ``value``  -- the pair's value, borrowed, so that ``longest_value`` never reads the pair.

A look-up returns the pair (or value) it ends at with one more reference: it allocates
nothing, and the walk touches no Python object but the one it returns. ``items()`` collects
the pairs by a depth-first walk, in key order.

A table of at least ``TOP_MIN_NODES`` nodes also has a top table (``_prefix_top.pxi``):
its first four levels flattened into 12**4 entries indexed by a number's first four
symbols, each giving the node reached and the deepest key on the way. A walk starts there
and goes on in the trie from the fifth symbol.

Why this layout: a single look-up is a chain of dependent loads, one per trie level, and on
deep plans the levels below the fourth are cache misses. The variants measured, one run,
1,000,000 numbers, ns per single call (``longest_value`` / ``longest``) and per number in
a batch (``longest_value_many`` / ``longest_many``), on the real plan (287,454 prefixes of
``phonenumbers``) and on 200,000 random prefixes:

=====================================================  ========  ========  =======
variant                                                 real      random    real
                                                        single    single    batch
=====================================================  ========  ========  =======
A. 16-byte nodes with the value; a pair built per hit   329/422   205/257   63/195
B. 16-byte nodes with the shared pair only              586/433   363/235   82/75
C. 24-byte nodes with pair and value, no top table      387/469   234/235   66/76
D. C with the top table (this module)                   352/444   245/263   71/80
E. 8-byte nodes, results in a parallel array            366/460   248/275   68/81
=====================================================  ========  ========  =======

(a bare ``dict.get`` loop on the same numbers: 239 ns on the real plan, 184 ns on random;
figures move by about 15 % between runs on this machine, and the top table's 5-10 % gain on
single calls on the real plan held in each of the four runs made.)
Reading the value through the shared pair costs a second dependent miss; a parallel array
of results costs one more load than it saves by smaller nodes; a depth-first (subtree
contiguous) order was slower than breadth first. Shared pairs make ``longest`` one cold
load (the pair) where it used to build a pair from hot memory and touch the value, which
on the real plan (287,454 keys sharing 44,723 area-name objects) was often cached: single
``longest`` calls there cost about what they did, while batches run 2.4x faster.

What is left is the walk itself. ``benchmarks/prefix_depth.py`` cuts the real numbers to
4, 5, ... 10 characters: a call cost 28, 34, 49, 86, 126, 186 and 206 ns, so levels 5 and 6
are cache hits and levels 7, 8 and 9 cost 37-60 ns each. A two-symbol stride below the top
table would replace those three loads by two node loads and a load of the result, which a
stride node (144 children) cannot hold inline: the same count of dependent misses for more
memory, so it was not built.

The build (``_prefix_build.pxi``) inserts the keys into a plain 12-way working trie 32 at a
time in lock step, then lays it out breadth first, prefetching ahead in both phases: both
walk memory at random, and overlapping their misses took 1,000,000 random prefixes from
0.39 s to 0.23 s.

``longest_values`` (``_prefix_several.pxi``) looks one number up in several tables, walking
them in lock step as a batch walks several numbers in one table: a call that reads a
customer deck and a routing plan waits for about one walk's misses instead of two.

A table is never mutated after ``__init__``: any number of threads may read it at once.
The pure-Python twin with the same API and behaviour is ``vosengine._prefix_py``.
"""

from cpython.mem cimport PyMem_Calloc, PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, uint8_t, uint16_t
from libc.string cimport memset

from collections.abc import Mapping
from types import GenericAlias

from ._checks import iterate
from ._prefix_rules import ALPHABET, check_prefix
from .errors import InvalidArgument, InvalidArgumentType, NotFound

__all__ = ["ALPHABET", "PrefixTable", "longest_values"]


include "_prefix_nodes.pxi"
include "_prefix_top.pxi"
include "_prefix_build.pxi"



cdef class PrefixTable:
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

    cdef Node* _nodes
    cdef Top* _top
    cdef Py_ssize_t _n_nodes
    cdef list _pairs
    cdef Py_ssize_t _max_len

    def __cinit__(self):
        # an empty table until __init__ builds one, so a subclass that never calls
        # __init__ is an empty table, not a NULL the look-ups would follow
        self._nodes = &EMPTY_ROOT
        self._top = NULL
        self._n_nodes = 1
        self._pairs = []
        self._max_len = 0

    def __dealloc__(self):
        if self._nodes != &EMPTY_ROOT:
            PyMem_Free(self._nodes)
        PyMem_Free(self._top)
        self._nodes = NULL
        self._top = NULL

    def __init__(self, source=()):
        if self._nodes != &EMPTY_ROOT:
            raise InvalidArgument("a PrefixTable is immutable; build a new one instead")
        items = iterate(source.items() if isinstance(source, Mapping) else source, "source")
        cdef Working work
        cdef Lane lanes[BUILD_LANES]
        cdef Py_ssize_t index = 0, count = 0, max_len = 0
        cdef list pairs = []
        cdef list group = [None] * BUILD_LANES  # the group's pairs, which keep its keys alive
        work.children = NULL
        work.slots = NULL
        try:
            _working_init(&work)
            # Phase 1: a plain 12-way working trie, BUILD_LANES keys at a time in lock step.
            for item in items:
                group[count] = _lane(&lanes[count], item, index)
                count += 1
                index += 1
                if count == BUILD_LANES:
                    _insert(&work, lanes, count, group, pairs, &max_len)
                    count = 0
            _insert(&work, lanes, count, group, pairs, &max_len)
            self._nodes = _lay_out(work.children, work.slots, work.n_nodes, pairs)
            self._n_nodes = work.n_nodes
            self._pairs = pairs
            if work.n_nodes >= top_min_nodes:
                self._top = _build_top(self._nodes)
            self._max_len = max_len
        finally:
            PyMem_Free(work.children)
            PyMem_Free(work.slots)

    # -- the walk ---------------------------------------------------------------------------

    cdef inline const Node* _walk(self, object number, bint for_value) noexcept:
        """The deepest node with a pair on ``number``'s path, or NULL if none.

        ``number`` must be a ``str``; ``for_value`` says whether the caller reads the
        node's value (else its pair), which the walk starts fetching as soon as it is
        found.
        """
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(number), i
        cdef int kind = PyUnicode_KIND(number)
        cdef const uint8_t* text
        cdef void* data
        cdef const Node* nodes = self._nodes
        cdef const Node* node = nodes
        cdef const Node* best = NULL
        cdef unsigned int bitmap, symbol
        if n > self._max_len:
            n = self._max_len
        if kind == PyUnicode_1BYTE_KIND:
            text = <const uint8_t*>PyUnicode_DATA(number)
            i = _enter(self._top, nodes, text, n, &node, &best)
            if i < 0:
                return best
            while i < n:
                symbol = CHAR_INDEX[text[i]]
                bitmap = node.bitmap
                if not (bitmap >> symbol) & 1:
                    break
                node = nodes + node.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
                if node.pair != NULL:
                    best = node
                    # the caller will touch it: start fetching it while we walk on
                    VOS_PREFETCH(node.value if for_value else node.pair)
                i += 1
        else:
            data = PyUnicode_DATA(number)
            for i in range(n):
                symbol = _symbol(PyUnicode_READ(kind, data, i))
                bitmap = node.bitmap
                if not (bitmap >> symbol) & 1:
                    break
                node = nodes + node.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
                if node.pair != NULL:
                    best = node
        return best

    cdef const Node* _exact(self, object key) noexcept:
        """The node of exactly ``key`` if a key ends there, else NULL (any object)."""
        if not PyUnicode_Check(key):
            return NULL
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(key), i
        cdef int kind = PyUnicode_KIND(key)
        cdef void* data = PyUnicode_DATA(key)
        cdef const Node* nodes = self._nodes
        cdef const Node* node = nodes
        cdef unsigned int bitmap, symbol
        if n == 0 or n > self._max_len:
            return NULL
        for i in range(n):
            symbol = _symbol(PyUnicode_READ(kind, data, i))
            bitmap = node.bitmap
            if not (bitmap >> symbol) & 1:
                return NULL
            node = nodes + node.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
        return node if node.pair != NULL else NULL

    # -- lookups ----------------------------------------------------------------------------

    def longest(self, number, /):
        """The longest key that is a prefix of ``number``, with its value, or ``None``.

        O(k) in the number's length, k bounded by the longest key. The pair is the key's
        shared tuple: the same object on every call, so a look-up allocates nothing.

        >>> PrefixTable({"44": 1, "4420": 2}).longest("442071234567")
        ('4420', 2)
        """
        if not PyUnicode_Check(number):
            raise _number_error(number)
        cdef const Node* found = self._walk(number, False)
        if found == NULL:
            return None
        return <object>found.pair

    def longest_value(self, number, /, default=None):
        """The value of the longest key that is a prefix of ``number``, or ``default``.

        The same walk as :meth:`longest` without building a pair.

        >>> PrefixTable({"44": 1}).longest_value("4471", default=0)
        1
        """
        if not PyUnicode_Check(number):
            raise _number_error(number)
        cdef const Node* found = self._walk(number, True)
        if found == NULL:
            return default
        return <object>found.value

    cdef int _walk_lanes(self, list seq, Py_ssize_t start, Py_ssize_t count,
                         const Node** best, bint for_value) except -1:
        """Walk ``seq[start:start + count]`` (count <= LANES) in lock step.

        Fills ``best[l]`` (NULL for no match) for each lane ``l``.
        """
        cdef const Node* nodes = self._nodes
        cdef const Node* node[LANES]
        cdef const uint8_t* text[LANES]
        cdef Py_ssize_t length[LANES]
        cdef Py_ssize_t pos[LANES]
        cdef bint live[LANES]
        cdef Py_ssize_t lane, active = 0
        cdef const Node* current
        cdef unsigned int bitmap, symbol
        for lane in range(count):
            number = seq[start + lane]
            if not PyUnicode_Check(number):
                raise _number_error(number, start + lane)
            if PyUnicode_KIND(number) != PyUnicode_1BYTE_KIND:
                best[lane] = self._walk(number, for_value)
                live[lane] = False
                continue
            text[lane] = <const uint8_t*>PyUnicode_DATA(number)
            length[lane] = min(PyUnicode_GET_LENGTH(number), self._max_len)
            pos[lane] = _enter(self._top, nodes, text[lane], length[lane], &node[lane], &best[lane])
            live[lane] = pos[lane] >= 0
            if live[lane]:
                VOS_PREFETCH(node[lane])
                active += 1
        while active:
            for lane in range(count):
                if not live[lane]:
                    continue
                current = node[lane]  # prefetched one round ago
                if current.pair != NULL:
                    best[lane] = current
                if pos[lane] == length[lane]:
                    live[lane] = False
                    active -= 1
                    continue
                symbol = CHAR_INDEX[text[lane][pos[lane]]]
                bitmap = current.bitmap
                if not (bitmap >> symbol) & 1:
                    live[lane] = False
                    active -= 1
                    continue
                node[lane] = nodes + current.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
                VOS_PREFETCH(node[lane])
                pos[lane] += 1
        for lane in range(count):
            if best[lane] != NULL:
                VOS_PREFETCH(best[lane].value if for_value else best[lane].pair)
        return 0

    cdef list _many(self, numbers, bint for_value, object default):
        """Each number's pair (or, ``for_value``, its value), ``default`` for no match."""
        cdef list seq = numbers if type(numbers) is list else list(iterate(numbers, "numbers"))
        cdef Py_ssize_t n = len(seq), start, lane, count
        cdef list result = [default] * n
        cdef const Node* best[LANES]
        for start in range(0, n, LANES):
            count = min(LANES, n - start)
            self._walk_lanes(seq, start, count, best, for_value)
            for lane in range(count):
                if best[lane] != NULL:
                    result[start + lane] = <object>(
                        best[lane].value if for_value else best[lane].pair)
        return result

    def longest_many(self, numbers, /):
        """:meth:`longest` for each number, in order: the batch form for throughput.

        Walks several numbers in lock step so that their memory accesses overlap; the
        results are the keys' shared pairs, as from :meth:`longest`.

        >>> PrefixTable({"1": "a"}).longest_many(["15", "25"])
        [('1', 'a'), None]
        """
        return self._many(numbers, False, None)

    def longest_value_many(self, numbers, /, default=None):
        """:meth:`longest_value` for each number, in order (the batch form).

        >>> PrefixTable({"1": "a"}).longest_value_many(["15", "25"], default="-")
        ['a', '-']
        """
        return self._many(numbers, True, default)

    def matches(self, number, /):
        """Every key that is a prefix of ``number``, with its value, shortest first.

        >>> PrefixTable({"4": 0, "44": 1, "447": 2}).matches("4471")
        [('4', 0), ('44', 1), ('447', 2)]
        """
        if not PyUnicode_Check(number):
            raise _number_error(number)
        cdef Py_ssize_t n = min(PyUnicode_GET_LENGTH(number), self._max_len), i
        cdef int kind = PyUnicode_KIND(number)
        cdef void* data = PyUnicode_DATA(number)
        cdef const Node* nodes = self._nodes
        cdef const Node* node = nodes
        cdef unsigned int bitmap, symbol
        cdef list found = []
        for i in range(n):
            symbol = _symbol(PyUnicode_READ(kind, data, i))
            bitmap = node.bitmap
            if not (bitmap >> symbol) & 1:
                break
            node = nodes + node.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
            if node.pair != NULL:
                found.append(<object>node.pair)
        return found

    # -- exact access -----------------------------------------------------------------------

    def __len__(self):
        return len(self._pairs)

    def __contains__(self, prefix):
        return self._exact(prefix) != NULL

    def __getitem__(self, prefix):
        cdef const Node* node = self._exact(prefix)
        if node == NULL:
            raise NotFound(f"prefix {prefix!r} is not in the table")
        return <object>node.value

    def get(self, prefix, default=None):
        """The value stored under exactly ``prefix``, or ``default``."""
        cdef const Node* node = self._exact(prefix)
        if node == NULL:
            return default
        return <object>node.value

    def items(self):
        """Every ``(prefix, value)`` pair, in key order (``#`` < ``*`` < ``0`` < ... < ``9``,
        shorter first): the shared pairs look-ups return. O(number of trie nodes)."""
        cdef list out = []
        cdef Py_ssize_t size = self._max_len + 1, depth = 0
        cdef int32_t* path = <int32_t*>PyMem_Malloc(size * sizeof(int32_t))
        cdef int* next_symbol = <int*>PyMem_Malloc(size * sizeof(int))
        cdef const Node* node
        cdef const Node* child
        cdef int symbol
        cdef bint descended
        try:
            if path == NULL or next_symbol == NULL:
                raise MemoryError()
            path[0] = 0
            next_symbol[0] = 0
            while depth >= 0:
                node = self._nodes + path[depth]
                descended = False
                for symbol in range(next_symbol[depth], SYMBOLS):
                    if (node.bitmap >> symbol) & 1:
                        next_symbol[depth] = symbol + 1
                        depth += 1
                        path[depth] = node.child + POPCOUNT[node.bitmap & ((1u << symbol) - 1)]
                        next_symbol[depth] = 0
                        child = self._nodes + path[depth]
                        if child.pair != NULL:
                            out.append(<object>child.pair)
                        descended = True
                        break
                if not descended:
                    depth -= 1
        finally:
            PyMem_Free(path)
            PyMem_Free(next_symbol)
        return out

    def keys(self):
        """Every key, in key order."""
        return [pair[0] for pair in self.items()]

    def values(self):
        """Every value, in key order."""
        return [pair[1] for pair in self.items()]

    def __iter__(self):
        return iter(self.keys())

    # -- derived copies ---------------------------------------------------------------------

    def with_items(self, source):
        """A new table with ``source``'s pairs added (replacing equal keys). O(n + m).

        >>> PrefixTable({"1": "a"}).with_items({"2": "b"}).items()
        [('1', 'a'), ('2', 'b')]
        """
        added = source.items() if isinstance(source, Mapping) else source
        return type(self)(self.items() + list(iterate(added, "source")))

    def without(self, prefixes):
        """A new table without the given keys; a key that is not in the table is an error.

        >>> PrefixTable({"1": "a", "2": "b"}).without(["1"]).items()
        [('2', 'b')]
        """
        drop = set()
        for prefix in iterate(prefixes, "prefixes"):
            if self._exact(prefix) == NULL:
                raise NotFound(f"prefix {prefix!r} is not in the table")
            drop.add(prefix)
        return type(self)([pair for pair in self.items() if pair[0] not in drop])

    # -- protocol ---------------------------------------------------------------------------

    def __eq__(self, other):
        from ._prefix_py import _is_table

        if not _is_table(other):
            return NotImplemented
        return self.items() == other.items()

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __reduce__(self):
        return (type(self), (self.items(),))

    def __sizeof__(self):
        top = TOP_SIZE * sizeof(Top) if self._top != NULL else 0
        return object.__sizeof__(self) + self._n_nodes * sizeof(Node) + top

    def __repr__(self):
        shown = ", ".join(f"{key!r}: {value!r}" for key, value in self.items()[:5])
        more = f", ... ({len(self)} prefixes)" if len(self) > 5 else ""
        return f"PrefixTable({{{shown}{more}}})"

    @classmethod
    def __class_getitem__(cls, item):
        return GenericAlias(cls, item)

    def _check(self):
        """Assert every internal invariant (used by stress and property tests)."""
        cdef Py_ssize_t i, with_value = 0, max_len = 0, children = 0
        cdef const Node* node
        from collections import Counter

        owned = Counter(id(pair) for pair in self._pairs)
        pointed = Counter()
        assert self._n_nodes >= 1, "no root"
        for i in range(self._n_nodes):
            node = self._nodes + i
            assert node.bitmap < (1 << SYMBOLS), f"node {i}: bitmap {node.bitmap:#x}"
            if node.bitmap:
                # breadth first: children come after their parent, blocks in parent order
                assert i < node.child, f"node {i}: child {node.child} before its parent"
                assert node.child + POPCOUNT[node.bitmap] <= self._n_nodes, f"node {i}"
                assert node.child == 1 + children, f"node {i}: children block out of place"
                children += POPCOUNT[node.bitmap]
            else:
                assert node.pair != NULL or i == 0, f"node {i}: a leaf without a pair"
            if node.pair != NULL:
                pointed[id(<object>node.pair)] += 1
                with_value += 1
        assert children == self._n_nodes - 1, "not every node is some node's child"
        assert self._nodes[0].pair == NULL, "the root holds a pair"
        assert pointed == owned, "node pairs and owned pairs differ"
        items = self.items()
        assert len(items) == with_value == len(self._pairs)
        assert [pair[0] for pair in items] == sorted(pair[0] for pair in items), "key order"
        for pair in items:
            assert type(pair) is tuple and len(pair) == 2, f"pair {pair!r} is not a 2-tuple"
            key = pair[0]
            assert type(key) is str, f"key {key!r} is not an exact str"
            assert self.longest(key) is pair, f"key {key!r} does not lead to its pair"
            max_len = max(max_len, len(key))
        assert max_len == self._max_len, "max_len"
        if self._top != NULL:
            _check_top(self._top, self._nodes, self)


include "_prefix_several.pxi"
