# The top table of the compiled prefix table: its first TOP_DEPTH levels flattened into one
# array indexed by a number's first TOP_DEPTH symbols. Included by _prefix.pyx after the
# node layout (one compiled module in several files).

ctypedef struct Top:
    int32_t node       # the node the first TOP_DEPTH symbols reach, or -1
    int32_t best       # the deepest node with a pair on the way there, or -1

# the weight of each of the TOP_DEPTH leading symbols in a top-table index
cdef Py_ssize_t TOP_WEIGHT[4]
TOP_WEIGHT[:] = [SYMBOLS ** 3, SYMBOLS ** 2, SYMBOLS, 1]

# A table gets a top table from this many trie nodes on (TOP_MIN_NODES; tests lower it).
cdef Py_ssize_t top_min_nodes = TOP_MIN_NODES


def _set_top_min_nodes(Py_ssize_t nodes):
    """Give tables of at least ``nodes`` trie nodes a top table from now on; return the
    previous threshold. For tests, which build small tables through both walks."""
    global top_min_nodes
    previous, top_min_nodes = top_min_nodes, nodes
    return previous


cdef Top* _build_top(const Node* nodes) except NULL:
    """A new top table over the trie ``nodes``: for each of the SYMBOLS ** TOP_DEPTH strings
    of TOP_DEPTH symbols, the node its path reaches (-1 if it leaves the trie sooner) and
    the deepest node with a pair on the way (-1 if none). The caller frees it."""
    cdef Top* top = <Top*>PyMem_Malloc(TOP_SIZE * sizeof(Top))
    cdef Py_ssize_t index, level
    cdef unsigned int symbol, bitmap
    cdef const Node* node
    cdef int32_t best
    if top == NULL:
        raise MemoryError()
    for index in range(TOP_SIZE):
        node = nodes
        best = -1
        for level in range(TOP_DEPTH):
            symbol = (index // TOP_WEIGHT[level]) % SYMBOLS
            bitmap = node.bitmap
            if not (bitmap >> symbol) & 1:
                node = NULL
                break
            node = nodes + node.child + POPCOUNT[bitmap & ((1u << symbol) - 1)]
            if node.pair != NULL:
                best = <int32_t>(node - nodes)
        top[index].node = <int32_t>(node - nodes) if node != NULL else -1
        top[index].best = best
    return top


cdef inline Py_ssize_t _enter(const Top* top, const Node* nodes, const uint8_t* text,
                              Py_ssize_t n, const Node** node, const Node** best) noexcept:
    """Start a walk of the 1-byte text ``text[:n]`` (``n`` already cut to the longest key):
    set ``node[0]`` and ``best[0]`` from the top table (or to the root and NULL without
    one) and return the position the trie walk goes on from, or -1 when it is over."""
    cdef unsigned int a, b, c, d
    cdef int32_t reached, found
    node[0] = nodes
    best[0] = NULL
    if top == NULL or n < TOP_DEPTH:
        return 0
    a = CHAR_INDEX[text[0]]
    b = CHAR_INDEX[text[1]]
    c = CHAR_INDEX[text[2]]
    d = CHAR_INDEX[text[3]]
    if a >= SYMBOLS or b >= SYMBOLS or c >= SYMBOLS or d >= SYMBOLS:
        return 0  # the number stops within the top: the plain walk handles it
    top = top + ((a * SYMBOLS + b) * SYMBOLS + c) * SYMBOLS + d
    reached = top.node
    found = top.best
    if found >= 0:
        best[0] = nodes + found
    if reached < 0:
        return -1
    node[0] = nodes + reached
    return TOP_DEPTH


cdef Py_ssize_t _path_node(const Node* nodes, str text):
    """The index of the node ``text``'s whole path reaches (a key or not), or -1."""
    cdef const Node* node = nodes
    cdef unsigned int symbol
    for char in text:
        symbol = _symbol(ord(char))
        if not (node.bitmap >> symbol) & 1:
            return -1
        node = nodes + node.child + POPCOUNT[node.bitmap & ((1u << symbol) - 1)]
    return node - nodes


cdef int _check_top(const Top* top, const Node* nodes, object table) except -1:
    """Assert each top-table entry against a plain walk of its TOP_DEPTH symbols."""
    cdef Py_ssize_t index, level
    cdef int32_t best
    for index in range(TOP_SIZE):
        text = ""
        for level in range(TOP_DEPTH):
            text += ALPHABET[(index // TOP_WEIGHT[level]) % SYMBOLS]
        found = table.matches(text)
        best = top[index].best
        if found:
            assert best >= 0, f"{text}: no best node for a match"
            # (no negative indexes here: the module is compiled without wraparound)
            assert <object>nodes[best].pair is found[len(found) - 1], f"{text}: node {best}"
        else:
            assert best == -1, f"{text}: a best node without a match"
        assert top[index].node == _path_node(nodes, text), f"{text}: node {top[index].node}"
    return 0
