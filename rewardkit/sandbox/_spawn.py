"""Forking a job's processes (the roles: test driver, then candidate) into a new pid namespace.

Two ways, chosen by tier. Root: the fork server unshares ``CLONE_NEWPID`` itself, forks each role
(the first becomes pid 1) and ``setns``es back. Userns: joining our own pid namespace again is
not permitted there, so a supervisor process A unshares and forks the roles, reports their pids
and waits for all of them; its exit status is the candidate's. Either way the caller gets the
processes to reap and a pidfd per role, opened before anything can reap the roles.

Forks go through :func:`._syscalls.fork` (no CPython at-fork work: the fork server is
single-threaded); :func:`fork` re-seeds ``random`` in the child, the one at-fork hook whose
effect a job can observe.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
from collections.abc import Callable

from . import _jail, _syscalls


def fork() -> int:
    """A child of the (single-threaded) fork server, with ``random`` re-seeded in it, as
    ``os.fork``'s at-fork hook would: no two jobs share a random sequence."""
    pid = _syscalls.fork()
    if pid == 0:
        generator = getattr(sys.modules.get("random"), "_inst", None)
        if generator is not None:
            generator.seed()
    return pid


def spawn_direct(
    server_pid: int, pidns_fd: int | None, roles: list[Callable[[], None]]
) -> tuple[list[int], list[int], str | None]:
    """Fork each role as our child; the first is pid 1 of a new pid namespace (root tier).

    ``unshare(CLONE_NEWPID)`` only affects later children; ``setns`` back to our own pid
    namespace after the forks re-arms it for the next job.
    """
    if pidns_fd is not None:
        _syscalls.unshare(_syscalls.CLONE_NEWPID)
    pids: list[int] = []
    try:
        for role in roles:
            pid = fork()
            if pid == 0:
                try:
                    os.setsid()
                    role()
                finally:
                    os._exit(71)
            pids.append(pid)
    finally:
        if pidns_fd is not None and os.getpid() == server_pid:
            _syscalls.setns(pidns_fd, _syscalls.CLONE_NEWPID)
    return pids, [os.pidfd_open(pid) for pid in pids], None


def spawn_via_supervisor(
    server_pid: int,
    jail: _jail.JailConfig,
    roles: list[Callable[[], None]],
    inherited: list[int],
) -> tuple[list[int], list[int], str | None]:
    """Supervisor A unshares the pid namespace and forks the roles (userns tier, where
    joining our own pid namespace again is not permitted); A's exit status is the last
    role's (the candidate's)."""
    ctl_r, ctl_w = os.pipe()
    ack_r, ack_w = os.pipe()
    pid_a = fork()
    if pid_a == 0:
        try:
            os.close(ctl_r)
            os.close(ack_w)
            _supervisor(server_pid, jail, roles, inherited, ctl_w, ack_r)
        finally:
            os._exit(70)
    os.close(ctl_w)
    os.close(ack_r)
    pidfds: list[int] = []
    try:
        message = os.read(ctl_r, 4096)
        if len(message) == 4 * len(roles):  # else "E<error>" (always longer than that)
            pids = struct.unpack(f"={len(roles)}i", message)
            pidfds = [os.pidfd_open(pid) for pid in pids]  # before A may reap them
            return [pid_a], pidfds, None
        for fd in pidfds:
            os.close(fd)
        return [pid_a], [], message[1:].decode(errors="replace") or "supervisor died"
    finally:
        os.write(ack_w, b"1")  # only now may A reap the roles: their pids are pinned
        os.close(ctl_r)
        os.close(ack_w)


def _supervisor(
    server_pid: int,
    jail: _jail.JailConfig,
    roles: list[Callable[[], None]],
    inherited: list[int],
    ctl_w: int,
    ack_r: int,
) -> None:
    pids: list[int] = []
    try:
        os.setsid()
        _syscalls.prctl(_syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != server_pid:
            os._exit(70)
        flags = _jail.namespace_flags(jail)
        if flags:
            _syscalls.unshare(flags)
        for role in roles:
            pid = fork()
            if pid == 0:
                try:
                    os.close(ctl_w)
                    os.close(ack_r)
                    role()
                finally:
                    os._exit(71)
            pids.append(pid)
    except BaseException as exc:
        os.write(ctl_w, f"E{type(exc).__name__}: {exc}".encode()[:512])
        os._exit(70)
    for fd in inherited:
        if fd >= 0:
            os.close(fd)
    os.write(ctl_w, struct.pack(f"={len(pids)}i", *pids))
    os.read(ack_r, 1)
    statuses: dict[int, int] = {}
    while len(statuses) < len(pids):
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        statuses[pid] = status
    status = statuses.get(pids[-1], 70 << 8)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)
