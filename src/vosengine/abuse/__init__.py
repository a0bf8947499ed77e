"""Abuse protection: the one sliding-window counter that rate limits and the dynamic blacklist
count with.

Everything runs on the monotonic protocol clock (a float ``now`` in seconds the host passes
in, keyword-only); nothing here reads a clock or starts a thread.
"""

from __future__ import annotations

from ._counter import SlidingWindowCounter

__all__ = ["SlidingWindowCounter"]
