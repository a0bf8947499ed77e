# cython: language_level=3, embedsignature=True, boundscheck=False, wraparound=False
"""The compiled SIP fast paths, handed out by ``vosengine.sip._fast``; the pure-Python twin
with the same API is ``vosengine.sip._sipfast_py``.

``split_head(data, start, end)`` cuts the header block ``data[start:end]`` into the start line
and ``(key, name, value)`` fields, undoing line folding and trimming white space, exactly as
the Python splitter (``_parse._split_head``) does (the tests compare the two).
``parse_datagram`` reads a whole datagram of the common shape; ``via``, ``name_addr``,
``cseq``, ``uint``, ``auth_params``, ``request_line`` and ``status_line`` read one value of the
common shape. Each returns None for anything else, and the Python parsers decide it and raise
its errors. ``MessageBase`` is the storage of a message, with the hot accessors as C getters.

The module needs nothing set at import: it reads the header names and the value types from
``vosengine.sip._names`` and ``vosengine.sip._values``.
"""

from cpython.unicode cimport (
    PyUnicode_1BYTE_DATA,
    PyUnicode_1BYTE_KIND,
    PyUnicode_DecodeUTF8,
    PyUnicode_KIND,
    PyUnicode_Substring,
)
from libc.string cimport memcmp

from vosengine.sip._names import COMMON_NAMES as _COMMON_NAMES, KEYS as _KEYS, key_of as _key_of
from vosengine.sip._values import CSeq, NameAddr, Via

ctypedef unsigned char Py_UCS1


cdef dict _known_names():
    cdef dict known = {}
    for name in _COMMON_NAMES:
        raw = (<str>name).encode("ascii")
        known.setdefault(len(raw), []).append((raw, _key_of(name), name))
    return known


# Header names as peers usually spell them, by length: (raw bytes, key, name) -- a raw name
# equal to one of these needs neither decoding nor a dict look-up.
cdef dict KNOWN = _known_names()
cdef dict KEY_CACHE = _KEYS
cdef object KEY_OF = _key_of
cdef object VIA_T = Via
cdef object NAME_ADDR_T = NameAddr
cdef object CSEQ_T = CSeq

cdef inline bint _ws(char c) noexcept:
    return c == 32 or c == 9


def split_head(bytes data, Py_ssize_t start, Py_ssize_t end):
    """``(first_line, fields, index)`` for ``data[start:end]`` with CRLF line ends, or None."""
    return _split_head(data, start, end)


cdef object _split_head(bytes data, Py_ssize_t start, Py_ssize_t end):
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
            key = KEY_CACHE.get(name)
            if key is None:
                key = KEY_OF(name)
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


cdef inline const Py_UCS1* _latin1(str text) noexcept:
    """The characters of ``text`` when it is stored one byte per character, else NULL (the
    fast paths then leave the value to the Python parsers)."""
    if PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND:
        return NULL
    return <const Py_UCS1*>PyUnicode_1BYTE_DATA(text)


cdef inline bint _has_upper(const Py_UCS1* s, Py_ssize_t start, Py_ssize_t end) noexcept:
    cdef Py_ssize_t i
    for i in range(start, end):
        if 65 <= s[i] <= 90:
            return True
    return False


cdef inline bint _has_lower(const Py_UCS1* s, Py_ssize_t start, Py_ssize_t end) noexcept:
    cdef Py_ssize_t i
    for i in range(start, end):
        if 97 <= s[i] <= 122:
            return True
    return False


cdef inline object _lowered(str text, const Py_UCS1* s, Py_ssize_t start, Py_ssize_t end):
    piece = PyUnicode_Substring(text, start, end)
    return piece.lower() if _has_upper(s, start, end) else piece


cdef inline Py_ssize_t _span(const Py_UCS1* s, Py_ssize_t pos, Py_ssize_t n,
                             bint* table) noexcept:
    """The index of the first character from ``pos`` that ``table`` does not admit."""
    while pos < n and table[s[pos]]:
        pos += 1
    return pos


cdef inline Py_ssize_t _skip_ws(const Py_UCS1* s, Py_ssize_t pos, Py_ssize_t n) noexcept:
    while pos < n and (s[pos] == 32 or s[pos] == 9):
        pos += 1
    return pos


cdef object _params(str text, const Py_UCS1* s, Py_ssize_t pos, Py_ssize_t n):
    """``;name[=value]...`` from ``text[pos:n]`` with plain tokens, else None."""
    cdef list out = []
    cdef Py_ssize_t name_start, name_end, value_start
    if pos == n:
        return ()
    while pos < n:
        if s[pos] != 59:  # ';'
            return None
        pos += 1
        name_start = pos
        pos = _span(s, pos, n, TOKEN)
        name_end = pos
        if name_end == name_start:
            return None
        if pos < n and s[pos] == 61:  # '='
            pos += 1
            value_start = pos
            pos = _span(s, pos, n, TOKEN)
            if pos == value_start:
                return None
            out.append((_lowered(text, s, name_start, name_end),
                        PyUnicode_Substring(text, value_start, pos)))
        else:
            out.append((_lowered(text, s, name_start, name_end), None))
    return tuple(out)


cdef object _via(str value):
    cdef const Py_UCS1* s = _latin1(value)
    cdef Py_ssize_t n = len(value), pos = 8, start, port_value = 0
    cdef object port = None
    if s == NULL or n < 10 or memcmp(s, b"SIP/2.0/", 8) != 0:
        return None
    start = pos
    pos = _span(s, pos, n, TOKEN)
    if pos == start or pos >= n or s[pos] != 32:
        return None
    transport = PyUnicode_Substring(value, start, pos)
    if _has_lower(s, start, pos):
        transport = transport.upper()
    pos += 1
    start = pos
    pos = _span(s, pos, n, HOST)
    if pos == start:
        return None
    host = _lowered(value, s, start, pos)
    if pos < n and s[pos] == 58:  # ':'
        pos += 1
        start = pos
        while pos < n and 48 <= s[pos] <= 57 and pos - start < 5:
            port_value = port_value * 10 + (s[pos] - 48)
            pos += 1
        if pos == start or port_value > 65535:
            return None
        port = port_value
    params = _params(value, s, pos, n)
    if params is None:
        return None
    return transport, host, port, params


def via(str value):
    """``(transport, host, port, params)`` for ``SIP/2.0/T host[:port];p=v...``, or None."""
    return _via(value)


cdef object _name_addr(str value):
    cdef const Py_UCS1* s = _latin1(value)
    cdef Py_ssize_t n = len(value), pos = 0, lt, gt
    cdef Py_UCS1 ch
    cdef object display = None
    cdef bint spaces, colon = False
    if s == NULL or n == 0:
        return None
    if s[0] == 34:  # '"'
        pos = 1
        while pos < n and s[pos] != 34:
            if s[pos] == 92:  # backslash: the Python parser undoes escapes
                return None
            pos += 1
        if pos >= n:
            return None
        display = PyUnicode_Substring(value, 1, pos)
        pos += 1
        while pos < n and s[pos] == 32:
            pos += 1
        if pos >= n or s[pos] != 60:
            return None
    elif s[0] != 60:  # a token display name before '<'
        spaces = False
        while pos < n and s[pos] != 60:
            ch = s[pos]
            if ch == 32:
                if pos == 0 or s[pos - 1] == 32:
                    spaces = True  # leading or repeated spaces: normalise as the twin does
            elif not TOKEN[ch]:
                return None
            pos += 1
        if pos >= n:
            return None
        if spaces:
            display = " ".join(PyUnicode_Substring(value, 0, pos).split()) or None
        else:
            display = PyUnicode_Substring(value, 0, pos).rstrip(" ") or None
    lt = pos
    pos += 1
    while pos < n and s[pos] != 62:  # '>'
        ch = s[pos]
        if ch == 32 or ch == 9 or ch == 60 or ch == 34:
            return None
        if ch == 58:
            colon = True
        pos += 1
    if pos >= n or pos == lt + 1 or not colon:
        return None
    gt = pos
    params = _params(value, s, gt + 1, n)
    if params is None:
        return None
    return display, PyUnicode_Substring(value, lt + 1, gt), params


def name_addr(str value):
    """``(display, uri, params)`` for ``"Name" <uri>;p=v``, ``Name <uri>`` or ``<uri>``,
    or None for anything else."""
    return _name_addr(value)


cdef object _cseq(str value):
    cdef const Py_UCS1* s = _latin1(value)
    cdef Py_ssize_t n = len(value), pos = 0, start
    cdef long long number = 0
    if s == NULL:
        return None
    while pos < n and 48 <= s[pos] <= 57:
        number = number * 10 + (s[pos] - 48)
        if number > 2147483647:
            return None
        pos += 1
    if pos == 0 or pos >= n or s[pos] != 32:
        return None
    pos += 1
    start = pos
    pos = _span(s, pos, n, TOKEN)
    if pos != n or pos == start:
        return None
    return number, PyUnicode_Substring(value, start, n)


def cseq(str value):
    """``(number, method)`` for ``digits SP token`` (number below 2**31), or None."""
    return _cseq(value)


cdef object _uint(str value, long long maximum):
    cdef const Py_UCS1* s = _latin1(value)
    cdef Py_ssize_t n = len(value), pos = 0
    cdef long long number = 0
    if s == NULL or n == 0 or n > 18:
        return None
    while pos < n:
        if not (48 <= s[pos] <= 57):
            return None
        number = number * 10 + (s[pos] - 48)
        pos += 1
    if number > maximum:
        return None
    return number


def uint(str value, long long maximum):
    """The value as an int when it is plain digits up to ``maximum``, else None."""
    return _uint(value, maximum)


def auth_params(str rest):
    """The parameters of ``name=value, name="value" ...`` (an Authorization or challenge
    value after its scheme) as a dict with lower-case names, or None for anything the Python
    parser must decide: escapes in a quoted value, a repeated name, a syntax error."""
    cdef const Py_UCS1* s = _latin1(rest)
    cdef Py_ssize_t n = len(rest), pos = 0, start, name_start, name_end
    cdef dict params = {}
    if s == NULL:
        return None
    while pos < n:
        pos = _skip_ws(s, pos, n)
        name_start = pos
        pos = _span(s, pos, n, TOKEN)
        if pos == name_start:
            return None
        name_end = pos
        pos = _skip_ws(s, pos, n)
        if pos >= n or s[pos] != 61:  # '='
            return None
        pos = _skip_ws(s, pos + 1, n)
        if pos < n and s[pos] == 34:  # '"'
            pos += 1
            start = pos
            while pos < n and s[pos] != 34:
                if s[pos] == 92:
                    return None
                pos += 1
            if pos >= n:
                return None
            value = PyUnicode_Substring(rest, start, pos)
            pos += 1
        else:
            start = pos
            pos = _span(s, pos, n, TOKEN)
            if pos == start:
                return None
            value = PyUnicode_Substring(rest, start, pos)
        pos = _skip_ws(s, pos, n)
        name = _lowered(rest, s, name_start, name_end)
        if name in params:
            return None
        params[name] = value
        if pos < n:
            if s[pos] != 44:  # ','
                return None
            pos += 1
    return params


def request_line(str line):
    """``(method, uri)`` for ``TOKEN SP sip:... SP SIP/2.0`` in its plain form, else None."""
    return _request_line(line)


cdef object _request_line(str line):
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
    return _status_line(line)


cdef object _status_line(str line):
    cdef Py_ssize_t n = len(line)
    if n < 11 or not line.startswith("SIP/2.0 ") or line[11:12] not in (" ", ""):
        return None
    if not ("1" <= line[8] <= "6" and "0" <= line[9] <= "9" and "0" <= line[10] <= "9"):
        return None
    return (<int>line[8] - 48) * 100 + (<int>line[9] - 48) * 10 + (<int>line[10] - 48), line[12:]


# -- the message and its hot accessors -------------------------------------------------------

cdef extern from "string.h":
    const void* memmem(const void* haystack, size_t haystack_len, const void* needle,
                       size_t needle_len) nogil

cdef object _MISSING = object()
cdef long long MAX_CONTENT_LENGTH = 2147483647
# the fast paths of MessageBase._single
cdef enum:
    _NAME_ADDR
    _CSEQ
    _CALL_ID


cdef class MessageBase:
    """The storage of a SIP message and the accessors of the hot path, compiled: the twin of
    ``_sipfast_py.MessageBase`` (same attributes, same results; the tests compare the two).

    ``fields``, ``_index``, ``body`` and ``_cache`` are what ``Message`` documents. A value the
    fast paths do not take is parsed by ``Message._typed`` and its Python parsers."""

    cdef public object fields
    cdef public dict _index
    cdef public object body
    cdef public dict _cache
    cdef public object version

    def __cinit__(self):
        self._cache = {}

    @property
    def top_via(self):
        cdef dict cache = self._cache
        vias = cache.get("via", _MISSING)
        if vias is _MISSING:
            values = self._index.get("via") if self._index is not None else None
            if not values:
                return None
            if len(values) > 1:  # the first field is enough; .via parses the rest
                return self._first_via(values[0])
            value = values[0]
            fast = _via(value) if type(value) is str else None
            if fast is not None:
                top = tuple.__new__(VIA_T, fast)
                cache["via"] = [top]
                return top
            vias = self._typed("via")
        return vias[0] if vias else None

    cdef object _single(self, str key, int kind):
        """The cached value of a header that appears once, else its value through the fast
        path of ``kind`` (cached), else ``Message._typed``: the Python parsers decide."""
        cdef dict cache = self._cache
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        values = self._index.get(key) if self._index is not None else None
        if values is not None and len(values) == 1 and type(values[0]) is str:
            text = <str>values[0]
            if kind == _NAME_ADDR:
                fast = _name_addr(text)
                value = None if fast is None else tuple.__new__(NAME_ADDR_T, fast)
            elif kind == _CSEQ:
                fast = _cseq(text)
                value = None if fast is None else tuple.__new__(CSEQ_T, fast)
            else:  # Call-ID: one word, no white space
                value = text if text and " " not in text and "\t" not in text else None
            if value is not None:
                cache[key] = value
                return value
        return self._typed(key)

    @property
    def from_(self):
        return self._single("from", _NAME_ADDR)

    @property
    def to(self):
        return self._single("to", _NAME_ADDR)

    @property
    def call_id(self):
        return self._single("call-id", _CALL_ID)

    @property
    def cseq(self):
        return self._single("cseq", _CSEQ)


cdef class RequestBase(MessageBase):
    """The storage of a request: its method and Request-URI text."""

    cdef public object method
    cdef public object uri_text


cdef class ResponseBase(MessageBase):
    """The storage of a response: its status code and reason phrase."""

    cdef public object status
    cdef public object reason


def parse_datagram(bytes data, type request_type, type response_type):
    """The message in ``data`` when it has the common shape (CRLF line ends, a plain SIP/2.0
    start line, at most one plain Content-Length that the body satisfies), else None: then
    ``_parse.parse`` reads it, and raises its errors. ``request_type`` and
    ``response_type`` are subclasses of :class:`RequestBase` and :class:`ResponseBase`."""
    cdef const char* buf = data
    cdef Py_ssize_t n = len(data), start = 0, end, body_start
    cdef const char* hit
    cdef MessageBase message
    cdef RequestBase request_message
    cdef ResponseBase response_message
    while start + 1 < n and buf[start] == 13 and buf[start + 1] == 10:
        start += 2  # keep-alive CRLFs before a message
    hit = <const char*>memmem(buf + start, n - start, b"\r\n\r\n", 4)
    if hit == NULL:
        return None
    end = hit - buf
    split = _split_head(data, start, end)
    if split is None:
        return None
    first = <str>(<tuple>split)[0]
    if first.startswith("SIP/"):
        status = _status_line(first)
        if status is None:
            return None
        response_message = ResponseBase.__new__(response_type)
        response_message.status = (<tuple>status)[0]
        response_message.reason = (<tuple>status)[1]
        message = response_message
    else:
        request = _request_line(first)
        if request is None:
            return None
        request_message = RequestBase.__new__(request_type)
        request_message.method = (<tuple>request)[0]
        request_message.uri_text = (<tuple>request)[1]
        message = request_message
    message.version = "SIP/2.0"
    message.fields = (<tuple>split)[1]
    index = <dict>(<tuple>split)[2]
    message._index = index
    body_start = end + 4
    lengths = index.get("content-length")
    if lengths is None:
        message.body = data[body_start:]
        return message
    if len(<list>lengths) != 1:
        return None
    length = _uint(<str>(<list>lengths)[0], MAX_CONTENT_LENGTH)
    if length is None or <long long>length > n - body_start:
        return None
    message.body = data[body_start : body_start + <Py_ssize_t>length]
    message._cache["content-length"] = length
    return message
