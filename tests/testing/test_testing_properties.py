"""Property tests of every built-in reward, written with rewardkit's own strategies.

These are the properties the strategies exist for: a built-in never crashes
(``Status.ERROR``) and never leaves its declared range, on realistic *and*
hostile completions; answer rewards are monotone in correctness.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rewardkit as rk
from rewardkit import Status
from rewardkit.testing import expect
from rewardkit.testing import strategies as rks

#: Built-ins that score offline (llm_judge calls a judge server: tested in tests/judges).
BUILTINS = sorted(
    r.name for r in rk.available() if r.provider == "rewardkit (built-in)" and r.name != "llm_judge"
)
#: Rewards that compare the completion's final answer with the ``answer`` column.
ANSWER_REWARDS = [n for n in ("exact_match", "f1", "math_equal", "number_match") if n in BUILTINS]
PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(name: str, row: dict[str, Any]) -> None:
    out = expect(name).given_row(row).outcome
    assert out.status is not Status.ERROR, f"{name} crashed: {out.reason} on {row!r:.300}"
    lo, hi = rk.get(name).range
    if out.score is not None:
        assert lo is None or out.score >= lo, (name, out)
        assert hi is None or out.score <= hi, (name, out)
    if out.status is Status.OK:
        assert out.score is not None, (name, out)


def test_builtins_are_discovered() -> None:
    assert {"xml_format", "think_format", "exact_match", "length_penalty"} <= set(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
@PROPS
@given(row=rks.rows())
def test_builtin_in_range_on_realistic_rows(name: str, row: dict[str, Any]) -> None:
    _check(name, row)


@pytest.mark.parametrize("name", BUILTINS)
@PROPS
@given(completion=rks.hostile_text(), answer=rks.answers())
def test_builtin_survives_hostile_text(name: str, completion: str, answer: str) -> None:
    _check(name, {"prompt": "Solve it.", "completion": completion, "answer": answer})


@pytest.mark.parametrize("name", BUILTINS)
@PROPS
@given(answer=rks.answers(), completion=rks.hostile_text())
def test_builtin_survives_hostile_gold_answers(name: str, answer: str, completion: str) -> None:
    # the gold column is data too, and datasets are messy
    _check(
        name, {"prompt": "Solve it.", "completion": f"\\boxed{{{answer}}}", "answer": completion}
    )


@pytest.mark.parametrize("name", ANSWER_REWARDS)
@PROPS
@given(right=rks.numbers(notations=("int", "decimal")), wrong=rks.numbers(), data=st.data())
def test_answer_rewards_are_monotone_in_correctness(
    name: str, right: rks.NumberText, wrong: rks.NumberText, data: st.DataObject
) -> None:
    assume(wrong.value != right.value and wrong.notation != "percent")
    style = data.draw(st.sampled_from(("boxed", "xml", "sentence")))
    good = data.draw(rks.completions(right.text, styles=(style,)))
    bad = data.draw(rks.completions(wrong.text, styles=(style,)))
    rule = expect(name)
    good_score = rule.given(completion=good, answer=right.text).outcome.score or 0.0
    bad_score = rule.given(completion=bad, answer=right.text).outcome.score or 0.0
    assert good_score >= bad_score, (good, bad)


@pytest.mark.skipif("math_equal" not in BUILTINS, reason="math rewards not built yet")
@PROPS
@given(pair=rks.equal_numbers(notations=("int", "decimal", "fraction", "latex_frac")))
def test_math_equal_accepts_every_notation_of_the_gold(
    pair: tuple[rks.NumberText, rks.NumberText],
) -> None:
    said, gold = pair
    expect("math_equal").given(completion=f"So \\boxed{{{said.text}}}", answer=gold.text).scores(
        1.0
    )
