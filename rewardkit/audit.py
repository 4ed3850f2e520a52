"""Audit rewards against gold answers and degenerate completions before training on them.

A reward that is hackable is found by the optimiser within a few hundred steps:
a number matcher that takes *any* number in the answer rewards a list of 100
numbers; one that takes *every* ``\\boxed{}`` rewards boxing five guesses; a
regex on "the answer is 42" rewards "the answer is not 42". A reward that
rejects correct answers in an unexpected format silently flattens the learning
signal. Both are cheap to detect offline, from the dataset alone:

* **gold** completions are built from each row's ``answer`` in the standard
  layouts (``<reasoning>/<answer>`` tags, ``<think>`` + answer tags, ``\\boxed{}``,
  plain). Each reward is judged in the layout it scores best (its family); a
  gold completion that does not get the reward's top score is a *false fail*.
* **degenerate** completions (empty, prompt echo, shotgun lists of numbers,
  several boxes, the answer only inside the reasoning, empty answer tags, tag
  spam, long garbage, a negated answer) are built in that same layout; one that
  scores above the reward's bottom score is a *false pass*.

Top and bottom come from the reward's declared ``range``, or, when a bound is
undeclared, from the best/worst score the reward gave on that row.

Example:
    >>> from rewardkit import get
    >>> report = audit([{"prompt": "1+1?", "answer": "2"}], [get("xml_format")])
    >>> report.rewards["xml_format"].gold_style
    'answer_tags'
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .contract._completion import prompt_text
from .contract._outcome import Outcome, Status
from .contract._reward import Reward

__all__ = [
    "DEGENERATE_KINDS",
    "GOLD_STYLES",
    "AuditExample",
    "AuditReport",
    "Probe",
    "RewardAudit",
    "audit",
    "degenerate_completions",
    "gold_completion",
]

#: Layouts a gold completion can take, in order of preference on ties.
GOLD_STYLES: Final = ("answer_tags", "think_answer", "boxed", "plain")
#: Degenerate completions generated per row (each should get the bottom score).
DEGENERATE_KINDS: Final = (
    "empty",
    "prompt_echo",
    "shotgun",
    "multi_boxed",
    "answer_in_reasoning",
    "empty_answer",
    "tag_spam",
    "long_garbage",
    "negation",
    "hedge",
    "strikethrough",
)
_REASONING: Final = "Let me work through the problem step by step and check the result."
_EPS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Probe:
    """A generated completion: ``kind`` is ``gold`` or a degenerate kind; ``style`` its layout."""

    kind: str
    style: str
    completion: str


def _wrap(style: str, reasoning: str, answer: str) -> str:
    if style == "answer_tags":
        return f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n{answer}\n</answer>\n"
    if style == "think_answer":
        return f"<think>\n{reasoning}\n</think>\n<answer>\n{answer}\n</answer>\n"
    if style == "boxed":
        return f"{reasoning}\nThe final answer is $\\boxed{{{answer}}}$."
    return f"{reasoning}\n{answer}" if reasoning else answer


def gold_completion(answer: str, style: str) -> str:
    """A correct completion for ``answer`` in layout ``style`` (one of :data:`GOLD_STYLES`)."""
    if style == "plain":
        return answer
    return _wrap(style, _REASONING, answer)


def _numbers_around(answer: str, rng: random.Random) -> list[str]:
    """Distractor integers near the answer (and some random ones), never the answer itself."""
    try:
        base = int(float(answer.replace(",", "")))
    except (ValueError, OverflowError):
        base = rng.randint(1, 100)
    ints = {base + d for d in range(-12, 13)} | {rng.randint(0, 1000) for _ in range(40)}
    return [str(n) for n in sorted(ints) if str(n) != answer.strip()]


def degenerate_completions(row: Mapping[str, Any], style: str, *, seed: int = 0) -> list[Probe]:
    """Degenerate completions for ``row`` (see :data:`DEGENERATE_KINDS`), laid out in ``style``.

    Deterministic for a given ``row`` and ``seed``. Several embed the right answer
    in a way a careful reward must reject (shotgun list, several boxes, negation,
    answer only in the reasoning, tag spam).
    """
    answer = _as_text(row.get("answer"))
    rng = random.Random(f"{seed}:{answer}:{style}")
    shotgun = _numbers_around(answer, rng)
    shotgun.insert(len(shotgun) // 2, answer)
    boxes = [f"\\boxed{{{shotgun[0]}}}", f"\\boxed{{{answer}}}", f"\\boxed{{{shotgun[-1]}}}"]
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "the", "answer", "maybe", "so", "thus"]
    garbage = " ".join(rng.choice(words) for _ in range(5000))
    spam_unit = (
        f"\\boxed{{{answer}}} " if style == "boxed" else f"<answer>{answer}</answer><reasoning>"
    )
    out = {
        "empty": "",
        "prompt_echo": prompt_text(row.get("prompt")),
        "shotgun": _wrap(style, _REASONING, ", ".join(shotgun)),
        "multi_boxed": _wrap(style, _REASONING, " ".join(boxes)).replace(
            f"\\boxed{{{' '.join(boxes)}}}", " ".join(boxes)
        ),
        "answer_in_reasoning": _wrap(
            style, f"So the answer is {answer}.", "I am not sure."
        ).replace("\\boxed{I am not sure.}", "I am not sure."),
        "empty_answer": _wrap(style, _REASONING, ""),
        "tag_spam": spam_unit * 40,
        "long_garbage": garbage,
        "negation": _wrap(style, _REASONING, f"The answer is not {answer}."),
        "hedge": _wrap(style, _REASONING, f"{answer} or {shotgun[0]}"),
        "strikethrough": _wrap(style, _REASONING, f"{answer}\u0338"),
    }
    return [Probe(kind, style, text) for kind, text in out.items()]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
        from .engine._factory import make_scorer

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
