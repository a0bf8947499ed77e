"""A real ``redis-server`` for the tests: on loopback, on a free port, in the test's own
directory, started and stopped by the test (the ``redis_server`` fixture of ``conftest``).

Where no server or no ``redis`` package is installed the tests that need one are skipped,
except under ``CI=true``, where that is a failure: CI installs both (``.ci/run``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing(reason: str) -> None:
    """Skip the test, or fail it under ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI installs it (.ci/run)")
    pytest.skip(reason)


class RedisServer:
    """One ``redis-server`` process; :meth:`stop` and :meth:`start` again keep its port, its
    directory and (with ``appendonly``) its data."""

    def __init__(
        self, directory: Path, *, appendonly: bool = False, appendfsync: str = "always"
    ) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed (Debian: apt-get install redis-server)")
        try:
            import redis  # noqa: F401
        except ImportError:
            missing("the redis package is not installed (pip install 'vosengine[redis]')")
        self.binary = str(binary)
        self.directory = directory
        self.appendonly = appendonly
        self.appendfsync = appendfsync  # "always": an acknowledged write is on disk
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        arguments = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        arguments += ["--dir", str(self.directory), "--save", "", "--daemonize", "no"]
        arguments += ["--appendonly", "yes" if self.appendonly else "no"]
        arguments += ["--appendfsync", self.appendfsync]
        self.process = subprocess.Popen(
            arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except Exception:  # not listening yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def client(self, **options: Any) -> Any:
        import redis

        options.setdefault("socket_timeout", 2.0)
        options.setdefault("socket_connect_timeout", 2.0)
        return redis.Redis(host="127.0.0.1", port=self.port, **options)
