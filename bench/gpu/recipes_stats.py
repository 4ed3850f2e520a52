"""Table of the seeded GPU recipe runs: accuracy before/after, paired McNemar test, time, memory.

    python bench/gpu/recipes_stats.py bench/gpu/results/seeds/*.json

Accuracy before and after comes from the same evaluator on the same held-out rows (the
recipe's ``eval_before`` / ``eval_after``, per-row ``scores``); a row counts as right at
score >= 0.5. McNemar's exact test (two-sided binomial on the discordant rows) is reported
per seed and for all seeds pooled.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact p-value for b right->wrong vs c wrong->right flips."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def main(paths: list[str]) -> None:
    print(
        f"{'run':26s} {'before':>7s} {'after':>7s} {'gain':>7s} {'b':>4s} {'c':>4s} {'p':>8s}  rewards%  peak MiB"
    )
    pooled: dict[str, list[int]] = {}
    for p in sorted(paths):
        s = json.loads(Path(p).read_text())
        before, after = s["eval_before"], s["eval_after"]
        xb = [x >= 0.5 for x in before["scores"]]
        xa = [x >= 0.5 for x in after["scores"]]
        b = sum(1 for u, v in zip(xb, xa, strict=True) if u and not v)
        c = sum(1 for u, v in zip(xb, xa, strict=True) if v and not u)
        part = Path(p).stem.split("_seed")[0]
        acc = pooled.setdefault(part, [0, 0])
        acc[0] += b
        acc[1] += c
        share = s.get("reward_time_share") or s.get("reward_share")
        peak = s.get("peak_reserved_mib")
        print(
            f"{Path(p).stem:26s} {before['accuracy']:7.3f} {after['accuracy']:7.3f} "
            f"{after['accuracy'] - before['accuracy']:+7.3f} {b:4d} {c:4d} {mcnemar_exact(b, c):8.2g}  "
            f"{100 * share:7.2f}%  {peak if peak is not None else '-'}"
            if share is not None
            else f"{'-':>8s}  {peak if peak is not None else '-'}"
        )
    for part, (b, c) in pooled.items():
        print(
            f"{part + ' (pooled seeds)':26s} {'':7s} {'':7s} {'':7s} {b:4d} {c:4d} {mcnemar_exact(b, c):8.2g}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
