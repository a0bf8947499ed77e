# Whether a str is already a normalised number of plain ASCII digits: included by the
# compiled modules that take such a number as it is (routing._walk, admission._admit).

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)


cdef inline bint _digits(object text):
    """Whether ``text`` is a non-empty str of plain ASCII digits: what ``normalize_number``
    returns as it is (``str.isdigit`` and ``str.isascii``)."""
    cdef Py_ssize_t size, i
    cdef const char* data
    if type(text) is not str:
        return False
    size = PyUnicode_GET_LENGTH(text)
    if size == 0 or not PyUnicode_IS_ASCII(text):
        return False
    data = <const char*>PyUnicode_DATA(text)
    for i in range(size):
        if data[i] < 48 or data[i] > 57:
            return False
    return True
