"""Policy changes reaching every node: a Casbin watcher on Redis pub/sub.

Casbin's watcher interface is ``set_update_callback(callback)`` and ``update()``. Every node
builds its :class:`~vosengine.policy.Policy` on the same Casbin adapter (the stored policy)
and on a watcher of its own, all on one channel. A change on one node is stored through the
adapter, then announced in one message; the watcher of every other node calls its policy's
reload, which loads the stored policy again and drops every compiled decision, so the next
decision there follows the change.

What the watcher guarantees, and what it does not:

- A node never reloads for its own messages.
- Redis pub/sub keeps nothing for a subscriber that is away. So a watcher reloads each time it
  subscribes: at start (a change may have come between the policy's first load and the
  subscription) and after Redis was unreachable (it subscribes again by itself).
- An announcement that cannot be published raises :class:`~vosengine.errors.Unavailable`:
  the change is stored and in force on its own node, not yet on the others. The watcher's
  thread publishes it again once Redis answers.
- A reload that fails (a stored policy the node cannot read) changes nothing on that node. It
  is logged and counted (``failed``, ``last_error``), and the next message tries again.
- Between a change and the other nodes' reload, they decide on the policy before it: the
  window is one publish and one load of the stored policy.

The Redis client is the host's (``redis.Redis(...)``): the watcher makes no connection of its
own beyond the client's pub/sub, and one thread that listens until :meth:`close`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from .._checks import check_name
from ..errors import InvalidArgument, InvalidArgumentType, Unavailable

__all__ = ["RedisWatcher"]

_LOG = logging.getLogger("vosengine.policy")


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentType(f"{name}: expected seconds as a number, got {value!r}")
    if not 0 < value < 3600:
        raise InvalidArgument(f"{name}: {value!r} is not between 0 and 3600 seconds")
    return float(value)


class RedisWatcher:
    """A Casbin watcher on one Redis pub/sub ``channel`` (see the module docstring).

    ``client`` is a ``redis.Redis``; ``node_id`` names this node in its messages (a random
    one by default); ``poll`` is how long the listening thread waits for a message before it
    looks at its stop flag, ``retry`` how long it waits after Redis did not answer.
    ``delivered`` counts the reloads done, ``failed`` the reloads that raised."""

    def __init__(
        self,
        client: Any,
        *,
        channel: str = "vosengine:policy",
        node_id: str | None = None,
        poll: float = 0.2,
        retry: float = 0.5,
    ) -> None:
        for method in ("pubsub", "publish"):
            if not callable(getattr(client, method, None)):
                raise InvalidArgumentType(f"client: expected a redis.Redis, got {client!r}")
        from redis.exceptions import RedisError  # an optional dependency: vosengine[redis]

        self._redis_error = RedisError
        self.client = client
        self.channel = check_name(channel, "channel")
        self.node_id = uuid.uuid4().hex if node_id is None else check_name(node_id, "node_id")
        self._poll = _seconds(poll, "poll")
        self._retry = _seconds(retry, "retry")
        self.delivered = 0
        self.failed = 0
        self.last_error: BaseException | None = None
        self._callback: Callable[[], object] | None = None
        self._pending = False  # an announcement that could not be published yet
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"RedisWatcher(channel={self.channel!r}, node_id={self.node_id!r})"

    # -- Casbin's watcher interface ---------------------------------------------------------

    def set_update_callback(self, callback: Callable[[], object]) -> None:
        """What to call (with no argument) when another node announces a change, and when this
        watcher (re)subscribes; the first call starts the listening thread."""
        if not callable(callback):
            raise InvalidArgumentType(f"callback: expected a callable, got {callback!r}")
        with self._lock:
            if self._stop.is_set():
                raise InvalidArgument(f"{self!r} is closed")
            self._callback = callback
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name=f"vosengine-watcher-{self.node_id}", daemon=True
                )
                self._thread.start()

    def update(self, *_: object) -> bool:
        """Announce a change to the other nodes; :class:`~vosengine.errors.Unavailable` when
        Redis does not answer (announced again by the listening thread once it does)."""
        try:
            self.client.publish(self.channel, self.node_id)
        except self._redis_error as error:
            self._pending = True
            raise Unavailable(
                f"watcher {self.channel!r}: the change is stored and in force on node"
                f" {self.node_id!r}, but the other nodes could not be told ({error}); it is"
                " announced again when Redis answers"
            ) from error
        self._pending = False
        return True

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop listening (within ``poll`` seconds) and close the pub/sub connection."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._poll + self._retry + 5.0)

    def __enter__(self) -> RedisWatcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the listening thread ---------------------------------------------------------------

    def _listen(self) -> None:
        pubsub = self.client.pubsub()
        subscribed = False
        try:
            while not self._stop.is_set():
                try:
                    if not subscribed:
                        pubsub.subscribe(self.channel)  # confirmed by a message: see below
                        subscribed = True
                    if self._pending:
                        self.update()
                    message = pubsub.get_message(timeout=self._poll)
                except (self._redis_error, Unavailable, OSError) as error:
                    self.last_error = error
                    self._stop.wait(self._retry)
                    continue
                if message is None:
                    continue
                kind, data = message.get("type"), message.get("data")
                if isinstance(kind, bytes):
                    kind = kind.decode()
                if isinstance(data, bytes):
                    data = data.decode(errors="replace")
                # a (re)subscription may have missed messages: reload; a node's own: never
                if kind == "subscribe" or (kind == "message" and data != self.node_id):
                    self._deliver()
        finally:
            with suppress(self._redis_error, OSError):  # the connection is gone already
                pubsub.close()

    def _deliver(self) -> None:
        callback = self._callback
        if callback is None:
            return
        try:
            callback()
        except Exception as error:  # the node keeps its policy; the next message tries again
            _LOG.exception("%r: the policy could not be reloaded", self)
            self.last_error = error
            self.failed += 1  # last: whoever sees the count sees the log and the error
        else:
            self.delivered += 1
