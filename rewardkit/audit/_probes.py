"""The probes: gold and degenerate completions built from a row's answer.

Why these shapes: each degenerate kind is a way a policy under RL has been seen
to collect reward without solving the task (a shotgun list of numbers, several
boxed guesses, the answer only in the reasoning, a negated answer, tag spam).
Every probe is laid out in one of :data:`GOLD_STYLES`, the layout the audited
reward is judged in, so a reward is never blamed for a format it does not
claim to read. Generation is deterministic for a row, layout and seed, so an
audit report can be reproduced.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..contract._completion import prompt_text

__all__ = ["DEGENERATE_KINDS", "GOLD_STYLES", "Probe", "degenerate_completions", "gold_completion"]

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
