"""Rewards that misbehave on purpose, one way each, for the engine's isolation tests.

They live in an importable module because worker processes rebuild rewards by
reference (module + name), never by pickling code. Each misbehaves only when the
completion says so, so one hostile row sits among ordinary ones.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import time

from rewardkit import Outcome, reward


@reward(range=(0, 1))
def hostile(completion: str) -> float:
    """1.0 for ordinary rows; misbehaves as the completion's text says."""
    text = str(completion)
    if text == "sleep":
        time.sleep(3600)
    elif text == "spin":
        sum(range(10**12))  # a C loop holding the GIL: no signal or thread can stop it
    elif text == "exit":
        os._exit(3)
    elif text == "segfault":
        ctypes.string_at(0)
    elif text == "oom":
        bytearray(50 * 1024**3)  # 50 GB: MemoryError under the worker's RLIMIT_AS
    elif text == "oomkill":
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    elif text == "raise":
        raise ValueError("bad row")
    elif text == "sysexit":
        raise SystemExit(2)
    return 1.0


@reward(range=(0, 1))
async def async_hostile(completion: str) -> float:
    """Async variant: sleeps cooperatively or blocks its loop in C."""
    text = str(completion)
    if text == "sleep":
        await asyncio.sleep(3600)
    elif text == "spin":
        sum(range(10**12))
    await asyncio.sleep(0)
    return 1.0


@reward(range=(0, 10**6))
def length(completion: str) -> float:
    """Length of the completion (pure, so safe to cache)."""
    return float(len(str(completion)))


@reward(range=(0, 1), cheap=True)
def has_digit(completion: str) -> bool:
    """Cheap and pure: runs inline under isolation='auto'."""
    return any(c.isdigit() for c in str(completion))


@reward(range=(0, 1))
def is_answer(completion: str, answer: str) -> bool:
    """Exact match against the ``answer`` column."""
    return str(completion).strip() == str(answer).strip()


@reward(range=(None, None), batched=True)
def batch_len(completions: list[str]) -> list[float]:
    """Batched: one call per chunk; ``spin`` anywhere in the chunk hangs it."""
    if any(str(c) == "spin" for c in completions):
        sum(range(10**12))
    return [float(len(str(c))) for c in completions]


@reward
def whoami(completion: str) -> float:
    """The worker's pid (to prove rows ran outside the caller)."""
    return float(os.getpid())


@reward(cheap=True)
def cheap_whoami(completion: str) -> float:
    """The pid of whoever ran it (cheap, so the caller under isolation='auto')."""
    return float(os.getpid())


@reward
def worker_facts(completion: str) -> Outcome:
    """The worker's pid, with what its descriptors point to and its session id as extras."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the directory listing's own descriptor, closed by now
            pass
    return Outcome.ok(float(os.getpid()), fds=fds, sid=os.getsid(0))


@reward
def starts_daemon(completion: str) -> float:
    """Starts a detached daemon (own session) that writes its pid to the file named by
    the completion, then either returns or hangs past the timeout."""
    import subprocess
    import sys
    import time

    path, mode = completion.split("|")
    code = f"import os, time; open({path!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if open(path).read():
                break
        except OSError:
            pass
        time.sleep(0.01)
    if mode == "hang":
        time.sleep(600)
    return 1.0
