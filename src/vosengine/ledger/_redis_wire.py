"""The client half of :class:`~vosengine.ledger.RedisLedger`: running its scripts, turning
their replies into the library's values and errors, and amounts to and from integers of the
ledger's grid."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..errors import InvalidArgument, InvalidArgumentType, Unavailable
from ..money import CONTEXT
from ._calls import _same_request
from ._values import (
    LedgerEvent,
    LedgerEventKind,
    PaymentKind,
    PaymentRecord,
    Reservation,
    unknown_account,
)

__all__: list[str] = []

#: The largest amount, in quanta of the ledger's grid, a Redis ledger holds (2^53 - 1: Lua's
#: numbers are doubles). At 4 decimals that is 900,719,925,474.0991.
MAX_QUANTA = 2**53 - 1


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _milliseconds(value: object, field: str) -> int:
    if not isinstance(value, timedelta):
        raise InvalidArgumentType(f"{field}: expected a timedelta, got {value!r}")
    if value <= timedelta(0):
        raise InvalidArgument(f"{field}: {value} is not positive")
    return max(1, int(value / timedelta(milliseconds=1)))


class _Wire:
    """Scripts, replies and amounts (a base of ``RedisLedger``)."""

    decimals: int
    prefix: str
    client: Any
    _errors: Any  # redis.exceptions
    _scripts: dict[str, Any]

    # -- the wire ----------------------------------------------------------------------------

    def _quanta(self, amount: Decimal, field: str) -> str:
        """An amount on the grid as the integer of quanta the scripts take."""
        quanta = int(amount.scaleb(self.decimals, CONTEXT))
        if abs(quanta) > MAX_QUANTA:
            raise InvalidArgument(f"{field}: {amount} is beyond what a Redis ledger holds")
        return str(quanta)

    def _money(self, quanta: Any) -> Decimal:
        return Decimal(int(_text(quanta))).scaleb(-self.decimals, CONTEXT)

    def _run(
        self, name: str, now: datetime | None, args: Sequence[str], *, accounts: Sequence[str] = ()
    ) -> Any:
        """Run one script. Its error replies become the library's errors (``VOSFUNDS``
        becomes :class:`_Funds`, for the caller to word); Redis not answering becomes
        :class:`~vosengine.errors.Unavailable`."""
        at = "" if now is None else now.isoformat()
        try:
            return self._scripts[name](args=[self.prefix, at, *args])
        except self._errors.ResponseError as error:
            code, _, rest = str(error).partition(" ")
            if code == "VOSNOACCOUNT":
                for account_id in accounts:
                    if not self._call(self.client.exists, self.prefix + "a:" + account_id):
                        raise unknown_account(account_id) from None
                raise unknown_account(accounts[0] if accounts else "?") from None
            elif code == "VOSFUNDS":
                raise _Funds(self._money(rest.split(" ", 1)[0])) from None
            elif code == "VOSNORESERVATION":
                raise _NoHold from None
            elif code == "VOSEXISTS":
                raise InvalidArgument(
                    f"account_id: ledger account {accounts[0]!r} exists"
                ) from None
            elif code == "VOSRANGE":
                raise InvalidArgument(
                    f"{name}: a result beyond what a Redis ledger holds ({MAX_QUANTA} quanta)"
                ) from None
            elif code in ("VOSCONFLICT", "VOSNOTOWN"):
                raise  # the caller words it
            # the server refused to run it (a replica after a failover, out of memory ...)
            raise Unavailable(
                f"ledger {self.prefix!r}: Redis refused {name} ({error}); nothing was applied"
            ) from error
        except self._errors.RedisError as error:
            raise Unavailable(
                f"ledger {self.prefix!r}: Redis did not answer {name} ({error}); it may or may"
                " not have been applied: an operation with a key is retried with the same key"
            ) from error

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except self._errors.RedisError as error:
            raise Unavailable(f"ledger {self.prefix!r}: Redis did not answer ({error})") from error

    def _record(self, text: Any) -> PaymentRecord:
        data = json.loads(text) if isinstance(text, str | bytes) else text
        return PaymentRecord(
            int(data["id"]),
            PaymentKind(data["kind"]),
            data["account"],
            self._money(data["amount"]),
            self._money(data["after"]),
            data["actor"],
            data["memo"],
            datetime.fromisoformat(data["at"]),
            data["key"] or None,
        )

    def _reservation(self, text: Any) -> Reservation:
        data = json.loads(text)
        return Reservation(
            int(data["id"]),
            data["account"],
            self._money(data["amount"]),
            data["call"],
            datetime.fromisoformat(data["at"]),
        )

    @staticmethod
    def _outcome(key: str, request: str, reply: Any) -> str:
        """The result of an idempotent script: its own, or the first one of a key seen
        before for the same request (:class:`IdempotencyConflict` for another)."""
        status, text = _text(reply[0]), _text(reply[1])
        if status == "replay":
            first, _, text = text.partition("\n")
            if first != request:
                _same_request(key, tuple(json.loads(first)), tuple(json.loads(request)))
        return text

    def _event(self, data: dict[str, Any]) -> LedgerEvent:
        kind = LedgerEventKind(data["kind"])
        available = self._money(data["available"])
        if kind is LedgerEventKind.LOW_BALANCE:
            detail = f"available {available} fell below {self._money(data['threshold'])}"
        elif kind is LedgerEventKind.HOLD_EXPIRED:
            detail = (
                f"hold {data['hold']} of call {data['call']!r} ({self._money(data['amount'])})"
                " outlived hold_ttl and was freed"
            )
        else:
            verb = "holds" if kind is LedgerEventKind.OVERDRAFT_WARNING else "needs"
            detail = (
                f"call {data['call']!r} {verb} {self._money(data['amount'])}"
                f" with {available} available"
            )
        return LedgerEvent(
            kind=kind,
            account_id=data["account"],
            available=available,
            at=(
                datetime.fromisoformat(data["at"])
                if data["at"]
                else datetime.fromtimestamp(int(data["ms"]) / 1000, UTC)  # Redis' clock
            ),
            detail=detail,
        )


class _Funds(Exception):
    """A script said the account has only ``available``: the caller words the refusal."""

    def __init__(self, available: Decimal) -> None:
        super().__init__(str(available))
        self.available = available


class _NoHold(Exception):
    """A script found no open reservation of the id."""
