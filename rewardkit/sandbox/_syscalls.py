"""Thin ctypes wrappers for the Linux calls the standard library lacks on Python 3.10/3.11.

Kept in one place so the jail code reads like the kernel documentation and so a failing call
always raises ``OSError`` with the errno, never returns -1 silently.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

MACHINE = platform.machine()
# pivot_root has no libc wrapper; its number differs per architecture.
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(MACHINE)
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(MACHINE)
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_LIBC_NAME = ctypes.util.find_library("c") or "libc.so.6"
_libc = ctypes.CDLL(_LIBC_NAME, use_errno=True)
_libc.syscall.restype = ctypes.c_long
# The same library through PyDLL: its calls keep the GIL held (see ``fork``).
_libc_gil = ctypes.PyDLL(_LIBC_NAME, use_errno=True)


def _check(ret: int) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def fork() -> int:
    """fork(2) without CPython's at-fork work; only for a single-threaded caller.

    ``os.fork`` re-initialises the runtime's locks and thread states and runs every
    ``os.register_at_fork`` hook in both processes (threading, random, logging ...). In the
    fork server, which has one thread and forks two jobs per request, that work touched
    ~200 copy-on-write pages per child: ~0.6 ms of CPU per process, the largest single cost
    of a job. With one thread there is no lock another thread could hold across the fork, and
    the GIL stays held by the only thread (PyDLL never releases it). Callers re-seed what must
    differ between children (``random``).
    """
    return _check(_libc_gil.fork())


def unshare(flags: int) -> None:
    """Move the calling process into new namespaces (``os.unshare`` only exists on 3.12+)."""
    _check(_libc.unshare(ctypes.c_int(flags)))


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    """mount(2); ``fstype``/``data`` may be None for bind and propagation changes."""
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        )
    )


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)))


def pivot_root(new_root: str, put_old: str) -> None:
    if _SYS_PIVOT_ROOT is None:
        raise OSError(38, f"pivot_root: unsupported architecture {MACHINE}")
    _check(_libc.syscall(ctypes.c_long(_SYS_PIVOT_ROOT), new_root.encode(), put_old.encode()))


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(
        _libc.prctl(
            ctypes.c_int(option),
            ctypes.c_ulong(arg2),
            ctypes.c_ulong(arg3),
            ctypes.c_ulong(arg4),
            ctypes.c_ulong(arg5),
        )
    )


def prctl_ptr(option: int, arg2: int, pointer: ctypes.c_void_p | int) -> int:
    """prctl with a pointer third argument (PR_SET_SECCOMP)."""
    zero = ctypes.c_ulong(0)
    return _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), pointer, zero, zero))


def syscall(number: int, *args: Any) -> int:
    """Raw syscall for the Landlock calls (444-446 on every architecture)."""
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return _check(_libc.syscall(ctypes.c_long(number), *converted))


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (capset(2))."""
    if _SYS_CAPSET is None:
        raise OSError(38, f"capset: unsupported architecture {MACHINE}")
    header = ctypes.create_string_buffer(
        _LINUX_CAPABILITY_VERSION_3.to_bytes(4, "little") + bytes(4), 8
    )
    data = ctypes.create_string_buffer(bytes(24), 24)
    _check(_libc.syscall(ctypes.c_long(_SYS_CAPSET), header, data))


def setns(fd: int, nstype: int) -> None:
    """Join the namespace ``fd`` refers to (``os.setns`` only exists on 3.12+)."""
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)))
