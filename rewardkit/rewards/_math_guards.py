"""Guards shared by the math rewards: box and answer-tag spam, negated answers, prompt
echoes, truncation notes, and reading the final answer out of a gold column.

Each guard turns a reward-hacking route into an ``UNPARSEABLE`` outcome (see
:mod:`rewardkit.rewards.math` for the policy); they live apart from the rewards so
that ``math_equal`` and ``number_match`` apply the same ones.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ..contract._completion import MAX_COMPLETION_CHARS, Completion, _scan_reasoning, prompt_text
from ..contract._outcome import Outcome
from ..parsers._answers import extract_boxed_all, extract_gsm8k
from ..parsers._extract import gold_box_run
from ..parsers._latex_lexer import unescape_commands
from ..parsers._xml import count_blocks
from ._math_final import COMBINING_NEG_RE, NEGATION_RE

__all__ = [
    "DIGIT_RE",
    "ECHO_MIN_CHARS",
    "MAX_BOXES_TOTAL",
    "MAX_DISTINCT_BOXES",
    "MAX_GOLD_CHARS",
    "as_completion",
    "flag_truncated",
    "gold_answer_text",
    "is_echo",
    "leading_math",
    "is_negated",
    "shorten",
    "find_spam",
    "verdict_text",
]

#: Gold answers longer than this are not a final answer (a whole solution without a marker).
MAX_GOLD_CHARS = 2_000
#: More distinct ``\boxed{}`` answers than this is a shotgun, whatever they say.
MAX_DISTINCT_BOXES = 4
#: An answer text at least this long that appears verbatim in the prompt is an echo.
ECHO_MIN_CHARS = 20
#: More ``\boxed{}`` than this outside the reasoning, repeats included, is box spam.
MAX_BOXES_TOTAL = 8

_F = TypeVar("_F", bound=Callable[..., Outcome])


def flag_truncated(fn: _F) -> _F:
    """Say so when the completion was cut to ``MAX_COMPLETION_CHARS`` before scoring: the
    final answer of an overlong text may be in the part that was dropped."""

    @functools.wraps(fn)
    def wrapper(completion: Any, *args: Any, **kwargs: Any) -> Outcome:
        out = fn(completion, *args, **kwargs)
        if not getattr(completion, "truncated", False):
            return out
        note = f"completion cut to its first {MAX_COMPLETION_CHARS:,} characters"
        reason = f"{out.reason}; {note}" if out.reason else note
        return dataclasses.replace(out, reason=reason, extras={**out.extras, "truncated": True})

    return wrapper  # type: ignore[return-value]


def as_completion(completion: Any) -> Completion:
    return completion if isinstance(completion, Completion) else Completion.from_raw(completion)


def shorten(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def gold_answer_text(answer: Any) -> str | None:
    """The final answer inside a gold column: ``#### 72`` (GSM8K), the last ``\\boxed{}``
    (MATH solutions), or the whole value."""
    if answer is None or isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return repr(answer) if isinstance(answer, float) else str(answer)
    text = unescape_commands(str(answer)).strip()
    if not text:
        return None
    if "####" in text:
        return extract_gsm8k(text)
    if "\\boxed" in text or "\\fbox" in text:  # several boxes: the last run is the answer
        boxes = list(dict.fromkeys(b for b in gold_box_run(text) if b))
        return ", ".join(boxes) if boxes else None
    return text if len(text) <= MAX_GOLD_CHARS else None


_LEAD_MATH_RE = re.compile(r"^(.*?)(?:[.;]\s|,\s+(?=[A-Za-z]{3})|\s(?=[A-Za-z]{3,}\b(?<!\\)))")


def leading_math(text: str) -> str | None:
    """ "5, since 2 + 3 = 5" → "5": the math before the first sentence break or word."""
    m = _LEAD_MATH_RE.match(text)
    if m is None:
        return None
    head = m.group(1).strip().rstrip(",.;:")
    return head if head and head != text.strip() else None


def _outside_closed_reasoning(c: Completion) -> str:
    """The text without its *closed* reasoning blocks; an unclosed one is kept.

    :attr:`Completion.answer_text` drops an unclosed reasoning block with the
    rest of the text (a model that never left its reasoning gave no answer);
    that would hide everything after a dangling ``<reasoning>`` from the spam
    checks. Linear: each search resumes where the previous block ended.
    """
    text = c.full_text
    tags = c.reasoning_tags
    if not tags:
        return text
    outside, _, unclosed = _scan_reasoning(text, tuple(tags))
    return "".join(outside) + (unclosed or "")


def find_spam(c: Completion) -> str | None:
    """Why the completion's answer slots are spammed, or ``None`` (see the module docstring)."""
    visible = _outside_closed_reasoning(c)
    opens, closes = count_blocks(visible, "answer")
    if opens > 1 or closes > 1:
        return f"repeated answer blocks ({opens} <answer>, {closes} </answer>)"
    if opens != closes:
        return f"unbalanced answer tags ({opens} <answer>, {closes} </answer>)"
    n_boxes = len(extract_boxed_all(visible, limit=MAX_BOXES_TOTAL + 1))
    if n_boxes > MAX_BOXES_TOTAL:
        return f"repeated \\boxed{{}} answers (more than {MAX_BOXES_TOTAL})"
    return None


_NEGATION_RE = NEGATION_RE
#: A digit: where a stated number starts.
DIGIT_RE = re.compile(r"\d")
# A negation right before a bare number: "is not 96", "isn't equal to 96", "\\neq 96".
_NEG_BEFORE_RE = re.compile(
    r"(?:\bnot|n['\u2019]t|\bpas|不是|\u2260|!=|\\(?:neq|ne|not)(?![A-Za-z]))"
    r"(?:\s+[A-Za-z]+){0,2}[\s$=:]*\Z",
    re.I,
)


def is_negated(snippet: str, source: str, text: str = "") -> bool:
    """Whether an extracted answer is negated (see the module docstring for the policy)."""
    if COMBINING_NEG_RE.search(snippet):  # "42\u0338": struck through
        return True
    if source == "answer_is":
        first = DIGIT_RE.search(snippet)
        return _NEGATION_RE.search(snippet[: first.start()] if first else snippet) is not None
    if source == "last_number":
        at = text.rfind(snippet)
        after = text[at + len(snippet) : at + len(snippet) + 2] if at >= 0 else ""
        if COMBINING_NEG_RE.search(after):
            return True
        return at > 0 and _NEG_BEFORE_RE.search(text[max(0, at - 60) : at]) is not None
    return _NEGATION_RE.search(snippet) is not None


def is_echo(answer_text: str, prompt: Any) -> bool:
    if prompt is None:
        return False
    body = answer_text.strip()
    return len(body) >= ECHO_MIN_CHARS and body in prompt_text(prompt)


def verdict_text(ok: bool, got: str, gold: str) -> str:
    if ok:
        return f"{shorten(got, 40)!r} equals {shorten(gold, 40)!r}"
    return f"expected {shorten(gold, 40)!r}, got {shorten(got, 40)!r}"
