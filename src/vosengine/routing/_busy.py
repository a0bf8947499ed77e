"""What both implementations of :class:`~vosengine.routing.Load` share: its errors, the CPS
window and the check of a call id."""

from __future__ import annotations

from ..errors import InvalidArgumentType, NotFound, Refused
from ._gateway import Filter

__all__ = ["CPS_WINDOW", "GatewayBusy", "UnknownCall", "busy", "call_id_of"]

#: The CPS window: call attempts are counted over the last second.
CPS_WINDOW = 1.0


class GatewayBusy(Refused):
    """A gateway is at its capacity or its CPS limit (``filter`` says which)."""

    def __init__(self, message: str, *, gateway: str, filter: Filter) -> None:
        super().__init__(message)
        self.gateway = gateway
        self.filter = filter


class UnknownCall(NotFound):
    """A release named a call that holds no gateway and did not hold one recently."""


def call_id_of(value: object) -> str:
    """``value`` as a call id: a non-empty str."""
    if not isinstance(value, str) or not value:
        raise InvalidArgumentType(f"call_id: expected a non-empty str, got {value!r}")
    return value


def busy(gateway_id: str, filter: Filter, capacity: int | None, cps: int | None) -> GatewayBusy:
    """The refusal of a gateway at its capacity or its CPS limit."""
    if filter is Filter.OVER_CAPACITY:
        plural = "" if capacity == 1 else "s"
        message = f"gateway {gateway_id!r} is at its capacity of {capacity} call{plural}"
    else:
        message = f"gateway {gateway_id!r} is at its limit of {cps} call attempts per second"
    return GatewayBusy(message, gateway=gateway_id, filter=filter)
