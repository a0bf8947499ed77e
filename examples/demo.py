"""vosengine demo on the embedded defaults: an agent chain rates, admits and bills calls.

    make demo          # installs vosengine, then runs this file

A wholesale agent resells to a retail agent, which serves a customer (the hierarchy of the
VOS3000 guides). Each level has its own rate table; the customer's calls are checked against
the number sections of every level, priced with billing increments and connect fees, limited
to what the balance pays for, and billed along the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from vosengine import prefix
from vosengine.accounts import (
    FULL,
    RETAIL,
    Account,
    AccountDirectory,
    AgentPayments,
    Operator,
)
from vosengine.cdr import CDR, ChainBiller
from vosengine.ledger import InMemoryLedger, InsufficientFunds
from vosengine.numbering import NumberSection
from vosengine.rating import RateTable

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
OPERATOR = Operator(name="admin")

# prefix, area, price per minute, first/next increment, connect fee (customer's table)
CUSTOMER_DECK = """prefix,area,price,first_increment,next_increment,connect_fee
1,USA/Canada,0.0200,60,60,
1212,USA New York,0.0150,60,60,
44,United Kingdom,0.0250,30,6,0.0100
447,United Kingdom Mobile,0.0800,30,6,0.0100
880,Bangladesh,0.0450,6,6,
8801,Bangladesh Mobile,0.0420,6,6,
8816,Iridium Satellite,2.5000,60,60,
"""


def scaled(deck: str, factor: str) -> RateTable:
    """The same deck with every price scaled (an agent's wholesale cost)."""
    table = RateTable.from_csv(deck)
    import attrs

    return RateTable(
        attrs.evolve(rate, price=(rate.price * Decimal(factor)).quantize(Decimal("0.0001")))
        for rate in table
    )


def main() -> None:
    directory = AccountDirectory()
    directory.add(
        Account(
            id="bd-wholesale",
            name="BD-Wholesale-Agent",
            authorizations=FULL,
            number_section=NumberSection(blocked={"8816"}),  # no satellite
        ),
        actor=OPERATOR,
        now=NOW,
    )
    directory.add(
        Account(
            id="dhaka-retail",
            name="Dhaka-Retail-Sub",
            parent_id="bd-wholesale",
            authorizations=RETAIL,
            number_section=NumberSection(allowed={"880", "44", "1"}),
        ),
        actor="bd-wholesale",
        now=NOW,
    )
    directory.add(
        Account(id="customer-001", name="Customer-001", parent_id="dhaka-retail"),
        actor="dhaka-retail",
        now=NOW,
    )
    tables = {
        "customer-001": RateTable.from_csv(CUSTOMER_DECK),
        "dhaka-retail": scaled(CUSTOMER_DECK, "0.80"),
        "bd-wholesale": scaled(CUSTOMER_DECK, "0.60"),
    }
    ledger = InMemoryLedger(payers=AgentPayments(directory))
    for account_id in tables:
        ledger.open_account(account_id, credit_limit=Decimal("5"))
    ledger.recharge("dhaka-retail", Decimal("20"), key="seed", actor=OPERATOR, now=NOW)
    ledger.transfer(
        "dhaka-retail", "customer-001", Decimal("2.50"), key="t1", actor="dhaka-retail", now=NOW
    )
    biller = ChainBiller(directory, tables)

    print(f"vosengine demo (prefix engine: {prefix.IMPLEMENTATION})")
    print(f"customer-001 available: {ledger.balance('customer-001').available}\n")
    calls = [
        ("8801712345678", 185_400),
        ("442071234567", 31_000),
        ("447911123456", 95_000),
        ("12125551234", 600_000),
        ("881612345678", 60_000),
        ("33123456789", 60_000),
        ("8801812345678", 7_200_000),
    ]
    print(f"{'callee':<15} {'verdict':<34} {'max s':>6} {'held':>5} {'cost':>8}")
    for index, (callee, duration_ms) in enumerate(calls):
        check = directory.number_check("customer-001", callee)
        table = tables["customer-001"]
        answer = NOW + timedelta(minutes=index)
        if not check:
            print(f"{callee:<15} refused: {check.reason}")
            continue
        rate = table.lookup(callee, at=answer)
        if rate is None:
            print(f"{callee:<15} refused: rate not found")
            continue
        available = ledger.balance("customer-001").available
        longest = table.max_call_seconds(callee, available, at=answer, limit=7200)
        held = min(duration_ms, longest * 1000)
        cost = table.price(callee, held, at=answer).amount
        try:
            hold = ledger.reserve("customer-001", cost, f"call-{index}", now=answer)
        except InsufficientFunds:
            print(f"{callee:<15} refused: insufficient balance")
            continue
        cdr = CDR(
            call_id=f"call-{index}",
            account_id="customer-001",
            caller="8801911000001",
            callee=callee,
            start=answer,
            answer=answer,
            end=answer + timedelta(milliseconds=held),
            duration_ms=held,
        )
        charged = biller.rate(cdr)
        ledger.settle(hold.id, charged.customer.amount, now=answer)
        verdict = f"{rate.area} ({rate.first_increment}/{rate.next_increment})"
        print(f"{callee:<15} {verdict:<34} {longest:>6} {held // 1000:>5} {cost:>8}")
        incomes = ", ".join(
            f"{level.account_id} earns {level.income}" for level in charged.levels[1:]
        )
        print(f"{'':<15} chain: {incomes}")
    print(f"\ncustomer-001 available after the calls: {ledger.balance('customer-001').available}")


if __name__ == "__main__":
    main()
