"""Combining: the one rule that turns weighted term outcomes into a total.

``WeightedSum.combine`` (formulas, ``a + 2*b``, :func:`rewardkit.weighted`) and
the CLI's fast path for plain ``-r NAME=W`` totals both call :func:`weighted_total`,
so a total means the same thing wherever it is computed (same rules, same float
summation order, hence byte-identical output):

* the first term (in order) that timed out or errored makes the total that status;
* terms without a score (not applicable) are left out;
* no term with a score at all gives ``not_applicable``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..contract._outcome import Outcome, Status

__all__ = ["FAILED", "weighted_total"]

#: Statuses of a term that make the whole total that status.
FAILED = (Status.ERROR, Status.TIMEOUT)


def weighted_total(
    terms: Iterable[tuple[float, Outcome]], bias: float = 0.0
) -> tuple[float | None, Status, int]:
    """``(total, status, failed_index)`` for ``sum(w * outcome.score) + bias``.

    ``failed_index`` is the position of the term that decided a failed status
    (``-1`` otherwise), so a caller can name it in the reason.
    """
    total, used = bias, 0
    for i, (w, o) in enumerate(terms):
        if o.status in FAILED:
            return None, o.status, i
        if o.score is not None:
            total += w * o.score
            used += 1
    if used == 0:
        return None, Status.NOT_APPLICABLE, -1
    return total, Status.OK, -1
