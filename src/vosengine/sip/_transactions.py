"""The four transaction state machines of RFC 3261 §17, as data.

Everything that moves a transaction lives here: the states, the inputs, one transition table
per kind, the timers each state may run, and how long each timer lasts. A table maps
``(state, input)`` to ``(new state, actions)``, as h2's ``stream.py`` does; a pair missing
from the table is a protocol error and moves the transaction to ``TERMINATED``
(:meth:`Transaction.step` raises :class:`TransactionError` after doing so).
:meth:`Transaction.allows` asks first, for inputs the host causes: a host's mistake changes
nothing.

The INVITE machines include RFC 6026's ``ACCEPTED`` state (timers L and M): a 2xx answer
to an INVITE no longer ends the transaction at once, so retransmitted INVITEs are absorbed
and retransmitted 2xx responses still reach the dialog, which acknowledges each.

Actions are :class:`TransactionAction` members (what the endpoint does: send, resend, pass
up, report a timeout) and :class:`TransactionTimer` members (arm this timer). A timer listed
by the transition in which it fired is re-armed with its next interval (A doubles; E and G
double up to T2; E is T2 in ``PROCEEDING``). On every transition the timers the new state
does not hold (:data:`HOLDS`) are cancelled. Over a reliable transport timers A, E and G
never run and D, I, J, K last zero seconds: they fire in the same step that arms them.

Time is the monotonic protocol clock: a float ``now`` in seconds, passed in; nothing here
reads a clock or sleeps.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from .._checks import check_type
from ._errors import LocalProtocolError, ProtocolError

__all__ = [
    "HOLDS",
    "T1",
    "T2",
    "T4",
    "TABLES",
    "TransactionAction",
    "TransactionInput",
    "TransactionKind",
    "TransactionState",
    "TransactionTimer",
    "TimerConfig",
    "Transaction",
    "TransactionError",
    "diagram",
    "input_of_status",
]

#: RFC 3261 defaults (seconds): round-trip estimate, largest retransmission interval, and how
#: long a message stays in the network.
T1 = 0.5
T2 = 4.0
T4 = 5.0


class TransactionKind(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: hash by identity, fast

    INVITE_CLIENT = "INVITE client"
    NON_INVITE_CLIENT = "non-INVITE client"
    INVITE_SERVER = "INVITE server"
    NON_INVITE_SERVER = "non-INVITE server"


class TransactionState(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: hash by identity, fast

    INITIAL = "initial"
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class TransactionInput(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: hash by identity, fast

    SEND_REQUEST = "the TU sends the request"
    RECV_REQUEST = "the request arrives (first time or again)"
    RECV_ACK = "an ACK arrives"
    RECV_1XX = "a provisional response arrives"
    RECV_2XX = "a 2xx response arrives"
    RECV_FINAL = "a 300-699 response arrives"
    SEND_1XX = "the TU sends a provisional response"
    SEND_2XX = "the TU sends a 2xx response"
    SEND_FINAL = "the TU sends a 300-699 response"
    TIMER_A = "timer A fires"
    TIMER_B = "timer B fires"
    TIMER_D = "timer D fires"
    TIMER_E = "timer E fires"
    TIMER_F = "timer F fires"
    TIMER_G = "timer G fires"
    TIMER_H = "timer H fires"
    TIMER_I = "timer I fires"
    TIMER_J = "timer J fires"
    TIMER_K = "timer K fires"
    TIMER_L = "timer L fires"
    TIMER_M = "timer M fires"


class TransactionTimer(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: hash by identity, fast

    A = "A"
    B = "B"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741 - RFC 3261's name
    J = "J"
    K = "K"
    L = "L"
    M = "M"

    @property
    def input(self) -> TransactionInput:
        return _TIMER_INPUT[self]


_TIMER_INPUT = {timer: TransactionInput[f"TIMER_{timer.value}"] for timer in TransactionTimer}


class TransactionAction(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: hash by identity, fast

    SEND_REQUEST = "send the request"
    RESEND_REQUEST = "send the request again"
    SEND_TRYING = "answer 100 Trying"
    SEND_RESPONSE = "send the TU's response and remember it"
    RESEND_RESPONSE = "send the last response again"
    SEND_ACK = "acknowledge the non-2xx final response"
    PASS = "pass the message to the TU"
    TIMEOUT = "tell the TU the transaction timed out"


Effect = TransactionAction | TransactionTimer
Table = Mapping[
    tuple[TransactionState, TransactionInput], tuple[TransactionState, tuple[Effect, ...]]
]

S, In, A, T = TransactionState, TransactionInput, TransactionAction, TransactionTimer
K = TransactionKind

_INVITE_CLIENT: Table = MappingProxyType({
    (S.INITIAL, In.SEND_REQUEST): (S.CALLING, (A.SEND_REQUEST, T.A, T.B)),
    (S.CALLING, In.TIMER_A): (S.CALLING, (A.RESEND_REQUEST, T.A)),
    (S.CALLING, In.TIMER_B): (S.TERMINATED, (A.TIMEOUT,)),
    (S.CALLING, In.RECV_1XX): (S.PROCEEDING, (A.PASS,)),
    (S.CALLING, In.RECV_2XX): (S.ACCEPTED, (A.PASS, T.M)),
    (S.CALLING, In.RECV_FINAL): (S.COMPLETED, (A.PASS, A.SEND_ACK, T.D)),
    (S.PROCEEDING, In.RECV_1XX): (S.PROCEEDING, (A.PASS,)),
    (S.PROCEEDING, In.RECV_2XX): (S.ACCEPTED, (A.PASS, T.M)),
    (S.PROCEEDING, In.RECV_FINAL): (S.COMPLETED, (A.PASS, A.SEND_ACK, T.D)),
    (S.COMPLETED, In.RECV_1XX): (S.COMPLETED, ()),  # late, reordered
    (S.COMPLETED, In.RECV_FINAL): (S.COMPLETED, (A.SEND_ACK,)),
    (S.COMPLETED, In.TIMER_D): (S.TERMINATED, ()),
    (S.ACCEPTED, In.RECV_1XX): (S.ACCEPTED, ()),  # late, reordered
    (S.ACCEPTED, In.RECV_2XX): (S.ACCEPTED, (A.PASS,)),  # the dialog acknowledges it again
    (S.ACCEPTED, In.TIMER_M): (S.TERMINATED, ()),
})  # fmt: skip

_NON_INVITE_CLIENT: Table = MappingProxyType({
    (S.INITIAL, In.SEND_REQUEST): (S.TRYING, (A.SEND_REQUEST, T.E, T.F)),
    (S.TRYING, In.TIMER_E): (S.TRYING, (A.RESEND_REQUEST, T.E)),
    (S.TRYING, In.TIMER_F): (S.TERMINATED, (A.TIMEOUT,)),
    (S.TRYING, In.RECV_1XX): (S.PROCEEDING, (A.PASS,)),
    (S.TRYING, In.RECV_2XX): (S.COMPLETED, (A.PASS, T.K)),
    (S.TRYING, In.RECV_FINAL): (S.COMPLETED, (A.PASS, T.K)),
    (S.PROCEEDING, In.TIMER_E): (S.PROCEEDING, (A.RESEND_REQUEST, T.E)),
    (S.PROCEEDING, In.TIMER_F): (S.TERMINATED, (A.TIMEOUT,)),
    (S.PROCEEDING, In.RECV_1XX): (S.PROCEEDING, (A.PASS,)),
    (S.PROCEEDING, In.RECV_2XX): (S.COMPLETED, (A.PASS, T.K)),
    (S.PROCEEDING, In.RECV_FINAL): (S.COMPLETED, (A.PASS, T.K)),
    (S.COMPLETED, In.RECV_1XX): (S.COMPLETED, ()),  # retransmissions, absorbed
    (S.COMPLETED, In.RECV_2XX): (S.COMPLETED, ()),
    (S.COMPLETED, In.RECV_FINAL): (S.COMPLETED, ()),
    (S.COMPLETED, In.TIMER_K): (S.TERMINATED, ()),
})  # fmt: skip

_INVITE_SERVER: Table = MappingProxyType({
    (S.INITIAL, In.RECV_REQUEST): (S.PROCEEDING, (A.SEND_TRYING, A.PASS)),
    (S.PROCEEDING, In.RECV_REQUEST): (S.PROCEEDING, (A.RESEND_RESPONSE,)),
    (S.PROCEEDING, In.SEND_1XX): (S.PROCEEDING, (A.SEND_RESPONSE,)),
    (S.PROCEEDING, In.SEND_2XX): (S.ACCEPTED, (A.SEND_RESPONSE, T.L)),
    (S.PROCEEDING, In.SEND_FINAL): (S.COMPLETED, (A.SEND_RESPONSE, T.G, T.H)),
    (S.COMPLETED, In.RECV_REQUEST): (S.COMPLETED, (A.RESEND_RESPONSE,)),
    (S.COMPLETED, In.TIMER_G): (S.COMPLETED, (A.RESEND_RESPONSE, T.G)),
    (S.COMPLETED, In.TIMER_H): (S.TERMINATED, (A.TIMEOUT,)),
    (S.COMPLETED, In.RECV_ACK): (S.CONFIRMED, (T.I,)),
    (S.CONFIRMED, In.RECV_REQUEST): (S.CONFIRMED, ()),  # late, reordered
    (S.CONFIRMED, In.RECV_ACK): (S.CONFIRMED, ()),
    (S.CONFIRMED, In.TIMER_I): (S.TERMINATED, ()),
    (S.ACCEPTED, In.RECV_REQUEST): (S.ACCEPTED, ()),
    (S.ACCEPTED, In.RECV_ACK): (S.ACCEPTED, (A.PASS,)),  # an RFC 2543 ACK for the 2xx
    (S.ACCEPTED, In.SEND_2XX): (S.ACCEPTED, (A.SEND_RESPONSE,)),  # the 2xx, retransmitted
    (S.ACCEPTED, In.TIMER_L): (S.TERMINATED, ()),
})  # fmt: skip

_NON_INVITE_SERVER: Table = MappingProxyType({
    (S.INITIAL, In.RECV_REQUEST): (S.TRYING, (A.PASS,)),
    (S.TRYING, In.RECV_REQUEST): (S.TRYING, ()),
    (S.TRYING, In.SEND_1XX): (S.PROCEEDING, (A.SEND_RESPONSE,)),
    (S.TRYING, In.SEND_2XX): (S.COMPLETED, (A.SEND_RESPONSE, T.J)),
    (S.TRYING, In.SEND_FINAL): (S.COMPLETED, (A.SEND_RESPONSE, T.J)),
    (S.PROCEEDING, In.RECV_REQUEST): (S.PROCEEDING, (A.RESEND_RESPONSE,)),
    (S.PROCEEDING, In.SEND_1XX): (S.PROCEEDING, (A.SEND_RESPONSE,)),
    (S.PROCEEDING, In.SEND_2XX): (S.COMPLETED, (A.SEND_RESPONSE, T.J)),
    (S.PROCEEDING, In.SEND_FINAL): (S.COMPLETED, (A.SEND_RESPONSE, T.J)),
    (S.COMPLETED, In.RECV_REQUEST): (S.COMPLETED, (A.RESEND_RESPONSE,)),
    (S.COMPLETED, In.TIMER_J): (S.TERMINATED, ()),
})  # fmt: skip


#: kind -> its transition table
TABLES: Mapping[TransactionKind, Table] = MappingProxyType({
    TransactionKind.INVITE_CLIENT: _INVITE_CLIENT,
    TransactionKind.NON_INVITE_CLIENT: _NON_INVITE_CLIENT,
    TransactionKind.INVITE_SERVER: _INVITE_SERVER,
    TransactionKind.NON_INVITE_SERVER: _NON_INVITE_SERVER,
})  # fmt: skip

_NONE: frozenset[TransactionTimer] = frozenset()

#: kind -> state -> the timers that may run in it (the others are cancelled on entry)
Holds = Mapping[TransactionKind, Mapping[TransactionState, frozenset[TransactionTimer]]]
HOLDS: Holds = MappingProxyType({
    K.INVITE_CLIENT: MappingProxyType({
        S.CALLING: frozenset({T.A, T.B}),
        S.COMPLETED: frozenset({T.D}),
        S.ACCEPTED: frozenset({T.M}),
    }),
    K.NON_INVITE_CLIENT: MappingProxyType({
        S.TRYING: frozenset({T.E, T.F}),
        S.PROCEEDING: frozenset({T.E, T.F}),
        S.COMPLETED: frozenset({T.K}),
    }),
    K.INVITE_SERVER: MappingProxyType({
        S.COMPLETED: frozenset({T.G, T.H}),
        S.CONFIRMED: frozenset({T.I}),
        S.ACCEPTED: frozenset({T.L}),
    }),
    K.NON_INVITE_SERVER: MappingProxyType({S.COMPLETED: frozenset({T.J})}),
})  # fmt: skip

del S, In, A, T, K

_RETRANSMITTING = frozenset(
    {TransactionTimer.A, TransactionTimer.E, TransactionTimer.G}
)  # unreliable transports only
_FINAL_OVER_RELIABLE = frozenset(
    {TransactionTimer.D, TransactionTimer.I, TransactionTimer.J, TransactionTimer.K}
)  # zero when reliable


class TransactionError(ProtocolError):
    """An input the transaction's table has no transition for (the transaction is now
    ``TERMINATED``). ``status`` is 500: the peer or the host broke the protocol's order."""


@attrs.frozen(kw_only=True)
class TimerConfig:
    """The timer values of RFC 3261 Table 4, from T1, T2, T4 and whether the transport is
    reliable (TCP, TLS: no retransmissions, and D, I, J, K are zero)."""

    t1: float = T1
    t2: float = T2
    t4: float = T4
    reliable: bool = False

    def __attrs_post_init__(self) -> None:
        for name in ("t1", "t2", "t4"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise LocalProtocolError(
                    f"{name}: expected a positive number of seconds, got {value!r}"
                )
        if self.t2 < self.t1:
            raise LocalProtocolError(f"t2 ({self.t2}) may not be shorter than t1 ({self.t1})")

    def initial(self, timer: TransactionTimer) -> float:
        """How long ``timer`` lasts when first armed."""
        check_type(timer, TransactionTimer, "timer")
        t1 = self.t1
        if timer in _FINAL_OVER_RELIABLE and self.reliable:
            return 0.0
        if timer is TransactionTimer.D:
            return max(32.0, 64 * t1)
        if timer is TransactionTimer.I or timer is TransactionTimer.K:
            return self.t4
        if (
            timer is TransactionTimer.A
            or timer is TransactionTimer.E
            or timer is TransactionTimer.G
        ):
            return t1
        return 64 * t1  # B, F, H, J, L, M

    def following(self, timer: TransactionTimer, previous: float, state: TransactionState) -> float:
        """The interval after ``previous`` for a timer that fired and is armed again."""
        check_type(timer, TransactionTimer, "timer"), check_type(state, TransactionState, "state")
        check_type(previous, (int, float), "previous")
        if timer is TransactionTimer.A:
            return 2 * previous
        if timer is TransactionTimer.E and state is TransactionState.PROCEEDING:
            return self.t2
        return min(2 * previous, self.t2)


class Transaction:
    """One transaction's state and timers; the endpoint holds the messages and does the
    actions :meth:`step` returns. Not thread-safe: its endpoint owns it."""

    __slots__ = ("_armed", "_deadlines", "_intervals", "_table", "config", "kind", "state")

    def __init__(self, kind: TransactionKind, config: TimerConfig) -> None:
        self.kind = check_type(kind, TransactionKind, "kind")
        self.config = check_type(config, TimerConfig, "config")
        self.state = TransactionState.INITIAL
        self._table = TABLES[kind]
        self._deadlines: dict[TransactionTimer, float] = {}
        self._intervals: dict[TransactionTimer, float] = {}
        self._armed: list[tuple[TransactionTimer, float]] = []

    def allows(self, input_: TransactionInput) -> bool:
        """Whether the table has a transition for ``input_`` in the current state."""
        return (self.state, check_type(input_, TransactionInput, "input_")) in self._table

    @property
    def deadlines(self) -> Mapping[TransactionTimer, float]:
        """The armed timers and when each fires."""
        return MappingProxyType(self._deadlines)

    def next_deadline(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def step(self, input_: TransactionInput, *, now: float) -> tuple[TransactionAction, ...]:
        """Apply ``input_``: the new state, its timers, and the actions for the endpoint.
        Zero-length timers (reliable transports) fire within this call."""
        if type(input_) is not TransactionInput:
            check_type(input_, TransactionInput, "input_")
        actions: list[TransactionAction] = []
        self._apply(input_, now, actions)
        return tuple(actions)

    def due(self, *, now: float) -> list[TransactionTimer]:
        """The armed timers whose deadline is ``now`` or earlier, earliest first."""
        return sorted(
            (timer for timer, at in self._deadlines.items() if at <= now),
            key=self._deadlines.__getitem__,
        )

    def _apply(
        self, input_: TransactionInput, now: float, actions: list[TransactionAction]
    ) -> None:
        old = self.state
        try:
            state, effects = self._table[(old, input_)]
        except KeyError:
            self.state = TransactionState.TERMINATED
            self._deadlines.clear()
            raise TransactionError(
                f"{self.kind.value} transaction in state {old.value}: {input_.value} is "
                "not allowed",
                status=500,
            ) from None
        self.state = state
        holds = HOLDS[self.kind].get(state, _NONE)
        deadlines, intervals, config = self._deadlines, self._intervals, self.config
        for timer in [t for t in deadlines if t not in holds]:
            del deadlines[timer]
        zero: list[TransactionTimer] = []
        for effect in effects:
            if isinstance(effect, TransactionAction):
                actions.append(effect)
                continue
            if config.reliable and effect in _RETRANSMITTING:
                continue
            if input_ is effect.input:  # fired: armed again with its next interval
                interval = config.following(effect, intervals[effect], state)
            else:
                interval = config.initial(effect)
            intervals[effect] = interval
            deadlines[effect] = at = now + interval
            if interval == 0:
                zero.append(effect)
            else:
                self._armed.append((effect, at))
        for timer in zero:
            if deadlines.get(timer) == now and self.state is state:
                del deadlines[timer]
                self._apply(timer.input, now, actions)

    def take_armed(self) -> list[tuple[TransactionTimer, float]]:
        """The timers armed since the last call, with their deadlines (some may have been
        cancelled since: check :attr:`deadlines`). A host keeping one timer queue for many
        transactions adds these to it."""
        armed, self._armed = self._armed, []
        return armed

    def fire(self, timer: TransactionTimer, *, now: float) -> tuple[TransactionAction, ...]:
        """Fire an armed timer (the endpoint calls this for each of :meth:`due`)."""
        if check_type(timer, TransactionTimer, "timer") not in self._deadlines:
            return ()
        del self._deadlines[timer]
        return self.step(timer.input, now=now)


def diagram(kind: TransactionKind) -> str:
    """The state machine of ``kind`` in Graphviz DOT, drawn from its table: one edge per
    ``(state, input)``, labelled ``INPUT / actions``. (``kind``: a :class:`TransactionKind`.)

    >>> print(diagram(TransactionKind.NON_INVITE_SERVER).splitlines()[2])
      INITIAL -> TRYING [label="RECV_REQUEST / PASS"];
    """
    check_type(kind, TransactionKind, "kind")
    lines = [f'digraph "{kind.value}" {{', "  rankdir=LR;"]
    for (source, input_), (target, effects) in TABLES[kind].items():
        label = " / ".join([input_.name, ", ".join(effect.name for effect in effects)])
        lines.append(f'  {source.name} -> {target.name} [label="{label.rstrip(" /")}"];')
    lines.append("}")
    return "\n".join(lines)


def input_of_status(status: int, *, sent: bool) -> TransactionInput:
    """The input a response of ``status`` is: received by a client, or sent by a server."""
    if status < 200:
        return TransactionInput.SEND_1XX if sent else TransactionInput.RECV_1XX
    if status < 300:
        return TransactionInput.SEND_2XX if sent else TransactionInput.RECV_2XX
    return TransactionInput.SEND_FINAL if sent else TransactionInput.RECV_FINAL
