# The compiled batch-rating kernel (``_kernel.pyx``): the same API as its pure-Python twin,
# ``vosengine.rating._kernel_py``. CI checks this stub against the built module
# (mypy.stubtest).
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from typing_extensions import disjoint_base

from ._rate import BillingTerms, Rate

SLOW: Any
ROUNDING_CODES: dict[str, int]

@disjoint_base
class Params:
    rate: Rate
    terms: BillingTerms
    def __init__(self, rate: Rate, terms: BillingTerms) -> None: ...

def params_for(rate: Rate) -> Any: ...
def fast_amounts(
    found: list[Any],
    durations: list[Any],
    at: list[Any],
    scale: int,
    code: int,
    decimals: int,
    zero: Decimal,
    clamp: Callable[[Rate, Decimal], Decimal],
) -> tuple[list[Decimal | None], list[int]]: ...

@disjoint_base
class Pricer:
    def __init__(
        self,
        table: Any,
        scale: int,
        code: int,
        decimals: int,
        clamp: Callable[[Rate, Decimal], Decimal],
        charge_type: type[tuple[Any, ...]],
        utc: Callable[[datetime], datetime],
        zero: Decimal,
        tz_utc: tzinfo,
    ) -> None: ...
    def charge(self, number: str, duration: Any, at: datetime) -> Any: ...
    def longest(self, number: str, budget: int, limit_seconds: int) -> tuple[int, int] | None: ...
