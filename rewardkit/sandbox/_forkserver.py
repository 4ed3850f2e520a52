"""The fork server: a small, single-threaded, pre-imported process that forks one jail per job.

Started by :mod:`._pool` as ``python -I -S -c <boot>`` (a fresh interpreter, never a fork of the
trainer, whose threads and RSS would make forking slow and unsafe). It enters the read-only root
once, then serves length-prefixed JSON requests on stdin/stdout. A test-suite job is two
processes, both forked here and both confined::

    server ── fork ──> test driver D  (pid 1 of a new pid namespace; driver uid in root tier;
       │                               holds the result pipe; gets the tests on its own pipe)
       └──── fork ──> candidate C     (slot uid; holds stdout/stderr and a socket to D only)

(userns tier: through a supervisor A that unshares the pid namespace and forks both.) Script,
compile and binary jobs are the candidate alone. The server is the supervising parent: it
enforces per-test and total wall time (per-test deadlines re-armed only by the driver's ``S k``
records), the output caps, SIGKILLs the job through pidfds (killing pid 1 tears down the whole
pid namespace, daemons and ``setsid`` escapees included), and reaps everything as a child
subreaper. Test code never passes through this process's heap: the driver's spec follows the
request on stdin and is copied through one reused, zeroed buffer after both forks, since every
later candidate is a fork of this memory.
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from . import (
    _candidate,
    _cleanup,
    _compiled,
    _driver,
    _harness,
    _jail,
    _seccomp,
    _spawn,
    _syscalls,
)

_FRAME = struct.Struct(">I")
_STDERR_KEEP = 8192
_DRAIN_S = 1.0
_RES_BATCH_S = 0.002
_RES_BATCH_BYTES = 1 << 14  # a bigger read means a fast writer: keep reading it at once
_RES_EAGER_AFTER = 1 << 18  # so does a job that has already written this much
_SPEC_CHUNK = 1 << 16
_ZEROS = bytes(_SPEC_CHUNK)


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
        self._buffer = bytearray(_SPEC_CHUNK)  # the only place a driver spec passes through
        self.broken: str | None = None  # set when this server must not serve another job
        self.reaped: dict[int, tuple[int, Any]] = {}  # children reaped while a job ran

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job. A ``steps`` job has two processes: the test driver (its spec,
        ``driver_bytes`` long, follows the request on stdin and is streamed to the driver only)
        and the candidate; other modes have the candidate alone."""
        limits = {**self.limits, **job.get("limits", {})}
        limits["cpu_seconds"] = int(limits["total_timeout"]) + 2
        spec_bytes = int(job.get("driver_bytes", 0))
        with_driver = job.get("mode") == "steps"
        workdir = "/tmp" if self.jail.isolated else tempfile.mkdtemp(prefix="rk-job-")
        pipes = [os.pipe() for _ in range(3)]
        (out_r, out_w), (err_r, err_w), (res_r, res_w) = pipes
        os.set_blocking(res_r, False)  # read in batches by _pump, without ever blocking
        child_ends = [out_w, err_w, res_w]
        roles: list[Callable[[], None]]
        spec_w = -1
        if with_driver:
            pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            sock_c, sock_d = pair[0].detach(), pair[1].detach()
            spec_r, spec_w = os.pipe()
            roles = [
                lambda: self._driver(job, limits, res_w, sock_d, spec_r),
                lambda: self._candidate(job, limits, workdir, out_w, err_w, sock_c),
            ]
            child_ends += [sock_c, sock_d, spec_r]
        else:
            roles = [lambda: self._candidate(job, limits, workdir, out_w, err_w, res_w)]
        start = time.monotonic()
        pidfds: list[int] = []
        parent_ends = [out_r, err_r, res_r, spec_w]
        try:
            try:
                if self.jail.tier == "userns":
                    children, pidfds, infra = _spawn.spawn_via_supervisor(
                        self.pid, self.jail, roles, child_ends + parent_ends
                    )
                else:
                    children, pidfds, infra = _spawn.spawn_direct(self.pid, self.pidns_fd, roles)
            finally:
                for fd in child_ends:
                    os.close(fd)
                self._stream_spec(spec_bytes, spec_w if pidfds else -1)
                if spec_w >= 0:
                    os.close(spec_w)  # EOF for the driver
                    spec_w = -1
            return self._watch(
                limits, children, pidfds, infra, start, out_r, err_r, res_r, with_driver
            )
        finally:
            for fd in (out_r, err_r, res_r, *pidfds):
                os.close(fd)
            if spec_w >= 0:
                try:
                    os.close(spec_w)
                except OSError:
                    pass
            try:
                if self.jail.isolated:
                    _jail.clean_workdirs()
                else:
                    _cleanup.remove_tree(workdir)
            except Exception as exc:  # this job's verdict stands; the server is replaced
                self.broken = f"cleanup failed: {type(exc).__name__}: {exc}"

    def _stream_spec(self, size: int, dest: int) -> None:
        """Copy the driver's spec from stdin to the driver's pipe through one reused buffer,
        zeroed afterwards: no copy of the tests stays in this process, whose memory every
        later candidate inherits. ``dest`` -1: read and drop it."""
        view = memoryview(self._buffer)
        used = 0
        try:
            while size:
                got = os.readv(0, [view[: min(size, len(view))]])
                if got == 0:
                    raise EOFError("pool closed the request")
                size -= got
                used = max(used, got)
                if dest >= 0:
                    chunk = view[:got]
                    try:
                        while chunk:
                            chunk = chunk[os.write(dest, chunk) :]
                    except OSError:
                        dest = -1  # the driver is gone; keep draining stdin
        finally:
            view[:used] = _ZEROS[:used]

    def _confine(
        self, job: dict[str, Any], limits: dict[str, float], workdir: str, **fds: Any
    ) -> None:
        """Confine this process, or report why not (``X`` record) and exit."""
        try:
            _jail.confine(self.jail, limits, workdir=workdir, ruleset=self.ruleset,
                          seccomp_filter=self.filter, **fds)  # fmt: skip
            if workdir != self.env_workdir:  # else the server already holds this environment
                set_job_environment(workdir)
        except BaseException as exc:
            message = f"X {type(exc).__name__}: {exc}\n".encode()[:512]
            for fd in (_jail.RESULT_FD, fds.get("result_fd", -1)):
                try:
                    os.write(fd, message)
                    break
                except OSError:
                    continue
            os._exit(71)

    def _candidate(
        self,
        job: dict[str, Any],
        limits: dict[str, float],
        workdir: str,
        out_w: int,
        err_w: int,
        channel: int,
    ) -> None:
        """The candidate's process. ``channel`` (fd 3) is the result pipe in script, compile
        and binary modes, and the socket to the driver in ``steps`` mode."""
        stdin = job.get("stdin")
        self._confine(job, limits, workdir, stdin_data=stdin.encode() if stdin else None,
                      stdout_fd=out_w, stderr_fd=err_w, result_fd=channel)  # fmt: skip
        mode = job.get("mode")
        if mode in _compiled.MODES:
            _compiled.run(job)
        if mode == "steps":
            _candidate.serve(job, _jail.RESULT_FD)
        _harness.run(job)

    def _driver(
        self, job: dict[str, Any], limits: dict[str, float], res_w: int, sock: int, spec_r: int
    ) -> None:
        """The test driver's process: another uid (root tier), no workdir, no output."""
        null = os.open("/dev/null", os.O_WRONLY)
        self._confine(job, limits, "/", stdin_data=None, stdout_fd=null, stderr_fd=null,
                      result_fd=res_w, extra_fds={_driver.SOCKET_FD: sock,
                                                  _driver.SPEC_FD: spec_r},
                      uid_offset=_jail.DRIVER_UID_OFFSET)  # fmt: skip
        _driver.run({"frame_limit": int(limits["result_bytes"])})

    def _watch(
        self,
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
        self.reaped.clear()
        if pidfds:
            reap = dict(zip(pidfds[1:], children[1:], strict=False)) if len(children) > 1 else {}
            self._pump(
                reply, limits, start, pidfds, buffers, out_r, err_r, res_r, with_driver, reap
            )
        t_ended = time.monotonic()
        status, cpu, rss = 0, 0.0, 0
        statuses = {}
        for child in reversed(children):  # the namespace's init last (see _pump)
            status, usage = self.reaped.get(child) or os.wait4(child, 0)[1:]
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
        self,
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
        one that exits is reaped at once into ``self.reaped``, because a pid namespace's init
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
                    if self._read_res(reply, buffers, caps, res_r, open_fds, poller):
                        scanned, step_deadline = self._scan(
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
                        self.reaped[pid] = (status, usage)
                elif fd == 0:  # the pool closed our stdin: it is gone, so are we
                    for job_fd in pidfds:
                        signal.pidfd_send_signal(job_fd, signal.SIGKILL)
                    os._exit(0)
                elif fd == res_r:
                    got = self._read_res(reply, buffers, caps, res_r, open_fds, poller)
                    if got:
                        scanned, step_deadline = self._scan(
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
        self._drain(buffers, caps, open_fds)
        self._scan(reply, buffers[res_r], scanned, step_deadline, test_timeout, rearm)

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
        sys.path.extend(p for p in config.get("paths", ()) if p not in sys.path)
        failed: dict[str, str] = {}
        for name in config.get("preimport", ()):
            try:
                __import__(name)
            except Exception as exc:  # reported in the hello, never silently dropped
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
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
    write_frame(1, {"ok": True, "pid": os.getpid(), "tier": jail.tier, "preimport_failed": failed})
    while True:
        request = read_frame(0)
        if request is None:
            return
        try:
            reply = server.run(request)
        except BaseException as exc:
            reply = {"infra": f"fork server: {type(exc).__name__}: {exc}"}
            server.broken = reply["infra"]
        if server.broken:
            reply["fatal"] = server.broken  # the pool replaces us (and retries an infra job)
        write_frame(1, reply)
        if server.broken:
            return


if __name__ == "__main__":
    main(sys.argv[1:])
