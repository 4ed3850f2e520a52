"""Kernel-isolated execution of untrusted Python (and C/C++) for code rewards.

A pool of small, pre-imported fork servers runs each job in fresh namespaces with a private
read-only root, an unprivileged uid, rlimits, Landlock and seccomp. Test code runs in a separate
jailed driver process that reaches the candidate only through plain data; the verdict is
computed in the parent from the driver's observations; expected outputs never enter the sandbox.

This package imports nothing from the rest of rewardkit.
"""

from ._errors import (
    LanguageUnavailableError,
    SandboxError,
    SandboxUnavailableError,
    TestFormatError,
)
from ._limits import Limits
from ._pool import DEFAULT_PREIMPORT, SandboxPool, default_pool, shutdown_default_pool
from ._probe import choose_tier, probe
from ._result import ExecResult, Failure, RunResult, Status, TestResult, TestVerdict, Usage

__all__ = [
    "DEFAULT_PREIMPORT",
    "ExecResult",
    "Failure",
    "LanguageUnavailableError",
    "Limits",
    "RunResult",
    "SandboxError",
    "SandboxPool",
    "SandboxUnavailableError",
    "Status",
    "TestVerdict",
    "TestFormatError",
    "TestResult",
    "Usage",
    "choose_tier",
    "default_pool",
    "probe",
    "shutdown_default_pool",
]
