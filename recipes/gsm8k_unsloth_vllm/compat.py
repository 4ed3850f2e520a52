"""The notebook's five reward functions with their exact behaviour (seed 003), quirks included.

rewardkit's built-ins (``xml_format``, ``int_answer``, ``number_match``) are deliberately
stricter and more tolerant in places (see this recipe's README); a user reproducing the
notebook needs its reward signal unchanged. These are TRL-style functions, so they run
exactly as the notebook's do under TRL (the ``_``-prefixed functions), wrapped as rewards
with the notebook's ranges — so through rewardkit they get timeouts, typed outcomes and
provenance. Name them in ``recipe.yaml`` as
``rewardkit.recipes.gsm8k_unsloth_vllm.compat:soft_format`` (the default reward set).

Quirks kept on purpose, each checked against the notebook's code in
``tests/recipes/test_seed_compat.py``:

* the formats use ``re.match`` without ``re.DOTALL``: ``.`` stops at a newline, so a
  multi-line reasoning block fails the soft format;
* the answer is whatever follows the *last* ``<answer>`` up to the next ``</answer>``
  (or the end), stripped; correctness compares it as a string with the gold;
* ``int`` accepts ``str.isdigit`` (so Unicode digits such as ``"²"`` count, ``"-3"`` does not);
* ``xmlcount`` subtracts 0.001 per character after the closing tag, twice over for the
  text after ``"\\n</answer>\\n"`` (it can go negative).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rewardkit import from_trl

__all__ = ["correctness", "int_reward", "soft_format", "strict_format", "xmlcount"]

_STRICT = re.compile(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$")
_SOFT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>")


def _text(completion: Any) -> str:
    """The notebook reads ``completion[0]["content"]``: chat messages, first message."""
    if isinstance(completion, str):
        return completion
    return str(completion[0]["content"])


def _answer(text: str) -> str:
    return text.split("<answer>")[-1].split("</answer>")[0].strip()


def _xml_points(text: str) -> float:
    points = 0.0
    if text.count("<reasoning>\n") == 1:
        points += 0.125
    if text.count("\n</reasoning>\n") == 1:
        points += 0.125
    if text.count("\n<answer>\n") == 1:
        points += 0.125
        points -= len(text.split("\n</answer>\n")[-1]) * 0.001
    if text.count("\n</answer>") == 1:
        points += 0.125
        points -= (len(text.split("\n</answer>")[-1]) - 1) * 0.001
    return points


def _correctness(
    prompts: Any, completions: Sequence[Any], answer: Sequence[Any], **kwargs: Any
) -> list[float]:
    """2.0 when the text in the last ``<answer>`` equals the gold string exactly."""
    return [
        2.0 if _answer(_text(c)) == a else 0.0 for c, a in zip(completions, answer, strict=False)
    ]


def _int_reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.5 when the extracted answer is all digits (``str.isdigit``)."""
    return [0.5 if _answer(_text(c)).isdigit() else 0.0 for c in completions]


def _strict_format(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.5 for exactly ``<reasoning>\\n…\\n</reasoning>\\n<answer>\\n…\\n</answer>\\n``."""
    return [0.5 if _STRICT.match(_text(c)) else 0.0 for c in completions]


def _soft_format(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.5 when the text starts with a reasoning block then an answer block (no DOTALL)."""
    return [0.5 if _SOFT.match(_text(c)) else 0.0 for c in completions]


def _xmlcount(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.125 per well-placed tag line, minus 0.001 per character of trailing text."""
    return [_xml_points(_text(c)) for c in completions]


# As rewards with the notebook's ranges (validation, plots and the recipe's accuracy read them);
# cheap: pure string functions on bounded completions, run inline like the built-in formats.
correctness = from_trl(_correctness, name="correctness", range=(0.0, 2.0), cheap=True)
int_reward = from_trl(_int_reward, name="int_reward", range=(0.0, 0.5), cheap=True)
strict_format = from_trl(_strict_format, name="strict_format", range=(0.0, 0.5), cheap=True)
soft_format = from_trl(_soft_format, name="soft_format", range=(0.0, 0.5), cheap=True)
xmlcount = from_trl(_xmlcount, name="xmlcount", range=(None, 0.5), cheap=True)
