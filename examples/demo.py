"""vosengine demo on the embedded defaults: an agent chain admits, routes and bills calls.

    make demo          # installs vosengine, then runs this file

A wholesale agent resells to a retail agent, which serves customers (the hierarchy of the
VOS3000 guides). Each level has its own rate table. Every call goes through
``Admission.admit``: account state up the chain, number sections of every level, the
customer's rate, a hold for the longest call the balance pays for, and least-cost routing
over three vendor gateways. Admitted calls are routed to the cheapest gateway, fail over
when a vendor refuses, and are billed along the chain when they end; refused calls get a
VOS3000 termination reason and the SIP status to answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from vosengine import prefix
from vosengine.accounts import (
    FULL,
    RETAIL,
    Account,
    AccountDirectory,
    AccountStatus,
    AgentPayments,
    Operator,
)
from vosengine.admission import Admission, Admitted, Rejected
from vosengine.cdr import CDR
from vosengine.ledger import InMemoryLedger
from vosengine.numbering import NumberSection
from vosengine.rating import RateTable
from vosengine.routing import Gateway, Load, Ordering, RouteSettings, RouteTable

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
OPERATOR = Operator(name="admin")

# prefix, area, price per minute, first/next increment, connect fee (customers' table)
CUSTOMER_DECK = """prefix,area,price,first_increment,next_increment,connect_fee
1,USA/Canada,0.0200,60,60,
1212,USA New York,0.0150,60,60,
44,United Kingdom,0.0250,30,6,0.0100
447,United Kingdom Mobile,0.0800,30,6,0.0100
880,Bangladesh,0.0450,6,6,
8801,Bangladesh Mobile,0.0420,6,6,
8816,Iridium Satellite,2.5000,60,60,
33,France,0.0300,60,60,
"""


def scaled(deck: str, factor: str) -> RateTable:
    """The same deck with every price scaled (an agent's or a vendor's cost)."""
    return RateTable(
        attrs.evolve(rate, price=(rate.price * Decimal(factor)).quantize(Decimal("0.0001")))
        for rate in RateTable.from_csv(deck)
    )


def world() -> tuple[Admission, AccountDirectory, InMemoryLedger]:
    directory = AccountDirectory()
    directory.add(
        Account(
            id="bd-wholesale",
            authorizations=FULL,
            number_section=NumberSection(blocked={"8816"}),  # no satellite
        ),
        actor=OPERATOR,
        now=NOW,
    )
    directory.add(
        Account(
            id="dhaka-retail",
            parent_id="bd-wholesale",
            authorizations=RETAIL,
            number_section=NumberSection(allowed={"880", "881", "44", "1", "33", "49"}),
        ),
        actor="bd-wholesale",
        now=NOW,
    )
    for customer in ("customer-001", "customer-002", "customer-003"):
        directory.add(Account(id=customer, parent_id="dhaka-retail"), actor="dhaka-retail", now=NOW)
    customers = RateTable.from_csv(CUSTOMER_DECK)
    tables = {
        "customer-001": customers,
        "customer-002": customers,
        "customer-003": customers,
        "dhaka-retail": scaled(CUSTOMER_DECK, "0.80"),
        "bd-wholesale": scaled(CUSTOMER_DECK, "0.60"),
    }
    ledger = InMemoryLedger(payers=AgentPayments(directory))
    for account_id in tables:
        ledger.open_account(account_id)
    ledger.recharge("dhaka-retail", Decimal("20"), key="seed", actor=OPERATOR, now=NOW)
    for customer, amount in (("customer-001", "2.50"), ("customer-002", "0.01")):
        ledger.transfer(
            "dhaka-retail", customer, Decimal(amount), key=customer, actor="dhaka-retail", now=NOW
        )
    gateways = [
        Gateway(
            id="carrier-a", vendor="a", prefixes={"880", "44"}, rates=scaled(CUSTOMER_DECK, "0.40")
        ),
        Gateway(
            id="carrier-b", vendor="b", prefixes={"880", "1"}, rates=scaled(CUSTOMER_DECK, "0.50")
        ),
        Gateway(
            id="carrier-c",
            vendor="c",
            prefixes={"44", "33"},
            rates=scaled(CUSTOMER_DECK, "0.45"),
            enabled=False,
        ),
    ]
    routes = RouteTable(gateways, settings=RouteSettings(ordering=Ordering.COST, min_profit="0"))
    admission = Admission(
        directory=directory, rates=tables, ledger=ledger, routes=routes, load=Load(), limit=7200
    )
    return admission, directory, ledger


def show(callee: str, outcome: Admitted | Rejected) -> None:
    if isinstance(outcome, Rejected):
        print(f"  {callee:<16} {outcome.sip_status} {outcome.reason.value}: {outcome.detail}")
        return
    order = " > ".join(route.gateway.id for route in outcome.routes)
    print(
        f"  {callee:<16} admitted: {outcome.customer_rate.area}, up to {outcome.max_seconds} s"
        f" (holds {outcome.reservation.amount}); routes {order}"
    )


def end(admission: Admission, admitted: Admitted, seconds: int) -> None:
    answer = NOW + timedelta(seconds=2)
    cdr = CDR(
        call_id=admitted.call_id,
        account_id=admitted.account_id,
        caller="8801911000001",
        callee=admitted.callee,
        start=NOW,
        answer=answer,
        end=answer + timedelta(seconds=seconds),
        duration_ms=seconds * 1000,
        gateway=admitted.route.gateway.id,
    )
    settled = admission.finish(admitted, cdr, at=cdr.end)
    paid = ", ".join(f"{r.account_id} {r.amount}" for r in settled.records)
    incomes = ", ".join(
        f"{level.account_id} earns {level.income}" for level in settled.charge.levels[1:]
    )
    print(f"  {'':<16} {seconds} s through {cdr.gateway}: {paid}; {incomes}")


def main() -> None:
    admission, directory, ledger = world()
    print(f"vosengine demo (prefix engine: {prefix.IMPLEMENTATION})")
    print(f"customer-001 available: {ledger.available('customer-001')}\n")

    print("An admitted call goes to the cheapest gateway, and is billed along the chain:")
    call = admission.admit("customer-001", "+880 1712-345678", call_id="c1", at=NOW, now=1.0)
    show("+880 1712-345678", call)
    assert isinstance(call, Admitted)
    end(admission, call, 185)

    print("\nA vendor refuses (503) and the call fails over to the next gateway:")
    call = admission.admit("customer-001", "8801812345678", call_id="c2", at=NOW, now=2.0)
    show("8801812345678", call)
    assert isinstance(call, Admitted)
    moved = admission.failover(call, status=503, at=NOW, now=2.5)
    assert isinstance(moved, Admitted)
    print(f"  {'':<16} 503 from {call.route.gateway.id}: now trying {moved.route.gateway.id}")
    end(admission, moved, 42)

    print("\nEvery kind of refusal, with its reason and SIP status:")
    for callee in ("881612345678", "+49 151 12345678", "33123456789"):
        show(callee, admission.admit("customer-001", callee, call_id=callee, at=NOW, now=3.0))
    show(
        "44... (002)",
        admission.admit("customer-002", "442071234567", call_id="x2", at=NOW, now=3.0),
    )
    directory.update("customer-003", actor=OPERATOR, now=NOW, status=AccountStatus.LOCKED)
    show(
        "880... (003)",
        admission.admit("customer-003", "8801712345678", call_id="x3", at=NOW, now=3.0),
    )
    directory.update("dhaka-retail", actor=OPERATOR, now=NOW, status=AccountStatus.LOCKED)
    show(
        "880... (001)",
        admission.admit("customer-001", "8801712345678", call_id="x4", at=NOW, now=3.0),
    )
    directory.update("dhaka-retail", actor=OPERATOR, now=NOW, status=AccountStatus.ACTIVE)
    directory.update("customer-001", actor=OPERATOR, now=NOW, expires_at=NOW - timedelta(days=1))
    show(
        "880... (001)",
        admission.admit("customer-001", "8801712345678", call_id="x5", at=NOW, now=3.0),
    )

    print(f"\ncustomer-001 balance after the calls: {ledger.balance('customer-001').balance}")
    print(f"nothing left held: {ledger.open_reservations() == []}")


if __name__ == "__main__":
    main()
