"""Capability probe and tier selection. Fails closed.

The probe runs in a throw-away ``python -I -S`` child (unsharing namespaces from a possibly
multi-threaded trainer fails, and a failed attempt must not leave the caller changed). Each
mechanism is tried in its own forked grandchild; the full chain of the candidate tier is tried
end to end (private root, unshare, slot uid, importing a not-yet-loaded stdlib module), so a
tier is only chosen if a real job could run under it.

Tiers, strongest first: ``root`` (namespaces + per-slot uid), ``userns`` (namespaces inside an
unprivileged user namespace, capabilities dropped), ``unsafe`` (rlimits, setsid and process
kill only; chosen only on explicit opt-in). Landlock and seccomp are added whenever available.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from . import _boot, _errors

UNSAFE_ENV = "REWARDKIT_SANDBOX_UNSAFE"
PROBE_UID = 59999
_cache: dict[str, Any] = {}
_lock = threading.Lock()


def probe(*, refresh: bool = False) -> dict[str, Any]:
    """What this machine supports, as a JSON-able dict (cached per process)."""
    with _lock:
        if refresh or "report" not in _cache:
            _cache["report"] = _run_probe_process()
        return dict(_cache["report"])


def unsafe_requested(allow_unsafe: bool | None) -> bool:
    if allow_unsafe is not None:
        return allow_unsafe
    return os.environ.get(UNSAFE_ENV, "").strip().lower() in ("1", "true", "yes")


def choose_tier(report: dict[str, Any], allow_unsafe: bool | None = None) -> str:
    """The strongest tier the report allows; raises SandboxUnavailableError if none."""
    if report.get("tier"):
        return str(report["tier"])
    if unsafe_requested(allow_unsafe):
        return "unsafe"
    raise _errors.SandboxUnavailableError(
        "no isolation tier works here ("
        + "; ".join(f"{k}: {v}" for k, v in report.get("errors", {}).items())
        + f"). Run untrusted code unisolated only on a disposable machine: pass "
        f"allow_unsafe=True or set {UNSAFE_ENV}=1."
    )


def _run_probe_process() -> dict[str, Any]:
    try:
        proc = subprocess.run(
            _boot.command("_probe:main"),
            capture_output=True,
            timeout=60,
            env=_boot.environment(),
            start_new_session=True,
        )
        return dict(json.loads(proc.stdout.decode().strip().splitlines()[-1]))
    except Exception as exc:  # any failure of the probe itself means: no tier
        return {"tier": None, "errors": {"probe": f"{type(exc).__name__}: {exc}"}}


def main(argv: list[str]) -> None:
    """Entry point of the probe process: print one JSON line."""
    print(json.dumps(probe_here()))


def probe_here() -> dict[str, Any]:
    """Run every check in this (fresh, single-threaded) process."""
    from . import _jail, _landlock, _seccomp, _syscalls

    report: dict[str, Any] = {
        "euid": os.geteuid(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "sysctl": {
            name: _read(path)
            for name, path in (
                ("unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone"),
                ("max_user_namespaces", "/proc/sys/user/max_user_namespaces"),
                (
                    "apparmor_restrict_unprivileged_userns",
                    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                ),
            )
        },
        "cgroup": {
            "v2_controllers": _read("/sys/fs/cgroup/cgroup.controllers"),
            "v1_pids": os.path.isdir("/sys/fs/cgroup/pids"),
            "v1_memory": os.path.isdir("/sys/fs/cgroup/memory"),
        },
    }
    checks: dict[str, dict[str, Any]] = {}
    for name, flag in (
        ("user", _syscalls.CLONE_NEWUSER),
        ("mount", _syscalls.CLONE_NEWNS),
        ("net", _syscalls.CLONE_NEWNET),
        ("pid", _syscalls.CLONE_NEWPID),
        ("ipc", _syscalls.CLONE_NEWIPC),
        ("uts", _syscalls.CLONE_NEWUTS),
    ):
        extra = _syscalls.CLONE_NEWUSER if os.geteuid() != 0 and name != "user" else 0
        checks[f"unshare_{name}"] = _in_child(functools.partial(_syscalls.unshare, flag | extra))
    abi = _landlock.abi_version()
    checks["landlock"] = {"ok": abi > 0, "abi": abi}
    seccomp_ok = _seccomp.supported() and _in_child(_seccomp_selftest)["ok"]
    checks["seccomp"] = {"ok": seccomp_ok, "arch_supported": _seccomp.supported()}
    tier = None
    errors: dict[str, str] = {}
    for candidate in ("root", "userns"):
        if candidate == "root" and os.geteuid() != 0:
            errors["root"] = "not running as root"
            continue
        cfg = _jail.JailConfig(
            tier=candidate, uid=PROBE_UID, gid=PROBE_UID, landlock_abi=abi, seccomp=seccomp_ok
        )
        result = _in_child(functools.partial(_chain_selftest, cfg))
        checks[f"tier_{candidate}"] = result
        if result["ok"]:
            tier = candidate
            break
        errors[candidate] = result["error"]
    report.update(checks=checks, tier=tier, errors=errors, landlock_abi=abi, seccomp=seccomp_ok)
    return report


def _seccomp_selftest() -> None:
    import errno
    import socket

    from . import _seccomp, _syscalls

    _syscalls.prctl(_syscalls.PR_SET_NO_NEW_PRIVS, 1)
    _seccomp.load(_seccomp.build_program())
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        if exc.errno != errno.EACCES:
            raise
    else:
        raise RuntimeError("seccomp filter did not block AF_INET")


def _chain_selftest(cfg: Any) -> None:
    """The real per-job chain, end to end, in a grandchild."""
    from . import _jail, _seccomp

    _jail.build_root(cfg)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            from . import _syscalls

            _syscalls.unshare(_jail.namespace_flags(cfg))
            inner = os.fork()
            if inner == 0:
                limits: dict[str, float] = {"disk_mb": 1, "cpu_seconds": 5, "memory_mb": 1024,
                          "file_size_mb": 1, "open_files": 64, "processes": 16}  # fmt: skip
                null = os.open("/dev/null", os.O_WRONLY)
                _jail.confine(
                    cfg, limits, stdin_data=None, stdout_fd=null, stderr_fd=null,
                    result_fd=null, workdir="/tmp", ruleset=_jail.landlock_ruleset(cfg),
                    seccomp_filter=_seccomp.Filter(_seccomp.build_program())
                    if cfg.seccomp else None,
                )  # fmt: skip
                import colorsys  # noqa: F401  (a stdlib module the probe has not imported)

                with open("/tmp/probe", "w") as fh:
                    fh.write("ok")
                os._exit(0)
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        finally:
            os._exit(code)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if status != 0:
        raise RuntimeError(f"confined job exited with {status}")


def _in_child(fn: Callable[[], None]) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            fn()
            os.write(write_fd, b"ok")
        except BaseException as exc:
            os.write(write_fd, f"{type(exc).__name__}: {exc}".encode()[:500])
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 4096):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    message = b"".join(chunks).decode(errors="replace")
    return {"ok": message == "ok", "error": "" if message == "ok" else message or "child died"}


def _read(path: str) -> str | None:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None
