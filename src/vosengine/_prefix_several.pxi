# One number in several compiled tables at once, their walks in lock step: included by
# _prefix.pyx (one compiled module in several files).


def longest_values(number, tables, /):
    """:meth:`PrefixTable.longest_value` of ``number`` in each of ``tables``, as a tuple in
    their order (``None`` where a table has no key that is a prefix of it).

    The walks go in lock step, each prefetching its next node, so that their cache misses
    overlap: one number looked up in several cold tables (a customer deck and a routing
    plan) costs about what the deepest walk costs alone. A table of the pure-Python twin
    is looked up by its own method.

    >>> longest_values("4471", [PrefixTable({"44": 1}), PrefixTable({"4": 2, "447": 3})])
    (1, 3)
    """
    if not PyUnicode_Check(number):
        raise _number_error(number)
    cdef tuple seq = tables if type(tables) is tuple else tuple(iterate(tables, "tables"))
    cdef Py_ssize_t n = len(seq), start, lane, count
    cdef list out = [None] * n
    cdef const Node* best[LANES]
    cdef bint ours[LANES]
    for start in range(0, n, LANES):
        count = min(LANES, n - start)
        for lane in range(count):
            table = seq[start + lane]
            ours[lane] = isinstance(table, PrefixTable)
            if not ours[lane]:  # the twin's, or no table at all
                from ._prefix_py import _is_table

                if not _is_table(table):
                    raise InvalidArgumentType(
                        f"tables[{start + lane}]: expected a PrefixTable, got {table!r}")
                out[start + lane] = table.longest_value(number)
        _walk_tables(number, seq, start, count, ours, best)
        for lane in range(count):
            if ours[lane] and best[lane] != NULL:
                out[start + lane] = <object>best[lane].value
    return tuple(out)


cdef int _walk_tables(object number, tuple seq, Py_ssize_t start, Py_ssize_t count,
                      const bint* ours, const Node** best) except -1:
    """Walk ``number`` in the compiled tables ``seq[start:start + count]`` (``ours``;
    count <= LANES) in lock step, as ``PrefixTable._walk_lanes`` walks several numbers in
    one table. Fills ``best[l]`` (NULL for no match) for each lane ``l`` of ours."""
    cdef PrefixTable table
    cdef const Node* nodes[LANES]
    cdef const Node* node[LANES]
    cdef Py_ssize_t length[LANES]
    cdef Py_ssize_t pos[LANES]
    cdef bint live[LANES]
    cdef Py_ssize_t lane, active = 0
    cdef Py_ssize_t size = PyUnicode_GET_LENGTH(number)
    cdef const uint8_t* text
    cdef const Node* current
    cdef unsigned int bitmap, symbol
    if PyUnicode_KIND(number) != PyUnicode_1BYTE_KIND:
        for lane in range(count):
            if ours[lane]:
                best[lane] = (<PrefixTable>seq[start + lane])._walk(number, True)
        return 0
    text = <const uint8_t*>PyUnicode_DATA(number)
    for lane in range(count):
        live[lane] = False
        best[lane] = NULL
        if not ours[lane]:
            continue
        table = <PrefixTable>seq[start + lane]
        nodes[lane] = table._nodes
        length[lane] = min(size, table._max_len)
        pos[lane] = _enter(table._top, nodes[lane], text, length[lane], &node[lane], &best[lane])
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
            symbol = CHAR_INDEX[text[pos[lane]]]
            bitmap = current.bitmap
            if not (bitmap >> symbol) & 1:
                live[lane] = False
                active -= 1
                continue
            node[lane] = nodes[lane] + current.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
            VOS_PREFETCH(node[lane])
            pos[lane] += 1
    for lane in range(count):
        if ours[lane] and best[lane] != NULL:
            VOS_PREFETCH(best[lane].value)
    return 0
