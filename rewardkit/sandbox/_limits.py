"""Resource limits as data: one frozen value object, validated once, sent to the fork servers."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Per-job limits; every field is enforced by the kernel or by the supervising parent.

    Args:
        test_timeout: wall seconds one test (assert, call or stdin/stdout case) may take,
            also the budget for loading the candidate's module-level code.
        total_timeout: wall seconds for one whole sandbox run (all tests of a suite).
        memory_mb: address-space limit (RLIMIT_AS) of every process in the job.
        file_size_mb: largest file the job may write (RLIMIT_FSIZE).
        disk_mb: size of the private tmpfs workdir (``/tmp``) and of ``/dev/shm``.
        open_files: RLIMIT_NOFILE.
        processes: RLIMIT_NPROC for the job's unprivileged uid (threads count too).
        output_bytes: cap on stdout and on stderr; more is killed as ``output_limit``.
        result_bytes: cap on the observation channel.
    """

    test_timeout: float = 4.0
    total_timeout: float = 30.0
    memory_mb: int = 1024
    file_size_mb: int = 16
    disk_mb: int = 32
    open_files: int = 64
    processes: int = 16
    output_bytes: int = 1 << 20
    result_bytes: int = 8 << 20

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive number, got {value!r}")
        if self.open_files < 8:
            raise ValueError(f"Limits.open_files must be >= 8, got {self.open_files}")

    @property
    def cpu_seconds(self) -> int:
        """RLIMIT_CPU backstop: the wall budget rounded up, plus one second of slack."""
        return math.ceil(self.total_timeout) + 1

    def replace(self, **changes: Any) -> Limits:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, float | int]:
        return dataclasses.asdict(self)
