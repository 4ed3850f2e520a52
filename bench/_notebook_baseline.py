"""Plain-Python baseline: what the Unsloth GSM8K notebook's five reward functions compute.

The benches compare rewardkit against the rewards users write by hand today. The
notebook (unslothai/notebooks, ``Llama3.1_(8B)-GRPO``) is not an installable package,
so its *behaviour* is restated here from its documented rules — the same two regular
expressions, tag strings and constants (facts), written independently. Nothing here
uses rewardkit.

Rules: the answer is the text after the last ``<answer>`` up to the next
``</answer>``; correctness pays 2.0 on an exact string match; an all-digit answer pays
0.5; the strict and soft layouts pay 0.5 on a ``re.match``; the tag counter pays
0.125 per well-formed tag line and loses 0.001 per character after the answer.
"""

from __future__ import annotations

import re
from typing import Any

STRICT_LAYOUT = re.compile(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$")
SOFT_LAYOUT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>")


def answer_of(text: str) -> str:
    return text.rpartition("<answer>")[2].partition("</answer>")[0].strip()


def strict_points(text: str) -> float:
    return 0.5 if STRICT_LAYOUT.match(text) else 0.0


def soft_points(text: str) -> float:
    return 0.5 if SOFT_LAYOUT.match(text) else 0.0


def tag_points(text: str) -> float:
    pts = 0.125 * (text.count("<reasoning>\n") == 1) + 0.125 * (text.count("\n</reasoning>\n") == 1)
    if text.count("\n<answer>\n") == 1:
        pts += 0.125 - 0.001 * len(text.split("\n</answer>\n")[-1])
    if text.count("\n</answer>") == 1:
        pts += 0.125 - 0.001 * (len(text.split("\n</answer>")[-1]) - 1)
    return pts


def _contents(completions: Any) -> list[str]:
    return [c[0]["content"] if isinstance(c, list) else str(c) for c in completions]


# TRL-contract batch functions (keyword arguments, one list per column)


def nb_tag_count(completions: Any, **_: Any) -> list[float]:
    return [tag_points(t) for t in _contents(completions)]


def nb_soft_format(completions: Any, **_: Any) -> list[float]:
    return [soft_points(t) for t in _contents(completions)]


def nb_strict_format(completions: Any, **_: Any) -> list[float]:
    return [strict_points(t) for t in _contents(completions)]


def nb_int_answer(completions: Any, **_: Any) -> list[float]:
    return [0.5 if answer_of(t).isdigit() else 0.0 for t in _contents(completions)]


def nb_correctness(completions: Any, answer: Any, **_: Any) -> list[float]:
    texts = _contents(completions)
    return [2.0 if answer_of(t) == a else 0.0 for t, a in zip(texts, answer, strict=True)]


PLAIN = [nb_tag_count, nb_soft_format, nb_strict_format, nb_int_answer, nb_correctness]
