"""Math rewards: symbolic answer equivalence, numeric match and "is it an integer".

* ``math_equal`` reads the completion's final answer (outside the reasoning
  block) and checks it against the gold answer with rewardkit's own bounded
  parser (:mod:`rewardkit.parsers._mathparse`): no ``eval``, no antlr, no
  ``simplify``, no signal-based timeouts. It is *stricter* than math-verify on
  the known reward-hacking routes: several different ``\\boxed{}`` answers,
  shotgun lists of candidates, prompt echoes, empty answer tags, and an answer
  that appears only inside ``<think>`` all score 0.
* ``number_match`` and ``int_answer`` never touch sympy: they are pure,
  bounded and cheap, so the engine may run them inline.

Statuses: no answer found, or one that cannot be parsed → ``UNPARSEABLE``
(score 0.0); a missing or unparseable gold answer → ``NOT_APPLICABLE`` (score
``None``), so a broken dataset column shows up as a status count instead of a
flat 0 reward. Extras always carry ``extracted`` and ``source``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from .._completion import Completion, prompt_text
from .._outcome import Outcome
from .._reward import reward
from ..parsers._answers import (
    extract_answer_is,
    extract_boxed,
    extract_boxed_all,
    extract_gsm8k,
    extract_last_number,
    final_answer,
)
from ..parsers._numbers import ParsedNumber, numbers_equal, parse_number_ex
from ..parsers._xml import extract_tag

__all__ = ["int_answer", "math_equal", "number_match"]

#: Gold answers longer than this are not a final answer (a whole solution without a marker).
MAX_GOLD_CHARS = 2_000
#: More distinct ``\boxed{}`` answers than this is a shotgun, whatever they say.
MAX_DISTINCT_BOXES = 4
#: An answer text at least this long that appears verbatim in the prompt is an echo.
ECHO_MIN_CHARS = 20

Extract = Literal["auto", "answer_tag", "gsm8k", "answer_is", "boxed", "last_number"]


def _completion(completion: Any) -> Completion:
    return completion if isinstance(completion, Completion) else Completion.from_raw(completion)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _gold_text(answer: Any) -> str | None:
    """The final answer inside a gold column: ``#### 72`` (GSM8K), the last ``\\boxed{}``
    (MATH solutions), or the whole value."""
    if answer is None or isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return repr(answer) if isinstance(answer, float) else str(answer)
    text = str(answer).strip()
    if not text:
        return None
    if "####" in text:
        return extract_gsm8k(text)
    if "\\boxed" in text or "\\fbox" in text:
        return extract_boxed(text)
    return text if len(text) <= MAX_GOLD_CHARS else None


_LEAD_MATH_RE = re.compile(r"^(.*?)(?:[.;]\s|,\s+(?=[A-Za-z]{3})|\s(?=[A-Za-z]{3,}\b(?<!\\)))")


def _leading_math(text: str) -> str | None:
    """ "5, since 2 + 3 = 5" → "5": the math before the first sentence break or word."""
    m = _LEAD_MATH_RE.match(text)
    if m is None:
        return None
    head = m.group(1).strip().rstrip(",.;:")
    return head if head and head != text.strip() else None


def _is_echo(answer_text: str, prompt: Any) -> bool:
    if prompt is None:
        return False
    body = answer_text.strip()
    return len(body) >= ECHO_MIN_CHARS and body in prompt_text(prompt)


# -- math_equal ------------------------------------------------------------------------------


@reward(range=(0, 1), version="1")
def math_equal(
    completion: Completion,
    answer: Any,
    prompt: Any = None,
    *,
    rel_tol: float = 1e-9,
    short_limit: int = 100,
) -> Outcome:
    """1.0 if the completion's final answer is mathematically equal to the gold answer.

    The final answer is the last ``\\boxed{}`` of the text outside the reasoning
    block, else the ``<answer>`` block, else a ``####`` / "the answer is"
    marker, else the whole text when it is at most ``short_limit`` characters.
    Plain numbers are compared without sympy; expressions, fractions, roots,
    pi, intervals, sets, tuples, matrices, ``\\pm`` and equations (``x = 3``
    answers ``3``) go through rewardkit's own bounded parser.

    Several *different* ``\\boxed{}`` answers pass only if every one of them
    equals the gold (or, read together as a list, they equal a list answer):
    taking the last one, or any one, would pay a model for hedging. Integers
    compare exactly; ``rel_tol`` applies to decimals and irrational values.

    Example:
        >>> math_equal.score({"completion": r"So $x = \\boxed{\\frac{1}{2}}$.", "answer": "0.5"}).score
        1.0
        >>> math_equal.score({"completion": r"\\boxed{1} or \\boxed{2}", "answer": "2"}).score
        0.0
        >>> math_equal.score({"completion": "<think>42</think>", "answer": "42"}).status
        <Status.UNPARSEABLE: 'unparseable'>
    """
    from ..parsers._mathequal import math_equivalent, parse_answer
    from ..parsers._mathparse import parse_math

    c = _completion(completion)
    gold_text = _gold_text(answer)
    if gold_text is None:
        return Outcome.not_applicable("no gold answer", extracted=None, source="none")
    gold = parse_answer(gold_text)
    if gold is None:
        return Outcome.not_applicable(
            f"gold answer {_short(gold_text)!r} is not parseable", extracted=None, source="none"
        )
    text = c.answer_text
    if _is_echo(text, prompt):
        return Outcome.unparseable(
            "the completion echoes the prompt", extracted=None, source="echo"
        )

    def same(pred_text: str) -> bool | None:
        pred = parse_math(pred_text)  # uncached: only the gold repeats across a group
        if pred is None:
            return None
        return math_equivalent(gold, pred, rel_tol=rel_tol)

    boxes = [b for b in dict.fromkeys(b.strip() for b in extract_boxed_all(text))]
    if boxes:
        if any(not b for b in boxes):
            return Outcome.unparseable("empty \\boxed{}", extracted="", source="boxed")
        if len(boxes) > MAX_DISTINCT_BOXES:
            return Outcome.ok(
                0.0, f"{len(boxes)} different \\boxed{{}} answers", extracted=boxes, source="boxed"
            )
        verdicts = [same(b) for b in boxes]
        if len(boxes) == 1:
            if verdicts[0] is None:
                return Outcome.unparseable(
                    f"cannot parse {_short(boxes[0])!r}", extracted=boxes[0], source="boxed"
                )
            ok = bool(verdicts[0])
            return Outcome.ok(
                float(ok), _verdict(ok, boxes[0], gold_text), extracted=boxes[0], source="boxed"
            )
        if all(verdicts) or same(", ".join(boxes)):
            return Outcome.ok(1.0, "all \\boxed{} answers match", extracted=boxes, source="boxed")
        return Outcome.ok(
            0.0, f"{len(boxes)} different \\boxed{{}} answers", extracted=boxes, source="boxed"
        )

    found, source = final_answer(text, short_limit=short_limit)
    if found is None:
        return Outcome.unparseable("no final answer found", extracted=None, source="none")
    found = found.strip()
    if not found:
        return Outcome.unparseable(f"empty answer ({source})", extracted="", source=source)
    verdict = same(found)
    if verdict is None and source in ("answer_is", "gsm8k", "answer_tag"):
        head = _leading_math(found)
        if head is not None:
            verdict = same(head)
            if verdict is not None:
                found = head
    if verdict is None:
        return Outcome.unparseable(
            f"cannot parse {_short(found)!r}", extracted=found, source=source
        )
    return Outcome.ok(
        float(verdict), _verdict(verdict, found, gold_text), extracted=found, source=source
    )


def _verdict(ok: bool, got: str, gold: str) -> str:
    if ok:
        return f"{_short(got, 40)!r} equals {_short(gold, 40)!r}"
    return f"expected {_short(gold, 40)!r}, got {_short(got, 40)!r}"


# -- number_match / int_answer ----------------------------------------------------------------

_ORDER: tuple[str, ...] = ("answer_tag", "gsm8k", "answer_is", "boxed", "last_number")


def _extract(text: str, source: str) -> str | None:
    if source == "answer_tag":
        return extract_tag(text, "answer")
    if source == "gsm8k":
        return extract_gsm8k(text)
    if source == "answer_is":
        return extract_answer_is(text)
    if source == "boxed":
        return extract_boxed(text)
    return extract_last_number(text)


_NUM_TOKEN_RE = re.compile(
    r"-?\$?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d{1,4})?%?|-?\.\d+|\\[dt]?frac\{[^{}]{1,40}\}\{[^{}]{1,40}\}"
)


def _read_number(snippet: str, source: str) -> ParsedNumber | None:
    """The number a snippet states. A marker snippet holding several numbers is refused
    (``<answer>1, 2, 3</answer>`` is a shotgun), except after "the answer is", where the
    number comes first and an explanation may follow."""
    whole = parse_number_ex(snippet)
    if whole is not None:
        return whole
    tokens = _NUM_TOKEN_RE.findall(snippet[:500])
    if not tokens:
        return None
    if len(tokens) > 1 and source not in ("answer_is", "last_number"):
        return None
    return parse_number_ex(tokens[0].rstrip(","))


def _find_number(
    text: str, extract: str, order: tuple[str, ...]
) -> tuple[str | None, str, ParsedNumber | None]:
    sources = order if extract == "auto" else (extract,)
    for source in sources:
        snippet = _extract(text, source)
        if snippet is None:
            continue
        snippet = snippet.strip()
        if not snippet:
            return "", source, None
        return snippet, source, _read_number(snippet, source)
    return None, "none", None


@reward(range=(0, 1), version="1", cheap=True)
def number_match(
    completion: Completion,
    answer: Any,
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 0.0,
    extract: Extract = "auto",
) -> Outcome:
    """1.0 if the completion's final number equals the gold number (with tolerance).

    Extraction (``extract="auto"``): the ``<answer>`` block, else ``#### N``,
    else "the answer is N", else the last ``\\boxed{}``, else the last number of
    the text outside the reasoning block. Reads commas, currency, percent,
    units, fractions, mixed numbers and scientific notation exactly. Integers
    compare exactly; the tolerances apply when a decimal or fraction is
    involved. A percent matches both readings (``45%`` = 45 = 0.45).

    Example:
        >>> number_match.score({"completion": "<answer>$1,250</answer>", "answer": "1250"}).score
        1.0
        >>> number_match.score({"completion": "It costs 18 dollars.", "answer": 18}).score
        1.0
    """
    c = _completion(completion)
    gold_text = _gold_text(answer)
    gold = parse_number_ex(gold_text) if gold_text is not None else None
    if gold is None and gold_text is not None:
        last = extract_last_number(gold_text)
        gold = parse_number_ex(last) if last is not None and len(gold_text) <= 40 else None
    if gold is None:
        return Outcome.not_applicable(
            f"gold answer {_short(str(answer))!r} is not a number", extracted=None, source="none"
        )
    snippet, source, pred = _find_number(c.answer_text, extract, _ORDER)
    if snippet is None:
        return Outcome.unparseable("no number found", extracted=None, source=source)
    if pred is None:
        return Outcome.unparseable(
            f"no single number in {_short(snippet)!r}", extracted=snippet, source=source
        )
    ok = numbers_equal(gold, pred, rel_tol=rel_tol, abs_tol=abs_tol)
    return Outcome.ok(
        float(ok), _verdict(ok, snippet, str(gold_text)), extracted=snippet, source=source
    )


@reward(range=(0, 1), version="1", cheap=True)
def int_answer(completion: Completion, *, extract: Extract = "auto") -> Outcome:
    """1.0 if the final answer is an integer (the Unsloth GSM8K notebook's ``int_reward_func``).

    The answer comes from the ``<answer>`` block, ``#### N``, "the answer is"
    or the last ``\\boxed{}`` (``extract="auto"``; the last bare number is not
    used unless asked for with ``extract="last_number"``, since almost any text
    ends with some number). Negative integers, ``1,000`` and ``$18`` count;
    ``2.5``, ``3/4`` and several numbers do not. The notebook scores 0.5; scale
    this reward with a weight instead.

    Example:
        >>> int_answer.score({"completion": "<answer>\\n72\\n</answer>"}).score
        1.0
        >>> int_answer.score({"completion": "<answer>2.5</answer>"}).score
        0.0
    """
    c = _completion(completion)
    snippet, source, pred = _find_number(c.answer_text, extract, _ORDER[:-1])
    if snippet is None:
        return Outcome.unparseable("no answer found", extracted=None, source=source)
    if pred is None:
        return Outcome.unparseable(
            f"no single number in {_short(snippet)!r}", extracted=snippet, source=source
        )
    ok = pred.value.denominator == 1 and not pred.decimal and not pred.percent
    why = "an integer" if ok else "not an integer"
    return Outcome.ok(
        float(ok), f"{_short(snippet, 40)!r} is {why}", extracted=snippet, source=source
    )
