"""Digest verification time against the size of the replay table, in one run.

For each size the authenticator's table is filled to its limit (``max_tracked_nonces``), so
every verification of a new nonce also evicts one: the case that used to scan the whole
table. Each figure is the best of 5 passes of 2,000 verifications of fresh credentials, and
the ratio is against the 1,000-nonce table measured in the same run.

    python benchmarks/nonce_table.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vosengine.sip import DigestAuthenticator, answer_challenge
from vosengine.sip._headers import parse_auth

REALM = "bench.example.com"
SECRET = b"benchmark-secret-0123456789"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
CALLS = 2_000
PASSES = 5


def _credentials(auth: DigestAuthenticator, now: float, count: int) -> list:  # type: ignore[type-arg]
    out = []
    for index in range(count):
        issued = now + index * 1e-4  # one challenge after another, as a registrar issues them
        challenge = parse_auth(auth.challenge(now=issued)[0], "WWW-Authenticate")
        answer = answer_challenge(
            challenge,
            method="REGISTER",
            uri=f"sip:{REALM}",
            username=f"u{index}",
            password="p",
            cnonce=f"c{index}",
        )
        out.append(parse_auth(answer, "Authorization"))
    return out


def measure(size: int) -> float:
    """Best µs per verification with a full table of ``size`` nonces."""
    auth = DigestAuthenticator(REALM, SECRET, max_tracked_nonces=size, nonce_lifetime=1e9)
    table = auth._seen
    for index in range(size):  # fill the table (the keys need not be real nonces)
        table.remember(f"filler-{index}", 1.0 + index * 1e-6, 1)
    best = float("inf")
    for run in range(PASSES):
        now = 10.0 + run
        batch = _credentials(auth, now, CALLS)
        now += 1.0
        start = time.perf_counter()
        for credentials in batch:
            result = auth.verify(credentials, method="REGISTER", now=now, password="p")
            if not result:
                raise AssertionError(result.reason)
        best = min(best, (time.perf_counter() - start) / CALLS)
        assert len(table) == size
    return best * 1e6


def main() -> None:
    results = {size: measure(size) for size in SIZES}
    base = results[SIZES[0]]
    print(f"{'tracked nonces':>15} {'µs/verify':>10} {'ratio':>6}")
    for size, micros in results.items():
        print(f"{size:>15,} {micros:>10.2f} {micros / base:>6.2f}")


if __name__ == "__main__":
    main()
