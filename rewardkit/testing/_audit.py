"""Run :func:`rewardkit.audit.audit` inside a test and explain why it failed.

``rewardkit audit`` gates a training run from the command line; this module
gives a test suite the same gate, so a reward change that makes "a list of 100
numbers" score 1.0 fails review before it reaches a GPU. The failure message
lists the rates over threshold *and* the example completions behind them,
because "false-pass rate 22%" alone does not say what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._expect import Scorable, truncate
from ._snapshot import _rewards, score_rows

if TYPE_CHECKING:
    from ..audit import AuditReport

__all__ = ["check_audit", "format_audit_failure"]


def check_audit(
    rows: Sequence[Mapping[str, Any]],
    rewards: str | Scorable | Sequence[str | Scorable],
    *,
    max_false_pass: float,
    max_false_fail: float,
    engine: bool | Mapping[str, Any] = False,
    **audit_options: Any,
) -> tuple[AuditReport, str | None]:
    """Audit ``rewards`` on ``rows``; return the report and a failure message (or ``None``).

    Args:
        engine: ``False`` (default) scores in-process, which is fast and
            deterministic; ``True`` or a dict of ``Scorer`` options scores through
            the real engine, as ``rewardkit audit`` does, so a reward that hangs on
            a degenerate probe times out instead of hanging the test.
        **audit_options: passed to :func:`rewardkit.audit.audit` (``styles``,
            ``gold_style``, ``max_examples``, ``seed``, ...).
    """
    from ..audit import audit

    for name, rate in (("max_false_pass", max_false_pass), ("max_false_fail", max_false_fail)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name}={rate!r} is not a rate; use a number from 0.0 to 1.0")
    scorables = _rewards(rewards)
    if "score" not in audit_options and engine is not True:
        options = dict(engine) if isinstance(engine, Mapping) else None

        def score(batch: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
            return score_rows(batch, scorables, engine=options)

        audit_options["score"] = score
    report = audit(rows, scorables, **audit_options)  # type: ignore[arg-type]
    failures = report.failures(max_false_pass=max_false_pass, max_false_fail=max_false_fail)
    if not failures:
        return report, None
    return report, format_audit_failure(report, failures, max_false_pass, max_false_fail)


def format_audit_failure(
    report: AuditReport, failures: Sequence[str], max_false_pass: float, max_false_fail: float
) -> str:
    """A readable failure: each rate over threshold, then the completions that caused it."""
    lines = [
        f"rewardkit audit failed ({report.rows} rows, {report.skipped} skipped without an answer):"
    ]
    lines += [f"  {f}" for f in failures]
    for key, ra in report.rewards.items():
        over_pass = ra.false_pass_rate > max_false_pass + 1e-9
        over_fail = ra.false_fail_rate > max_false_fail + 1e-9
        if not (over_pass or over_fail):
            continue
        lines.append(f"  {key} (gold layout: {ra.gold_style}):")
        if over_pass:
            kinds = ", ".join(f"{k} {fp}/{n}" for k, (n, fp) in ra.by_kind.items() if fp)
            lines.append(f"    degenerate completions above the bottom score: {kinds}")
            for ex in ra.false_passes:
                lines.append(
                    f"      row {ex.row} [{ex.kind}] score={ex.score!r} status={ex.status}: "
                    f"{truncate(ex.completion, 100)}"
                )
        if over_fail:
            lines.append("    gold answers below the top score:")
            for ex in ra.false_fails:
                why = f" ({ex.reason})" if ex.reason else ""
                lines.append(
                    f"      row {ex.row} score={ex.score!r} status={ex.status}{why}: "
                    f"{truncate(ex.completion, 100)}"
                )
    lines.append(
        f"Thresholds: max_false_pass={max_false_pass}, max_false_fail={max_false_fail} "
        "(arguments, or ini keys rewardkit_max_false_pass / rewardkit_max_false_fail)."
    )
    return "\n".join(lines)
