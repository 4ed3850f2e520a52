"""Result types. ``infra_error`` is kept apart from every candidate failure on purpose: a
sandbox fault must be retried or masked by the caller, never scored as a wrong answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class TestVerdict(str, enum.Enum):
    """What happened to a test or a whole suite (not :class:`rewardkit.Status`, a reward's)."""

    PASS = "pass"
    FAIL = "fail"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"
    INFRA_ERROR = "infra_error"

    def __str__(self) -> str:
        return self.value


#: The name this enum had before rewardkit.Status became the only ``Status``.
Status = TestVerdict


@dataclass(frozen=True)
class Usage:
    """Resources one sandbox run used, as measured by the supervising parent."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_rss_kb: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s + other.wall_s,
            self.cpu_s + other.cpu_s,
            max(self.max_rss_kb, other.max_rss_kb),
        )


@dataclass(frozen=True)
class ExecResult:
    """Raw observations of one sandbox run (no verdict).

    ``completed`` means the program ran to its end; it says nothing about correctness.
    """

    status: Status
    completed: bool
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    usage: Usage
    records: tuple[dict[str, object], ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class TestResult:
    """Verdict of one test, computed in the parent."""

    __test__ = False  # not a pytest test class

    index: int
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class Failure:
    """The first failing test: its index in the (capped) test list and a short reason."""

    index: int
    status: Status
    reason: str

    def __str__(self) -> str:
        return f"test {self.index}: {self.status.value}: {self.reason}"


@dataclass(frozen=True)
class RunResult:
    """Verdict of a whole test suite.

    ``status`` is PASS only when every test ran and passed; otherwise it is the status of the
    first failure (or INFRA_ERROR when the sandbox itself failed).
    """

    status: Status
    passed: int
    total: int
    tests: tuple[TestResult, ...] = ()
    first_failure: Failure | None = None
    usage: Usage = field(default_factory=Usage)
    tier: str = ""
    detail: str = ""

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def infra_error(self) -> bool:
        return self.status is Status.INFRA_ERROR
