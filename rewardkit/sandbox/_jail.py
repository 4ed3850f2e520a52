"""Kernel isolation: the fork server's read-only root view, and the per-job confinement chain.

Two halves, both run inside the fork server process tree, never in the trainer:

* :func:`build_root` runs once when a fork server starts. It moves the server into a private
  mount namespace (plus a user namespace when not root) whose root is a small tmpfs holding
  read-only bind mounts of the interpreter, the system libraries and a few device nodes, then
  ``pivot_root``s into it. Home directories, the repository, secrets and the host ``/tmp`` are
  simply absent, and a private interpreter (e.g. pyenv under a mode-0700 ``/root``) stays
  readable for the unprivileged job uid.
  It also mounts the job-writable tmpfs ``/tmp`` and ``/dev/shm`` (size-capped, owned by the
  slot uid), emptied after every job.
* :func:`confine` runs in every job process (pid 1 of a fresh pid namespace): stdin/stdout/
  stderr/result fds, rlimits, the slot uid, ``no_new_privs``, the server's prebuilt Landlock
  ruleset, then seccomp last, after every privileged step.
"""

from __future__ import annotations

import fcntl
import os
import resource
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from . import _cleanup, _landlock, _seccomp, _syscalls

RESULT_FD = 3
DRIVER_UID_OFFSET = 10000  # slot uids are 60000-64999; their drivers' 70000-74999
WRITABLE = ("/tmp", "/dev/shm")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_SYSTEM_PATHS = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/libx32",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/localtime",
)
_ST_FLAGS = (
    (os.ST_NOSUID, _syscalls.MS_NOSUID),
    (os.ST_NODEV, _syscalls.MS_NODEV),
    (os.ST_NOEXEC, _syscalls.MS_NOEXEC),
)
# An empty network namespace (loopback down), IPC and UTS namespaces are created once per
# server and shared by its jobs, which run one at a time: creating a network namespace per job
# costs milliseconds. Nothing a job leaves there outlives it: its processes (and so its
# sockets) die with its pid namespace, and SysV IPC, the one kind of object that would persist,
# is denied by seccomp. Mount and pid namespaces are per job.
_SERVER_NAMESPACES = (
    _syscalls.CLONE_NEWNS | _syscalls.CLONE_NEWNET | _syscalls.CLONE_NEWIPC | _syscalls.CLONE_NEWUTS
)
_NEVER_BOUND = ("/proc", "/dev", "/sys", "/run")
#: Read-only paths that live under a job-writable mount on the host (a virtualenv or a
#: checkout under /tmp) are bound under this prefix instead: inside the jail /tmp is the
#: job's own empty tmpfs. The server's ``sys.path`` is rewritten to match.
HIDDEN_ALIAS = "/.host"
TIERS = ("root", "userns", "unsafe")


@dataclass(frozen=True)
class JailConfig:
    """What one fork server sets up; chosen by the probe, fixed for the server's life."""

    tier: str
    uid: int
    gid: int
    landlock_abi: int
    seccomp: bool
    extra_paths: tuple[str, ...] = ()
    nproc_offset: int = 0
    disk_mb: int = 32

    @property
    def isolated(self) -> bool:
        return self.tier in ("root", "userns")


def interpreter_paths(extra: Iterable[str] = ()) -> list[str]:
    """Read-only paths a job needs: system libraries, the interpreter's prefixes, extras."""
    paths = [*_SYSTEM_PATHS, sys.base_prefix, sys.base_exec_prefix]
    paths += [p for p in sys.path if p and os.path.isabs(p)]
    paths += list(extra)
    kept: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths if os.path.lexists(p)}):
        if path == "/" or any(path.startswith(d) for d in _NEVER_BOUND):
            continue
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _hidden(path: str) -> bool:
    """Whether ``path`` is under a job-writable mount, so must be bound under the alias."""
    return any(path == w or path.startswith(w + "/") for w in WRITABLE)


def inside(path: str) -> str:
    """Where host path ``path`` (one of :func:`interpreter_paths`) appears inside the jail."""
    return HIDDEN_ALIAS + path if _hidden(path) else path


def build_root(cfg: JailConfig, staging: str = "/tmp") -> None:
    """Enter the private read-only root (see module docstring). Call once, single-threaded."""
    if cfg.tier == "userns":
        uid, gid = os.geteuid(), os.getegid()
        _syscalls.unshare(_syscalls.CLONE_NEWUSER | _SERVER_NAMESPACES)
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    else:
        _syscalls.unshare(_SERVER_NAMESPACES)
    _syscalls.mount("none", "/", None, _syscalls.MS_REC | _syscalls.MS_PRIVATE, None)
    paths = interpreter_paths(cfg.extra_paths)
    # Paths under /tmp vanish under the staging tmpfs below: keep a handle on them first.
    handles = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in paths if _hidden(p)}
    flags = _syscalls.MS_NOSUID | _syscalls.MS_NODEV
    _syscalls.mount("tmpfs", staging, "tmpfs", flags, "size=1m,mode=0755")
    new = os.path.join(staging, "root")
    os.mkdir(new)
    _syscalls.mount("tmpfs", new, "tmpfs", _syscalls.MS_NOSUID, "size=1m,mode=0755")
    for path in paths:
        if path in handles:
            _bind_readonly(f"/proc/self/fd/{handles[path]}", new + inside(path))
            os.close(handles[path])
        else:
            _bind_readonly(path, new + path)
    os.makedirs(new + "/dev/shm")
    for dev in _DEVICES:
        target = f"{new}/dev/{dev}"
        open(target, "w").close()
        _syscalls.mount(f"/dev/{dev}", target, None, _syscalls.MS_BIND, None)
    os.mkdir(new + "/tmp")
    os.mkdir(new + "/proc")
    os.mkdir(new + "/.old")
    _syscalls.pivot_root(new, new + "/.old")
    os.chdir("/")
    _syscalls.umount2("/.old", _syscalls.MNT_DETACH)
    os.rmdir("/.old")
    _syscalls.mount(
        "none", "/", None, _syscalls.MS_REMOUNT | _syscalls.MS_RDONLY | _syscalls.MS_NOSUID, None
    )
    owner = f"uid={cfg.uid},gid={cfg.gid}" if cfg.tier == "root" else "uid=0,gid=0"
    options = f"size={cfg.disk_mb}m,nr_inodes=4096,mode=0700,{owner}"
    for target in WRITABLE:
        _syscalls.mount("tmpfs", target, "tmpfs", flags, options)
    sys.path[:] = [inside(p) if os.path.isabs(p) else p for p in sys.path]


def landlock_ruleset(cfg: JailConfig) -> int | None:
    """The server-wide Landlock ruleset (an fd above the job's fds), or None."""
    if cfg.landlock_abi <= 0:
        return None
    if cfg.isolated:
        read, write = ["/"], list(WRITABLE)
    else:
        read, write = interpreter_paths(cfg.extra_paths), [tempfile.gettempdir()]
    ruleset = _landlock.build_ruleset(
        cfg.landlock_abi, read, write, ["/dev/null", "/dev/zero", "/dev/full"]
    )
    high = fcntl.fcntl(ruleset, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(ruleset)
    return high


def clean_workdirs() -> None:
    """Empty the job-writable tmpfs mounts after a job (every job process is dead by then).

    Raises :class:`._cleanup.CleanupError` when that fails (the server must then be replaced).
    """
    for top in WRITABLE:
        _cleanup.remove_tree(top, keep_top=True)


def _bind_readonly(source: str, target: str) -> None:
    if os.path.islink(source) and os.path.dirname(source) == "/":
        os.symlink(os.readlink(source), target)  # merged-/usr systems: /bin -> usr/bin
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
    _syscalls.mount(source, target, None, _syscalls.MS_BIND | _syscalls.MS_REC, None)
    locked = os.statvfs(source).f_flag
    flags = _syscalls.MS_BIND | _syscalls.MS_REMOUNT | _syscalls.MS_RDONLY | _syscalls.MS_NOSUID
    flags |= _syscalls.MS_NODEV
    for st_flag, ms_flag in _ST_FLAGS:
        if locked & st_flag:
            flags |= ms_flag
    _syscalls.mount("none", target, None, flags, None)


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def namespace_flags(cfg: JailConfig) -> int:
    """Namespaces each job gets (unshared by its supervisor, so the job becomes pid 1).

    Mount, network, IPC and UTS namespaces are the server's (see ``_SERVER_NAMESPACES``):
    the job-writable tmpfs mounts are emptied by the server after every job instead."""
    if not cfg.isolated:
        return 0
    return _syscalls.CLONE_NEWPID if cfg.isolated else 0


def confine(
    cfg: JailConfig,
    limits: dict[str, float],
    *,
    stdin_data: bytes | None,
    stdout_fd: int,
    stderr_fd: int,
    result_fd: int,
    workdir: str,
    ruleset: int | None,
    seccomp_filter: _seccomp.Filter | None,
    extra_fds: dict[int, int] | None = None,
    uid_offset: int = 0,
) -> None:
    """Apply the per-job chain to the calling process. Irreversible; raises on any failure.

    ``extra_fds`` maps more fd numbers (above 3) to the fds to place there; ``uid_offset``
    moves the process to another slot uid (root tier: the test driver, so that neither of a
    job's two processes can signal the other). Both processes are made non-dumpable.
    """
    _syscalls.prctl(_syscalls.PR_SET_PDEATHSIG, 9)
    stdin_fd = _stdin_fd(stdin_data)
    wanted = {0: stdin_fd, 1: stdout_fd, 2: stderr_fd, RESULT_FD: result_fd, **(extra_fds or {})}
    high = {dst: fcntl.fcntl(src, fcntl.F_DUPFD, 32) for dst, src in wanted.items()}
    for dst, src in high.items():  # via high copies: a source may sit on another's target
        os.dup2(src, dst)
        os.close(src)
    top = max(wanted)
    keep = ruleset if ruleset is not None else top
    os.closerange(top + 1, keep)
    os.closerange(keep + 1, 1 << 16)
    os.chdir(workdir)
    _set_rlimits(limits, cfg.nproc_offset)
    if cfg.tier == "root":
        uid, gid = cfg.uid + uid_offset, cfg.gid + uid_offset
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        _syscalls.prctl(_syscalls.PR_SET_PDEATHSIG, 9)  # cleared by the credential change
    _syscalls.prctl(_syscalls.PR_SET_DUMPABLE, 0)  # no /proc/pid/mem or ptrace between them
    _syscalls.prctl(_syscalls.PR_SET_NO_NEW_PRIVS, 1)
    if cfg.tier == "userns":
        _syscalls.drop_capabilities()
    if ruleset is not None:
        _landlock.restrict_self(ruleset)
        os.close(ruleset)
    if seccomp_filter is not None:
        seccomp_filter.load()


def _stdin_fd(data: bytes | None) -> int:
    if not data:
        return os.open("/dev/null", os.O_RDONLY)
    fd = os.memfd_create("stdin", 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def count_processes(uid: int) -> int:
    """Processes ``uid`` already owns: RLIMIT_NPROC counts them too (userns tier)."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                count += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return count


def _set_rlimits(limits: dict[str, float], nproc_offset: int) -> None:
    mb = 1 << 20
    cpu = int(limits["cpu_seconds"])
    pairs = (
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_AS, int(limits["memory_mb"]) * mb),
        (resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * mb),
        (resource.RLIMIT_NOFILE, int(limits["open_files"])),
        (resource.RLIMIT_NPROC, int(limits["processes"]) + nproc_offset),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_MEMLOCK, 0),
        (resource.RLIMIT_MSGQUEUE, 0),
    )
    for which, value in pairs:
        resource.setrlimit(which, (value, value))
