"""OpenRLHF ranges: ``rewards`` clipped like the trainer's ``--reward.clip_range`` (default
(-10, 10)), ``scores`` on [0, 1] for dynamic filtering (``--algo.dynamic_filtering_range``,
default (0, 1): a prompt group is kept when ``lo < mean(scores) < hi``)."""

from __future__ import annotations

from typing import Any

import pytest

import rewardkit as rk
from rewardkit.trainers.openrlhf import (
    DEFAULT_CLIP,
    make_reward_func,
    openrlhf_values,
)


@rk.reward(range=(-0.25, 0.5), cheap=True)
def runs(completion: str) -> float:
    """Seed 002's code-execution scale: 0.5 when it "runs", -0.25 otherwise."""
    return 0.5 if "ok" in completion else -0.25


def _kept_by_dynamic_filtering(scores: list[float], rng: tuple[float, float] = (0, 1)) -> bool:
    # OpenRLHF's rule (samples_generator): keep the group when lo < mean < hi
    mean = sum(scores) / len(scores)
    return rng[0] < mean < rng[1]


def test_values_clip_rewards_and_map_scores_onto_the_unit_interval() -> None:
    rewards, scores = openrlhf_values([-0.25, 0.5, 0.125], (-0.25, 0.5))
    assert rewards == [-0.25, 0.5, 0.125]  # inside the clip range: unchanged
    assert scores == pytest.approx([0.0, 1.0, 0.5])
    rewards, scores = openrlhf_values([-30.0, 3.0, 25.0], (None, None))
    assert rewards == [DEFAULT_CLIP[0], 3.0, DEFAULT_CLIP[1]]
    assert scores == [0.0, 1.0, 1.0]  # no two finite bounds: clipped to [0, 1]
    rewards, _ = openrlhf_values([-30.0, 25.0], (None, None), clip_range=None)
    assert rewards == [-30.0, 25.0]
    _, scores = openrlhf_values([1.0, 3.0], (None, 0.5), score_range=(0.0, 4.0))
    assert scores == [0.25, 0.75]
    _, scores = openrlhf_values([0.0, 1.0], (0.0, 1.0))
    assert scores == [0.0, 1.0]
    with pytest.raises(ValueError, match="clip_range"):
        openrlhf_values([1.0], (0.0, 1.0), clip_range=(1.0, -1.0))


def _call(fn: Any, completions: list[str]) -> dict[str, Any]:
    try:
        return dict(
            fn(["Q" + c for c in completions], ["Q"] * len(completions), ["x"] * len(completions))
        )
    finally:
        fn.close()


def test_all_right_group_is_filtered_all_mixed_group_is_kept() -> None:
    """With raw values, an all-"runs" group (mean 0.5) would pass OpenRLHF's (0, 1) filter
    although every sample is right and its advantage is zero; on the [0, 1] scale it does not."""
    pytest.importorskip("torch")
    all_right = _call(make_reward_func(runs), ["ok", "ok"])
    mixed = _call(make_reward_func(runs), ["ok", "bad"])
    all_wrong = _call(make_reward_func(runs), ["bad", "bad"])
    assert all_right["rewards"].tolist() == [0.5, 0.5]  # the reward itself is unchanged
    assert all_right["scores"].tolist() == [1.0, 1.0]
    assert _kept_by_dynamic_filtering(all_right["rewards"].tolist())  # what raw scores would do
    assert not _kept_by_dynamic_filtering(all_right["scores"].tolist())
    assert _kept_by_dynamic_filtering(mixed["scores"].tolist())
    assert not _kept_by_dynamic_filtering(all_wrong["scores"].tolist())


def test_weighted_formula_keeps_its_reward_and_scales_its_score() -> None:
    pytest.importorskip("torch")
    out = _call(make_reward_func("20*exact_match"), ["<answer>x</answer>", "<answer>y</answer>"])
    assert out["rewards"].tolist() == [10.0, 0.0]  # clipped like the trainer does
    assert out["scores"].tolist() == [1.0, 0.0]
    raw = _call(make_reward_func("20*exact_match", clip_range=None), ["<answer>x</answer>"])
    assert raw["rewards"].tolist() == [20.0]


def test_clip_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import rewardkit.trainers.openrlhf as mod

    assert mod._clip_from_env(None) == DEFAULT_CLIP
    assert mod._clip_from_env("none") is None
    assert mod._clip_from_env("-5, 5") == (-5.0, 5.0)
    with pytest.raises(ValueError, match="low,high"):
        mod._clip_from_env("5")
