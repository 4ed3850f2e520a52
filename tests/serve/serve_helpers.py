"""Helpers for server tests: a real `rewardkit serve` subprocess or an in-thread server.

Every server binds 127.0.0.1 on a free port (``--port 0``) and is stopped by the
test that started it; waits are bounded so a broken server fails a test, not CI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
GSM8K = ROOT / "rewardkit" / "data" / "gsm8k_sample.jsonl"

SLOW_REWARDS = '''
import time
from rewardkit import reward

@reward(range=(0, 1))
def hangs_on_hang(completion: str) -> float:
    """Hangs (sleeps far past any timeout) when the completion says 'hang'."""
    if "hang" in completion:
        time.sleep(120)
    return float("ok" in completion)

@reward(range=(0, 1))
def slow_ok(completion: str) -> float:
    """Takes a second per row, so a request is still in flight when the server stops."""
    time.sleep(1.0)
    return float("ok" in completion)
'''


def post(
    url: str, body: Any, *, token: str | None = None, raw: bytes | None = None, timeout: float = 60
) -> tuple[int, Any]:
    """POST JSON; return (status, decoded JSON body)."""
    data = raw if raw is not None else orjson.dumps(body)
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def get(url: str, *, token: str | None = None, timeout: float = 30) -> tuple[int, bytes]:
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class CliServer:
    """`python -m rewardkit.cli serve ... --port 0` as a subprocess; ``url`` once it listens."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rewardkit.cli", "serve", "--port", "0", *map(str, args)],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.log: list[str] = []
        self.url = self._wait_listening(90.0)

    def _wait_listening(self, limit: float) -> str:
        assert self.proc.stderr is not None
        found: list[str] = []

        def reader() -> None:
            assert self.proc.stderr is not None
            for line in iter(self.proc.stderr.readline, b""):
                text = line.decode(errors="replace")
                self.log.append(text)
                m = re.search(r"listening on (http://\S+)", text)
                if m and not found:
                    found.append(m.group(1))

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if found:
                return found[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"server did not start: {''.join(self.log)}")

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)


@contextmanager
def cli_server(*args: str, cwd: Path | None = None) -> Iterator[CliServer]:
    server = CliServer(*args, cwd=cwd)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def thread_server(service: Any, limits: Any = None) -> Iterator[str]:
    """An in-process uvicorn server on a free port in a thread; yields its base URL."""
    import uvicorn

    from rewardkit.serve import build_app

    config = uvicorn.Config(
        build_app(service, limits), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    assert server.started, "in-thread server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "in-thread server did not stop"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
