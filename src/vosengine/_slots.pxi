# Where a Python class with ``__slots__`` keeps a field: included by the compiled modules
# that read or fill such an object without a Python frame (admission._admit, routing._walk).

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
