"""The fork server's filter plus a job's small filter add up to exactly the job policy.

A job process runs under two stacked filters: the server's (``build_program(server=True)``,
loaded once) and its own (``build_job_program()``, loaded per process because it is short).
The kernel applies the most restrictive answer of the two. These tests run each program on a
small classic-BPF interpreter over every syscall number and the arguments the policy inspects,
and compare the stacked answer with the single full policy; a job really running under the pair
is covered by tests/sandbox/test_hostile.py.
"""

from __future__ import annotations

import errno
import struct

import pytest

from rewardkit.sandbox import _seccomp, _syscalls

pytestmark = pytest.mark.skipif(not _seccomp.supported(), reason="x86-64 filter only")

ARCH_X86_64 = 0xC000003E
ALLOW = 0x7FFF0000
KILL = 0x80000000
ERRNO = 0x00050000


def run_bpf(program: bytes, nr: int, args: tuple[int, ...], arch: int = ARCH_X86_64) -> int:
    """The return value of ``program`` for one ``seccomp_data`` (the opcodes we emit)."""
    data = struct.pack("=IIQ6Q", nr, arch, 0, *(list(args) + [0] * 6)[:6])
    insns = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == 0x20:  # ld [k]
            acc = struct.unpack_from("=I", data, k)[0]
        elif code == 0x06:  # ret k
            return k
        elif code in (0x15, 0x35, 0x45):  # jeq, jge, jset
            hit = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if hit else jf
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")


def stacked(results: list[int]) -> int:
    """The kernel's choice between filters: the most restrictive action; on a tie between
    errno actions, the most recently installed filter's (last in ``results``)."""
    rank = {KILL: 0, ERRNO: 1, ALLOW: 2}
    best = results[-1]
    for value in reversed(results):
        if rank[value & 0xFFFF0000] < rank[best & 0xFFFF0000]:
            best = value
    return best


ARG_CASES = [
    (0,),
    (1,),  # AF_UNIX / PR_SET_PDEATHSIG
    (2,),  # AF_INET
    (16,),  # AF_NETLINK
    (_syscalls.CLONE_NEWPID | 17,),
    (_syscalls.CLONE_NEWUSER,),
    (0, 0x5412),  # TIOCSTI
    (0, 0x541C),  # TIOCLINUX
    (38, 1),  # PR_SET_NO_NEW_PRIVS
]


def test_server_filter_plus_job_filter_is_the_job_policy() -> None:
    full = _seccomp.build_program()
    server = _seccomp.build_program(server=True)
    job = _seccomp.build_job_program()
    for nr in [*range(0, 600), 0x40000000 | 1]:
        for args in ARG_CASES:
            expected = run_bpf(full, nr, args)
            got = stacked([run_bpf(server, nr, args), run_bpf(job, nr, args)])
            assert got == expected, (nr, args, hex(expected), hex(got))
    for program in (server, job):  # a foreign architecture is killed by each on its own
        assert run_bpf(program, 1, (), arch=0x40000003) == KILL


@pytest.mark.parametrize("name", _seccomp.SETUP_ONLY)
def test_server_filter_leaves_exactly_the_setup_calls_open(name: str) -> None:
    nr = _seccomp._DENIED_X86_64[name]
    assert run_bpf(_seccomp.build_program(server=True), nr, ()) == ALLOW
    assert run_bpf(_seccomp.build_job_program(), nr, ()) == ERRNO | errno.EPERM
    assert run_bpf(_seccomp.build_program(), nr, ()) == ERRNO | errno.EPERM


def test_clearing_the_parent_death_signal_is_denied_to_jobs_only() -> None:
    pdeathsig = (_syscalls.PR_SET_PDEATHSIG, 0)
    nr_prctl = 157
    assert run_bpf(_seccomp.build_program(server=True), nr_prctl, pdeathsig) == ALLOW
    assert run_bpf(_seccomp.build_job_program(), nr_prctl, pdeathsig) == ERRNO | errno.EPERM
    assert run_bpf(_seccomp.build_job_program(), nr_prctl, (38, 1)) == ALLOW
