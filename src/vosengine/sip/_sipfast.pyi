# The compiled SIP fast paths (``_sipfast.pyx``): the same API as the pure-Python twin,
# ``vosengine.sip._sipfast_py``, which ``vosengine.sip._fast`` hands out in its place. CI
# checks this stub against the built module (mypy.stubtest), and a test checks that the twin
# and the stub name the same things.
from typing import Any

from typing_extensions import disjoint_base

from ._values import CSeq, NameAddr, Via

_Params = tuple[tuple[str, str | None], ...]
_Fields = list[tuple[str, str, str]]
_Index = dict[str, list[str]]

def split_head(data: bytes, start: int, end: int) -> tuple[str, _Fields, _Index] | None: ...
def parse_datagram(data: bytes, request_type: type[Any], response_type: type[Any]) -> Any: ...
def request_line(line: str) -> tuple[str, str] | None: ...
def status_line(line: str) -> tuple[int, str] | None: ...
def via(value: str) -> tuple[str, str, int | None, _Params] | None: ...
def name_addr(value: str) -> tuple[str | None, str, _Params] | None: ...
def cseq(value: str) -> tuple[int, str] | None: ...
def uint(value: str, maximum: int) -> int | None: ...
def auth_params(rest: str) -> dict[str, str] | None: ...

@disjoint_base
class MessageBase:
    fields: _Fields
    _index: _Index
    body: bytes
    _cache: dict[str, Any]
    version: str
    @property
    def top_via(self) -> Via | None: ...
    @property
    def from_(self) -> NameAddr | None: ...
    @property
    def to(self) -> NameAddr | None: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def cseq(self) -> CSeq | None: ...

@disjoint_base
class RequestBase(MessageBase):
    method: str
    uri_text: str

@disjoint_base
class ResponseBase(MessageBase):
    reason: str
    status: int
