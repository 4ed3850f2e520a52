"""Start worker processes as fresh interpreters, never as forks or re-imports of the caller.

A worker is ``python -c <boot>``: a new interpreter that puts the caller's
``sys.path`` in place, imports :mod:`rewardkit.engine._worker` and runs it. Nothing
of the caller is copied (no fork of a large trainer, no lock held by another
thread), and the caller's ``__main__`` is never imported: rewards are rebuilt by
reference (:mod:`rewardkit.references._refs`), and one defined in the caller's script is
loaded from its file under a private name, so a script without an
``if __name__ == "__main__"`` guard is not re-run by every worker.

Only public APIs are used. :class:`subprocess.Popen` (``close_fds`` with
``pass_fds``) hands the worker exactly two descriptors besides stdio:

* one end of a Unix socket pair, framed on both sides with
  :class:`multiprocessing.connection.Connection`;
* a 16-byte shared memory file (``memfd_create``, else an unlinked temporary
  file) that both sides map, through which the worker reports the sample it is
  running without a system call (see :mod:`._worker`).

The worker leads a new session (``start_new_session``), so :meth:`Worker.kill`
takes down whatever the reward spawned with one ``killpg``. Everything else the
worker sets up itself after it starts (memory limit, ``PR_SET_PDEATHSIG``), so no
``preexec_fn`` runs in the threaded caller. Its death is seen through a pidfd
(Linux 5.3+) or, elsewhere, as end-of-file on the socket.

Caveat inherited from Linux: ``PR_SET_PDEATHSIG`` fires when the *thread* that
started the worker exits, so workers must be started from threads that outlive
them (the pool's slot threads).
"""

from __future__ import annotations

import json
import mmap
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from ._reaper import kill_tree

__all__ = ["PROGRESS_BYTES", "Worker"]

#: Size of the shared progress block: two doubles (see :mod:`._worker`).
PROGRESS_BYTES = 16

# Runs in the fresh interpreter: drop the current directory that ``-c`` puts first
# (the caller's own path list decides what is importable), add the caller's
# sys.path, then hand over to the worker module.
_BOOT = (
    "import json, sys\n"
    "if sys.path and sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    "for p in reversed(json.loads(sys.argv[1])):\n"
    "    if p not in sys.path:\n"
    "        sys.path.insert(0, p)\n"
    "from rewardkit.engine._worker import main\n"
    "main(sys.argv[2:])\n"
)


def _interpreter_flags() -> list[str]:
    """Command-line flags that make the worker's interpreter behave like the caller's."""
    flags = sys.flags
    args = []
    if flags.isolated:
        args.append("-I")
    else:
        if flags.ignore_environment:
            args.append("-E")
        if flags.no_user_site:
            args.append("-s")
    if flags.optimize:
        args.append("-" + "O" * flags.optimize)
    if flags.dont_write_bytecode:
        args.append("-B")
    args += [f"-W{w}" for w in sys.warnoptions]
    return args


def _shared_block(size: int) -> int:
    """A descriptor of ``size`` zeroed bytes that another process can map."""
    fd = -1
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        try:
            fd = memfd_create("rewardkit-progress", os.MFD_CLOEXEC)  # type: ignore[attr-defined]
        except OSError:
            fd = -1
    if fd < 0:
        with tempfile.TemporaryFile() as f:  # unlinked at once; the dup keeps it alive
            fd = os.dup(f.fileno())
    try:
        os.ftruncate(fd, size)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _pidfd(pid: int) -> int | None:
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        fd: int = pidfd_open(pid)
    except OSError:  # kernel older than 5.3, or a seccomp policy that forbids it
        return None
    return fd


class Worker:
    """One worker process: its :class:`subprocess.Popen`, socket, progress block and pidfd.

    Args:
        init: first message sent to the worker (what to pre-import, memory limit,
            rewards to rebuild before the first sample; see :func:`._worker.main`).
        name: shown in ``ps`` through the worker's argv.
    """

    def __init__(self, init: Sequence[Any], name: str) -> None:
        if not sys.executable:
            raise RuntimeError("sys.executable is unknown, so no worker interpreter can be started")
        prog_fd = _shared_block(PROGRESS_BYTES)
        ours, theirs = socket.socketpair()
        try:
            self._mmap = mmap.mmap(prog_fd, PROGRESS_BYTES)
            #: ``[position in chunk, monotonic start time]`` of the sample being run.
            self.progress: Any = memoryview(self._mmap).cast("d")
            argv = [
                sys.executable,
                *_interpreter_flags(),
                "-c",
                _BOOT,
                json.dumps(sys.path),
                str(theirs.fileno()),
                str(prog_fd),
                str(os.getpid()),
                name,
            ]
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                close_fds=True,
                pass_fds=(theirs.fileno(), prog_fd),
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            os.close(prog_fd)
        self.pid = self.popen.pid
        self.conn = Connection(ours.detach())
        #: Readable once the process has exited (``None``: watch the socket instead).
        self.sentinel = _pidfd(self.pid)
        try:
            self.conn.send(tuple(init))
        except OSError:  # it died already; the pool notices on first use
            pass

    def alive(self) -> bool:
        return self.popen.poll() is None

    def waitables(self) -> list[Any]:
        return [self.conn] if self.sentinel is None else [self.conn, self.sentinel]

    def kill(self) -> int | None:
        """SIGKILL the worker's process group, reap it and return its exit code.

        Negative codes name the signal that ended it, as in :attr:`Popen.returncode`;
        ``None`` if it could not be reaped.
        """
        # Descendants that left the group (setsid, double fork) are still in the worker's
        # tree, since the worker is their subreaper: freeze and kill that tree first.
        kill_tree(self.pid, include_root=True)
        try:
            # The group id is the worker's pid, which stays reserved until it is
            # reaped below, so this never hits an unrelated group.
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        code: int | None
        try:
            code = self.popen.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        self.conn.close()
        if self.sentinel is not None:
            try:
                os.close(self.sentinel)
            except OSError:
                pass
            self.sentinel = None
        return code
