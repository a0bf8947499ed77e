"""What admission answers: :class:`Admitted` or :class:`Rejected`, and what finishing a call
posted (:class:`Settled`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

import attrs

from ..ledger import PaymentRecord, Reservation
from ..rating import Rate
from ..reasons import TerminationReason
from ..routing import Route, Routes

if TYPE_CHECKING:
    from ..cdr import ChainCharge

__all__ = ["Admitted", "Rejected", "Settled"]


@attrs.frozen(kw_only=True)
class Rejected:
    """The call may not go: the termination ``reason`` a CDR records, the final SIP status
    to answer the caller with (``sip_status``), and a :attr:`detail` a person can read
    (which account, entry, gateway or amount decided). ``stage`` names the step that
    refused: ``"status"``, ``"number"``, ``"rate"``, ``"balance"``, ``"routing"`` or, after
    every gateway failed, ``"failover"``. Falsy, as a refusal is.

    ``detail`` may be given as a function of no arguments: it is written when first read
    (what routing removed and why is read only by a host that asks)."""

    reason: TerminationReason
    sip_status: int
    _detail: str | Callable[[], str] = attrs.field(eq=False, repr=False)
    stage: str

    def __bool__(self) -> Literal[False]:
        return False

    @property
    def allowed(self) -> Literal[False]:
        return False

    @property
    def detail(self) -> str:
        detail = self._detail
        if not isinstance(detail, str):
            detail = detail()
            object.__setattr__(self, "_detail", detail)
        return detail

    def __repr__(self) -> str:
        return (
            f"Rejected(reason={self.reason!r}, sip_status={self.sip_status},"
            f" detail={self.detail!r}, stage={self.stage!r})"
        )


class Admitted(NamedTuple):
    """The call may go: try :attr:`route` (``routes[attempt]``), hold it at most
    ``max_seconds`` (what ``reservation`` pays for; :meth:`Admission.extend
    <vosengine.admission.Admission.extend>` holds more when a first slice was asked for),
    and finish it with :meth:`Admission.finish <vosengine.admission.Admission.finish>`.

    ``callee`` is the number as the tables matched it (normalised); ``customer_rate`` the
    account's rate for it at ``at``, the call's set-up time on the business clock. When the
    admission has a :class:`~vosengine.routing.Load`, the gateway of :attr:`route` is held
    for ``call_id`` until the call fails over or finishes. Truthy.

    A named tuple rather than an attrs class, as :class:`~vosengine.ledger.Reservation` is:
    one is made for every admitted call, on the switch's hot path."""

    call_id: str
    account_id: str
    callee: str
    at: datetime
    routes: Routes
    attempt: int
    max_seconds: int
    reservation: Reservation
    customer_rate: Rate

    def __bool__(self) -> Literal[True]:
        return True

    @property
    def allowed(self) -> Literal[True]:
        return True

    @property
    def route(self) -> Route:
        """The route to try now."""
        return self.routes[self.attempt]


@attrs.frozen(kw_only=True)
class Settled:
    """A finished call: its price at every level of the agent chain (``charge``) and the
    ledger records that posted it (none for a call that never connected: its hold was only
    freed)."""

    charge: ChainCharge
    records: tuple[PaymentRecord, ...]
