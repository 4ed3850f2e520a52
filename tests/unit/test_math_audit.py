"""The audit (gold and degenerate probes) finds no wrong verdict in the math rewards.

Runs the real :func:`rewardkit.audit.audit` on the bundled GSM8K and MATH samples:
every gold completion must get the top score and every degenerate one (empty,
prompt echo, shotgun, several boxes, answer only in the reasoning, empty answer
tags, tag spam, long garbage, negation) the bottom one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rewardkit.audit import DEGENERATE_KINDS, AuditReport, audit, degenerate_completions
from rewardkit.rewards.math import int_answer, math_equal, number_match

DATA = Path(__file__).resolve().parents[2] / "rewardkit" / "data"
SAMPLES = ("gsm8k_sample.jsonl", "math_sample.jsonl")


def _rows(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module", params=SAMPLES)
def report(request: pytest.FixtureRequest) -> tuple[str, AuditReport]:
    name: str = request.param
    return name, audit(_rows(name), [number_match, math_equal, int_answer])


@pytest.mark.parametrize("key", ["number_match", "math_equal", "int_answer"])
def test_no_false_pass(report: tuple[str, AuditReport], key: str) -> None:
    name, rep = report
    ra = rep.rewards[key]
    assert ra.counts.degenerate == ra.counts.gold * len(DEGENERATE_KINDS) > 0
    assert ra.counts.false_pass == 0, (name, ra.by_kind, [e.to_dict() for e in ra.false_passes])
    assert all(fp == 0 for _, fp in ra.by_kind.values())


@pytest.mark.parametrize("key", ["number_match", "math_equal"])
def test_no_false_fail(report: tuple[str, AuditReport], key: str) -> None:
    name, rep = report
    ra = rep.rewards[key]
    assert ra.counts.gold == len(_rows(name))
    assert ra.counts.false_fail == 0, (name, [e.to_dict() for e in ra.false_fails])


def test_int_answer_no_false_fail_on_integer_golds(report: tuple[str, AuditReport]) -> None:
    # int_answer has no gold: a MATH gold like \frac{4}{5} rightly scores 0, so only
    # the all-integer GSM8K sample can hold it to zero false fails.
    name, rep = report
    if name != "gsm8k_sample.jsonl":
        pytest.skip("MATH golds are not all integers")
    assert rep.rewards["int_answer"].counts.false_fail == 0


def test_failures_gate_is_clean(report: tuple[str, AuditReport]) -> None:
    _, rep = report
    gated = {k: v for k, v in rep.rewards.items() if k != "int_answer"}
    assert (
        AuditReport(gated, rep.rows, rep.skipped).failures(max_false_pass=0.0, max_false_fail=0.0)
        == []
    )


@pytest.mark.parametrize("style", ["answer_tags", "think_answer", "boxed", "plain"])
@pytest.mark.parametrize("kind", ["tag_spam", "negation"])
def test_spam_and_negation_probes_score_zero_in_every_layout(style: str, kind: str) -> None:
    for name in SAMPLES:
        for row in _rows(name)[:25]:
            probe = next(p for p in degenerate_completions(row, style) if p.kind == kind)
            scored = {**row, "completion": probe.completion}
            for rw in (number_match, math_equal, int_answer):
                out = rw.score(scored)
                assert not out.score, (name, style, kind, rw.key, probe.completion[:80], out)
