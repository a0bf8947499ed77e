"""Rate tables and the cost of a call, exact to the last decimal.

The rules (user-facing contracts; each is tested with hand-computed examples):

* **Hold time.** Durations come in milliseconds. They become whole *hold seconds* by the
  table's ``duration_rounding`` (default ``CEILING``: VOS3000 rounds hold time up).
* **Zero and failed calls cost nothing.** A call with 0 hold seconds costs 0, connect fee
  included.
* **Grace seconds.** An answered call of at most ``grace_seconds`` hold seconds costs nothing.
* **Free seconds.** The first ``free_seconds`` of every answered call are not billed; the
  rest, the *chargeable seconds*, are.
* **Increments.** Chargeable seconds are billed on the grid of the rate's billing period
  ``first_increment/next_increment``: any chargeable time pays the first increment in full,
  then whole next increments. 60/60 bills 61 s as 120 s; 30/6 bills 31 s as 36 s; 6/6 bills
  7 s as 12 s; 1/1 bills exactly.
* **Cost.** ``connect_fee + billed_seconds × price ÷ unit_seconds``, computed exactly and
  **rounded once** on the total by the table's :class:`~vosengine.money.RoundingRule`, then
  clamped to the rate's ``min_charge`` / ``max_charge``. (Rounding each increment drifts.)
  A table refuses a rate whose ``min_charge`` or ``max_charge`` has more decimals than its
  rounding keeps, so every charge lies on the table's grid.
* **Which rate.** The longest prefix of the callee that has a rate *in force* at the instant
  wins; a rate is in force when the instant lies in ``[effective_from, effective_until)`` and,
  if the rate names a tariff window, that window is the table's active window then. Among the
  rates of one prefix, one naming the active window beats one naming none.
* **Calls that cross a boundary.** The rate in force at the answer instant fixes the connect
  fee, free and grace seconds, increments and min/max charge. Its billed seconds are laid on
  the clock from ``answer + free_seconds``, one billed second after another, and cut wherever
  the rate in force changes (a tariff window starts or ends, a rate's effective date is
  reached); each part is priced by the rate in force at its start, and the exact sum is
  rounded once.
* **Clock changes.** A tariff window follows the wall clock of the table's time zone, read
  at each instant (:meth:`RateTable.window_at`). In the hour repeated when the clocks go back,
  every reading comes twice, so a window covering it is in force on both passes; a reading
  skipped when the clocks go forward never comes, so a window edge inside the gap takes
  effect at the change itself (on 29 March 2026 in London, a window ending at 01:30 ends at
  01:00 GMT, when the clocks jump to 02:00). Effective dates, answer times and billed seconds
  are instants: they compare and add in absolute time whatever zone they are written in.
* **Rate not found.** No prefix with a rate in force: :meth:`RateTable.price` raises
  :class:`RateNotFound`; the batch form returns ``None`` in that place.
"""

from __future__ import annotations

from ._deck import CSV_COLUMNS
from ._errors import RateDeckError, RateNotFound
from ._rate import (
    MAX_DURATION_MS,
    Charge,
    ChargePart,
    Rate,
    TariffWindow,
    billed_seconds,
    hold_seconds,
)
from ._table import RateTable

__all__ = [
    "MAX_DURATION_MS",
    "CSV_COLUMNS",
    "Charge",
    "ChargePart",
    "Rate",
    "RateDeckError",
    "RateNotFound",
    "RateTable",
    "TariffWindow",
    "billed_seconds",
    "hold_seconds",
]
