"""The run summary's numbers: per-reward scores, status counts and model usage.

Accumulated batch by batch in the parent process (forked scorers send their counts
back with each block), and rebuilt from the committed output rows on ``--resume``,
so an interrupted and resumed run reports the same totals as an uninterrupted one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["StatsAccumulator"]


class StatsAccumulator:
    """Scores and status counts of one reward (or the total) over a run."""

    __slots__ = ("scores", "statuses", "usage")

    def __init__(self) -> None:
        self.scores: list[float] = []
        self.statuses: Counter[str] = Counter()
        # model calls of a judge-like reward: requests, cached, prompt/completion tokens
        self.usage: Counter[str] = Counter()

    def add(self, score: float | None, status: str) -> None:
        if score is not None:
            self.scores.append(score)
        self.statuses[status] += 1

    def extend(
        self,
        scores: Iterable[float],
        statuses: Mapping[str, int],
        usage: Mapping[str, int] | None = None,
    ) -> None:
        """Add many at once: the non-None ``scores``, a count per status, model usage."""
        self.scores.extend(scores)
        self.statuses.update(statuses)
        if usage:
            self.usage.update(usage)

    def add_usage(self, verdict: Mapping[str, Any]) -> None:
        """Count the model usage recorded with one verdict (``usage``, or ``cached``)."""
        _count_usage(self.usage, verdict)

    def summary(self) -> dict[str, Any]:
        """count, mean, std (population), min, max and status counts (JSON-ready)."""
        s = self.scores
        n = len(s)
        mean = math.fsum(s) / n if n else None
        std = (
            math.sqrt(math.fsum((x - mean) ** 2 for x in s) / n) if n and mean is not None else None
        )
        return {
            "count": sum(self.statuses.values()),
            "scored": n,
            "mean": mean,
            "std": std,
            "min": min(s) if s else None,
            "max": max(s) if s else None,
            "status": dict(sorted(self.statuses.items())),
            **({"usage": dict(self.usage)} if self.usage else {}),
        }


def _latency(stats: Any, key: str) -> dict[str, Any]:
    st = stats.get(key) if isinstance(stats, Mapping) else None
    if st is None:
        return {}

    def pick(*names: str) -> Any:
        for n in names:
            v = getattr(st, n, None)
            if v is not None:
                return v
        return None

    return {
        "latency_ms": {
            "p50": pick("p50_ms", "latency_p50_ms", "p50"),
            "p99": pick("p99_ms", "latency_p99_ms", "p99"),
        },
        "cache_hits": pick("cache_hits", "hits"),
    }


def _price(usage: dict[str, Any] | None, prices: tuple[float, float]) -> None:
    """Add ``cost_usd`` to a reward's usage summary at (prompt, completion) USD per 1M tokens."""
    if usage:
        cost = usage.get("prompt_tokens", 0) * prices[0]
        cost += usage.get("completion_tokens", 0) * prices[1]
        usage["cost_usd"] = round(cost / 1e6, 6)


def _count_usage(counts: Counter[str], extras: Mapping[str, Any]) -> bool:
    """Add an outcome's model usage to ``counts``: a request with its token counts
    (``extras["usage"]``, as judge rewards report it) or a cache hit. True if any."""
    use = extras.get("usage")
    if isinstance(use, Mapping):
        counts["requests"] += 1
        for side in ("prompt", "completion"):
            n = use.get(side)
            if type(n) is int and n > 0:
                counts[f"{side}_tokens"] += n
        return True
    if extras.get("cached") is True:
        counts["cached"] += 1
        return True
    return False


def _account(
    row: Mapping[str, Any],
    keys: Iterable[str],
    accs: Mapping[str, StatsAccumulator],
    total_acc: StatsAccumulator,
) -> None:
    rd = row.get("rewards") or {}
    for k in keys:
        v = rd.get(k) or {}
        accs[k].add(v.get("score"), v.get("status", "error"))
        accs[k].add_usage(v)
    score = row.get("reward")
    total_acc.add(score, "ok" if score is not None else _total_status(rd))


def _total_status(rd: Mapping[str, Any]) -> str:
    statuses = [v.get("status") for v in rd.values() if isinstance(v, Mapping)]
    for bad in ("timeout", "error"):
        if bad in statuses:
            return bad
    return "not_applicable"
