"""Landlock: an unprivileged, stackable allow-list for file access, TCP and signals.

Landlock is defence in depth on top of the minimal mount view: even if a path were bound into
the jail by mistake, the job can only read/execute below the read-only roots and write below its
own tmpfs workdir; TCP bind/connect is denied (ABI >= 4) and signals/abstract unix sockets are
scoped to the job's own domain (ABI >= 6). Three syscalls through ctypes, no dependency.
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterable

from . import _syscalls

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
TRUNCATE = 1 << 14
IOCTL_DEV = 1 << 15
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX = 1 << 0
SCOPE_SIGNAL = 1 << 1


def abi_version() -> int:
    """Landlock ABI of the running kernel, 0 when Landlock is absent or disabled."""
    try:
        return _syscalls.syscall(_SYS_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION)
    except OSError:
        return 0


def fs_rights(abi: int) -> int:
    """Every filesystem right the given ABI knows (unknown bits make the kernel say EINVAL)."""
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= 1 << 13  # REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def build_ruleset(
    abi: int,
    read_paths: Iterable[str],
    write_paths: Iterable[str],
    device_paths: Iterable[str] = (),
) -> int:
    """Create a ruleset fd; it can be applied by many processes with :func:`restrict_self`.

    A rule on a directory also covers file systems mounted below it later, since Landlock
    walks up across mount points: the fork server builds the ruleset once (on its ``/tmp``)
    and every job, whose private tmpfs is mounted on that ``/tmp``, reuses it. Paths that do
    not exist are skipped: the jail view decides what exists, Landlock only narrows it.
    """
    handled = fs_rights(abi)
    if abi >= 6:
        attr = struct.pack(
            "=QQQ", handled, NET_BIND_TCP | NET_CONNECT_TCP, SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL
        )
    elif abi >= 4:
        attr = struct.pack("=QQ", handled, NET_BIND_TCP | NET_CONNECT_TCP)
    else:
        attr = struct.pack("=Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscalls.syscall(_SYS_CREATE_RULESET, buf, len(attr), 0)
    try:
        read = EXECUTE | READ_FILE | READ_DIR
        for paths, rights in (
            (read_paths, read),
            (write_paths, handled),
            (device_paths, READ_FILE | WRITE_FILE | (TRUNCATE if abi >= 3 else 0)),
        ):
            for path in paths:
                _add_path_rule(ruleset, path, rights & handled)
    except BaseException:
        os.close(ruleset)
        raise
    return ruleset


def restrict_self(ruleset: int) -> None:
    """Confine the calling thread and its future children for good (needs no_new_privs or
    CAP_SYS_ADMIN)."""
    _syscalls.syscall(_SYS_RESTRICT_SELF, ruleset, 0)


def restrict(
    abi: int,
    read_paths: Iterable[str],
    write_paths: Iterable[str],
    device_paths: Iterable[str] = (),
) -> None:
    """Build a ruleset and apply it to the calling thread."""
    ruleset = build_ruleset(abi, read_paths, write_paths, device_paths)
    try:
        restrict_self(ruleset)
    finally:
        os.close(ruleset)


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS  # directory rights on a file make add_rule fail with EINVAL
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        _syscalls.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, 0)
    finally:
        os.close(fd)
