"""Audit a judge before training on it: gold vs degenerate answers, order bias, consistency.

A judge is a reward like any other, and just as hackable: one that likes long answers,
the first answer it reads, or that changes its mind between two identical calls gives
the policy a signal unrelated to quality. :func:`audit_judge` measures, from the data
alone (each row's ``prompt`` and ``answer``):

* **gold / degenerate**: the mean score of gold answers and of the degenerate ones the
  rule-based audit builds (empty, prompt echo, shotgun lists, a negated answer, ...);
  a degenerate answer scored at or above ``pass_at`` is a false pass;
* **position bias**: each (gold, degenerate) pair judged as a group in both orders; the
  mean score given to whichever answer came first minus the one that came second, and
  the share of pairs whose preferred answer flips with the order;
* **self-consistency**: the gold answers judged ``repeats`` times with the cache off;
  the mean spread (max - min) of a row's scores and the share of rows always agreeing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..audit import degenerate_completions, gold_completion
from ..contract._reward import Reward
from ._cache import JudgeCache
from ._judge import JudgeFn

__all__ = ["JudgeAudit", "audit_judge"]


@dataclass
class JudgeAudit:
    rows: int
    gold_mean: float | None
    degenerate_mean: float | None
    false_pass_rate: float | None
    position_bias: float | None
    order_flip_rate: float | None
    consistency_spread: float | None
    consistent_rate: float | None
    failures: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _judge_fn(rw: Reward) -> JudgeFn:
    from ..rewards.judge import judge_fn_for  # the registered llm_judge, built on demand

    fn = judge_fn_for(rw)
    if fn is None:
        raise TypeError(
            "audit_judge needs a judge reward (rewardkit.judges.judge or llm_judge), "
            f"got {rw.key!r}"
        )
    return fn


def _variant(rw: Reward, *, group: bool | None = None, fresh_cache: bool = False) -> Reward:
    clone = copy.copy(_judge_fn(rw))
    if group is not None:
        clone.group = group
        clone.group_by = "_pair"
    if fresh_cache:
        clone.cache = JudgeCache(None)
    return Reward(clone, name=rw.name, range=rw.range, batched=True, cheap=True)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def audit_judge(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    *,
    repeats: int = 3,
    pass_at: float = 0.5,
    kinds: Sequence[str] = ("empty", "prompt_echo", "shotgun", "negation"),
) -> JudgeAudit:
    """Measure a judge reward on ``rows`` (each with ``prompt`` and ``answer``)."""
    rw = _variant(rw)  # the judge function itself (a registered llm_judge is built here)
    failures = 0
    gold_rows = [{**r, "completion": gold_completion(str(r["answer"]), "plain")} for r in rows]
    gold = rw.score_batch(gold_rows)
    gold_scores = [o.score for o in gold if o.is_ok and o.score is not None]
    failures += sum(not o.is_ok for o in gold)
    degenerate_rows = []
    for r in rows:
        for probe in degenerate_completions(r, "plain"):
            if probe.kind in kinds:
                degenerate_rows.append({**r, "completion": probe.completion})
    bad = rw.score_batch(degenerate_rows)
    bad_scores = [o.score for o in bad if o.is_ok and o.score is not None]
    failures += sum(not o.is_ok for o in bad)
    # position bias: (gold, degenerate) judged together, in both orders
    pairs: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        worst = next(
            (p.completion for p in degenerate_completions(r, "plain") if p.kind in kinds), ""
        )
        g = gold_rows[i]["completion"]
        for order, (a, b) in enumerate(((g, worst), (worst, g))):
            key = f"{i}:{order}"
            pairs += [{**r, "completion": a, "_pair": key}, {**r, "completion": b, "_pair": key}]
    paired = _variant(rw, group=True).score_batch(pairs)
    first_minus_second, flips, judged = [], 0, 0
    for i in range(len(rows)):
        o = paired[4 * i : 4 * i + 4]
        if not all(x.is_ok and x.score is not None for x in o):
            failures += 1
            continue
        s = [x.score for x in o]
        assert all(v is not None for v in s)
        g1, d1, d2, g2 = s  # gold first, then degenerate first
        first_minus_second += [g1 - d1, d2 - g2]  # type: ignore[operator]
        judged += 1
        flips += (g1 > d1) != (g2 > d2)  # type: ignore[operator]
    # self-consistency: the gold answers again, cache off
    runs = [gold_scores]
    for _ in range(max(0, repeats - 1)):
        again = _variant(rw, fresh_cache=True).score_batch(gold_rows)
        runs.append([o.score for o in again if o.is_ok and o.score is not None])
    spreads = []
    if all(len(run) == len(gold_scores) for run in runs) and gold_scores:
        spreads = [max(col) - min(col) for col in zip(*runs, strict=True)]
    return JudgeAudit(
        rows=len(rows),
        gold_mean=_mean(gold_scores),
        degenerate_mean=_mean(bad_scores),
        false_pass_rate=_mean([float(s >= pass_at) for s in bad_scores]),
        position_bias=_mean(first_minus_second),
        order_flip_rate=flips / judged if judged else None,
        consistency_spread=_mean(spreads),
        consistent_rate=_mean([float(x == 0) for x in spreads]),
        failures=failures,
    )
