"""A test-suite job's two processes, forked and confined before the job arrives.

Forking and confining a job's test driver and candidate (two forks of a ~20 MiB interpreter,
their page-table copies and copy-on-write faults, two confinements) is much of a job's fixed
cost. The fork server does it while its pool judges the previous reply and prepares the next
request, so a ``steps`` job only has to hand the pair its code and tests: less latency per job,
and a core that the pool's own work would leave idle does it. Both processes are made exactly as for a job forked on demand: from the same
pristine server, after the previous job's processes are dead and its files removed, confined
with the limits a job will check (:func:`key`). They hold nothing of any job until one is
dispatched to them: the candidate then reads its code from its job pipe (fd 4), the driver its
tests from its spec pipe, as it always does. A pair whose limits do not match the job, or that
died waiting, is killed and reaped, and the job is forked on demand instead.
"""

from __future__ import annotations

import json
import os
import select
import signal
from dataclasses import dataclass
from typing import Any

from ._rpc import read_json_object

JOB_FD = 4  # the candidate's end of its job pipe


@dataclass
class Running:
    """A job's processes and the server's ends of their pipes."""

    children: list[int]  # to reap
    pidfds: list[int]  # driver first (its exit ends the job), then the candidate
    out_r: int
    err_r: int
    res_r: int
    spec_w: int  # the driver's spec pipe, -1 when closed or absent
    job_w: int = -1  # a ready candidate's job pipe
    infra: str | None = None
    key: tuple[float, ...] = ()


def key(limits: dict[str, float]) -> tuple[float, ...]:
    """The limits fixed when a pair is confined: a ready pair serves only jobs that agree."""
    return tuple(
        float(limits[name])
        for name in ("cpu_seconds", "memory_mb", "file_size_mb", "open_files", "processes",
                     "result_bytes")
    )  # fmt: skip


def alive(pair: Running) -> bool:
    """Neither process has exited (a pidfd polls readable once its process has)."""
    if pair.infra is not None or len(pair.pidfds) != 2:
        return False
    return not select.select(pair.pidfds, [], [], 0)[0]


def dispatch(pair: Running, job: dict[str, Any]) -> bool:
    """Hand the waiting candidate its job (then EOF); False when it is gone."""
    data = memoryview(json.dumps({"mode": "steps", "code": job["code"]}).encode())
    try:
        while data:
            data = data[os.write(pair.job_w, data) :]
    except OSError:
        return False
    finally:
        os.close(pair.job_w)
        pair.job_w = -1
    return True


def discard(pair: Running) -> None:
    """Kill an unused pair, reap it and close the server's ends."""
    for fd in pair.pidfds:
        try:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for child in reversed(pair.children):
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass
    for fd in (pair.out_r, pair.err_r, pair.res_r, pair.spec_w, pair.job_w, *pair.pidfds):
        if fd >= 0:
            os.close(fd)


def read_job() -> dict[str, Any]:
    """In a ready candidate: its job, sent by the server once one is dispatched."""
    return read_json_object(JOB_FD, "job")
