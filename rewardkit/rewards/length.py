"""Length and repetition shaping, and the diversity reward of the TRL+DeepSpeed seed.

Lengths are counted in tokens when the trainer passes ``completion_ids`` (TRL
does), otherwise in characters divided by ``chars_per_token``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..contract._completion import Completion
from ..contract._outcome import Outcome, Status
from ..contract._reward import reward

__all__ = ["cosine_length", "length_penalty", "repetition_penalty", "soft_overlong", "unique_chars"]


def _length(completion: Completion, completion_ids: Any, chars_per_token: float) -> float:
    if isinstance(completion_ids, Sequence) and not isinstance(completion_ids, str):
        return float(len(completion_ids))
    return len(completion) / chars_per_token


@reward(range=(-1, 0), version="1", cheap=True)
def length_penalty(
    completion: Completion,
    completion_ids: Any = None,
    *,
    target: int = 512,
    limit: int = 1024,
    chars_per_token: float = 4.0,
) -> float:
    """0 up to ``target`` tokens, falling linearly to -1 at ``limit`` and beyond.

    Example:
        >>> length_penalty.score({"completion": "x", "completion_ids": list(range(768))}).score
        -0.5
    """
    n = _length(completion, completion_ids, chars_per_token)
    if n <= target:
        return 0.0
    span = max(1, limit - target)
    return -min(1.0, (n - target) / span)


@reward(range=(-1, 0), version="1", cheap=True)
def soft_overlong(
    completion: Completion,
    completion_ids: Any = None,
    *,
    max_length: int = 1024,
    cache: int = 256,
    chars_per_token: float = 4.0,
) -> float:
    """DAPO's soft overlong punishment: 0 below ``max_length - cache``, linear to -1 at ``max_length``.

    Example:
        >>> soft_overlong.score({"completion": "x", "completion_ids": [0] * 800}).score
        -0.125
    """
    n = _length(completion, completion_ids, chars_per_token)
    free = max_length - cache
    if n <= free:
        return 0.0
    if n <= max_length:
        return (free - n) / max(1, cache)
    return -1.0


@reward(range=(-1, 1), version="1")
def cosine_length(
    completion: Completion,
    answer: Any,
    completion_ids: Any = None,
    *,
    verifier: str = "math_equal",
    max_length: int = 1000,
    min_value_wrong: float = -0.5,
    max_value_wrong: float = 0.0,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    chars_per_token: float = 4.0,
) -> Outcome:
    """Correctness scaled by length on a cosine schedule ("Demystifying Long CoT").

    Short correct answers earn the most, long wrong answers lose the least, so
    the model is pushed to be right and brief but not to give up early. The
    verifier is any registered reward (default ``math_equal``); its
    ``not_applicable``, ``error`` and ``timeout`` outcomes pass through. The four
    value bounds must lie in [-1, 1] (the declared range); rescale with
    :func:`rewardkit.scale` for wider ones.

    Example:
        >>> cosine_length.configure(verifier="exact_match").score(
        ...     {"completion": "<answer>4</answer>", "answer": "4", "completion_ids": []}).score
        1.0
    """
    from ..registry._registry import get

    for bound in (min_value_wrong, max_value_wrong, min_value_correct, max_value_correct):
        if not -1.0 <= bound <= 1.0:
            raise ValueError(f"value bounds must lie in [-1, 1], got {bound}")
    verdict = get(verifier).score({"completion": completion, "answer": answer})
    if verdict.status in (Status.NOT_APPLICABLE, Status.ERROR, Status.TIMEOUT):
        return Outcome(None, verdict.status, f"verifier {verifier}: {verdict.reason}")
    correct = verdict.score is not None and verdict.score >= 1.0
    n = min(_length(completion, completion_ids, chars_per_token), max_length)
    progress = n / max_length
    cos = math.cos(progress * math.pi)
    lo, hi = (
        (min_value_correct, max_value_correct) if correct else (max_value_wrong, min_value_wrong)
    )
    value = lo + 0.5 * (hi - lo) * (1.0 + cos)
    return Outcome.ok(value, "correct" if correct else "wrong", correct=correct, length=n)


@reward(range=(-1, 0), version="1", cheap=True)
def repetition_penalty(
    completion: Completion, *, ngram_size: int = 3, max_penalty: float = -1.0
) -> float:
    """Penalty proportional to the share of repeated word n-grams (0 when all are unique).

    The whole completion counts, reasoning included: loops happen mostly inside
    ``<think>``, often in a block that never closes. ``max_penalty`` lies in
    [-1, 0]; rescale with :func:`rewardkit.scale` for a stronger penalty.

    Example:
        >>> repetition_penalty("a b c a b c a b c a b c")
        -0.7
    """
    if not -1.0 <= max_penalty <= 0.0:
        raise ValueError(f"max_penalty must be between -1 and 0, got {max_penalty}")
    if ngram_size < 1:
        raise ValueError(f"ngram_size must be at least 1, got {ngram_size}")
    words = str(completion).lower().split()[:20_000]
    if len(words) < ngram_size:
        return 0.0
    total = len(words) - ngram_size + 1
    unique = len({tuple(words[i : i + ngram_size]) for i in range(total)})
    return round((1 - unique / total) * -max_penalty * -1, 12)


@reward(range=(0, 1), version="1", cheap=True)
def unique_chars(completion: Completion, *, saturation: int = 64) -> float:
    """Number of distinct characters, divided by ``saturation`` and capped at 1.

    The TRL+DeepSpeed GSM8K seed's diversity reward (``reward_num_unique_chars``)
    counted distinct characters; scaled to [0, 1] here so that it can be summed
    with other rewards (``0.7*think_format + 0.3*unique_chars``).

    Example:
        >>> unique_chars("abcabc", saturation=4)
        0.75
    """
    if saturation <= 0:
        raise ValueError(f"saturation must be positive, got {saturation}")
    return min(1.0, len(set(str(completion))) / saturation)
