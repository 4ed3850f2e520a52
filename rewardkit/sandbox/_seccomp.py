"""A hand-assembled seccomp-BPF deny list (x86-64), loaded with prctl through ctypes.

Why a deny list: candidate programs are ordinary Python and need the usual ~100 syscalls, so an
allow list would break real solutions on the next CPython upgrade. What is denied is kernel attack
surface and the ways out of the jail: namespaces (unshare/setns, ``clone`` with CLONE_NEW*),
mount, ptrace and cross-process memory, ``memfd_secret``, ``vmsplice``, SysV IPC, bpf, io_uring, keyrings, module loading, internet and
netlink sockets (only AF_UNIX is allowed), TIOCSTI, and clearing the parent-death signal that
ties the job to its supervisor. ``clone3`` answers ENOSYS so glibc falls back to ``clone``,
whose flags a classic BPF filter can inspect. A foreign architecture or the x32 ABI is killed.

Loading a filter costs the kernel a translation, a JIT and a per-syscall cache (~0.15 ms for this
one), so a fork server loads the policy on itself once (:func:`build_program` with
``server=True``: everything but the three calls it and a job's own set-up still need), and each
job process adds only :func:`build_job_program`, which denies those three. Filters stack, so a
job lives under exactly the policy of ``build_program()``; the server runs under nearly all of it.
"""

from __future__ import annotations

import ctypes
import errno
import struct

from . import _syscalls

_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000

_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0 = 16
_OFF_ARG1 = 24

_AF_UNIX = 1
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C
_NS_FLAGS = (
    _syscalls.CLONE_NEWNS
    | _syscalls.CLONE_NEWCGROUP
    | _syscalls.CLONE_NEWUTS
    | _syscalls.CLONE_NEWIPC
    | _syscalls.CLONE_NEWUSER
    | _syscalls.CLONE_NEWPID
    | _syscalls.CLONE_NEWNET
)

# name -> x86-64 number; every one of these answers EPERM.
_DENIED_X86_64 = {
    "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135, "mknod": 133,
    "vhangup": 153, "modify_ldt": 154, "pivot_root": 155, "adjtimex": 159, "chroot": 161,
    "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167,
    "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172,
    "ioperm": 173, "init_module": 175, "delete_module": 176, "quotactl": 179,
    "nfsservctl": 180, "lookup_dcookie": 212, "clock_settime": 227, "kexec_load": 246,
    "add_key": 248, "request_key": 249, "keyctl": 250, "mknodat": 259, "unshare": 272,
    "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "kexec_file_load": 320,
    "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_getfd": 438, "mount_setattr": 442,
    # SysV IPC objects outlive their creator; the IPC namespace is shared by a server's jobs.
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220,
    # Never needed by a job: secret memory (hidden even from the kernel's own dumps), memory
    # of other processes or NUMA nodes, zero-copy page gifting, filesystem quotas.
    "memfd_secret": 447, "process_madvise": 440, "process_mrelease": 448, "quotactl_fd": 443,
    "move_pages": 279, "migrate_pages": 256, "vmsplice": 278, "set_mempolicy_home_node": 450,
}  # fmt: skip
#: Denied to jobs, but still needed by the fork server (a pid namespace per job) and by a job
#: process before its filter is complete (``prctl(PR_SET_PDEATHSIG)`` in :func:`._jail.confine`).
SETUP_ONLY = ("unshare", "setns")
_NR_SOCKET = 41
_NR_CLONE = 56
_NR_IOCTL = 16
_NR_PRCTL = 157
_NR_CLONE3 = 435

Insn = tuple[int, "int | str", "int | str", int]


def supported() -> bool:
    """Whether this module has a filter for the running architecture."""
    return _syscalls.MACHINE == "x86_64"


def build_program(*, server: bool = False) -> bytes:
    """The job policy; ``server=True``: the same without the :data:`SETUP_ONLY` denials (the
    fork server's own filter, completed in each job by :func:`build_job_program`)."""
    prog: list[Insn | str] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ, 0, "kill", _AUDIT_ARCH_X86_64),
        (_LD_W_ABS, 0, 0, _OFF_NR),
        (_JGE, "eperm", 0, _X32_BIT),
    ]
    denied = _DENIED_X86_64.values() if not server else [
        nr for name, nr in _DENIED_X86_64.items() if name not in SETUP_ONLY
    ]  # fmt: skip
    prog += [(_JEQ, "eperm", 0, nr) for nr in denied]
    prctl_rule: list[Insn | str] = [(_JEQ, "eperm", "allow", _syscalls.PR_SET_PDEATHSIG)]
    if server:
        prctl_rule = [(_RET, 0, 0, _RET_ALLOW)]
    prog += [
        (_JEQ, "enosys", 0, _NR_CLONE3),
        (_JEQ, "socket", 0, _NR_SOCKET),
        (_JEQ, "clone", 0, _NR_CLONE),
        (_JEQ, "prctl", 0, _NR_PRCTL),
        (_JEQ, "ioctl", 0, _NR_IOCTL),
        (_RET, 0, 0, _RET_ALLOW),
        "socket",
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JEQ, "allow", 0, _AF_UNIX),
        (_RET, 0, 0, _RET_ERRNO | errno.EACCES),
        "clone",
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JSET, "eperm", "allow", _NS_FLAGS),
        "prctl",
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        *prctl_rule,
        "ioctl",
        (_LD_W_ABS, 0, 0, _OFF_ARG1),
        (_JEQ, "eperm", 0, _TIOCSTI),
        (_JEQ, "eperm", "allow", _TIOCLINUX),
        "allow",
        (_RET, 0, 0, _RET_ALLOW),
        "eperm",
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        "enosys",
        (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        "kill",
        (_RET, 0, 0, _RET_KILL_PROCESS),
    ]
    return _assemble(prog)


def build_job_program() -> bytes:
    """What a job adds to its fork server's filter: deny :data:`SETUP_ONLY` (a short program,
    cheap to load per process)."""
    prog: list[Insn | str] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ, 0, "kill", _AUDIT_ARCH_X86_64),
        (_LD_W_ABS, 0, 0, _OFF_NR),
        *[(_JEQ, "eperm", 0, _DENIED_X86_64[name]) for name in SETUP_ONLY],
        (_JEQ, 0, "allow", _NR_PRCTL),
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JEQ, "eperm", "allow", _syscalls.PR_SET_PDEATHSIG),
        "allow",
        (_RET, 0, 0, _RET_ALLOW),
        "eperm",
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        "kill",
        (_RET, 0, 0, _RET_KILL_PROCESS),
    ]
    return _assemble(prog)


def _assemble(prog: list[Insn | str]) -> bytes:
    labels: dict[str, int] = {}
    insns: list[Insn] = []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(insns)
        else:
            insns.append(item)
    out = bytearray()
    for index, (code, jt, jf, k) in enumerate(insns):
        offsets = [labels[j] - index - 1 if isinstance(j, str) else j for j in (jt, jf)]
        if not all(0 <= off <= 255 for off in offsets):
            raise ValueError(f"seccomp jump out of range at instruction {index}")
        out += struct.pack("=HBBI", code, offsets[0], offsets[1], k)
    return bytes(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Filter:
    """A filter prepared once (buffer and sock_fprog built) so each job only pays one prctl."""

    def __init__(self, program: bytes) -> None:
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._fprog = _SockFprog(len(program) // 8, ctypes.cast(self._buf, ctypes.c_void_p))
        self._pointer = ctypes.cast(ctypes.pointer(self._fprog), ctypes.c_void_p)

    def load(self) -> None:
        """Install the filter on the calling thread; needs no_new_privs (or CAP_SYS_ADMIN)."""
        _syscalls.prctl_ptr(_syscalls.PR_SET_SECCOMP, _syscalls.SECCOMP_MODE_FILTER, self._pointer)


def load(program: bytes) -> None:
    """Install ``program`` on the calling thread (see :class:`Filter`)."""
    Filter(program).load()
