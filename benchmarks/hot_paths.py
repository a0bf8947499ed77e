"""One hot path, N times, for instruction counts under callgrind.

    valgrind --tool=callgrind python -m benchmarks.hot_paths WHAT N

WHAT is ``price`` (``RateTable.price``, one undated rate), ``policy``
(``Policy.check_module`` for an admin with an IP whitelist), ``account``
(``Policy.check_account`` for an admin bound to an agent, a customer two levels below it),
``register`` (a REGISTER parsed, handled by IP authentication and serialized) or ``admit``
(``Admission.admit`` of a customer under an agent with number sections, to one of three
gateways, its hold and slot given back after each call). One call costs the difference between
the counts at N and at 0, divided by N. To compare an older tree in the same run, put its
``src`` first on ``PYTHONPATH``: the script calls either signature of ``price`` and
``handle`` (``at`` and ``now`` became keyword-only).
"""

from __future__ import annotations

import gc
import inspect
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _keyword_only(function: Callable[..., Any], name: str) -> bool:
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == name and p.kind is p.KEYWORD_ONLY for p in parameters)


def price() -> Callable[[], object]:
    from vosengine.rating import Rate, RateTable

    table = RateTable([Rate(prefix="44", price="0.01"), Rate(prefix="1", price="0.02")])
    if _keyword_only(table.price, "at"):
        return lambda: table.price("4420", 61_000, at=AT)
    return lambda: table.price("4420", 61_000, AT)  # type: ignore[misc]


def policy() -> Callable[[], object]:
    from vosengine.policy import Admin, Policy, Role

    rules = Policy()
    rules.add_admin(Admin(name="a", role=Role.ADMIN, ip_whitelist=("192.0.2.0/24",)))
    return lambda: rules.check_module("a", "rate", "view", ip="192.0.2.7", now=AT)


def account() -> Callable[[], object]:
    from vosengine.accounts import Account, AccountDirectory, Operator
    from vosengine.policy import Admin, Policy, Role

    directory = AccountDirectory()
    root = Operator(name="root")
    directory.add(Account(id="agent"), actor=root, now=AT)
    directory.add(Account(id="sub", parent_id="agent"), actor=root, now=AT)
    directory.add(Account(id="customer", parent_id="sub"), actor=root, now=AT)
    rules = Policy(directory=directory)
    rules.add_admin(Admin(name="a", role=Role.ADMIN, agent_id="agent"))
    return lambda: rules.check_account("a", "customer", "view", now=AT)


def register() -> Callable[[], object]:
    from vosengine.sip import AuthMethod, DigestAuthenticator, Registrar, SipAccount, parse

    account = SipAccount(username="1001", auth=AuthMethod.IP, addresses=("192.0.2.0/24",))

    class Store:
        def lookup(self, username: str, now: float) -> SipAccount:
            return account

    registrar = Registrar(Store(), DigestAuthenticator("r", b"0123456789abcdef-secret"))
    keyword = _keyword_only(registrar.handle, "now")
    count = iter(range(1, 10**9))

    def run() -> bytes:
        i = next(count)
        request = parse(
            f"REGISTER sip:r SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK{i}\r\n"
            f"From: <sip:1001@r>;tag={i}\r\nTo: <sip:1001@r>\r\nCall-ID: c{i}\r\n"
            f"CSeq: {i} REGISTER\r\nContact: <sip:1001@192.0.2.7>\r\nContent-Length: 0\r\n\r\n".encode()
        )
        source = ("192.0.2.7", 5060)
        if keyword:
            response = registrar.handle(request, source, now=float(i))  # type: ignore[arg-type]
        else:
            response = registrar.handle(request, source, float(i))  # type: ignore[arg-type,misc]
        return bytes(response)

    return run


def admit() -> Callable[[], object]:
    from decimal import Decimal

    from vosengine.accounts import Account, AccountDirectory, Operator
    from vosengine.admission import Admission
    from vosengine.ledger import InMemoryLedger
    from vosengine.numbering import NumberSection
    from vosengine.rating import Rate, RateTable
    from vosengine.routing import Gateway, Load, Ordering, RouteSettings, RouteTable

    operator = Operator(name="o")
    directory = AccountDirectory()
    section = NumberSection(blocked=("4490",))
    directory.add(Account(id="agent", number_section=section), actor=operator, now=AT)
    directory.add(Account(id="customer", parent_id="agent"), actor=operator, now=AT)
    retail = RateTable([Rate(prefix="44", price="0.02"), Rate(prefix="4420", price="0.03")])
    wholesale = RateTable([Rate(prefix="44", price="0.01")])
    ledger = InMemoryLedger()
    for account_id in ("agent", "customer"):
        ledger.open_account(account_id)
    ledger.recharge("customer", Decimal("10"), key="r", actor=operator, now=AT)
    gateways = [
        Gateway(id=f"gw{i}", vendor=f"v{i}", prefixes=("44",), rates=wholesale, capacity=100)
        for i in range(3)
    ]
    table = RouteTable(gateways, settings=RouteSettings(ordering=Ordering.COST))
    load = Load()
    admission = Admission(
        directory=directory,
        rates={"customer": retail, "agent": wholesale},
        ledger=ledger,
        routes=table,
        load=load,
    )

    def run() -> object:
        admitted = admission.admit("customer", "442079460958", call_id="c", at=AT, now=1.0)
        ledger.release(admitted.reservation.id, now=AT)  # type: ignore[union-attr]
        load.release("c")
        return admitted

    return run


def main() -> None:
    what, n = sys.argv[1], int(sys.argv[2])
    paths = {"price": price, "policy": policy, "account": account, "register": register}
    run = {**paths, "admit": admit}[what]()
    for _ in range(200):  # warm the caches of the first calls
        run()
    gc.disable()
    for _ in range(n):
        run()


if __name__ == "__main__":
    main()
