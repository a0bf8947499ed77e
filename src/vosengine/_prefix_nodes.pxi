# The layout of a trie node, the alphabet tables a walk reads, and the error builders of the
# compiled prefix table: included by _prefix.pyx (one compiled module in several files).

include "_prefetch.pxi"

cdef extern from "Python.h":
    bint PyUnicode_Check(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)
    int PyUnicode_1BYTE_KIND

cdef enum:
    SYMBOLS = 12
    # The build inserts this many keys in lock step, and lays nodes out this many places
    # ahead of its prefetches (see _prefix_build.pxi).
    BUILD_LANES = 32
    AHEAD = 16
    # Batch lookups walk this many numbers in lock step, prefetching each one's next node,
    # so that their cache misses overlap instead of queueing one after another.
    LANES = 32
    # Index given to a character outside the alphabet: bit 15 is never set in a bitmap, so
    # the walk's child test fails for it without a separate range check.
    NO_SYMBOL = 15
    # The top table indexes the first TOP_DEPTH symbols of a number at once (SYMBOLS **
    # TOP_DEPTH entries); a table gets one from TOP_MIN_NODES trie nodes on, where its
    # 162 KiB are at most a third of the nodes' memory.
    TOP_DEPTH = 4
    TOP_SIZE = 20736
    TOP_MIN_NODES = 20736

ctypedef struct Node:
    PyObject* pair     # the key's shared (prefix, value) tuple, or NULL
    PyObject* value    # its value (borrowed from the pair), or NULL
    int32_t child      # index of the first child
    uint16_t bitmap    # bit c: a child for alphabet symbol c

# the alphabet of the one prefix rule (vosengine._prefix_rules), as bytes
cdef bytes ALPHABET_BYTES = ALPHABET.encode("ascii")
cdef uint8_t CHAR_INDEX[256]
cdef uint8_t POPCOUNT[4096]


cdef void _init_tables():
    cdef int i, c
    for i in range(256):
        CHAR_INDEX[i] = NO_SYMBOL
    for i, c in enumerate(ALPHABET_BYTES):
        CHAR_INDEX[c] = i
    for i in range(4096):
        POPCOUNT[i] = (POPCOUNT[i >> 1] if i else 0) + (i & 1)


_init_tables()


cdef inline uint8_t _symbol(Py_UCS4 ch) noexcept nogil:
    return CHAR_INDEX[ch] if ch < 256 else NO_SYMBOL


def _pair_error(Py_ssize_t index, object item):
    return InvalidArgument(f"item {index}: expected a (prefix, value) pair, got {item!r}")


cdef object _key_error(object key, Py_ssize_t index):
    """The error for an invalid key at input position ``index`` (the one prefix rule)."""
    try:
        check_prefix(key, f"item {index}")
    except InvalidArgument as error:
        return error
    raise AssertionError("unreachable: the key is valid")  # pragma: no cover


# The root of a table that holds nothing: no children, no pair. Shared, never freed.
cdef Node EMPTY_ROOT
EMPTY_ROOT.bitmap = 0
EMPTY_ROOT.child = 0
EMPTY_ROOT.pair = NULL
EMPTY_ROOT.value = NULL


cdef object _number_error(object number, object index=None):
    where = "" if index is None else f" at index {index}"
    return InvalidArgumentType(
        f"number {number!r}{where}: expected a str, got {type(number).__name__}")
