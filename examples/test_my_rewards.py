"""Tests for your own reward functions: copy this file next to your reward code.

rewardkit's pytest plugin is active as soon as rewardkit is installed, so the
fixtures used below (``reward_rows``, ``reward_snapshot``, ``rewardkit_audit``)
need no conftest. Run it with::

    pytest examples/test_my_rewards.py

In a real project you would import the reward from your own module
(``from my_project.rewards import final_number``); it is defined inline here so
the file runs on its own.
"""

from __future__ import annotations

import re

import pytest

import rewardkit as rk
from rewardkit import Completion, Outcome
from rewardkit.testing import expect

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.S)


@rk.reward(range=(0, 1), version="1")
def final_number(completion: Completion, answer: str) -> Outcome:
    """1.0 when the one number in the one <answer>...</answer> block equals the gold answer."""
    # Count tags in the full text: a block hidden after an unclosed <reasoning> still counts.
    if completion.full_text.count("<answer>") != 1:
        return Outcome.unparseable("expected exactly one <answer> block")
    tags = _ANSWER_TAG.findall(completion.answer_text)
    if not tags:
        return Outcome.unparseable("the <answer> block is missing or inside the reasoning")
    numbers = _NUMBER.findall(tags[0])
    # "not 42" and a struck-through "42\u0338" both deny the number they contain
    if len(numbers) != 1 or re.search(r"\bnot\b|[\u0337\u0338\u20d2]", tags[0]):
        return Outcome.unparseable(f"expected one number in <answer>, got {tags[0].strip()!r}")
    got = numbers[0].replace(",", "")
    try:
        gold = float(str(answer).replace(",", ""))
    except ValueError:
        return Outcome.not_applicable(f"gold answer {answer!r} is not a number")
    return Outcome.ok(float(float(got) == gold), f"answered {got}, gold {answer}", extracted=got)


# -- 1. one-line checks: the cases you have in mind ---------------------------------------


def test_correct_answer_scores_one() -> None:
    expect(final_number).given(completion="<answer>42</answer>", answer="42").scores(1.0)


def test_thousands_separators_are_accepted() -> None:
    check = expect(final_number).given(completion="<answer>1,234</answer>", answer="1234")
    check.scores(1.0).has_extra("extracted", "1234")


def test_answer_inside_the_reasoning_does_not_count() -> None:
    (
        expect(final_number)
        .given(completion="<think><answer>7</answer></think> no idea", answer="7")
        .has_status("unparseable")
        .scores(0.0)
    )


def test_negated_answer_is_not_rewarded() -> None:
    expect(final_number).given(completion="<answer>not 7</answer>", answer="7").scores(0.0)


def test_non_numeric_gold_is_not_applicable() -> None:
    (
        expect(final_number)
        .given(completion="<answer>3</answer>", answer="three")
        .has_status("not_applicable")
        .reason_contains("is not a number")
    )


def test_builtin_rewards_by_name() -> None:
    expect("math_equal").given(completion="So \\boxed{\\frac12}", answer="0.5").scores(1.0)
    expect("xml_format(mode=strict)").given(
        completion="<reasoning>2+2</reasoning> <answer>4</answer>"
    ).scores_between(0, 0.2)


# -- 2. golden-file snapshot: fail when behaviour changes -----------------------------------


def test_outcomes_on_sample_rows(reward_snapshot, reward_rows) -> None:  # type: ignore[no-untyped-def]
    # Stored in __snapshots__/test_my_rewards/test_outcomes_on_sample_rows.json next to this file; after an
    # intended change run `pytest --rewardkit-update` and review the diff in code review.
    reward_snapshot(reward_rows, [final_number])


# -- 3. audit: gold answers must pass, degenerate completions must fail ---------------------


def test_reward_is_not_hackable(rewardkit_audit, reward_rows) -> None:  # type: ignore[no-untyped-def]
    report = rewardkit_audit(reward_rows, final_number, max_false_pass=0.0, max_false_fail=0.0)
    assert report.rewards["final_number"].counts.gold == len(reward_rows)


# -- 4. properties: never crash, always in range, monotone in correctness -------------------

hypothesis = pytest.importorskip("hypothesis")  # the strategies need `pip install rewardkit[dev]`

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rewardkit.testing import strategies as rks  # noqa: E402


@given(completion=st.one_of(rks.completions(), rks.hostile_text()), answer=rks.answers())
def test_never_crashes_and_stays_in_range(completion: object, answer: str) -> None:
    out = expect(final_number).given(completion=completion, answer=answer).outcome
    assert out.status != "error", out.reason
    assert out.score is None or 0.0 <= out.score <= 1.0


@given(right=rks.numbers(notations=("int", "comma")), wrong=rks.numbers(notations=("int",)))
def test_monotone_in_correctness(right: rks.NumberText, wrong: rks.NumberText) -> None:
    gold = str(right.value)
    good = expect(final_number).given(completion=f"<answer>{right.text}</answer>", answer=gold)
    bad = expect(final_number).given(completion=f"<answer>{wrong.text}</answer>", answer=gold)
    if wrong.value != right.value:
        bad.scores(0.0)
    good.scores(1.0)
