"""Only the library's own errors escape: every public constructor and entry point, fed
wrong-typed and out-of-range arguments mixed with good ones, either answers or raises a
:class:`~vosengine.errors.VosEngineError`; never a bare ``TypeError``, ``AttributeError``,
``OverflowError`` ...

The targets are walked from each public module's ``__all__`` (``tests/public_api.py``): every
function, every class a user builds and hands to the library, and every public method of the
services (directory, ledger, rate and route tables, admission, policy, SIP ...) on a working
instance. A class the walk cannot build is a failure until it gets a factory here, so a new
public name is covered the day it appears. Run once per implementation: the compiled modules
in the default run, their Python twins under ``VOSENGINE_NO_EXTENSIONS=1``.
"""

from __future__ import annotations

import enum
import inspect
import math
import warnings
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from vosengine import PrefixTable, VosEngineError
from vosengine.abuse import SlidingWindowCounter
from vosengine.accounts import Account, AccountDirectory, AgentPayments, Operator
from vosengine.admission import Admission
from vosengine.cdr import CDR, ChainBiller
from vosengine.inventory import Inventory, MappingGateway, PasswordPolicy, Phone, PhoneCard
from vosengine.ledger import InMemoryLedger, OperatorsOnly, RedisLedger
from vosengine.money import RoundingRule
from vosengine.numbering import AllSections, DialPattern, NumberSection, RewriteRule
from vosengine.policy import Admin, LoginLockout, LoginWindow, Policy, RedisWatcher
from vosengine.rating import Rate, RateTable, TariffWindow
from vosengine.routing import FailoverPolicy, Gateway, Load, RouteTable
from vosengine.sip import (
    Blacklist,
    DigestAuthenticator,
    Endpoint,
    Registrar,
    Request,
    Response,
    SipAccount,
    SipUri,
    StreamFramer,
    TimerConfig,
    Transaction,
    TransactionKind,
    make_response,
    parse,
    parse_uri,
)

from .public_api import public_names
from .test_admission import AT, World

NAIVE = datetime(2026, 12, 3, 12)

#: Values the library must refuse wherever they do not belong (and accept where they do).
HOSTILE: list[Any] = [
    None,
    True,
    -1,
    0,
    10**15,
    -(10**15),
    2**70,
    1.5,
    math.nan,
    math.inf,
    "",
    " ",
    "x",
    "+44",
    "٤٤",
    "4\x00",
    "now",
    "09:00",
    b"",
    b"x",
    [],
    [1],
    ["x"],
    {},
    {"a": 1},
    (),
    object(),
    Decimal("NaN"),
    Decimal("-1"),
    Decimal("1e400"),
    NAIVE,
    date(2026, 12, 3),
    time(9),
    timedelta(seconds=-1),
    frozenset({5}),
]

#: Values that are right somewhere: the ids, numbers and instants of the working world.
GOOD: list[Any] = [
    "alice",
    "agent",
    "top",
    "4420",
    "442079460958",
    "44",
    "call-1",
    "INVITE",
    1,
    60_000,
    3600,
    1.0,
    Decimal("0.10"),
    "0.10",
    AT,
    AT + timedelta(days=400),
    time(8),
    timedelta(seconds=30),
    frozenset({"44"}),
    ("44",),
    Operator(name="root"),
]

ARGUMENTS = st.sampled_from(HOSTILE) | st.sampled_from(GOOD)

REGISTER = (
    b"REGISTER sip:example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
    b"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@192.0.2.1>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


class _Store:
    def lookup(self, username: str, now: float) -> SipAccount | None:
        return None


class _Unreachable:
    """A Redis client whose server never answers."""

    def pubsub(self) -> Any:
        raise self._error()

    def publish(self, channel: str, message: str) -> int:
        raise self._error()

    @staticmethod
    def _error() -> Exception:
        from redis.exceptions import ConnectionError

        return ConnectionError("no server")


def _closed_watcher() -> RedisWatcher:
    """A watcher that starts no thread: every method is still walked (and checks first)."""
    watcher = RedisWatcher(_Unreachable())
    watcher.close()
    return watcher


_SERVERS: list[Any] = []


def _redis_ledger() -> RedisLedger:
    """A Redis ledger on a server of this module's own, stopped when the tests end."""
    import atexit
    import tempfile
    from pathlib import Path

    from .redis_server import RedisServer

    if not _SERVERS:
        server = RedisServer(Path(tempfile.mkdtemp(prefix="vosengine-redis-")))
        server.start()
        atexit.register(server.stop)
        _SERVERS.append(server)
    ledger = RedisLedger(_SERVERS[0].client(), prefix=f"walk{len(_INSTANCES)}:")
    for account_id in ("alice", "bob"):
        ledger.open_account(account_id, credit_limit=Decimal("10"))
    ledger.recharge("alice", Decimal("5"), key="seed", actor=Operator(name="op"), now=AT)
    ledger.reserve("alice", Decimal("1"), "call-1", now=AT)
    return ledger


def _factories() -> dict[type, Callable[[], Any]]:
    """A working instance of each class whose methods are entry points."""
    return {
        PrefixTable: lambda: PrefixTable([("44", 1), ("4420", 2)]),
        SlidingWindowCounter: lambda: SlidingWindowCounter(window=10.0, limit=3),
        AccountDirectory: lambda: World().directory,
        AgentPayments: lambda: AgentPayments(World().directory),
        Admission: lambda: World().admission,
        ChainBiller: lambda: ChainBiller(World().directory, World().tables),
        InMemoryLedger: lambda: World().ledger,
        RedisLedger: _redis_ledger,
        AllSections: lambda: AllSections([NumberSection(blocked={"44"})]),
        DialPattern: lambda: DialPattern("44*"),
        NumberSection: lambda: NumberSection(blocked={"44"}),
        RewriteRule: lambda: RewriteRule.parse("44:0"),
        Admin: lambda: Admin(name="ann", role="admin"),
        LoginLockout: LoginLockout,
        LoginWindow: lambda: LoginWindow(days={0}, start=time(9), end=time(17)),
        Policy: Policy,
        RedisWatcher: _closed_watcher,
        Rate: lambda: Rate(prefix="44", price="0.10"),
        RateTable: lambda: RateTable([Rate(prefix="44", price="0.10")]),
        TariffWindow: lambda: TariffWindow(name="peak", days={0}, start=time(8), end=time(18)),
        RouteTable: lambda: RouteTable([World().cheap]),
        Load: Load,
        Gateway: lambda: World().cheap,
        CDR: lambda: CDR(
            call_id="c1", account_id="alice", caller="1", callee="4420", start=AT, end=AT
        ),
        Blacklist: Blacklist,
        DigestAuthenticator: lambda: DigestAuthenticator(realm="example.com", secret=b"s" * 32),
        Endpoint: lambda: Endpoint(host="192.0.2.9", port=5060),
        Registrar: lambda: Registrar(
            _Store(), DigestAuthenticator(realm="example.com", secret=b"s" * 32)
        ),
        StreamFramer: StreamFramer,
        Transaction: lambda: Transaction(TransactionKind.INVITE_CLIENT, TimerConfig()),
        type(parse(REGISTER)): lambda: parse(REGISTER),
        Request: lambda: parse(REGISTER),
        Response: lambda: make_response(parse(REGISTER), 200),
        Account: lambda: Account(id="alice", expires_at=AT + timedelta(days=30)),
        OperatorsOnly: OperatorsOnly,
        RoundingRule: RoundingRule,
        FailoverPolicy: FailoverPolicy,
        SipAccount: lambda: SipAccount(username="alice", password="secret"),
        SipUri: lambda: parse_uri("sip:alice@example.com;transport=udp"),
        TimerConfig: TimerConfig,
        Inventory: lambda: _inventory(),
        Phone: lambda: Phone(number="1001", account_id="alice", ha1s={"MD5": "ab" * 16}),
        MappingGateway: lambda: MappingGateway(
            id="gw", account_id="alice", networks=("192.0.2.0/24",)
        ),
        PasswordPolicy: PasswordPolicy,
        PhoneCard: lambda: _inventory().cards()[0],
    }


def _inventory() -> Inventory:
    world = World()
    inventory = Inventory(
        world.directory,
        realm="example.com",
        business_time=lambda now: AT,
        ledger=world.ledger,
        pin_key=b"k" * 16,
    )
    inventory.generate_cards(2, batch="B", face_value=5, actor=Operator(name="op"), now=AT)
    inventory.add_phone(
        Phone(number="1001", account_id="alice"),
        password="Pa55-word",
        actor=Operator(name="op"),
        now=AT,
    )
    return inventory


#: Classes whose instances the library builds and returns (verdicts, events, charges, records,
#: reports) or that only describe a protocol: a user reads them and never hands one in, so
#: their constructors are no entry point. Their methods still are, on an instance the
#: library made, where a factory above gives one.
OUTPUTS = {
    "Decision",
    "Verdict",
    "NumberCheck",
    "StatusVerdict",
    "AuditRecord",
    "SectionVerdict",
    "Admitted",
    "Rejected",
    "Settled",
    "Adjustment",
    "ChainCharge",
    "DistributionRow",
    "IncomeReport",
    "LevelCharge",
    "Balance",
    "LedgerEvent",
    "PaymentRecord",
    "Posting",
    "Reservation",
    "Ledger",
    "PayerRules",
    "BalanceSource",
    "Charge",
    "ChargePart",
    "Failover",
    "Removed",
    "Route",
    "Routes",
    "BadMessage",
    "Binding",
    "BlockEntry",
    "CSeq",
    "CallCancelled",
    "Challenge",
    "CredentialStore",
    "Dialog",
    "DialogChanged",
    "DialogId",
    "DigestResult",
    "Message",
    "NameAddr",
    "RegistrarEvent",
    "RequestReceived",
    "ResponseReceived",
    "TransactionTimedOut",
    "Via",
    "InventoryRecord",
    "CardBatch",
}


def _is_target_class(value: Any) -> bool:
    return inspect.isclass(value) and not issubclass(value, (BaseException, enum.Enum))


def _signature(member: Any, twin: Any = None) -> inspect.Signature | None:
    for candidate in (member, twin):
        if candidate is None:
            continue
        try:
            return inspect.signature(candidate)
        except (TypeError, ValueError):
            continue
    return None


def _targets() -> list[tuple[str, Callable[[], Any], str | None]]:
    """``(name, make the callee, method name or None)`` for every entry point."""
    factories = _factories()
    found: list[tuple[str, Callable[[], Any], str | None]] = []
    seen: set[tuple[int, str | None]] = set()
    for module, name, value in public_names():
        if inspect.isfunction(value) or inspect.isbuiltin(value):
            if (id(value), None) not in seen:
                seen.add((id(value), None))
                found.append((f"{module}.{name}", lambda value=value: value, None))
            continue
        if not _is_target_class(value):
            continue
        if name not in OUTPUTS and (id(value), None) not in seen:
            seen.add((id(value), None))
            found.append((f"{module}.{name}", lambda value=value: value, None))
        factory = factories.get(value)
        for attr in sorted(dir(value)):
            if attr.startswith("_") or (id(value), attr) in seen:
                continue
            static = inspect.getattr_static(value, attr)
            if isinstance(static, (property, enum.Enum)) or not callable(getattr(value, attr)):
                continue
            if isinstance(static, (classmethod, staticmethod)):
                maker: Callable[[], Any] = lambda value=value: value  # noqa: E731
            elif factory is not None:
                maker = factory
            else:
                continue  # an output's method: no instance to call it on
            seen.add((id(value), attr))
            found.append((f"{module}.{name}.{attr}", maker, attr))
    return found


TARGETS = _targets()


_INSTANCES: dict[str, Any] = {}


def _parameters(callee: Any) -> list[inspect.Parameter] | None:
    twin = None
    if isinstance(callee, type) and callee.__module__.endswith("._prefix"):
        from vosengine import _prefix_py

        twin = _prefix_py.PrefixTable
    signature = _signature(callee, twin)
    if signature is None:
        return None
    return [
        p
        for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


@pytest.mark.parametrize(("name", "make", "method"), TARGETS, ids=[name for name, _, _ in TARGETS])
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # the failing call is printed whole: no shrinking
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_only_the_librarys_errors_escape(
    name: str, make: Callable[[], Any], method: str | None, data: st.DataObject
) -> None:
    target = _INSTANCES.get(name)
    if target is None:  # one instance per entry point, kept across its examples
        target = _INSTANCES[name] = make()
    callee = getattr(target, method) if method else target
    parameters = _parameters(callee)
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for parameter in parameters or []:
        if parameter.default is not parameter.empty and data.draw(st.booleans()):
            if parameter.kind is parameter.POSITIONAL_ONLY:
                break  # the ones after it cannot be given either
            continue  # leave an optional argument out
        value = data.draw(ARGUMENTS, label=parameter.name)
        if parameter.kind is parameter.POSITIONAL_ONLY or (
            parameter.kind is parameter.POSITIONAL_OR_KEYWORD and not keywords
        ):
            positional.append(value)
        else:
            keywords[parameter.name] = value
    try:
        with warnings.catch_warnings():  # a deprecated argument still works, and warns
            warnings.simplefilter("ignore", DeprecationWarning)
            callee(*positional, **keywords)
    except VosEngineError:
        pass
    except Exception as error:
        raise AssertionError(
            f"{name}(*{positional!r}, **{keywords!r}) raised {type(error).__name__}: {error}"
        ) from error


_NOT_ON_INSTANCES = (property, classmethod, staticmethod)


def test_every_public_class_is_walked() -> None:
    """A class whose methods are entry points needs a factory above; an output is listed."""
    factories = _factories()
    unwalked = sorted(
        f"{module}.{name}"
        for module, name, value in public_names()
        if _is_target_class(value) and name in OUTPUTS and value in factories
    )
    assert unwalked == []
    missing = sorted(
        f"{module}.{name}"
        for module, name, value in public_names()
        if _is_target_class(value)
        and name not in OUTPUTS
        and value not in factories
        and any(
            not a.startswith("_")
            and not isinstance(
                inspect.getattr_static(value, a), (property, classmethod, staticmethod)
            )
            and callable(getattr(value, a))
            for a in dir(value)
        )
    )
    assert missing == []


def _message(call: Callable[[], Any]) -> str:
    with pytest.raises(VosEngineError) as caught:
        call()
    return str(caught.value)


def test_the_errors_users_meet_most_say_what_to_do_instead() -> None:
    from vosengine.numbering import normalize_number

    world = World()
    assert _message(lambda: normalize_number("+44 20 79x6")) == (
        "number: '+44 20 79x6' has 'x' at position 9; a number is digits, '*' and '#', with"
        " one leading '+' and the separators ' -.()'"
    )
    assert _message(lambda: world.directory.effective_status("alice", now=NAIVE)) == (
        "now: 2026-12-03T12:00:00 has no time zone; pass an aware datetime, such as"
        " datetime.now(timezone.utc)"
    )
    assert _message(lambda: Rate(prefix="44", price=0.1)) == (  # type: ignore[arg-type]
        "price: 0.1 is a float; amounts are Decimal, int or str: write Decimal('0.1') or '0.1'"
    )
    assert _message(lambda: world.directory.get("ghost")) == (
        "account 'ghost' does not exist; add it first (AccountDirectory.add)"
    )
    assert _message(lambda: InMemoryLedger().available("ghost")) == (
        "ledger account 'ghost' does not exist; open it first (ledger.open_account('ghost'))"
    )


def _snapshot_with_bad_authorizations() -> dict[str, Any]:
    snapshot = World().directory.to_dict()
    snapshot["accounts"][0]["authorizations"] = 5
    return snapshot


def _dated() -> RateTable:
    return RateTable([Rate(prefix="44", price="0.1", effective_from=AT - timedelta(days=1))])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: World().ledger.reserve([], Decimal(1), "c", now=AT), TypeError, "account_id"),
        (
            lambda: type(World().directory).from_dict(_snapshot_with_bad_authorizations()),
            TypeError,
            "authorizations: expected a collection, got 5",
        ),
        (
            lambda: Account(id="a", expires_at=AT).own_status(now=NAIVE),
            ValueError,
            "now: .* has no time zone",
        ),
        (
            lambda: LoginWindow(days={0}, start="09:00", end=time(17)),  # type: ignore[arg-type]
            TypeError,
            "start: expected a naive time of day",
        ),
        (lambda: Admin(name=5, role="admin"), TypeError, "name: expected a str, got 5"),  # type: ignore[arg-type]
        (lambda: _dated().price("4420", 10**15, at=AT), ValueError, "duration_ms: 10+ is not"),
        (lambda: _dated().price("4420", 1000, at="now"), TypeError, "at: expected an aware"),  # type: ignore[arg-type]
        (
            lambda: RateTable([Rate(prefix="44", price="1")]).amounts_many(["44"], [True], at=[AT]),
            TypeError,
            r"calls\[0\]: duration_ms: expected an int, got True",
        ),
        (
            lambda: RateTable([Rate(prefix="44", price="1")]).amounts_many(["44"], [1], at=[None]),  # type: ignore[list-item]
            TypeError,
            r"calls\[0\]: at: expected an aware datetime, got None",
        ),
    ],
)
def test_each_escape_once_found_is_the_librarys_error_naming_the_argument(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(VosEngineError, match=message) as caught:
        call()
    assert isinstance(caught.value, error)  # and the built-in it means
