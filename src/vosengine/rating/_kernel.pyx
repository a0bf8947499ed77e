# cython: language_level=3, embedsignature=True, boundscheck=False, wraparound=False
"""Compiled batch-rating kernel: the fast path of ``RateTable.amounts_many``.

A rate table that can use this kernel keeps a second prefix table whose values are
:class:`Params`: one small object per prefix that has exactly one undated rate, holding its
:class:`~vosengine.rating._rate.BillingTerms` as C integers (so pricing a call touches one
object, not a rate, a record and its ints), or ``SLOW`` for a prefix the table must price.

For each call, the cost is ``(fee_part + billed × per_second) / denominator`` rounded once,
in 64-bit integers with every product checked for overflow. A call the kernel cannot price
this way (a dated rate, an amount too large for 64 bits, a duration that is not a plain
non-negative int ...) comes back in the list of slow indices for the table; a call
without any matching prefix comes back as ``None``.

The pure-Python twin, with the same API, is ``vosengine.rating._kernel_py``; the picker is
``vosengine.rating.kernel``, and the tests run both through it and compare them.
"""

from cpython.datetime cimport PyDateTime_Check, datetime_tzinfo, import_datetime
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check, PyLong_CheckExact
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF

from datetime import timedelta
from decimal import Decimal

from ..money import CONTEXT

import_datetime()

cdef extern from "Python.h":
    ctypedef struct PyTypeObject:
        pass
    object PyType_GenericAlloc(PyTypeObject *type, Py_ssize_t nitems)
    void PyTuple_SET_ITEM(PyObject *tuple, Py_ssize_t index, PyObject *item)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    void *PyUnicode_DATA(object o)


cdef inline bint _table_ready(object number) noexcept:
    """Whether ``number`` is a non-empty str of ASCII digits, ``*`` and ``#``, as a table
    matches it; anything else goes to the table, which normalises it or refuses it."""
    cdef Py_ssize_t i, n
    cdef const unsigned char *c
    if not PyUnicode_CheckExact(number) or not PyUnicode_IS_COMPACT_ASCII(number):
        return False
    n, c = PyUnicode_GET_LENGTH(number), <const unsigned char *>PyUnicode_DATA(number)
    for i in range(n):
        if not (48 <= c[i] <= 57 or c[i] == 42 or c[i] == 35):
            return False
    return n > 0


cdef inline object _tuple_of(type cls, tuple fields):
    """An instance of the tuple subclass ``cls`` (a named tuple: no ``__dict__``) holding
    ``fields``: what ``tuple.__new__(cls, fields)`` makes, without its call."""
    cdef Py_ssize_t i, n = len(fields)
    cdef object made = PyType_GenericAlloc(<PyTypeObject *>cls, n)
    cdef object item
    for i in range(n):
        item = fields[i]
        Py_INCREF(item)  # the new tuple's own reference (SET_ITEM steals one)
        PyTuple_SET_ITEM(<PyObject *>made, i, <PyObject *>item)
    return made


cdef extern from *:
    """
    static int vos_mul(long long a, long long b, long long *out) {
        return __builtin_mul_overflow(a, b, out);
    }
    static int vos_add(long long a, long long b, long long *out) {
        return __builtin_add_overflow(a, b, out);
    }
    static void vos_prefetch(const void *p) {
        __builtin_prefetch(p, 1, 3);
    }
    """
    void vos_prefetch(const void *p) noexcept nogil
    int vos_mul(long long a, long long b, long long *out) noexcept nogil
    int vos_add(long long a, long long b, long long *out) noexcept nogil

#: The value of a prefix the kernel leaves to the table.
SLOW = object()

cdef enum:
    UP = 0
    DOWN = 1
    CEILING = 2
    FLOOR = 3
    HALF_UP = 4
    HALF_DOWN = 5
    HALF_EVEN = 6

#: The integer code of each rounding mode (by its value); a test checks these equal the codes
#: of ``vosengine.money``, which the table passes in.
ROUNDING_CODES = {
    "up": UP, "down": DOWN, "ceiling": CEILING, "floor": FLOOR,
    "half_up": HALF_UP, "half_down": HALF_DOWN, "half_even": HALF_EVEN,
}

# The largest grid term (grace, free, first, step) the kernel takes: with hold times of at
# most 10**12 s, the billed seconds then stay far inside 64 bits.
cdef long long MAX_TERM = 1000000000000000

# The largest numerator the rounding may see: 2 × numerator must fit in 64 bits.
cdef long long MAX_NUMERATOR = 4611686018427387903


cdef class Params:
    """The rate of one prefix and its ``BillingTerms`` as C integers."""

    cdef readonly object rate
    cdef object free_delta
    cdef long long grace, free, first, step, fee_part, per_second, denominator
    cdef bint limits

    def __cinit__(self):
        # a usable value before __init__ runs: a grid of 1 s and a divisor of 1, so an
        # instance made without __init__ prices to zero instead of dividing by zero
        self.first = self.step = self.denominator = 1

    def __init__(self, rate, terms):
        cdef int overflow = 0
        self.rate = rate
        for value in (terms.fee_part, terms.per_second, terms.denominator):
            PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow:
                raise OverflowError("the rate's fractions do not fit in 64 bits")
        for value in (terms.grace, terms.free, terms.first, terms.step):
            if value > MAX_TERM:
                raise OverflowError("the rate's billing grid is too long for the kernel")
        self.grace, self.free = terms.grace, terms.free
        self.first, self.step = terms.first, terms.step
        self.fee_part, self.per_second = terms.fee_part, terms.per_second
        self.denominator = terms.denominator
        self.limits = terms.limits
        self.free_delta = timedelta(seconds=terms.free)

    @property
    def terms(self):
        """The terms as the ``BillingTerms`` record the rate holds."""
        return self.rate._terms


def params_for(rate):
    """``Params`` for a rate the kernel can price, else ``SLOW``."""
    if rate._terms is None:
        return SLOW
    try:
        return Params(rate, rate._terms)
    except OverflowError:
        return SLOW


cdef inline long long _billed(long long chargeable, long long first, long long step) noexcept:
    """Chargeable seconds on the ``first/step`` increment grid: the compiled twin of
    ``vosengine.rating.billed_seconds``."""
    if chargeable <= 0:
        return 0
    if chargeable <= first:
        return first
    return first + ((chargeable - first + step - 1) // step) * step


cdef inline long long _round(long long numerator, long long denominator, int code) noexcept:
    """numerator / denominator (both >= 0, denominator > 0) rounded to an integer."""
    cdef long long quotient = numerator // denominator
    cdef long long remainder = numerator - quotient * denominator
    if remainder == 0:
        return quotient
    if code == UP or code == CEILING:
        return quotient + 1
    if code == DOWN or code == FLOOR:
        return quotient
    if 2 * remainder < denominator:
        return quotient
    if 2 * remainder > denominator:
        return quotient + 1
    if code == HALF_UP:
        return quotient + 1
    if code == HALF_DOWN:
        return quotient
    return quotient if quotient % 2 == 0 else quotient + 1


cdef inline int _hold_of(object duration, long long *hold) noexcept:
    """The hold seconds of ``duration`` (an int of milliseconds, rounded up to whole
    seconds); 1 when it is negative or beyond ``MAX_DURATION_MS`` (10**12 ms)."""
    cdef int overflow = 0
    cdef long long ms = PyLong_AsLongLongAndOverflow(duration, &overflow)
    if overflow or ms < 0 or ms > 1000000000000:
        return 1
    hold[0] = (ms + 999) // 1000
    return 0


cdef inline long long _floor_div(long long a, long long b) noexcept:
    """``a // b`` as Python rounds it (down), for ``b > 0``: with ``cdivision`` on, C's
    ``//`` rounds towards zero."""
    cdef long long q = a // b
    if q * b > a:
        q -= 1
    return q


cdef inline int _units(Params p, long long billed, long long scale, int code,
                       long long *units) noexcept:
    """The cost of ``billed`` seconds in units of the last decimal (``scale`` of them to 1),
    rounded by ``code``; 1 when the products do not fit 64 bits."""
    cdef long long tmp, numerator
    if (
        vos_mul(billed, p.per_second, &tmp)
        or vos_add(tmp, p.fee_part, &numerator)
        or vos_mul(numerator, scale, &numerator)
        or numerator > MAX_NUMERATOR
    ):
        return 1
    units[0] = _round(numerator, p.denominator, code)
    return 0


cdef class Pricer:
    """The single-call fast path of one rate table (the same contract as
    ``vosengine.rating._kernel_py.Pricer``): :meth:`charge` prices a call whose longest
    prefix has :class:`Params` from its C integers, makes one ``Decimal`` for the amount, and
    builds the ``Charge`` the table's general path would build; ``None`` leaves the call to
    the table. Holds no state of its own beyond its arguments: safe from any thread."""

    cdef object longest_value, clamp, utc, zero, tz_utc
    cdef type charge_type
    cdef long long scale
    cdef int code, exponent

    def __init__(self, table, long long scale, int code, int decimals, clamp, charge_type,
                 utc, zero, tz_utc):
        self.longest_value = table.longest_value
        self.scale, self.code, self.exponent = scale, code, -decimals
        if not (isinstance(charge_type, type) and issubclass(charge_type, tuple)):
            raise TypeError("charge_type: expected a named tuple class")
        self.clamp, self.charge_type = clamp, charge_type
        self.utc, self.zero, self.tz_utc = utc, zero, tz_utc

    def charge(self, number, duration, at):
        """The charge of a call to ``number`` of ``duration`` ms answered at ``at``, or
        ``None`` when the table must price it (a number not made only of ASCII digits, ``*``
        and ``#``, no :class:`Params` for its longest prefix, a duration that is not a plain
        non-negative int, products beyond 64 bits, a naive ``at``, or one that is no
        datetime)."""
        cdef Params p
        cdef long long hold, billed, units
        if self.charge_type is None:
            raise TypeError("Pricer: __init__ was never called")
        if not _table_ready(number):
            return None
        if not PyDateTime_Check(at):
            return None  # the table names the argument and what was expected
        tz = at.tzinfo
        if tz is not self.tz_utc and at.utcoffset() is None:
            return None
        entry = self.longest_value(number)
        if type(entry) is not Params or not PyLong_CheckExact(duration):
            return None
        p = <Params>entry
        # the charge holds the rate: start fetching it now, take it last
        vos_prefetch(<PyObject *>p.rate)
        if _hold_of(duration, &hold):
            return None
        if hold <= 0 or hold <= p.grace:
            return _tuple_of(self.charge_type, (number, p.rate, hold, 0, self.zero, ()))
        billed = _billed(hold - p.free, p.first, p.step)
        if _units(p, billed, self.scale, self.code, &units):
            return None
        amount = Decimal(units).scaleb(self.exponent, CONTEXT)  # exact: units fit 64 bits
        if p.free:
            start = (at if tz is self.tz_utc else self.utc(at)) + p.free_delta
        else:
            start = at
        rate = p.rate
        if p.limits:
            amount = self.clamp(rate, amount)
        return _tuple_of(
            self.charge_type, (number, rate, hold, billed, amount, ((rate, start, billed),))
        )


    def longest(self, number, budget, limit_seconds):
        """The longest call to ``number`` that ``budget`` units of the last decimal pay for,
        on its rate's grid and up to ``limit_seconds``: ``(seconds, units)``, ``(0, 0)`` when
        not even the first increment is affordable. ``None`` leaves it to the table: no
        :class:`Params` for the longest prefix, a minimum or maximum charge, a grace period
        that reaches the grid, or products beyond 64 bits. The same search as
        ``vosengine.rating._afford.longest_units``."""
        cdef Params p
        cdef int overflow = 0
        cdef long long b, base, top, low, high, middle, units, low_units, fee, per, sure, out
        cdef long long tmp, limit
        if self.charge_type is None:
            raise TypeError("Pricer: __init__ was never called")
        entry = self.longest_value(number)
        if type(entry) is not Params:
            return None
        p = <Params>entry
        base = p.free + p.first
        if p.limits or p.grace >= base:
            return None
        b = PyLong_AsLongLongAndOverflow(budget, &overflow)
        if overflow or b > MAX_TERM or b < -MAX_TERM:
            return None
        limit = PyLong_AsLongLongAndOverflow(limit_seconds, &overflow)
        if overflow or limit > MAX_TERM:
            return None
        if limit < base:
            return 0, 0
        top = (limit - base) // p.step + 1
        if _units(p, p.first, self.scale, self.code, &low_units):
            return None
        if low_units > b:
            return 0, 0
        low, high = 1, top + 1
        if vos_mul(p.fee_part, self.scale, &fee) or vos_mul(p.per_second, self.scale, &per):
            return None
        if per:
            # unrounded units <= b - 1: affordable; >= b + 1: out of reach
            if vos_mul(b - 1, p.denominator, &tmp) or vos_add(tmp, -fee, &tmp):
                return None
            sure = _floor_div(tmp, per)
            if sure >= p.first + p.step:
                low = min(top, (sure - p.first) // p.step + 1)
                low_units = -1
            if vos_mul(b + 1, p.denominator, &tmp) or vos_add(tmp, -fee, &tmp):
                return None
            out = -_floor_div(-tmp, per)
            if out > p.first:
                high = min(high, -_floor_div(p.first - out, p.step) + 1)
        while high - low > 1:
            middle = (low + high) // 2
            if _units(p, p.first + (middle - 1) * p.step, self.scale, self.code, &units):
                return None
            if units <= b:
                low, low_units = middle, units
            else:
                high = middle
        if low_units < 0:
            if _units(p, p.first + (low - 1) * p.step, self.scale, self.code, &low_units):
                return None
        return base + (low - 1) * p.step, low_units


def fast_amounts(list found, list durations, list at, long long scale, int code, int decimals,
                 object zero, object clamp):
    """Amounts for ``found`` (per call: the :class:`Params` of its longest prefix, ``SLOW``,
    or ``None`` for no match), ``durations`` (ms) and ``at`` (answer times). The contract of
    ``vosengine.rating._kernel_py.fast_amounts``: ``scale`` is 10**decimals, ``code`` the
    rounding mode's code, ``zero`` the amount of a call that costs nothing, ``clamp(rate,
    amount)`` applies min/max charges. Returns the amounts and the indices of the calls left
    to the table: every call whose duration is no plain int or whose ``at`` no aware
    datetime among them, so the table names what is wrong.
    """
    cdef Py_ssize_t n = len(found), i
    cdef list out = [None] * n
    cdef list slow = []
    cdef dict made = {}
    cdef object entry, duration, when, amount
    cdef Params p
    cdef long long hold, billed, units
    cdef int exponent = -decimals
    if len(durations) != n or len(at) != n:
        raise ValueError("found, durations and at differ in length")
    for i in range(n):
        entry, duration, when = found[i], durations[i], at[i]
        if not PyLong_CheckExact(duration) or not PyDateTime_Check(when) or (
                datetime_tzinfo(when) is None) or (entry is not None and type(entry) is not Params):
            slow.append(i)
            continue
        if entry is None:
            continue  # no prefix matches: no rate
        p = <Params>entry
        if _hold_of(duration, &hold):
            slow.append(i)
            continue
        if hold <= 0 or hold <= p.grace:
            out[i] = zero
            continue
        billed = _billed(hold - p.free, p.first, p.step)
        if _units(p, billed, scale, code, &units):
            slow.append(i)
            continue
        # equal amounts in one batch share one Decimal (they are immutable)
        amount = made.get(units)
        if amount is None:
            amount = Decimal(units).scaleb(exponent, CONTEXT)  # exact: units fit 64 bits
            made[units] = amount
        out[i] = clamp(p.rate, amount) if p.limits else amount
    return out, slow
