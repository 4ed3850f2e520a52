"""pass@k with the unbiased estimator, bootstrap intervals and per-subset breakdowns.

With ``n`` samples per problem of which ``c`` pass, the probability that at
least one of ``k`` samples drawn without replacement passes is
``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021). The binomials overflow floats
for realistic ``n``, so :func:`pass_at_k` uses the equivalent product
``1 - prod_{i=n-c+1}^{n} (1 - k/i)``, which stays in [0, 1] and needs no big
integers. A benchmark's pass@k is the mean over problems; its uncertainty comes
from which problems were drawn, so the confidence interval resamples problems
(percentile bootstrap, fixed seed for reproducible reports).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvalReport", "PassAtK", "bootstrap_ci", "evaluate_groups", "pass_at_k"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples of which ``c`` are correct.

    Raises:
        ValueError: when ``k`` is not in 1..n or ``c`` is not in 0..n.

    Example:
        >>> round(pass_at_k(10, 3, 1), 6)
        0.3
        >>> pass_at_k(4, 2, 3)
        1.0
    """
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: correct samples c={c} must be between 0 and n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: k={k} must be between 1 and the samples per problem n={n}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (problems resampled)."""
    m = len(values)
    if m == 0:
        return (math.nan, math.nan)
    if m == 1 or resamples < 1:
        return (values[0], values[0]) if m == 1 else (math.nan, math.nan)
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(values, k=m)) / m for _ in range(resamples))
    lo_i = int(math.floor((1 - level) / 2 * (resamples - 1)))
    hi_i = int(math.ceil((1 + level) / 2 * (resamples - 1)))
    return (means[lo_i], means[hi_i])


@dataclass
class PassAtK:
    """pass@k of one subset: estimate, interval and the counts behind them."""

    k: int
    value: float
    ci_low: float
    ci_high: float
    problems: int
    skipped: int = 0  # problems with fewer than k samples

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "pass_at_k": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "problems": self.problems,
            "skipped_problems": self.skipped,
        }


@dataclass
class EvalReport:
    """pass@k per subset (``"all"`` first) for each k, plus sample counts."""

    ks: list[int]
    subsets: dict[str, dict[int, PassAtK]] = field(default_factory=dict)
    samples: int = 0
    problems: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "problems": self.problems,
            "k": self.ks,
            "subsets": {
                name: [r.to_dict() for r in by_k.values()] for name, by_k in self.subsets.items()
            },
        }


def evaluate_groups(
    groups: Mapping[Any, tuple[int, int]],
    ks: Sequence[int],
    *,
    subset_of: Mapping[Any, str] | None = None,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> EvalReport:
    """pass@k for problems given as ``{problem: (n samples, c correct)}``.

    Problems with fewer than k samples are left out of that k (counted as
    ``skipped``) instead of being scored with a biased smaller sample.
    """
    report = EvalReport(ks=list(ks), problems=len(groups))
    report.samples = sum(n for n, _ in groups.values())
    names: dict[str, list[Any]] = {"all": list(groups)}
    if subset_of is not None:
        for problem in groups:
            names.setdefault(str(subset_of.get(problem)), []).append(problem)
    for name, problems in names.items():
        per_k: dict[int, PassAtK] = {}
        for k in ks:
            vals = [pass_at_k(*groups[p], k) for p in problems if groups[p][0] >= k]
            skipped = len(problems) - len(vals)
            value = math.fsum(vals) / len(vals) if vals else math.nan
            lo, hi = bootstrap_ci(vals, resamples=resamples, level=level, seed=seed)
            per_k[k] = PassAtK(k, value, lo, hi, len(vals), skipped)
        report.subsets[name] = per_k
    return report
