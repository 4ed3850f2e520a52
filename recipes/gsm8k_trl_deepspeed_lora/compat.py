"""Seed 001's reward, exactly: ``reward_combined = 0.7*has_think_tags + 0.3*num_unique_chars``.

The document describes ``reward_has_think_tags`` as 1.0 when the completion contains a
``<think>...</think>`` block, ``reward_num_unique_chars`` as the *count* of distinct
characters (not rescaled: a 40-character answer can add up to 12 points), and trains with
``reward_funcs=reward_combined`` alone. rewardkit's ``unique_chars`` built-in is rescaled to
[0, 1], so ``0.7*think_format + 0.3*unique_chars`` (this recipe's improved default) gives a
different signal; preset ``seed-exact`` uses this module instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rewardkit import from_trl

__all__ = ["has_think_tags", "num_unique_chars", "reward_combined"]

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


def _has_think_tags(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    return [1.0 if _THINK.search(str(c)) else 0.0 for c in completions]


def _num_unique_chars(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    return [float(len(set(str(c)))) for c in completions]


def _reward_combined(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    think = _has_think_tags(completions)
    unique = _num_unique_chars(completions)
    return [0.7 * t + 0.3 * u for t, u in zip(think, unique, strict=True)]


has_think_tags = from_trl(_has_think_tags, name="has_think_tags", range=(0.0, 1.0), cheap=True)
num_unique_chars = from_trl(
    _num_unique_chars, name="num_unique_chars", range=(0.0, None), cheap=True
)
reward_combined = from_trl(_reward_combined, name="reward_combined", range=(0.0, None), cheap=True)
