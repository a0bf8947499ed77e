import random
from collections.abc import Mapping
from datetime import datetime

from typing_extensions import disjoint_base

from ..rating import Rate
from ._filters import BalanceSource
from ._load import Load
from ._plan import Plan
from ._routes import Routes, RouteSettings

__all__ = ["Router"]

@disjoint_base
class Router:
    def __init__(
        self,
        plan: Plan,
        settings: RouteSettings,
        client_settings: Mapping[str, RouteSettings],
        rng: random.Random,
        rewrites: bool,
    ) -> None: ...
    def route(
        self,
        callee: str,
        client: str,
        at: datetime,
        now: float,
        caller: str,
        customer_rate: Rate | None,
        load: Load | None,
        balances: BalanceSource | None,
        rng: random.Random | None,
        stored: bytes | None = ...,
    ) -> Routes: ...
