"""Whether a finished ``score`` run is trustworthy enough to exit 0.

A run where a reward failed on every row, or where the sandbox's infrastructure
failed on a noticeable share of rows, produced a file of numbers that mean nothing;
exiting 0 would let a pipeline train on it. :func:`run_problems` turns the summary's
status counts into plain sentences; the CLI prints them and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FAILED_STATUSES", "INFRA_STATUS", "run_problems"]

#: Statuses that mean the reward did not produce a verdict for the row.
FAILED_STATUSES = ("error", "timeout")
#: Summary-only status: an ``error`` whose outcome says the infrastructure (not the
#: candidate or the reward) failed (``extras["infra_error"]``, set by ``code_tests``).
INFRA_STATUS = "infra_error"


def run_problems(
    rewards: Mapping[str, Mapping[str, Any]],
    rows: int,
    skipped: int,
    *,
    max_error_rate: float | None,
    max_infra_error_rate: float,
    input_name: str,
) -> list[str]:
    """Sentences naming each reason the run should not exit 0 (empty: healthy).

    Args:
        rewards: per reward key, its summary (``{"status": {status: count}, ...}``).
        rows: rows scored (resumed rows included); skipped: malformed records skipped.
        max_error_rate: largest share of a reward's rows allowed to fail (``error``,
            ``timeout``, infrastructure errors); ``None``: fail only when all fail.
        max_infra_error_rate: largest share of rows allowed to hit infrastructure errors.
    """
    if rows == 0:
        if skipped:
            return [f"{input_name}: all {skipped} records were malformed; nothing was scored"]
        return [f"{input_name}: the input has no rows; nothing was scored"]
    problems: list[str] = []
    for key, summary in rewards.items():
        st = summary.get("status", {})
        count = sum(st.values()) or rows
        failed = sum(st.get(s, 0) for s in (*FAILED_STATUSES, INFRA_STATUS))
        infra = st.get(INFRA_STATUS, 0)
        share = failed / count
        if failed == count:
            problems.append(
                f"reward {key!r} failed on every row ({failed} of {count}: "
                f"{_counts(st)}); see the rows' reasons"
            )
        elif max_error_rate is not None and share > max_error_rate:
            problems.append(
                f"reward {key!r} failed on {failed} of {count} rows ({share:.1%}), more than "
                f"--max-error-rate {max_error_rate:g} ({_counts(st)})"
            )
        if infra and infra / count > max_infra_error_rate and failed != count:
            problems.append(
                f"reward {key!r}: {infra} of {count} rows ({infra / count:.1%}) hit sandbox "
                f"infrastructure errors, more than --max-infra-error-rate "
                f"{max_infra_error_rate:g}; the scores are not the candidates' fault"
            )
    return problems


def _counts(statuses: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()) if v)
