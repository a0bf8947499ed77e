# Where a Python class with ``__slots__`` keeps a field, and reading it there: included by the
# compiled modules that read or fill such an object without a Python frame (admission._admit,
# routing._walk).

from types import MemberDescriptorType

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member


cdef Py_ssize_t _slot_offset(type cls, str name) except -1:
    """The offset of ``cls``'s slot ``name`` in its instances. ImportError if it is not a
    slot there: the compiled module and the class it reads disagree."""
    slot = cls.__dict__.get(name)
    if type(slot) is not MemberDescriptorType:
        raise ImportError(f"{cls.__module__}.{cls.__qualname__}.{name} is not a slot")
    return (<PyMemberDescrObject*><PyObject*>slot).d_member.offset


cdef inline PyObject* _field(object of, Py_ssize_t at) noexcept:
    """The slot at offset ``at`` of ``of``, borrowed (NULL when it was never set)."""
    return (<PyObject**>((<char*><PyObject*>of) + at))[0]


cdef inline object _read(object of, type cls, Py_ssize_t at, str name):
    """``getattr(of, name)``, read where ``cls`` keeps it when ``of`` is exactly a ``cls``."""
    cdef PyObject* value
    if type(of) is cls:
        value = _field(of, at)
        if value != NULL:
            return <object>value
    return getattr(of, name)


cdef int _first_field(type cls, str name) except -1:
    """ImportError unless the named tuple ``cls`` has ``name`` first, where it is read."""
    if cls._fields[0] != name:
        raise ImportError(f"{cls.__module__}.{cls.__qualname__}'s first field is not {name}")
    return 0
