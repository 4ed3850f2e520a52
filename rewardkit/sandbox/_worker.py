"""The pool's handle on one fork-server process: start it, frame requests, read replies.

A fork server (:mod:`._forkserver`) is a fresh ``python -I -S`` started with its jail config; it
answers length-prefixed JSON frames on its stdout. Every read here has a deadline on the pool's
own clock, so a hung or dead server surfaces as :class:`WorkerDied`, never as a blocked thread.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from typing import Any

from . import _boot, _forkserver
from ._errors import SandboxError


class WorkerDied(SandboxError):
    """The fork server exited, broke the framing or missed its deadline (the pool replaces
    it and retries the job once)."""


class Worker:
    """One fork-server process and its request/response pipes."""

    def __init__(self, config: dict[str, Any]) -> None:
        debug = bool(os.environ.get("REWARDKIT_SANDBOX_DEBUG"))
        self.proc = subprocess.Popen(
            _boot.command("_forkserver:main", json.dumps(config)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL,
            env=_boot.environment(),
            close_fds=True,
            start_new_session=True,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self.hello: dict[str, Any] | None = None

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        hello = self._read(time.monotonic() + timeout)
        if not hello.get("ok"):
            raise WorkerDied(f"fork server failed to start: {hello.get('error')}")
        self.hello = hello
        return hello

    def request(
        self, job: dict[str, Any], timeout: float, spec: bytes | None = None
    ) -> dict[str, Any]:
        """One job; ``spec`` (the test driver's steps) follows the request as raw bytes."""
        try:
            if spec is None:
                _forkserver.write_frame(self._in, job)
            else:
                _forkserver.write_frame(self._in, {**job, "driver_bytes": len(spec)})
                view = memoryview(spec)
                while view:
                    view = view[os.write(self._in, view) :]
        except OSError as exc:
            raise WorkerDied(f"fork server unreachable: {exc}") from exc
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline: float) -> dict[str, Any]:
        header = self._read_exact(4, deadline)
        body = self._read_exact(int.from_bytes(header, "big"), deadline)
        return dict(json.loads(body))

    def _read_exact(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._out], [], [], remaining)[0]:
                raise WorkerDied("fork server did not answer in time")
            chunk = os.read(self._out, min(size, 1 << 20))
            if not chunk:
                raise WorkerDied(f"fork server exited (code {self.proc.poll()})")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 5.0) -> None:
        """Ask the server to exit (EOF on its stdin), kill it if it does not."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
