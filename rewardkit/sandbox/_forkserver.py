"""The fork server: a small, single-threaded, pre-imported process that forks one jail per job.

Started by :mod:`._pool` as ``python -I -S -c <boot>`` (a fresh interpreter, never a fork of the
trainer, whose threads and RSS would make forking slow and unsafe). It enters the read-only root
once, then serves length-prefixed JSON requests on stdin/stdout. Per job::

    server ── fork ──> supervisor A: setsid, unshare(NS|NET|PID|IPC|UTS), fork ──> job B
                                                                         (pid 1, confined)

The server is the supervising parent: it enforces per-test and total wall time (tracking the
harness's ``S k`` records) and the output caps, SIGKILLs the job through a pidfd (killing pid 1
tears down the whole pid namespace, daemons and ``setsid`` escapees included), and reaps
everything as a child subreaper. Expected outputs never pass through here: the job is a fork of
this process, so anything in its memory would be readable by candidate code.
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import json
import os
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from typing import Any

from . import _compiled, _harness, _jail, _seccomp, _syscalls

_FRAME = struct.Struct(">I")
_STDERR_KEEP = 8192
_DRAIN_S = 1.0
_RES_BATCH_S = 0.002
_RES_BATCH_BYTES = 1 << 14  # a bigger read means a fast writer: keep reading it at once
_RES_EAGER_AFTER = 1 << 18  # so does a job that has already written this much


def read_frame(fd: int) -> Any | None:
    header = _read_exact(fd, _FRAME.size)
    if header is None:
        return None
    body = _read_exact(fd, _FRAME.unpack(header)[0])
    return None if body is None else json.loads(body)


def write_frame(fd: int, obj: Any) -> None:
    body = json.dumps(obj, separators=(",", ":")).encode()
    data = memoryview(_FRAME.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class ForkServer:
    """State of one server process: its jail config, default limits and seccomp program."""

    def __init__(
        self, jail: _jail.JailConfig, limits: dict[str, float], pidns_fd: int | None = None
    ) -> None:
        self.jail = jail
        self.limits = limits
        self.filter = _seccomp.Filter(_seccomp.build_program()) if jail.seccomp else None
        self.ruleset = _jail.landlock_ruleset(jail)
        self.pid = os.getpid()
        self.pidns_fd = pidns_fd
        self.env_workdir: str | None = None  # the job environment the server already holds

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        limits = {**self.limits, **job.get("limits", {})}
        limits["cpu_seconds"] = int(limits["total_timeout"]) + 2
        workdir = "/tmp" if self.jail.isolated else tempfile.mkdtemp(prefix="rk-job-")
        pipes = [os.pipe() for _ in range(3)]
        (out_r, out_w), (err_r, err_w), (res_r, res_w) = pipes
        os.set_blocking(res_r, False)  # read in batches by _pump, without ever blocking
        start = time.monotonic()
        try:
            if self.jail.tier == "userns":
                child, pid_b, infra = self._spawn_via_supervisor(job, limits, workdir, pipes)
            else:
                child, pid_b, infra = self._spawn_direct(job, limits, workdir, pipes)
            return self._watch(limits, child, pid_b, infra, start, out_r, err_r, res_r)
        finally:
            for fd in (out_r, err_r, res_r):
                os.close(fd)
            if self.jail.isolated:
                _jail.clean_workdirs()
            else:
                shutil.rmtree(workdir, ignore_errors=True)

    def _spawn_direct(
        self, job: dict[str, Any], limits: dict[str, float], workdir: str, pipes: list[Any]
    ) -> tuple[int, int, str | None]:
        """One fork: the job is our child and pid 1 of a new pid namespace (root tier).

        ``unshare(CLONE_NEWPID)`` only affects the next child; ``setns`` back to our own pid
        namespace right after the fork re-arms it for the next job.
        """
        (out_r, out_w), (err_r, err_w), (res_r, res_w) = pipes
        if self.pidns_fd is not None:
            _syscalls.unshare(_syscalls.CLONE_NEWPID)
        try:
            pid = os.fork()
        finally:
            if self.pidns_fd is not None and os.getpid() == self.pid:
                _syscalls.setns(self.pidns_fd, _syscalls.CLONE_NEWPID)
        if pid == 0:
            try:
                os.setsid()
                for fd in (out_r, err_r, res_r):
                    os.close(fd)
                self._job(job, limits, workdir, out_w, err_w, res_w)
            finally:
                os._exit(71)
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        return pid, pid, None

    def _spawn_via_supervisor(
        self, job: dict[str, Any], limits: dict[str, float], workdir: str, pipes: list[Any]
    ) -> tuple[int, int, str | None]:
        """Two forks: supervisor A unshares the pid namespace and forks the job (userns tier,
        where joining our own pid namespace again is not permitted)."""
        (out_r, out_w), (err_r, err_w), (res_r, res_w) = pipes
        ctl_r, ctl_w = os.pipe()
        ack_r, ack_w = os.pipe()
        pid_a = os.fork()
        if pid_a == 0:
            try:
                for fd in (out_r, err_r, res_r, ctl_r, ack_w):
                    os.close(fd)
                self._supervisor(job, limits, workdir, out_w, err_w, res_w, ctl_w, ack_r)
            finally:
                os._exit(70)
        for fd in (out_w, err_w, res_w, ctl_w, ack_r):
            os.close(fd)
        try:
            message = os.read(ctl_r, 4096)
            if len(message) == 4:
                pid_b: int = struct.unpack("=i", message)[0]
                return pid_a, pid_b, None
            return pid_a, -1, message[1:].decode(errors="replace") or "supervisor died"
        finally:
            os.write(ack_w, b"1")  # only now may A reap B: its pid cannot be reused before
            os.close(ctl_r)
            os.close(ack_w)

    def _supervisor(
        self,
        job: dict[str, Any],
        limits: dict[str, float],
        workdir: str,
        out_w: int,
        err_w: int,
        res_w: int,
        ctl_w: int,
        ack_r: int,
    ) -> None:
        try:
            os.setsid()
            _syscalls.prctl(_syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.pid:
                os._exit(70)
            flags = _jail.namespace_flags(self.jail)
            if flags:
                _syscalls.unshare(flags)
            pid_b = os.fork()
        except BaseException as exc:
            os.write(ctl_w, f"E{type(exc).__name__}: {exc}".encode()[:512])
            os._exit(70)
        if pid_b == 0:  # job B
            try:
                os.close(ctl_w)
                os.close(ack_r)
                self._job(job, limits, workdir, out_w, err_w, res_w)
            finally:
                os._exit(71)
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        os.write(ctl_w, struct.pack("=i", pid_b))
        os.read(ack_r, 1)
        _, status = os.waitpid(pid_b, 0)
        if os.WIFSIGNALED(status):
            os._exit(128 + os.WTERMSIG(status))
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)

    def _job(
        self,
        job: dict[str, Any],
        limits: dict[str, float],
        workdir: str,
        out_w: int,
        err_w: int,
        res_w: int,
    ) -> None:
        stdin = job.get("stdin")
        try:
            _jail.confine(
                self.jail,
                limits,
                stdin_data=stdin.encode() if stdin else None,
                stdout_fd=out_w,
                stderr_fd=err_w,
                result_fd=res_w,
                workdir=workdir,
                ruleset=self.ruleset,
                seccomp_filter=self.filter,
            )
            if workdir != self.env_workdir:  # else the server already holds this environment
                set_job_environment(workdir)
        except BaseException as exc:
            message = f"X {type(exc).__name__}: {exc}\n".encode()[:512]
            for fd in (_jail.RESULT_FD, res_w):
                try:
                    os.write(fd, message)
                    break
                except OSError:
                    continue
            os._exit(71)
        if job.get("mode") in _compiled.MODES:
            _compiled.run(job)
        _harness.run(job)

    def _watch(
        self,
        limits: dict[str, float],
        child: int,
        pid_b: int,
        infra: str | None,
        start: float,
        out_r: int,
        err_r: int,
        res_r: int,
    ) -> dict[str, Any]:
        reply: dict[str, Any] = {"infra": infra, "killed": None, "step": None}
        pidfd = -1
        if infra is None:
            try:
                pidfd = os.pidfd_open(pid_b)
            except OSError as exc:
                reply["infra"] = f"pidfd_open: {exc}"
        t_started = time.monotonic()
        buffers = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
        if pidfd >= 0:
            try:
                self._pump(reply, limits, start, pidfd, buffers, out_r, err_r, res_r)
            finally:
                os.close(pidfd)
        t_ended = time.monotonic()
        _, status, usage = os.wait4(child, 0)
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
            cpu=usage.ru_utime + usage.ru_stime,
            rss=usage.ru_maxrss,
            stdout=buffers[out_r].decode("utf-8", "replace"),
            stderr=buffers[err_r][-_STDERR_KEEP:].decode("utf-8", "replace"),
            res=buffers[res_r].decode("utf-8", "replace"),
        )
        return reply

    def _pump(
        self,
        reply: dict[str, Any],
        limits: dict[str, float],
        start: float,
        pidfd: int,
        buffers: dict[int, bytearray],
        out_r: int,
        err_r: int,
        res_r: int,
    ) -> None:
        """Read the job's pipes until it exits, a deadline passes, or a cap is exceeded."""
        caps = {
            out_r: int(limits["output_bytes"]),
            err_r: int(limits["output_bytes"]),
            res_r: int(limits["result_bytes"]),
        }
        test_timeout = float(limits["test_timeout"])
        total_deadline = start + float(limits["total_timeout"])
        step_deadline = start + test_timeout
        poller = select.poll()
        for fd in (out_r, err_r, res_r, pidfd, 0):
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
                    if self._read_res(reply, buffers, caps, res_r, open_fds, poller):
                        scanned, step_deadline = self._scan(
                            reply, buffers[res_r], scanned, step_deadline, test_timeout
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
                elif fd == 0:  # the pool closed our stdin: it is gone, so are we
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    os._exit(0)
                elif fd == res_r:
                    got = self._read_res(reply, buffers, caps, res_r, open_fds, poller)
                    if got:
                        scanned, step_deadline = self._scan(
                            reply, buffers[res_r], scanned, step_deadline, test_timeout
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
        if reply["killed"]:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        self._drain(buffers, caps, open_fds)
        self._scan(reply, buffers[res_r], scanned, step_deadline, test_timeout)  # batched tail

    @staticmethod
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

    @staticmethod
    def _scan(
        reply: dict[str, Any], buf: bytearray, scanned: int, step_deadline: float, timeout: float
    ) -> tuple[int, float]:
        """Track ``S k`` records in complete new lines: each restarts the per-test deadline."""
        end = buf.rfind(b"\n")
        if end >= scanned:
            for line in bytes(buf[scanned:end]).split(b"\n"):
                if line.startswith(b"S "):
                    step_deadline = time.monotonic() + timeout
                    reply["step"] = line[2:].decode(errors="replace")
            scanned = end + 1
        return scanned, step_deadline

    @staticmethod
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


def set_job_environment(workdir: str) -> None:
    """Replace the process environment with a job's (nothing of the server's survives)."""
    os.environ.clear()
    os.environ.update(
        HOME=workdir, TMPDIR=workdir, LANG="C.UTF-8", PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
    )  # fmt: skip


def main(argv: list[str]) -> None:
    """Entry point of the server process: set up once, then serve requests until EOF."""
    config = json.loads(argv[0])
    try:
        jail = _jail.JailConfig(**config["jail"])
        _syscalls.prctl(_syscalls.PR_SET_CHILD_SUBREAPER, 1)
        for name in config.get("preimport", ()):
            try:
                __import__(name)
            except ImportError:
                pass
        if jail.tier == "userns":
            jail = dataclasses.replace(jail, nproc_offset=_jail.count_processes(os.getuid()))
        pidns_fd = None
        if jail.tier == "root":  # kept to re-join after each per-job unshare(CLONE_NEWPID)
            low = os.open("/proc/self/ns/pid", os.O_RDONLY)
            pidns_fd = fcntl.fcntl(low, fcntl.F_DUPFD, 100)
            os.close(low)
        if jail.isolated:
            _jail.build_root(jail)
        server = ForkServer(jail, config["limits"], pidns_fd)
        if jail.isolated:
            # Every job's workdir is /tmp: set the job environment once here rather than per job
            # in the child, where clearing and refilling it cost ~0.4 ms (copy-on-write faults).
            # The server itself reads no environment variable after start-up.
            set_job_environment("/tmp")
            server.env_workdir = "/tmp"
        gc.collect()
        gc.freeze()  # keep pre-imported objects' pages shared across forks
    except BaseException as exc:
        write_frame(1, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    write_frame(1, {"ok": True, "pid": os.getpid(), "tier": jail.tier})
    while True:
        request = read_frame(0)
        if request is None:
            return
        try:
            reply = server.run(request)
        except BaseException as exc:
            reply = {"infra": f"fork server: {type(exc).__name__}: {exc}"}
        write_frame(1, reply)


if __name__ == "__main__":
    main(sys.argv[1:])
