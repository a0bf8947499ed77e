"""Termination reasons: why a call ended or was refused, as VOS3000 names it in its CDRs,
with the SIP status a switch answers the caller.

Each :class:`TerminationReason` carries the VOS3000 name (its ``value``), the final status a
switch sends upstream (:attr:`~TerminationReason.status`) and the text of the RFC 3326
``Reason`` header it may add (:meth:`~TerminationReason.reason_header`).
:func:`from_sip_status` maps a vendor's final response back to a reason, so a CDR and the
answer to the caller say the same thing whichever gateway failed.

Where the guides leave the status open, the choice and why:

========================  ======  ==========================================================
reason                    status  why
========================  ======  ==========================================================
NoAvailableRouter          503    no gateway may carry the call now; another switch may
Not Found                  404    the number does not exist (a vendor's 404, 484 or 604)
Response Timeout           408    a gateway sent no final response in time
Connection Timeout         504    a gateway could not be reached at all
Account Locked             403    the rules say no; retrying elsewhere cannot help
Account Expired            403
Account Inactive           403
Agent Locked               403    an agent above the account is locked
Insufficient Balance       402    Payment Required names the cause; phones show it as such
Rate Not Found             403    a policy refusal: the number exists, the account may not
                                  call it at any price (404 would tell a phone it is wrong)
Number Restricted          403    a number-section limit of the account or an agent above
Unregistered               403    a phone that must register first called unregistered
Connection Limit           503    the account's concurrent-call limit; a later try may pass
Called Not Online          480    the called phone has no binding now (480, 4xx: not final)
Codec Mismatch             488    Not Acceptable Here: no common codec
Auth Failed                401    a digest challenge; the caller may answer it
IP Blocked                 403    the source address is blacklisted
User Busy                  486
Cancelled                  487    the caller hung up before an answer
Declined                   603    a vendor's 403 or 603: the callee refused the call
========================  ======  ==========================================================
"""

from __future__ import annotations

import enum

from .errors import InvalidArgument, InvalidArgumentType

__all__ = ["TerminationReason", "from_sip_status"]


class TerminationReason(enum.Enum):
    """A VOS3000 termination reason (the ``value`` is its name as CDRs write it).

    >>> TerminationReason.USER_BUSY.status
    486
    >>> TerminationReason.NO_AVAILABLE_ROUTER.reason_header()
    'SIP ;cause=503 ;text="NoAvailableRouter"'
    """

    NO_AVAILABLE_ROUTER = "NoAvailableRouter"
    NOT_FOUND = "Not Found"
    RESPONSE_TIMEOUT = "Response Timeout"
    CONNECTION_TIMEOUT = "Connection Timeout"
    ACCOUNT_LOCKED = "Account Locked"
    ACCOUNT_EXPIRED = "Account Expired"
    ACCOUNT_INACTIVE = "Account Inactive"
    AGENT_LOCKED = "Agent Locked"
    INSUFFICIENT_BALANCE = "Insufficient Balance"
    RATE_NOT_FOUND = "Rate Not Found"
    NUMBER_RESTRICTED = "Number Restricted"
    UNREGISTERED = "Unregistered"
    CONNECTION_LIMIT = "Connection Limit"
    CALLED_NOT_ONLINE = "Called Not Online"
    CODEC_MISMATCH = "Codec Mismatch"
    AUTH_FAILED = "Auth Failed"
    IP_BLOCKED = "IP Blocked"
    USER_BUSY = "User Busy"
    CANCELLED = "Cancelled"
    DECLINED = "Declined"

    @property
    def status(self) -> int:
        """The final SIP status a switch answers the caller with."""
        return _STATUS[self]

    def reason_header(self) -> str:
        """The value of an RFC 3326 ``Reason`` header naming this reason: the protocol
        ``SIP``, the status as ``cause`` and the VOS3000 name as ``text``."""
        return f'SIP ;cause={self.status} ;text="{self.value}"'


_R = TerminationReason

_STATUS = {
    _R.NO_AVAILABLE_ROUTER: 503,
    _R.NOT_FOUND: 404,
    _R.RESPONSE_TIMEOUT: 408,
    _R.CONNECTION_TIMEOUT: 504,
    _R.ACCOUNT_LOCKED: 403,
    _R.ACCOUNT_EXPIRED: 403,
    _R.ACCOUNT_INACTIVE: 403,
    _R.AGENT_LOCKED: 403,
    _R.INSUFFICIENT_BALANCE: 402,
    _R.RATE_NOT_FOUND: 403,
    _R.NUMBER_RESTRICTED: 403,
    _R.UNREGISTERED: 403,
    _R.CONNECTION_LIMIT: 503,
    _R.CALLED_NOT_ONLINE: 480,
    _R.CODEC_MISMATCH: 488,
    _R.AUTH_FAILED: 401,
    _R.IP_BLOCKED: 403,
    _R.USER_BUSY: 486,
    _R.CANCELLED: 487,
    _R.DECLINED: 603,
}

# a vendor's final response -> the reason a CDR records; every other 4xx-6xx status (and a
# 2xx/3xx that should have ended the attempt) falls back by class below
_FROM_STATUS = {
    401: _R.AUTH_FAILED,
    403: _R.DECLINED,
    404: _R.NOT_FOUND,
    407: _R.AUTH_FAILED,
    408: _R.RESPONSE_TIMEOUT,
    480: _R.CALLED_NOT_ONLINE,
    484: _R.NOT_FOUND,
    486: _R.USER_BUSY,
    487: _R.CANCELLED,
    488: _R.CODEC_MISMATCH,
    504: _R.CONNECTION_TIMEOUT,
    600: _R.USER_BUSY,
    603: _R.DECLINED,
    604: _R.NOT_FOUND,
    606: _R.CODEC_MISMATCH,
}


def from_sip_status(status: int | None) -> TerminationReason:
    """The reason a vendor's final response ``status`` stands for; ``None`` (no final
    response before the host's timer fired) is :attr:`~TerminationReason.RESPONSE_TIMEOUT`.
    A status without a reason of its own is ``NoAvailableRouter`` (the vendor could not
    carry the call: 500, 502, 503, and the rest of 4xx-6xx).

    >>> from_sip_status(486), from_sip_status(None), from_sip_status(502)
    (<TerminationReason.USER_BUSY: 'User Busy'>, <TerminationReason.RESPONSE_TIMEOUT: \
'Response Timeout'>, <TerminationReason.NO_AVAILABLE_ROUTER: 'NoAvailableRouter'>)
    """
    if status is None:
        return _R.RESPONSE_TIMEOUT
    return _FROM_STATUS.get(check_final_status(status, "status"), _R.NO_AVAILABLE_ROUTER)


def check_final_status(status: object, field: str) -> int:
    """Return ``status`` if it is a final failure status (an int in 300-699), else raise
    naming ``field``."""
    if isinstance(status, bool) or not isinstance(status, int):
        raise InvalidArgumentType(f"{field}: expected a SIP status (int), got {status!r}")
    if not 300 <= status <= 699:
        raise InvalidArgument(
            f"{field}: {status} is not a final failure status (300-699); a 1xx is not final"
            " and a 2xx means the call was answered"
        )
    return status
