"""Whole calls through two sans-IO endpoints, against parsing the same datagrams, in one run.

A call: the caller builds and sends an INVITE; the callee's host answers 180 and 200; the
caller acknowledges; the caller sends BYE and the callee answers it. Seven datagrams, all
handled by the endpoints (transactions, dialogs, timers armed and cancelled), the events
read by both hosts. The baseline is what any SIP stack pays for the same seven datagrams
without transactions or dialogs: ``parse`` each one and serialize a message per datagram.

    python benchmarks/compare_endpoint.py [--calls N] [--passes N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vosengine.sip import Endpoint, RequestReceived, parse
from vosengine.sip._fast import IMPLEMENTATION

A = ("192.0.2.1", 5060)
B = ("192.0.2.2", 5060)


def deliver(sender: Endpoint, receiver: Endpoint, source: tuple[str, int], now: float) -> list:
    sent = sender.datagrams_to_send()
    for data, _ in sent:
        receiver.receive_datagram(data, source, now=now)
    return sent


def one_call(a: Endpoint, b: Endpoint, now: float, wire: list[bytes] | None = None) -> None:
    invite = a.request("INVITE", "sip:bob@192.0.2.2", from_="<sip:alice@x>", to="<sip:bob@x>")
    a.send(invite, addr=B, now=now)
    sent = deliver(a, b, A, now)
    event = b.next_event()
    assert isinstance(event, RequestReceived)
    b.send(b.response(event.request, 180), now=now)
    b.send(b.response(event.request, 200), now=now)
    sent += deliver(b, a, B, now)  # 100, 180, 200
    while a.next_event() is not None:
        pass
    sent += deliver(a, b, A, now)  # the ACK
    (dialog,) = a.dialogs
    a.send(a.dialog_request(dialog, "BYE"), now=now)
    sent += deliver(a, b, A, now)
    sent += deliver(b, a, B, now)  # its 200
    while a.next_event() is not None or b.next_event() is not None:
        pass
    if wire is not None:
        wire.extend(data for data, _ in sent)


def endpoint_pass(calls: int) -> float:
    """Seconds for ``calls`` calls on two new endpoints (timers run out once at the end)."""
    a = Endpoint(host=A[0], port=A[1], rng=random.Random(1))
    b = Endpoint(host=B[0], port=B[1], rng=random.Random(2))
    start = time.perf_counter()
    for index in range(calls):
        one_call(a, b, index * 1e-3)
    a.handle_timer(now=calls * 1e-3 + 100)
    b.handle_timer(now=calls * 1e-3 + 100)
    elapsed = time.perf_counter() - start
    assert not a.dialogs
    assert not b.dialogs
    assert a.next_deadline() is None
    return elapsed


def baseline_pass(wire: list[bytes], calls: int) -> float:
    """Seconds to parse the datagrams of ``calls`` calls and serialize one message each."""
    start = time.perf_counter()
    for _ in range(calls):
        for data in wire:
            message = parse(data)
            message.validate()
            message._cache.clear()
            bytes(message)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--calls", type=int, default=2000)
    options.add_argument("--passes", type=int, default=5)
    args = options.parse_args()
    wire: list[bytes] = []
    a = Endpoint(host=A[0], port=A[1], rng=random.Random(1))
    b = Endpoint(host=B[0], port=B[1], rng=random.Random(2))
    one_call(a, b, 0.0, wire)
    assert len(wire) == 7, len(wire)
    ours, floor = [], []
    for _ in range(args.passes):
        ours.append(endpoint_pass(args.calls))
        floor.append(baseline_pass(wire, args.calls))
    mine, base = statistics.median(ours), statistics.median(floor)
    print(f"SIP implementation: {IMPLEMENTATION}; {args.calls} calls, median of {args.passes}")
    print("| what | µs per call | calls/s | × baseline |")
    print("|---|---:|---:|---:|")
    print(f"| parse + validate + serialize the 7 datagrams (baseline) | "
          f"{base / args.calls * 1e6:.1f} | {args.calls / base:,.0f} | 1.00× |")  # fmt: skip
    print(f"| a whole call through two endpoints | {mine / args.calls * 1e6:.1f} | "
          f"{args.calls / mine:,.0f} | {mine / base:.2f}× |")  # fmt: skip


if __name__ == "__main__":
    main()
