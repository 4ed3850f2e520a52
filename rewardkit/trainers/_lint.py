"""Start-up lint for trainer adapters: catch a broken reward setup at step 0, not step 500.

Three checks, each cheap and each a mistake seen in real runs:

* **missing columns**: a reward reads a dataset column the training data lacks,
  so every sample would score ``error`` and the reward would contribute nothing;
* **incompatible ranges**: rewards summed together (by the trainer's
  ``reward_weights`` or inside a composite) whose declared ranges differ by more
  than :data:`RANGE_RATIO` in span, so one term drowns the others;
* **constant rewards**: a reward that gives every row of a probe batch the same
  score (zero group variance, hence no learning signal) or fails on every row.

Findings are :class:`LintIssue` values and are emitted as
:class:`RewardLintWarning` warnings (and logged), never raised: a lint is advice.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..compose._composite import Composite, WeightedSum
from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward

__all__ = [
    "RANGE_RATIO",
    "LintIssue",
    "RewardLintWarning",
    "check_columns",
    "check_constant",
    "check_ranges",
    "emit",
]

logger = logging.getLogger("rewardkit.trainers")

#: Summed terms whose weighted range spans differ by more than this factor are flagged.
RANGE_RATIO = 10.0

IssueKind = Literal["missing_column", "range_mismatch", "constant", "all_failed"]
RewardLike = Reward | Composite


class RewardLintWarning(UserWarning):
    """A reward setup that will probably train badly (see :mod:`rewardkit.trainers._lint`)."""


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One finding: what kind, which reward (adapter name), and what to do about it."""

    kind: IssueKind
    reward: str
    message: str

    def __str__(self) -> str:
        return self.message


def check_columns(
    entries: Sequence[tuple[str, RewardLike]], columns: Collection[str]
) -> list[LintIssue]:
    """Rewards that need a column that ``columns`` lacks (``prompt``/``completion`` are implied)."""
    present = set(columns) | {"prompt", "completion", "completion_ids"}
    issues: list[LintIssue] = []
    for name, rw in entries:
        missing = [c for c in rw.required_columns if c not in present]
        if missing:
            have = ", ".join(sorted(set(columns))) or "no columns"
            issues.append(
                LintIssue(
                    "missing_column",
                    name,
                    f"reward {name!r} needs column {', '.join(map(repr, missing))}; the "
                    f"dataset has {have}. Every sample would score 'error'. Rename a column "
                    "or add it in the dataset transform.",
                )
            )
    return issues


def _span(rng: tuple[float | None, float | None], weight: float) -> float | None:
    lo, hi = rng
    if lo is None or hi is None:
        return None
    return abs(weight) * (hi - lo)


def _range_issue(
    where: str, terms: Iterable[tuple[str, tuple[float | None, float | None], float]]
) -> LintIssue | None:
    spans = [(label, s) for label, rng, w in terms if (s := _span(rng, w)) is not None and s > 0]
    if len(spans) < 2:
        return None
    (small_l, small), (big_l, big) = min(spans, key=lambda t: t[1]), max(spans, key=lambda t: t[1])
    if big / small <= RANGE_RATIO:
        return None
    return LintIssue(
        "range_mismatch",
        where,
        f"{where}: summed rewards have very different ranges: {big_l!r} spans {big:g} while "
        f"{small_l!r} spans {small:g} ({big / small:.0f}x). The small term barely moves the "
        "total; rescale it (weights, scale()) if it should matter.",
    )


def check_ranges(
    entries: Sequence[tuple[str, RewardLike]], weights: Sequence[float] | None = None
) -> list[LintIssue]:
    """Summed rewards (the trainer's weighted sum, and every composite sum) with mismatched ranges."""
    issues: list[LintIssue] = []
    ws = list(weights) if weights is not None else [1.0] * len(entries)
    if len(entries) > 1 and len(ws) == len(entries):
        top = _range_issue(
            "reward_weights", ((n, rw.range, w) for (n, rw), w in zip(entries, ws, strict=True))
        )
        if top is not None:
            issues.append(top)
    seen: set[int] = set()

    def walk(node: RewardLike) -> None:
        if id(node) in seen or not isinstance(node, Composite):
            return
        seen.add(id(node))
        if isinstance(node, WeightedSum):
            found = _range_issue(node.key, ((r.key, r.range, w) for w, r in node.terms))
            if found is not None:
                issues.append(found)
        for child in node.children:
            walk(child)

    for _, rw in entries:
        walk(rw)
    return issues


def check_constant(name: str, outcomes: Sequence[Outcome]) -> LintIssue | None:
    """A reward that failed on every row, or scored every row the same, on a probe batch."""
    if len(outcomes) < 2:
        return None
    bad = [o for o in outcomes if o.status in (Status.ERROR, Status.TIMEOUT)]
    if len(bad) == len(outcomes):
        first = bad[0]
        return LintIssue(
            "all_failed",
            name,
            f"reward {name!r} returned {first.status.value!r} on all {len(outcomes)} probe rows "
            f"(first: {first.reason or 'no reason given'}); it contributes nothing to training.",
        )
    scores = [o.score for o in outcomes if o.status is Status.OK and o.score is not None]
    if len(scores) == len(outcomes) and all(math.isclose(s, scores[0]) for s in scores):
        return LintIssue(
            "constant",
            name,
            f"reward {name!r} scored all {len(outcomes)} probe rows {scores[0]:g}: a constant "
            "reward has zero group variance and gives GRPO no learning signal. Check the "
            "format it expects against what the model writes.",
        )
    return None


def emit(issues: Iterable[LintIssue], *, stacklevel: int = 3) -> list[LintIssue]:
    """Warn (``RewardLintWarning``) and log each issue; returns them as a list."""
    out = list(issues)
    for issue in out:
        logger.warning("%s", issue.message)
        warnings.warn(issue.message, RewardLintWarning, stacklevel=stacklevel)
    return out


def columns_of(value: Any) -> list[str] | None:
    """Column names of a dataset-like object (``datasets.Dataset``, a mapping, rows), if any."""
    if value is None:
        return None
    names = getattr(value, "column_names", None)
    if isinstance(names, Mapping):  # DatasetDict: {split: [names]}
        merged: dict[str, None] = {}
        for cols in names.values():
            merged.update(dict.fromkeys(cols))
        return list(merged)
    if isinstance(names, Sequence) and not isinstance(names, str):
        return [str(c) for c in names]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, Sequence) and value and isinstance(value[0], Mapping):
        return [str(k) for k in value[0]]
    if isinstance(value, Collection) and all(isinstance(c, str) for c in value):
        return list(value)
    return None
