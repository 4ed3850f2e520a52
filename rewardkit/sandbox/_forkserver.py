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

After a test-suite job the server forks and confines the next such job's pair right away
(:mod:`._ready`), while the pool judges the reply; it runs under nearly all of the jobs' seccomp
policy itself (:mod:`._seccomp`), and forks without CPython's at-fork work (one thread).
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import json
import os
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
    _ready,
    _seccomp,
    _spawn,
    _syscalls,
    _watch,
)

_FRAME = struct.Struct(">I")
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
        # The server runs under build_program(server=True) (see main); each job adds this.
        self.filter = _seccomp.Filter(_seccomp.build_job_program()) if jail.seccomp else None
        self.ruleset = _jail.landlock_ruleset(jail)
        self.pid = os.getpid()
        self.pidns_fd = pidns_fd
        self.env_workdir: str | None = None  # the job environment the server already holds
        self._buffer = bytearray(_SPEC_CHUNK)  # the only place a driver spec passes through
        self.broken: str | None = None  # set when this server must not serve another job
        self.ready: _ready.Running | None = None  # the next steps job's pair, if forked
        self.steps_limits: dict[str, float] | None = None  # the last steps job's limits

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job. A ``steps`` job has two processes: the test driver (its spec,
        ``driver_bytes`` long, follows the request on stdin and is streamed to the driver only)
        and the candidate, taken ready-made when a matching pair waits (see :mod:`._ready`);
        other modes have the candidate alone."""
        limits = {**self.limits, **job.get("limits", {})}
        limits["cpu_seconds"] = int(limits["total_timeout"]) + 2
        spec_bytes = int(job.get("driver_bytes", 0))
        with_driver = job.get("mode") == "steps"
        workdir = "/tmp" if self.jail.isolated else tempfile.mkdtemp(prefix="rk-job-")
        # The next pair is made for jobs like this one, and only after a steps job: script
        # jobs (one per stdin/stdout case) would otherwise kill a pair per job.
        self.steps_limits = limits if with_driver else None
        running = None
        if with_driver:
            running = self._take_ready(job, limits)
        else:
            self._drop_ready()
        start = time.monotonic()  # the job's clock starts at dispatch (or before its forks)
        try:
            if running is None:
                running = self._spawn(job, limits, workdir, with_driver)
            try:
                self._stream_spec(spec_bytes, running.spec_w if running.pidfds else -1)
            finally:
                if running.spec_w >= 0:
                    os.close(running.spec_w)  # EOF for the driver
                    running.spec_w = -1
            return _watch.watch(limits, running.children, running.pidfds, running.infra, start,
                                running.out_r, running.err_r, running.res_r, with_driver)  # fmt: skip
        finally:
            if running is not None:
                for fd in (running.out_r, running.err_r, running.res_r, *running.pidfds):
                    os.close(fd)
            try:
                if self.jail.isolated:
                    _jail.clean_workdirs()
                else:
                    _cleanup.remove_tree(workdir)
            except Exception as exc:  # this job's verdict stands; the server is replaced
                self.broken = f"cleanup failed: {type(exc).__name__}: {exc}"

    def prepare(self) -> None:
        """Fork and confine the next ``steps`` job's pair now, between requests (isolated
        tiers, once a steps job has shown the limits to use; never on a broken server)."""
        if self.ready is not None or self.steps_limits is None or self.broken:
            return
        if not self.jail.isolated:
            return
        pair = self._spawn({}, self.steps_limits, "/tmp", True, ready=True)
        if pair.infra is not None or len(pair.pidfds) != 2:
            _ready.discard(pair)
            return
        self.ready = pair

    def _take_ready(self, job: dict[str, Any], limits: dict[str, float]) -> _ready.Running | None:
        """The ready pair, given this job, if it was made with the job's limits and lives."""
        pair, self.ready = self.ready, None
        if pair is None:
            return None
        if pair.key == _ready.key(limits) and _ready.alive(pair) and _ready.dispatch(pair, job):
            return pair
        _ready.discard(pair)
        return None

    def _drop_ready(self) -> None:
        """Kill a waiting pair before another kind of job runs: a job's processes are only
        ever alone in the server (same slot uid, same process limit)."""
        if self.ready is not None:
            _ready.discard(self.ready)
            self.ready = None

    def _spawn(
        self,
        job: dict[str, Any],
        limits: dict[str, float],
        workdir: str,
        with_driver: bool,
        ready: bool = False,
    ) -> _ready.Running:
        """Fork a job's processes; ``ready``: a pair whose candidate waits for its job."""
        (out_r, out_w), (err_r, err_w), (res_r, res_w) = (os.pipe() for _ in range(3))
        os.set_blocking(res_r, False)  # read in batches by _pump, without ever blocking
        child_ends = [out_w, err_w, res_w]
        roles: list[Callable[[], None]]
        spec_w = job_w = -1
        if with_driver:
            pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            sock_c, sock_d = pair[0].detach(), pair[1].detach()
            spec_r, spec_w = os.pipe()
            job_r = -1
            if ready:
                job_r, job_w = os.pipe()
                child_ends.append(job_r)
            task = None if ready else job
            roles = [
                lambda: self._driver(limits, res_w, sock_d, spec_r),
                lambda: self._candidate(task, limits, workdir, out_w, err_w, sock_c, job_r),
            ]
            child_ends += [sock_c, sock_d, spec_r]
        else:
            roles = [lambda: self._candidate(job, limits, workdir, out_w, err_w, res_w)]
        parent_ends = [out_r, err_r, res_r, spec_w, job_w]
        try:
            if self.jail.tier == "userns":
                children, pidfds, infra = _spawn.spawn_via_supervisor(
                    self.pid, self.jail, roles, child_ends + parent_ends
                )
            else:
                children, pidfds, infra = _spawn.spawn_direct(self.pid, self.pidns_fd, roles)
        except BaseException:
            for fd in parent_ends:
                if fd >= 0:
                    os.close(fd)
            raise
        finally:
            for fd in child_ends:
                os.close(fd)
        return _ready.Running(children, pidfds, out_r, err_r, res_r, spec_w, job_w, infra,
                              _ready.key(limits))  # fmt: skip

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
        self,
        limits: dict[str, float],
        workdir: str,
        environment: bool = True,
        **fds: Any,
    ) -> None:
        """Confine this process, or report why not (``X`` record) and exit. ``environment``:
        give it the job environment (the driver keeps the server's, which holds nothing)."""
        try:
            _jail.confine(self.jail, limits, workdir=workdir, ruleset=self.ruleset,
                          seccomp_filter=self.filter, **fds)  # fmt: skip
            if environment and workdir != self.env_workdir:  # else the server already has it
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
        job: dict[str, Any] | None,
        limits: dict[str, float],
        workdir: str,
        out_w: int,
        err_w: int,
        channel: int,
        job_r: int = -1,
    ) -> None:
        """The candidate's process. ``channel`` (fd 3) is the result pipe in script, compile
        and binary modes, and the socket to the driver in ``steps`` mode. ``job`` None: a
        ready candidate, which reads its job from ``job_r`` once one is dispatched."""
        stdin = job.get("stdin") if job else None
        extra = {_ready.JOB_FD: job_r} if job_r >= 0 else None
        self._confine(limits, workdir, stdin_data=stdin.encode() if stdin else None,
                      stdout_fd=out_w, stderr_fd=err_w, result_fd=channel,
                      extra_fds=extra)  # fmt: skip
        if job is None:
            try:
                job = _ready.read_job()
            except BaseException:
                os._exit(71)
        mode = job.get("mode")
        if mode in _compiled.MODES:
            _compiled.run(job)
        if mode == "steps":
            _candidate.serve(job, _jail.RESULT_FD)
        _harness.run(job)

    def _driver(self, limits: dict[str, float], res_w: int, sock: int, spec_r: int) -> None:
        """The test driver's process: another uid (root tier), no workdir, no output."""
        null = os.open("/dev/null", os.O_WRONLY)
        self._confine(limits, "/", False, stdin_data=None, stdout_fd=null, stderr_fd=null,
                      result_fd=res_w, extra_fds={_driver.SOCKET_FD: sock,
                                                  _driver.SPEC_FD: spec_r},
                      uid_offset=_jail.DRIVER_UID_OFFSET)  # fmt: skip
        _driver.run({"frame_limit": int(limits["result_bytes"])})


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
        if jail.seccomp:  # last: every set-up step above may need a call it denies
            _syscalls.prctl(_syscalls.PR_SET_NO_NEW_PRIVS, 1)
            _seccomp.load(_seccomp.build_program(server=True))
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
        try:
            server.prepare()  # while the pool judges this reply
        except Exception:  # the next steps job is forked on demand instead
            server.ready = None


if __name__ == "__main__":
    main(sys.argv[1:])
