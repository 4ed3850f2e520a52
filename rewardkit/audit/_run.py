"""Running an audit: score the probes, pick each reward's layout, count wrong verdicts.

Why the layout is picked per reward: a reward that reads ``<answer>`` tags is
not wrong for failing a ``\\boxed{}`` gold answer, so each reward is judged in
the gold layout it scores best (or one forced with ``gold_style``), and its
degenerate probes use that same layout. Top and bottom come from the reward's
declared ``range``; an undeclared bound falls back to the best/worst score the
reward gave on that row. Scoring goes through the engine (isolated, with hard
timeouts) unless a ``score`` function is given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._probes import GOLD_STYLES, Probe, _as_text, degenerate_completions, gold_completion
from ._report import _EPS, AuditExample, AuditReport, RewardAudit, _Counts, _rate

__all__ = ["ScoreFn", "audit"]

ScoreFn = Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Outcome]]]


def _top(rw: Reward, scores: Iterable[float | None]) -> float | None:
    hi = rw.range[1]
    if hi is not None:
        return hi
    vals = [s for s in scores if s is not None]
    return max(vals) if vals else None


def _bottom(rw: Reward, scores: Iterable[float | None]) -> float | None:
    lo = rw.range[0]
    if lo is not None:
        return lo
    vals = [s for s in scores if s is not None]
    return min(vals) if vals else None


def audit(
    rows: Iterable[Mapping[str, Any]],
    rewards: Sequence[Reward],
    *,
    styles: Sequence[str] = GOLD_STYLES,
    gold_style: str | Mapping[str, str] | None = None,
    max_examples: int = 3,
    seed: int = 0,
    score: ScoreFn | None = None,
    workers: int | None = None,
    timeout: float = 10.0,
) -> AuditReport:
    """Run gold and degenerate probes through ``rewards`` and count wrong verdicts.

    Args:
        rows: dataset rows with ``answer`` (and ideally ``prompt``, ``data_source``);
            rows without an answer are skipped and counted.
        rewards: leaf rewards to audit.
        styles: gold layouts to try when picking each reward's layout.
        gold_style: force a layout (for all rewards, or per reward key).
        max_examples: examples kept per reward and verdict kind.
        score: a batch scoring function (default: a ``rewardkit.engine`` Scorer).

    Returns:
        An :class:`AuditReport`; ``report.failures(max_false_pass=..., ...)`` gates CI.
    """
    data = [dict(r) for r in rows]
    kept = [(i, r) for i, r in enumerate(data, 1) if _as_text(r.get("answer")).strip()]
    scorer: Any = None
    if score is None:
        from ..engine._factory import make_scorer

        scorer = make_scorer(list(rewards), workers=workers, timeout=timeout)
        score = scorer.score
    assert score is not None
    try:
        return _audit(kept, len(data), rewards, styles, gold_style, max_examples, seed, score)
    finally:
        if scorer is not None:
            scorer.close()


def _audit(
    kept: list[tuple[int, dict[str, Any]]],
    n_rows: int,
    rewards: Sequence[Reward],
    styles: Sequence[str],
    gold_style: str | Mapping[str, str] | None,
    max_examples: int,
    seed: int,
    score: ScoreFn,
) -> AuditReport:
    # 1. gold in every layout; pick each reward's layout by its top-score rate.
    gold_rows = [
        {**row, "completion": gold_completion(_as_text(row.get("answer")), style)}
        for _, row in kept
        for style in styles
    ]
    gold_out = score(gold_rows) if gold_rows else []
    ns = len(styles)
    chosen: dict[str, str] = {}
    top_rates: dict[str, dict[str, float]] = {}
    for rw in rewards:
        key = rw.key
        rates: dict[str, float] = {}
        for col, style in enumerate(styles):
            hits = 0
            for ri in range(len(kept)):
                o = gold_out[ri * ns + col][key]
                top = _top(rw, [o.score])
                if o.score is not None and top is not None and o.score >= top - _EPS:
                    hits += 1
            rates[style] = _rate(hits, len(kept))
        top_rates[key] = rates
        forced = gold_style.get(key) if isinstance(gold_style, Mapping) else gold_style
        chosen[key] = forced or max(styles, key=lambda s: (rates[s], -styles.index(s)))
    # 2. degenerates in each layout some reward needs.
    needed = sorted(set(chosen.values()), key=lambda s: GOLD_STYLES.index(s))
    probes: list[tuple[int, Probe]] = []
    for ri, (_, row) in enumerate(kept):
        for style in needed:
            probes.extend((ri, p) for p in degenerate_completions(row, style, seed=seed))
    degen_rows = [{**kept[ri][1], "completion": p.completion} for ri, p in probes]
    degen_out = score(degen_rows) if degen_rows else []
    # 3. verdicts
    report: dict[str, RewardAudit] = {}
    for rw in rewards:
        key, style = rw.key, chosen[rw.key]
        si: int | None = styles.index(style) if style in styles else None
        ra = RewardAudit(key, style, gold_top_rates=top_rates[key])
        per_row: dict[int, list[tuple[Probe, Outcome]]] = defaultdict(list)
        for (ri, p), outs in zip(probes, degen_out, strict=True):
            if p.style == style:
                per_row[ri].append((p, outs[key]))
        for ri, (line, row) in enumerate(kept):
            src = str(row.get("data_source") or "unknown")
            bucket = ra.by_source.setdefault(src, _Counts())
            gold_o: Outcome | None
            if si is not None:
                gold_o = gold_out[ri * ns + si][key]
            else:
                gold_o = score(
                    [{**row, "completion": gold_completion(_as_text(row["answer"]), style)}]
                )[0][key]
            seen = [gold_o.score] + [o.score for _, o in per_row[ri]]
            top, bottom = _top(rw, seen), _bottom(rw, seen)
            for c in (ra.counts, bucket):
                c.gold += 1
            ok = gold_o.score is not None and top is not None and gold_o.score >= top - _EPS
            if not ok:
                for c in (ra.counts, bucket):
                    c.false_fail += 1
                if len(ra.false_fails) < max_examples:
                    ra.false_fails.append(
                        _example(
                            src,
                            line,
                            "gold",
                            gold_completion(_as_text(row["answer"]), style),
                            gold_o,
                        )
                    )
            for p, o in per_row[ri]:
                trials = ra.by_kind.setdefault(p.kind, [0, 0])
                trials[0] += 1
                for c in (ra.counts, bucket):
                    c.degenerate += 1
                passed = (
                    o.score is not None
                    and o.status is not Status.ERROR
                    and bottom is not None
                    and o.score > bottom + _EPS
                )
                if passed:
                    trials[1] += 1
                    for c in (ra.counts, bucket):
                        c.false_pass += 1
                    if len(ra.false_passes) < max_examples and not any(
                        e.kind == p.kind for e in ra.false_passes
                    ):
                        ra.false_passes.append(_example(src, line, p.kind, p.completion, o))
        report[key] = ra
    return AuditReport(report, rows=n_rows, skipped=n_rows - len(kept))


def _example(src: str, line: int, kind: str, completion: str, o: Outcome) -> AuditExample:
    text = completion if len(completion) <= 160 else completion[:157] + "..."
    return AuditExample(src, line, kind, text, o.score, o.status.value, o.reason)
