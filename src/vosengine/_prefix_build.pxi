# A compiled prefix table's build: phase 1 inserts the keys into a plain 12-way working trie,
# several keys in lock step; phase 2 lays it out as bitmap nodes. Included by _prefix.pyx
# after the node layout (one compiled module in several files).


ctypedef struct Working:
    int32_t* children   # SYMBOLS per node; 0 means "no child" (the root is nobody's child)
    int32_t* slots      # per node: 1 + the index in pairs of the key that ends there, or 0
    Py_ssize_t n_nodes
    Py_ssize_t cap


ctypedef struct Lane:
    int kind            # the key's text
    void* data
    Py_ssize_t length
    Py_ssize_t pos      # the symbols walked so far
    int32_t node        # the node reached


cdef int _working_init(Working* work) except -1:
    work.n_nodes = 1
    work.cap = 1024
    work.children = <int32_t*>PyMem_Calloc(work.cap * SYMBOLS, sizeof(int32_t))
    work.slots = <int32_t*>PyMem_Calloc(work.cap, sizeof(int32_t))
    if work.children == NULL or work.slots == NULL:
        raise MemoryError()
    return 0


cdef int32_t _new_node(Working* work) except -1:
    """A new node of the working trie, growing its arrays when full."""
    cdef int32_t* grown
    if work.n_nodes == work.cap:
        grown = <int32_t*>PyMem_Realloc(
            work.children, 2 * work.cap * SYMBOLS * sizeof(int32_t))
        if grown == NULL:
            raise MemoryError()
        work.children = grown
        memset(work.children + work.cap * SYMBOLS, 0, work.cap * SYMBOLS * sizeof(int32_t))
        grown = <int32_t*>PyMem_Realloc(work.slots, 2 * work.cap * sizeof(int32_t))
        if grown == NULL:
            raise MemoryError()
        work.slots = grown
        memset(work.slots + work.cap, 0, work.cap * sizeof(int32_t))
        work.cap *= 2
    work.n_nodes += 1
    return <int32_t>(work.n_nodes - 1)


cdef object _lane(Lane* lane, object item, Py_ssize_t index):
    """Check the source's item ``index`` and set ``lane`` up to insert its key; return the
    pair the table keeps for it."""
    cdef Py_ssize_t position
    try:
        key, value = item
    except (TypeError, ValueError):
        raise _pair_error(index, item) from None
    if PyUnicode_Check(item) or isinstance(item, bytes):
        raise _pair_error(index, item)
    if not PyUnicode_Check(key):
        raise _key_error(key, index)
    if type(key) is not str:
        key = str.__str__(key)
        pair = (key, value)
    elif type(item) is tuple:
        pair = item  # already the (str, value) tuple a look-up returns
    else:
        pair = (key, value)
    lane.length = PyUnicode_GET_LENGTH(key)
    if lane.length == 0:
        raise _key_error(key, index)
    lane.kind = PyUnicode_KIND(key)
    lane.data = PyUnicode_DATA(key)
    for position in range(lane.length):
        if _symbol(PyUnicode_READ(lane.kind, lane.data, position)) == NO_SYMBOL:
            raise _key_error(key, index)
    lane.pos = 0
    lane.node = 0
    return pair


cdef int _insert(Working* work, Lane* lanes, Py_ssize_t count, list group, list pairs,
                 Py_ssize_t* max_len) except -1:
    """Insert the keys of ``lanes[:count]`` (checked), walking them in lock step so that
    their misses in the working trie overlap; then record their pairs in input order, so
    that of a repeated prefix the last occurrence wins, and raise ``max_len`` to the
    longest key."""
    cdef Py_ssize_t lane, active = count
    cdef Lane* walking
    cdef int32_t nxt, slot
    cdef uint8_t symbol
    while active:
        active = 0
        for lane in range(count):
            walking = lanes + lane
            if walking.pos == walking.length:
                continue
            symbol = _symbol(PyUnicode_READ(walking.kind, walking.data, walking.pos))
            nxt = work.children[walking.node * SYMBOLS + symbol]
            if nxt == 0:
                nxt = _new_node(work)
                work.children[walking.node * SYMBOLS + symbol] = nxt
            walking.node = nxt
            walking.pos += 1
            if walking.pos < walking.length:
                VOS_PREFETCH(work.children + nxt * SYMBOLS)
                VOS_PREFETCH(work.children + nxt * SYMBOLS + SYMBOLS - 1)
                active += 1
    for lane in range(count):
        if lanes[lane].length > max_len[0]:
            max_len[0] = lanes[lane].length
        slot = work.slots[lanes[lane].node]
        if slot == 0:
            pairs.append(group[lane])
            work.slots[lanes[lane].node] = <int32_t>len(pairs)
        else:  # a repeated prefix: the last occurrence wins
            pairs[slot - 1] = group[lane]
    return 0


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
