# Phase 2 of a compiled prefix table's build: laying the working trie out as bitmap nodes.
# Included by _prefix.pyx after the node layout (one compiled module in several files).


cdef Node* _lay_out(const int32_t* children, const int32_t* slots, Py_ssize_t n_temp,
                    list pairs) except NULL:
    """Phase 2 of a build: the nodes of the 12-way working trie (``children``, 0 for "no
    child"; ``slots``, 1 + the index in ``pairs`` of the key that ends at a node) laid out
    as bitmap nodes, breadth first, in a new array the caller owns.

    The working trie is read in breadth-first order, which is scattered in memory, and
    so are the pairs: each place prefetches, in three stages, the working node and slot
    3 * AHEAD places ahead, the pair's entry in ``pairs`` 2 * AHEAD ahead and the pair
    itself AHEAD ahead, so that their misses overlap.
    """
    cdef Node* nodes = <Node*>PyMem_Malloc(n_temp * sizeof(Node))
    cdef int32_t* order = <int32_t*>PyMem_Malloc(n_temp * sizeof(int32_t))
    cdef PyObject** items = VOS_LIST_ITEMS(pairs)
    cdef Py_ssize_t place, next_free = 1
    cdef int32_t temp, child, slot
    cdef int symbol
    cdef uint16_t bitmap
    cdef PyObject* pair
    if nodes == NULL or order == NULL:
        PyMem_Free(nodes)
        PyMem_Free(order)
        raise MemoryError()
    order[0] = 0
    for place in range(n_temp):
        if place + 3 * AHEAD < next_free:
            temp = order[place + 3 * AHEAD]
            VOS_PREFETCH(children + temp * SYMBOLS)
            VOS_PREFETCH(children + temp * SYMBOLS + SYMBOLS - 1)
            VOS_PREFETCH(slots + temp)
        if place + 2 * AHEAD < next_free:
            slot = slots[order[place + 2 * AHEAD]]
            if slot:
                VOS_PREFETCH(items + slot - 1)
        if place + AHEAD < next_free:
            slot = slots[order[place + AHEAD]]
            if slot:
                VOS_PREFETCH(VOS_TUPLE_ITEMS(items[slot - 1]) + 1)
        temp = order[place]
        slot = slots[temp]
        if slot:
            pair = items[slot - 1]
            nodes[place].pair = pair
            nodes[place].value = VOS_TUPLE_ITEMS(pair)[1]
        else:
            nodes[place].pair = NULL
            nodes[place].value = NULL
        nodes[place].child = <int32_t>next_free
        bitmap = 0
        for symbol in range(SYMBOLS):
            child = children[temp * SYMBOLS + symbol]
            if child:
                bitmap |= 1 << symbol
                order[next_free] = child
                next_free += 1
        nodes[place].bitmap = bitmap
        if not bitmap:
            nodes[place].child = 0
    PyMem_Free(order)
    return nodes
