"""Seed 003's compat rewards equal the notebook's functions on every input, quirks included.

The reference is the document's code, verbatim (tests/fixtures/seed003_reference.py), run
side by side with the compat rewards as rewardkit runs them (resolved from their
``recipe.yaml`` references, called through the Reward contract) on generated completions:
random arrangements of the tags, newlines, digits, signs, Unicode digits, trailing text.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rewardkit as rk

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "seed003_reference", ROOT / "tests" / "fixtures" / "seed003_reference.py"
)
assert _spec is not None and _spec.loader is not None
ref: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

COMPAT = "rewardkit.recipes.gsm8k_unsloth_vllm.compat"
PAIRS = [
    ("correctness", ref.correctness_reward_func),
    ("int_reward", ref.int_reward_func),
    ("strict_format", ref.strict_format_reward_func),
    ("soft_format", ref.soft_format_reward_func),
    ("xmlcount", ref.xmlcount_reward_func),
]
PIECES = [
    "<reasoning>", "</reasoning>", "<answer>", "</answer>", "\n", "\n\n", " ", "  ",
    "42", "7", "-3", "3.5", "1,000", "²", "٣", "x", "Let me think.", "The answer is 42.",
    "<reasoning>\n", "\n</reasoning>\n", "\n<answer>\n", "\n</answer>\n", "\n</answer>",
]  # fmt: skip
HAND = [
    "<reasoning>\nadd\n</reasoning>\n<answer>\n42\n</answer>\n",
    "<reasoning>\nadd\n</reasoning>\n<answer>\n42\n</answer>\ntrailing words",
    "<reasoning>\nline one\nline two\n</reasoning>\n<answer>\n42\n</answer>\n",
    "<reasoning>x</reasoning> <answer>42</answer>",
    "Sure! <reasoning>x</reasoning><answer>42</answer>",
    "<answer>41</answer><answer>42</answer>",
    "<answer> 42 ",
    "no tags at all 42",
    "",
    "<reasoning>\n\n</reasoning>\n<answer>\n\n</answer>\n",
    "<answer>\n²\n</answer>",
    "<answer>-3</answer>",
]


def _resolved(name: str) -> Any:
    return rk.resolve(f"{COMPAT}:{name}").reward


def _compare(completions: list[str], answers: list[str]) -> None:
    conv = [[{"role": "assistant", "content": c}] for c in completions]
    prompts = [[{"role": "user", "content": "What is 6*7?"}] for _ in completions]
    rows = [
        {"prompt": p, "completion": c, "answer": a}
        for p, c, a in zip(prompts, conv, answers, strict=True)
    ]
    for name, reference in PAIRS:
        want = reference(prompts=prompts, completions=conv, answer=answers)
        got = [o.score for o in _resolved(name).score_batch(rows)]
        assert got == pytest.approx(want, abs=1e-12), (name, completions)


def test_hand_written_edge_cases() -> None:
    _compare(HAND, ["42"] * len(HAND))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), min_size=1, max_size=6),
    st.sampled_from(["42", "7", "-3", "²", ""]),
)
def test_generated_completions(completions: list[str], answer: str) -> None:
    _compare(completions, [answer] * len(completions))


def test_the_recipe_uses_the_compat_set_by_default() -> None:
    import yaml

    cfg = yaml.safe_load((ROOT / "recipes" / "gsm8k_unsloth_vllm" / "recipe.yaml").read_text())
    formulas = {r["name"]: r["formula"] for r in cfg["config"]["rewards"]}
    assert formulas == {
        "xmlcount": f"{COMPAT}:xmlcount",
        "soft_format": f"{COMPAT}:soft_format",
        "strict_format": f"{COMPAT}:strict_format",
        "int_reward": f"{COMPAT}:int_reward",
        "correctness": f"{COMPAT}:correctness",
    }


def _seed001_reference(completions: list[str]) -> list[float]:
    """Seed 001's reward_combined (the document's code) over its two described helpers."""
    import re as _re

    def reward_has_think_tags(completions: list[str], **kwargs: Any) -> list[float]:
        return [1.0 if _re.search(r"<think>.*?</think>", c, _re.S) else 0.0 for c in completions]

    def reward_num_unique_chars(completions: list[str], **kwargs: Any) -> list[float]:
        return [float(len(set(c))) for c in completions]

    def reward_combined(completions: list[str], **kwargs: Any) -> list[float]:
        reward_think = reward_has_think_tags(completions, **kwargs)
        reward_unique = reward_num_unique_chars(completions, **kwargs)
        alpha, beta = 0.7, 0.3
        return [alpha * r1 + beta * r2 for r1, r2 in zip(reward_think, reward_unique)]  # noqa: B905

    return reward_combined(completions)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([*PIECES, "<think>", "</think>", "abc"]), max_size=10).map(
            "".join
        ),
        min_size=1,
        max_size=5,
    )
)
def test_seed001_reward_combined(completions: list[str]) -> None:
    rw = rk.resolve("rewardkit.recipes.gsm8k_trl_deepspeed_lora.compat:reward_combined").reward
    got = [o.score for o in rw.score_batch([{"completion": c} for c in completions])]
    assert got == pytest.approx(_seed001_reference(completions), abs=1e-12)


def test_seed001_preset_uses_the_document_reward_alone() -> None:
    import yaml

    cfg = yaml.safe_load(
        (ROOT / "recipes" / "gsm8k_trl_deepspeed_lora" / "recipe.yaml").read_text()
    )
    rewards = cfg["presets"]["seed-exact"]["rewards"]
    assert [r["name"] for r in rewards] == ["reward_combined"]
