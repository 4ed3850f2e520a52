"""The audit's results: counts and examples of wrong verdicts, per reward and per source.

Why separate from running the audit: the report is what other code consumes
(the CLI renders it as tables or JSON, the pytest fixture turns it into a test
failure, CI gates on :meth:`AuditReport.failures`), so its shape is kept in one
small module that needs nothing but the dataclasses themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["AuditExample", "AuditReport", "RewardAudit"]

#: Tolerance when comparing scores with the top and bottom of a range.
_EPS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class AuditExample:
    """One wrong verdict, for the report: where, which probe, and what the reward said."""

    data_source: str
    row: int
    kind: str
    completion: str
    score: float | None
    status: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_source": self.data_source,
            "row": self.row,
            "kind": self.kind,
            "completion": self.completion,
            "score": self.score,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class _Counts:
    gold: int = 0
    false_fail: int = 0
    degenerate: int = 0
    false_pass: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "false_fail": self.false_fail,
            "false_fail_rate": _rate(self.false_fail, self.gold),
            "degenerate": self.degenerate,
            "false_pass": self.false_pass,
            "false_pass_rate": _rate(self.false_pass, self.degenerate),
        }


def _rate(k: int, n: int) -> float:
    return k / n if n else 0.0


@dataclass
class RewardAudit:
    """Audit results of one reward.

    Attributes:
        gold_style: the gold layout the reward was judged in (its best one).
        gold_top_rates: share of rows whose gold scored top, per layout tried.
        by_source: counts per ``data_source``.
        by_kind: false passes / trials per degenerate kind.
        false_fails, false_passes: up to ``max_examples`` examples each.
    """

    reward: str
    gold_style: str
    counts: _Counts = field(default_factory=_Counts)
    gold_top_rates: dict[str, float] = field(default_factory=dict)
    by_source: dict[str, _Counts] = field(default_factory=dict)
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    false_fails: list[AuditExample] = field(default_factory=list)
    false_passes: list[AuditExample] = field(default_factory=list)

    @property
    def false_fail_rate(self) -> float:
        return _rate(self.counts.false_fail, self.counts.gold)

    @property
    def false_pass_rate(self) -> float:
        return _rate(self.counts.false_pass, self.counts.degenerate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reward": self.reward,
            "gold_style": self.gold_style,
            **self.counts.to_dict(),
            "gold_top_rates": self.gold_top_rates,
            "by_source": {k: v.to_dict() for k, v in sorted(self.by_source.items())},
            "by_kind": {
                k: {"trials": n, "false_pass": fp, "false_pass_rate": _rate(fp, n)}
                for k, (n, fp) in self.by_kind.items()
            },
            "false_fail_examples": [e.to_dict() for e in self.false_fails],
            "false_pass_examples": [e.to_dict() for e in self.false_passes],
        }


@dataclass
class AuditReport:
    """Per-reward audit results, keyed by reward key; ``rows`` audited, ``skipped`` (no answer)."""

    rewards: dict[str, RewardAudit]
    rows: int
    skipped: int

    def failures(
        self, *, max_false_pass: float | None = None, max_false_fail: float | None = None
    ) -> list[str]:
        """One line per reward above a threshold (empty when everything passes)."""
        out: list[str] = []
        for key, ra in self.rewards.items():
            if max_false_fail is not None and ra.false_fail_rate > max_false_fail + _EPS:
                out.append(
                    f"{key}: false-fail rate {ra.false_fail_rate:.1%} > {max_false_fail:.1%}"
                )
            if max_false_pass is not None and ra.false_pass_rate > max_false_pass + _EPS:
                out.append(
                    f"{key}: false-pass rate {ra.false_pass_rate:.1%} > {max_false_pass:.1%}"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "skipped": self.skipped,
            "rewards": {k: v.to_dict() for k, v in self.rewards.items()},
        }
