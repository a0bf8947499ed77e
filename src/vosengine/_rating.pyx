# cython: language_level=3, embedsignature=True, boundscheck=False, wraparound=False
"""Compiled batch-rating kernel: the fast path of ``RateTable.amounts_many``.

A rate table that can use this kernel keeps a second prefix table whose values are
:class:`Params`: one small object per prefix that has exactly one undated rate, holding
everything the cost needs as C integers (so pricing a call touches one object, not a rate,
a tuple and its ints), or ``SLOW`` for a prefix the Python path must price.

For each call, the cost is ``(fee_part + billed × per_second) / denominator`` rounded once,
in 64-bit integers with every product checked for overflow. A call the kernel cannot price
this way (a dated rate, an amount too large for 64 bits, a duration that is not a plain
non-negative int ...) comes back in the list of slow indices for the Python path; a call
without any matching prefix comes back as ``None``.

The pure-Python twin of this loop is ``RateTable._amounts_py`` in ``vosengine.rating``; the
tests compare the two.
"""

from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check

from decimal import Decimal

cdef extern from *:
    """
    static int vos_mul(long long a, long long b, long long *out) {
        return __builtin_mul_overflow(a, b, out);
    }
    static int vos_add(long long a, long long b, long long *out) {
        return __builtin_add_overflow(a, b, out);
    }
    """
    int vos_mul(long long a, long long b, long long *out) noexcept nogil
    int vos_add(long long a, long long b, long long *out) noexcept nogil

#: The value of a prefix the kernel leaves to the Python path.
SLOW = object()

cdef enum:
    UP = 0
    DOWN = 1
    CEILING = 2
    FLOOR = 3
    HALF_UP = 4
    HALF_DOWN = 5
    HALF_EVEN = 6

# The largest numerator the rounding may see: 2 × numerator must fit in 64 bits.
cdef long long MAX_NUMERATOR = 4611686018427387903


cdef class Params:
    """The pricing terms of one undated rate as C integers (see ``Rate._fast``)."""

    cdef readonly object rate
    cdef long long grace, free, first, step, fee_part, per_second, denominator
    cdef bint limits

    def __init__(self, rate, tuple fast):
        cdef int overflow = 0
        self.rate = rate
        self.grace, self.free, self.first, self.step = fast[0], fast[1], fast[2], fast[3]
        for value in fast[4:7]:
            PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow:
                raise OverflowError("the rate's fractions do not fit in 64 bits")
        self.fee_part, self.per_second, self.denominator = fast[4], fast[5], fast[6]
        self.limits = fast[7]


def params_for(rate):
    """``Params`` for a rate the kernel can price, else ``SLOW``."""
    if rate._fast is None:
        return SLOW
    try:
        return Params(rate, rate._fast)
    except OverflowError:
        return SLOW


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


def fast_amounts(list found, list durations, long long scale, int code, int decimals,
                 object zero, object clamp):
    """Amounts for ``found`` (per call: the :class:`Params` of its longest prefix, ``SLOW``,
    or ``None`` for no match) and ``durations`` (milliseconds; hold time rounded up to whole
    seconds).

    ``scale`` is 10**decimals, ``code`` the rounding mode's code, ``zero`` the amount of a
    call that costs nothing, ``clamp(rate, amount)`` applies min/max charges. Returns the
    amounts and the indices of the calls left to the Python path.
    """
    cdef Py_ssize_t n = len(found), i
    cdef list out = [None] * n
    cdef list slow = []
    cdef dict made = {}
    cdef object entry, duration, amount
    cdef Params p
    cdef long long ms, hold, chargeable, billed, numerator, units, tmp
    cdef int overflow = 0
    cdef int exponent = -decimals
    if len(durations) != n:
        raise ValueError("found and durations differ in length")
    for i in range(n):
        entry = found[i]
        if entry is None:
            continue  # no prefix matches: no rate
        if type(entry) is not Params:
            slow.append(i)
            continue
        p = <Params>entry
        duration = durations[i]
        if not PyLong_Check(duration):
            slow.append(i)
            continue
        ms = PyLong_AsLongLongAndOverflow(duration, &overflow)
        if overflow or ms < 0 or ms > 1000000000000000:
            slow.append(i)
            continue
        hold = (ms + 999) // 1000
        if hold <= 0 or hold <= p.grace:
            out[i] = zero
            continue
        chargeable = hold - p.free
        if chargeable <= 0:
            billed = 0
        elif chargeable <= p.first:
            billed = p.first
        else:
            billed = p.first + ((chargeable - p.first + p.step - 1) // p.step) * p.step
        if (
            vos_mul(billed, p.per_second, &tmp)
            or vos_add(tmp, p.fee_part, &numerator)
            or vos_mul(numerator, scale, &numerator)
            or numerator > MAX_NUMERATOR
        ):
            slow.append(i)
            continue
        units = _round(numerator, p.denominator, code)
        # equal amounts in one batch share one Decimal (they are immutable)
        amount = made.get(units)
        if amount is None:
            amount = Decimal(units).scaleb(exponent)
            made[units] = amount
        out[i] = clamp(p.rate, amount) if p.limits else amount
    return out, slow
