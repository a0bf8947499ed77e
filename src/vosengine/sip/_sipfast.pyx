# cython: language_level=3, embedsignature=True, boundscheck=False, wraparound=False
"""Compiled SIP header splitter: the hot loop of ``vosengine.sip.parse``.

``split_head(data, start, end, keys, key_of)`` cuts the header block ``data[start:end]`` into
the start line and ``(key, name, value)`` fields, undoing line folding and trimming white
space, exactly as the pure-Python twin ``_message._split_head_py`` does (the tests compare the
two). It returns None when the block has a shape it leaves to the twin (bare LF line ends,
stray CR), so the twin decides those and raises their errors.
"""

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memcmp

# Header names as peers usually spell them: (raw bytes, key, name) -- a raw name equal to one
# of these needs neither decoding nor a dict look-up. Filled by set_known_names().
cdef dict KNOWN = {}


def set_known_names(list names):
    """``names``: ``(spelling, key)`` pairs, the key being what ``_message._key`` gives."""
    global KNOWN
    KNOWN = {}
    for spelling, key in names:
        raw = (<str>spelling).encode("ascii")
        KNOWN.setdefault(len(raw), []).append((raw, key, spelling))

cdef inline bint _ws(char c) noexcept:
    return c == 32 or c == 9


def split_head(bytes data, Py_ssize_t start, Py_ssize_t end, dict keys, object key_of):
    """``(first_line, fields, index)`` for ``data[start:end]`` with CRLF line ends, or None."""
    cdef const char* buf = data
    cdef Py_ssize_t pos = start, line_end, colon, name_end, value_start, value_end, scan
    cdef bint folded
    cdef list fields = []
    cdef dict index = {}
    cdef object name, value, key, bucket, entry, raw, candidates
    # start line
    line_end = pos
    while line_end < end and buf[line_end] != 13 and buf[line_end] != 10:
        line_end += 1
    if line_end < end and (buf[line_end] != 13 or line_end + 1 >= end or buf[line_end + 1] != 10):
        return None
    first = PyUnicode_DecodeUTF8(buf + pos, line_end - pos, "surrogateescape")
    pos = line_end + 2
    while pos < end:
        if _ws(buf[pos]):
            return None  # a folded start line or a header starting with white space
        colon = -1
        line_end = pos
        folded = False
        while True:
            while line_end < end and buf[line_end] != 13 and buf[line_end] != 10:
                if colon == -1 and buf[line_end] == 58:  # ':'
                    if folded:
                        return None  # a name folded over lines: the twin decides
                    colon = line_end
                line_end += 1
            if line_end < end and (
                buf[line_end] != 13 or line_end + 1 >= end or buf[line_end + 1] != 10
            ):
                return None  # bare CR or LF: the twin decides
            if line_end + 2 < end and _ws(buf[line_end + 2]):
                folded = True
                line_end += 2
                continue
            break
        if colon == -1:
            return None  # no colon: the twin raises the error
        name_end = colon
        key = None
        candidates = KNOWN.get(name_end - pos)
        if candidates is not None:
            for entry in <list>candidates:
                raw = (<tuple>entry)[0]
                if memcmp(<const char*>(<bytes>raw), buf + pos, name_end - pos) == 0:
                    key = (<tuple>entry)[1]
                    name = (<tuple>entry)[2]
                    break
        if key is None:
            name = PyUnicode_DecodeUTF8(buf + pos, name_end - pos, "surrogateescape")
        value_start = colon + 1
        value_end = line_end
        if folded:  # unfold first, then trim, as the twin does
            value = _unfold(PyUnicode_DecodeUTF8(buf + value_start, value_end - value_start,
                                                 "surrogateescape"))
        else:
            while value_start < value_end and _ws(buf[value_start]):
                value_start += 1
            while value_end > value_start and _ws(buf[value_end - 1]):
                value_end -= 1
            value = PyUnicode_DecodeUTF8(buf + value_start, value_end - value_start,
                                         "surrogateescape")
        if key is None:
            key = keys.get(name)
            if key is None:
                key = key_of(name)
        fields.append((key, name, value))
        bucket = index.get(key)
        if bucket is None:
            index[key] = [value]
        else:
            (<list>bucket).append(value)
        pos = line_end + 2
    return first, fields, index


cdef object _unfold(str value):
    import re

    return re.sub(r"\r\n[ \t]+", " ", value).strip(" \t")


# -- typed fast paths: the common shapes, in C; None sends a value to the Python parsers ------

cdef bint TOKEN[256]
cdef bint HOST[256]


cdef void _init_tables():
    cdef int c
    for c in range(256):
        TOKEN[c] = False
        HOST[c] = False
    for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~":
        TOKEN[c] = True
    for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.":
        HOST[c] = True


_init_tables()


cdef inline bint _has_upper(str text, Py_ssize_t start, Py_ssize_t end) noexcept:
    cdef Py_ssize_t i
    for i in range(start, end):
        if "A" <= text[i] <= "Z":
            return True
    return False


cdef inline bint _has_lower(str text, Py_ssize_t start, Py_ssize_t end) noexcept:
    cdef Py_ssize_t i
    for i in range(start, end):
        if "a" <= text[i] <= "z":
            return True
    return False


cdef inline object _lowered(str text, Py_ssize_t start, Py_ssize_t end):
    piece = text[start:end]
    return piece.lower() if _has_upper(text, start, end) else piece


cdef inline Py_ssize_t _span(str text, Py_ssize_t pos, Py_ssize_t n, bint* table) noexcept:
    """The index of the first character from ``pos`` that ``table`` does not admit."""
    cdef Py_UCS4 ch
    while pos < n:
        ch = text[pos]
        if ch >= 256 or not table[ch]:
            break
        pos += 1
    return pos


cdef object _params(str text, Py_ssize_t pos, Py_ssize_t n):
    """``;name[=value]...`` from ``text[pos:n]`` with plain tokens, else None."""
    cdef list out = []
    cdef Py_ssize_t name_start, name_end, value_start
    cdef Py_UCS4 ch
    while pos < n:
        if text[pos] != ";":
            return None
        pos += 1
        name_start = pos
        pos = _span(text, pos, n, TOKEN)
        name_end = pos
        if name_end == name_start:
            return None
        if pos < n and text[pos] == "=":
            pos += 1
            value_start = pos
            pos = _span(text, pos, n, TOKEN)
            if pos == value_start:
                return None
            out.append((_lowered(text, name_start, name_end), text[value_start:pos]))
        else:
            out.append((_lowered(text, name_start, name_end), None))
    return tuple(out)


def via(str value):
    """``(transport, host, port, params)`` for ``SIP/2.0/T host[:port];p=v...``, or None."""
    cdef Py_ssize_t n = len(value), pos = 8, start, port_value = 0
    cdef Py_UCS4 ch
    cdef object port = None
    if n < 10 or not value.startswith("SIP/2.0/"):
        return None
    start = pos
    pos = _span(value, pos, n, TOKEN)
    if pos == start or pos >= n or value[pos] != " ":
        return None
    transport = value[start:pos]
    if _has_lower(value, start, pos):
        transport = transport.upper()
    pos += 1
    start = pos
    pos = _span(value, pos, n, HOST)
    if pos == start:
        return None
    host = _lowered(value, start, pos)
    if pos < n and value[pos] == ":":
        pos += 1
        start = pos
        while pos < n and "0" <= value[pos] <= "9" and pos - start < 5:
            port_value = port_value * 10 + (<int>value[pos] - 48)
            pos += 1
        if pos == start or port_value > 65535:
            return None
        port = port_value
    params = _params(value, pos, n)
    if params is None:
        return None
    return transport, host, port, params


def name_addr(str value):
    """``(display, uri, params)`` for ``"Name" <uri>;p=v``, ``Name <uri>`` or ``<uri>``,
    or None for anything else."""
    cdef Py_ssize_t n = len(value), pos = 0, start, lt, gt
    cdef Py_UCS4 ch
    cdef object display = None
    cdef bint spaces
    if n == 0:
        return None
    if value[0] == '"':
        pos = 1
        while pos < n and value[pos] != '"':
            if value[pos] == "\\":
                return None
            pos += 1
        if pos >= n:
            return None
        display = value[1:pos]
        pos += 1
        while pos < n and value[pos] == " ":
            pos += 1
        if pos >= n or value[pos] != "<":
            return None
    elif value[0] != "<":
        start = 0
        spaces = False
        while pos < n and value[pos] != "<":
            ch = value[pos]
            if ch == " ":
                if pos > 0 and value[pos - 1] == " ":
                    spaces = True
            elif ch >= 256 or not TOKEN[ch]:
                return None
            pos += 1
        if pos >= n:
            return None
        if spaces:
            display = " ".join(value[start:pos].split()) or None
        else:
            display = value[start:pos].rstrip(" ") or None
    lt = pos
    pos += 1
    while pos < n and value[pos] != ">":
        ch = value[pos]
        if ch == " " or ch == "\t" or ch == "<" or ch == '"':
            return None
        pos += 1
    if pos >= n or pos == lt + 1:
        return None
    gt = pos
    uri = value[lt + 1 : gt]
    if ":" not in uri:
        return None
    params = _params(value, gt + 1, n)
    if params is None:
        return None
    return display, uri, params


def cseq(str value):
    """``(number, method)`` for ``digits SP token`` (number below 2**31), or None."""
    cdef Py_ssize_t n = len(value), pos = 0, start
    cdef long long number = 0
    cdef Py_UCS4 ch
    while pos < n and "0" <= value[pos] <= "9":
        number = number * 10 + (<int>value[pos] - 48)
        if number > 2147483647:
            return None
        pos += 1
    if pos == 0 or pos >= n or value[pos] != " ":
        return None
    pos += 1
    start = pos
    while pos < n:
        ch = value[pos]
        if ch >= 256 or not TOKEN[ch]:
            return None
        pos += 1
    if pos == start:
        return None
    return number, value[start:]


def uint(str value, long long maximum):
    """The value as an int when it is plain digits up to ``maximum``, else None."""
    cdef Py_ssize_t n = len(value), pos = 0
    cdef long long number = 0
    if n == 0 or n > 18:
        return None
    while pos < n:
        if not ("0" <= value[pos] <= "9"):
            return None
        number = number * 10 + (<int>value[pos] - 48)
        pos += 1
    if number > maximum:
        return None
    return number


def request_line(str line):
    """``(method, uri)`` for ``TOKEN SP sip:... SP SIP/2.0`` in its plain form, else None."""
    cdef Py_ssize_t n = len(line), pos = 0, first_space, second_space, at, i
    cdef Py_UCS4 ch
    while pos < n:
        ch = line[pos]
        if ch == " ":
            break
        if ch >= 256 or not TOKEN[ch]:
            return None
        pos += 1
    if pos == 0 or pos >= n:
        return None
    first_space = pos
    second_space = line.find(" ", first_space + 1)
    if second_space == -1 or line[second_space + 1 :] != "SIP/2.0":
        return None
    uri = line[first_space + 1 : second_space]
    if not (uri.startswith("sip:") or uri.startswith("sips:")):
        return None
    at = uri.find("@")
    i = at + 1 if at != -1 else uri.find(":") + 1
    if i >= len(uri):
        return None
    for ch in uri[i:]:
        if ch == "?" or ch == "<" or ch == ">" or ch == '"' or ch == "\t":
            return None
    for ch in uri[:i]:
        if ch == "<" or ch == ">" or ch == '"' or ch == "\t":
            return None
    return line[:first_space], uri


def status_line(str line):
    """``(code, reason)`` for ``SIP/2.0 NNN reason``, or None."""
    cdef Py_ssize_t n = len(line)
    if n < 11 or not line.startswith("SIP/2.0 ") or line[11:12] not in (" ", ""):
        return None
    if not ("1" <= line[8] <= "6" and "0" <= line[9] <= "9" and "0" <= line[10] <= "9"):
        return None
    return (<int>line[8] - 48) * 100 + (<int>line[9] - 48) * 10 + (<int>line[10] - 48), line[12:]


def find_param(tuple params, str name):
    """The value of parameter ``name`` ('' for a flag), or None: ``_find_param`` in C."""
    cdef object item
    for item in params:
        if (<tuple>item)[0] == name:
            value = (<tuple>item)[1]
            return "" if value is None else value
    return None
