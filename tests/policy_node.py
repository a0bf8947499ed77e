"""One switch node's policy, in a process of its own, for ``tests/test_policy_sync.py``.

``python policy_node.py <database url> <redis port> <channel>`` builds a :class:`Policy` on the
SQLAlchemy Casbin adapter and a :class:`RedisWatcher`, then answers one line per command on
standard input:

- ``wait N``: once the watcher has done ``N`` reloads, ``reloads N`` (``timeout`` after 10 s);
- ``check SUBJECT MODULE ACTION [IP]``: ``allow``, ``deny <reason>`` or ``unknown <error>``;
- ``quit``: closes the watcher and exits.

It prints ``ready`` once its watcher has subscribed and loaded the stored policy.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


def main() -> None:
    import redis
    from casbin_sqlalchemy_adapter import Adapter

    from vosengine.errors import VosEngineError
    from vosengine.policy import Policy, RedisWatcher

    url, port, channel = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2.0)
    watcher = RedisWatcher(client, channel=channel, node_id="node-two", poll=0.05)
    policy = Policy(adapter=Adapter(url), watcher=watcher)

    def wait(count: int) -> bool:
        deadline = time.monotonic() + 10
        while watcher.delivered < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    print("ready" if wait(1) else "timeout", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "wait":
            count = int(words[1])
            print(f"reloads {watcher.delivered}" if wait(count) else "timeout", flush=True)
        elif words[0] == "check":
            subject, module, action, *ip = words[1:]
            try:
                decision = policy.check_module(
                    subject, module, action, ip=ip[0] if ip else None, now=NOW
                )
            except VosEngineError as error:
                print(f"unknown {error}", flush=True)
            else:
                print("allow" if decision else f"deny {decision.reason}", flush=True)
    watcher.close()


if __name__ == "__main__":
    main()
