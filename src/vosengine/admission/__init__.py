"""Call admission: one call that answers "may this call go, where, for how long", and one
that posts every level of the agent chain when it ends.

:meth:`Admission.admit` runs the stages in this order and answers the first refusal:

1. **status** -- the account and every agent above it active (Account Locked, Agent Locked,
   Account Inactive, Account Expired);
2. **number** -- the callee normalised and allowed by every number section from the account
   up; a number that cannot be read is refused (Number Restricted);
3. **rate** -- the account's rate for the number in force (Rate Not Found);
4. **balance** -- the longest call the available amount pays for, and a hold of its price,
   or of a first slice (Insufficient Balance);
5. **routing** -- the vendor gateways with every filter, and a slot of the first one that has
   room (NoAvailableRouter); the hold is released.

The answer is :class:`Admitted` (routes, the route to try, ``max_seconds``, the hold, the
customer rate) or :class:`Rejected` (the :class:`~vosengine.reasons.TerminationReason`, its
SIP status and a detail). While the call runs, :meth:`Admission.failover` moves to the next
gateway and :meth:`Admission.extend` holds the next slice; :meth:`Admission.finish` settles
it: the customer and every agent above charged their own price of the call, all at once, once.

Each stage is a method of its own (``check_status``, ``check_number``, ``customer_rate``,
``hold``, ``route``); ``admit`` only composes them.
"""

from ._admission import Admission
from ._outcomes import Admitted, Rejected, Settled

__all__ = ["Admission", "Admitted", "Rejected", "Settled"]
