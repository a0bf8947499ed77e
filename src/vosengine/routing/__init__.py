"""Routing (least-cost routing): which vendor gateways may carry a call, in which order.

* :class:`Gateway` -- a vendor gateway as a frozen value: prefixes and dial patterns served,
  priority, weight, the vendor's rate table, capacity, CPS limit, client binding, rewrite
  rules and its :class:`FailoverPolicy`;
* :class:`RouteTable` -- gateways by prefix, immutable and swapped whole;
  :meth:`RouteTable.route` filters (:class:`Filter`) and ranks (:class:`Ordering`) them into
  :class:`Routes`;
* :class:`Load` -- calls in progress and call attempts per second per gateway, thread-safe;
* :meth:`Routes.failover` -- after a gateway failed, the next route or the answer to give.
"""

from ._gateway import DEFAULT_RETRY_ON, FailoverPolicy, Filter, Gateway
from ._load import GatewayBusy, Load, UnknownCall
from ._routes import Failover, Ordering, Removed, Route, Routes, RouteSettings
from ._table import BalanceSource, RouteTable, weighted_order

__all__ = [
    "DEFAULT_RETRY_ON",
    "BalanceSource",
    "Failover",
    "FailoverPolicy",
    "Filter",
    "Gateway",
    "GatewayBusy",
    "Load",
    "Ordering",
    "Removed",
    "Route",
    "RouteSettings",
    "RouteTable",
    "Routes",
    "UnknownCall",
    "weighted_order",
]
