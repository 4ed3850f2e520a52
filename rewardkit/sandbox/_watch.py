"""Supervising one running job: pipes, deadlines, output caps, kills and reaping.

The fork server calls :func:`watch` once both of a job's processes exist. Everything here is
the parent's own accounting: deadlines come from this process's clock, re-armed only by ``S k``
records of the test driver; output caps count bytes read here; the job ends when the driver (or
a lone candidate) exits, and then every process of it is killed through its pidfd.
"""

from __future__ import annotations

import os
import select
import signal
import time
from typing import Any

_STDERR_KEEP = 8192
_DRAIN_S = 1.0
_RES_BATCH_S = 0.002
_RES_BATCH_BYTES = 1 << 14  # a bigger read means a fast writer: keep reading it at once
_RES_EAGER_AFTER = 1 << 18  # so does a job that has already written this much


def watch(
    limits: dict[str, float],
    children: list[int],
    pidfds: list[int],
    infra: str | None,
    start: float,
    out_r: int,
    err_r: int,
    res_r: int,
    with_driver: bool,
) -> dict[str, Any]:
    reply: dict[str, Any] = {"infra": infra, "killed": None, "step": None}
    t_started = time.monotonic()
    buffers = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    reaped: dict[int, tuple[int, Any]] = {}  # children reaped while the job ran
    if pidfds:
        reap = dict(zip(pidfds[1:], children[1:], strict=False)) if len(children) > 1 else {}
        _pump(reaped, reply, limits, start, pidfds, buffers, out_r, err_r, res_r, with_driver, reap)
    t_ended = time.monotonic()
    status, cpu, rss = 0, 0.0, 0
    statuses = {}
    for child in reversed(children):  # the namespace's init last (see _pump)
        status, usage = reaped.get(child) or os.wait4(child, 0)[1:]
        statuses[child] = status
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss)
        reply.setdefault("cpu_each", []).append(usage.ru_utime + usage.ru_stime)
    status = statuses.get(children[-1], 0) if children else 0  # the candidate's
    while True:  # reap anything re-parented to us (we are a child subreaper)
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code  # killed by signal -code
    reply.update(
        exit=code if 0 <= code < 128 else None,
        signal=code - 128 if code >= 128 else None,
        supervisor=code,
        wall=time.monotonic() - start,
        phases=[t_started - start, t_ended - t_started, time.monotonic() - t_ended],
        cpu=cpu,
        rss=rss,
        stdout=buffers[out_r].decode("utf-8", "replace"),
        stderr=buffers[err_r][-_STDERR_KEEP:].decode("utf-8", "replace"),
        res=buffers[res_r].decode("utf-8", "replace"),
    )
    return reply


def _pump(
    reaped: dict[int, tuple[int, Any]],
    reply: dict[str, Any],
    limits: dict[str, float],
    start: float,
    pidfds: list[int],
    buffers: dict[int, bytearray],
    out_r: int,
    err_r: int,
    res_r: int,
    rearm: bool,
    reap: dict[int, int],
) -> None:
    """Read the job's pipes until it exits, a deadline passes, or a cap is exceeded.

    ``reap`` maps the pidfds of our own children other than ``pidfds[0]`` to their pids:
    one that exits is reaped at once into ``reaped``, because a pid namespace's init
    (the driver) cannot finish exiting while another process of its namespace is a zombie.

    The job is over when ``pidfds[0]`` exits (the driver, or the lone candidate); every
    process in ``pidfds`` is then killed. ``S k`` records re-arm the per-test deadline only
    when ``rearm`` (they come from the driver); a lone candidate gets one deadline."""
    pidfd = pidfds[0]
    caps = {
        out_r: int(limits["output_bytes"]),
        err_r: int(limits["output_bytes"]),
        res_r: int(limits["result_bytes"]),
    }
    test_timeout = float(limits["test_timeout"])
    total_deadline = start + float(limits["total_timeout"])
    step_deadline = start + test_timeout
    poller = select.poll()
    for fd in (out_r, err_r, res_r, *pidfds, 0):
        poller.register(fd, select.POLLIN)
    open_fds = {out_r, err_r, res_r}
    scanned = 0
    exited = False
    # The job writes one result record per step; waking up for each costs a context switch
    # (tens per job). After a small read, res_r leaves the poll set for _RES_BATCH_S, so
    # records are read in batches; a large read (or total) means a fast writer, read at once. A
    # step's deadline then starts up to that much late (never early), and res_r is always
    # read before a timeout is declared; exit, stdout/stderr and the pool's EOF are still
    # seen at once.
    res_resume: float | None = None  # res_r is out of the poll set until then
    while not exited:
        now = time.monotonic()
        if res_resume is not None and now >= res_resume:
            poller.register(res_r, select.POLLIN)
            res_resume = None
        deadline = min(step_deadline, total_deadline)
        if now >= deadline:
            if res_resume is not None:  # unread records may move the step deadline
                poller.register(res_r, select.POLLIN)
                res_resume = None
                if _read_res(reply, buffers, caps, res_r, open_fds, poller):
                    scanned, step_deadline = _scan(
                        reply, buffers[res_r], scanned, step_deadline, test_timeout, rearm
                    )
                    if reply["killed"]:
                        break
                    continue
            reply["killed"] = "timeout"
            break
        wake = deadline if res_resume is None else min(deadline, res_resume)
        for fd, _ in poller.poll(max(1, int((wake - now) * 1000) + 1)):
            if fd == pidfd:
                exited = True
            elif fd in pidfds:
                poller.unregister(fd)
                if fd in reap:
                    pid, status, usage = os.wait4(reap.pop(fd), 0)
                    reaped[pid] = (status, usage)
            elif fd == 0:  # the pool closed our stdin: it is gone, so are we
                for job_fd in pidfds:
                    signal.pidfd_send_signal(job_fd, signal.SIGKILL)
                os._exit(0)
            elif fd == res_r:
                got = _read_res(reply, buffers, caps, res_r, open_fds, poller)
                if got:
                    scanned, step_deadline = _scan(
                        reply, buffers[res_r], scanned, step_deadline, test_timeout, rearm
                    )
                batch = got < _RES_BATCH_BYTES and len(buffers[res_r]) < _RES_EAGER_AFTER
                if batch and res_r in open_fds and not reply["killed"]:
                    poller.unregister(res_r)
                    res_resume = time.monotonic() + _RES_BATCH_S
            elif fd in open_fds:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                    continue
                buffers[fd] += chunk
                if len(buffers[fd]) > caps[fd]:
                    del buffers[fd][caps[fd] :]
                    reply["killed"] = "output_limit"
        if reply["killed"]:
            break
    for fd in pidfds:  # the driver is done: nothing of the candidate may outlive it
        try:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _drain(buffers, caps, open_fds)
    _scan(reply, buffers[res_r], scanned, step_deadline, test_timeout, rearm)


def _read_res(
    reply: dict[str, Any],
    buffers: dict[int, bytearray],
    caps: dict[int, int],
    res_r: int,
    open_fds: set[int],
    poller: select.poll,
) -> int:
    """Read what the result pipe holds (non-blocking); the number of bytes added."""
    if res_r not in open_fds:
        return 0
    try:
        chunk = os.read(res_r, 1 << 16)
    except BlockingIOError:
        return 0
    if not chunk:
        poller.unregister(res_r)
        open_fds.discard(res_r)
        return 0
    buffers[res_r] += chunk
    if len(buffers[res_r]) > caps[res_r]:
        del buffers[res_r][caps[res_r] :]
        reply["killed"] = "output_limit"
    return len(chunk)


def _scan(
    reply: dict[str, Any],
    buf: bytearray,
    scanned: int,
    step_deadline: float,
    timeout: float,
    rearm: bool,
) -> tuple[int, float]:
    """Track ``S k`` records in complete new lines: each restarts the per-test deadline."""
    end = buf.rfind(b"\n")
    if end >= scanned and rearm:
        for line in bytes(buf[scanned:end]).split(b"\n"):
            if line.startswith(b"S "):
                step_deadline = time.monotonic() + timeout
                reply["step"] = line[2:].decode(errors="replace")
        scanned = end + 1
    return scanned, step_deadline


def _drain(buffers: dict[int, bytearray], caps: dict[int, int], open_fds: set[int]) -> None:
    """Collect what is left in the pipes once the job is dead (bounded in time)."""
    deadline = time.monotonic() + _DRAIN_S
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], deadline - time.monotonic())
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk or len(buffers[fd]) >= caps[fd]:
                open_fds.discard(fd)
            else:
                buffers[fd] += chunk[: caps[fd] - len(buffers[fd])]
