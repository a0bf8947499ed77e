# Fetching memory before it is read, and the item arrays of lists and tuples: included by the
# compiled modules that start a cache miss early to overlap it with other work.

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define VOS_PREFETCH(p) __builtin_prefetch(p)
    #else
    #define VOS_PREFETCH(p) ((void)0)
    #endif
    #define VOS_LIST_ITEMS(o) (((PyListObject*)(o))->ob_item)
    #define VOS_TUPLE_ITEMS(o) (((PyTupleObject*)(o))->ob_item)
    """
    void VOS_PREFETCH(const void* p) noexcept nogil
    # the item arrays of a list and of a tuple, borrowed (no type check: callers know)
    PyObject** VOS_LIST_ITEMS(object o) noexcept
    PyObject** VOS_TUPLE_ITEMS(PyObject* o) noexcept nogil
