"""Math rewards: symbolic answer equivalence, numeric match and "is it an integer".

* ``math_equal`` reads the completion's final answer (outside the reasoning
  block) and checks it against the gold answer with rewardkit's own bounded
  parser (:mod:`rewardkit.parsers._mathparse`): no ``eval``, no antlr, no
  ``simplify``, no signal-based timeouts. It is *stricter* than math-verify on
  the known reward-hacking routes: several different ``\\boxed{}`` answers,
  shotgun lists of candidates, prompt echoes, empty answer tags, repeated
  answer blocks, negated answers ("the answer is not 96"), and an answer
  that appears only inside ``<think>`` all score 0.
* ``number_match`` and ``int_answer`` are pure, bounded and cheap, so the engine
  may run them inline: plain numbers never touch sympy. A number inside a
  formula (``\\sqrt{90}``, ``100\\pi``, ``9 \\cdot 10``) is never read as that
  number; such an answer or gold goes through the bounded math parser instead.

Statuses: no answer found, or one that cannot be parsed → ``UNPARSEABLE``
(score 0.0); a missing or unparseable gold answer → ``NOT_APPLICABLE`` (score
``None``), so a broken dataset column shows up as a status count instead of a
flat 0 reward. Extras always carry ``extracted`` and ``source``.

Guards shared by all three rewards (each → ``UNPARSEABLE``, score 0.0):

* **Repeated answer blocks.** The ``<answer>`` tags are counted in the text
  outside *closed* reasoning blocks: more than one ``<answer>``, or a different
  number of ``<answer>`` and ``</answer>`` (an unclosed or stray tag, a
  truncated answer included), is refused. An *unclosed* reasoning block is
  counted too, although it is otherwise dropped from the answer text: in
  ``<answer>4</answer><reasoning><answer>4</answer><reasoning>...`` the dangling
  ``<reasoning>`` must not hide the spam after the first block. A closed
  reasoning block may mention ``<answer>`` freely. More than
  :data:`MAX_BOXES_TOTAL` ``\\boxed{}`` (repeats included) is box spam.
* **Negated answers.** An answer slot (``<answer>``, ``\\boxed{}``, ``####``,
  a short whole completion) holding a negation (``not``, ``isn't``, ``≠``, a
  combining long solidus ``42\u0338``,
  ``!=``, ``\\neq``, ``\\ne``, ``\\not``) states no answer. After "the answer
  is", a negation before the first digit (``the answer is not 96``) counts,
  an explanation after the number does not; a bare last number counts as
  negated when a negation sits just before it (``it is not 96``).
  ``math_equal`` skips this check when the gold itself holds a negation
  (``x \\neq 3``).
* **Hedges.** Two numbers joined by "or" in the answer ("42 or 43", "x = 42 or
  x = 43", "43, or maybe 42") state no single answer; ``math_equal`` accepts
  them only when the gold itself is a list.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from ..contract._completion import MAX_COMPLETION_CHARS, Completion, _scan_reasoning, prompt_text
from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..parsers._answers import (
    extract_answer_is,
    extract_boxed,
    extract_boxed_all,
    extract_gsm8k,
    extract_last_number,
    final_answer,
)
from ..parsers._extract import (
    clean_answer,
    final_marker_after_boxes,
    gold_box_run,
    maybe_decimal_comma,
    ratio_as_tuple,
)
from ..parsers._latex_lexer import unescape_commands
from ..parsers._letters import find_letter, gold_letter
from ..parsers._mathparse import MathValue, NumberValue, RelationValue, ScalarValue
from ..parsers._numbers import (
    ParsedNumber,
    has_math_beyond_number,
    numbers_equal,
    parse_number_ex,
)
from ..parsers._numwords import words_to_number
from ..parsers._xml import count_blocks, extract_tag
from ._math_final import (
    COMBINING_NEG_RE,
    NEGATION_RE,
    hedge_scope,
    hedged,
    parse_gold,
    pick_answer,
)

__all__ = ["int_answer", "math_equal", "number_match"]

#: Gold answers longer than this are not a final answer (a whole solution without a marker).
MAX_GOLD_CHARS = 2_000
#: More distinct ``\boxed{}`` answers than this is a shotgun, whatever they say.
MAX_DISTINCT_BOXES = 4
#: An answer text at least this long that appears verbatim in the prompt is an echo.
ECHO_MIN_CHARS = 20
#: More ``\boxed{}`` than this outside the reasoning, repeats included, is box spam.
MAX_BOXES_TOTAL = 8

Extract = Literal["auto", "answer_tag", "gsm8k", "answer_is", "boxed", "last_number"]


_F = TypeVar("_F", bound=Callable[..., Outcome])


def _flag_truncated(fn: _F) -> _F:
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


def _leading_math(text: str) -> str | None:
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


def _spam(c: Completion) -> str | None:
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
# A negation right before a bare number: "is not 96", "isn't equal to 96", "\\neq 96".
_NEG_BEFORE_RE = re.compile(
    r"(?:\bnot|n['\u2019]t|\bpas|不是|\u2260|!=|\\(?:neq|ne|not)(?![A-Za-z]))"
    r"(?:\s+[A-Za-z]+){0,2}[\s$=:]*\Z",
    re.I,
)
_DIGIT_RE = re.compile(r"\d")


def _negated(snippet: str, source: str, text: str = "") -> bool:
    """Whether an extracted answer is negated (see the module docstring for the policy)."""
    if COMBINING_NEG_RE.search(snippet):  # "42\u0338": struck through
        return True
    if source == "answer_is":
        first = _DIGIT_RE.search(snippet)
        return _NEGATION_RE.search(snippet[: first.start()] if first else snippet) is not None
    if source == "last_number":
        at = text.rfind(snippet)
        after = text[at + len(snippet) : at + len(snippet) + 2] if at >= 0 else ""
        if COMBINING_NEG_RE.search(after):
            return True
        return at > 0 and _NEG_BEFORE_RE.search(text[max(0, at - 60) : at]) is not None
    return _NEGATION_RE.search(snippet) is not None


def _is_echo(answer_text: str, prompt: Any) -> bool:
    if prompt is None:
        return False
    body = answer_text.strip()
    return len(body) >= ECHO_MIN_CHARS and body in prompt_text(prompt)


# -- math_equal ------------------------------------------------------------------------------


@reward(range=(0, 1), version="3")
@_flag_truncated
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
    block (unless a "final answer" marker restates the answer after every
    box), else the ``<answer>`` block, else a ``####`` / "the answer is"
    marker, else the whole text when it is at most ``short_limit`` characters,
    else the text's last sentences. Inside that segment the extraction layer
    (:mod:`rewardkit.parsers._extract`) tries the segment itself, the last
    display or inline math (``$..$``, ``\\(..\\)``, ``\\[..\\]``), the words
    after the last "is", and the last number; ``reason`` names the step
    ("extracted from: whole: last inline math").
    Plain numbers are compared without sympy; expressions, fractions, roots,
    pi, intervals, sets, tuples, matrices, ``\\pm`` and equations (``x = 3``
    answers ``3``) go through rewardkit's own bounded parser.

    Several *different* ``\\boxed{}`` answers pass only if every one of them
    equals the gold (or, read together as a list, they equal a list answer):
    taking the last one, or any one, would pay a model for hedging. Integers
    compare exactly; ``rel_tol`` applies to decimals and irrational values.

    Repeated ``<answer>`` blocks (counted past a dangling, unclosed reasoning
    tag), more than :data:`MAX_BOXES_TOTAL` boxes, and a negated answer
    (``<answer>The answer is not 96.</answer>``) are ``UNPARSEABLE``; see the
    module docstring. Version 2 added these guards. Version 3: the extraction
    layer above; inequalities against intervals, labelled golds (``f(x) = 1``),
    ratios, decimal commas, JSON-doubled backslashes; hedges ("42 or 43") and
    struck-through digits (``42\\u0338``) are refused; a completion cut at
    ``MAX_COMPLETION_CHARS`` says so in ``reason`` and ``extras["truncated"]``.

    Example:
        >>> math_equal.score({"completion": r"So $x = \\boxed{\\frac{1}{2}}$.", "answer": "0.5"}).score
        1.0
        >>> math_equal.score({"completion": r"\\boxed{1} or \\boxed{2}", "answer": "2"}).score
        0.0
        >>> math_equal.score({"completion": "<think>42</think>", "answer": "42"}).status
        <Status.UNPARSEABLE: 'unparseable'>
        >>> spam = "<answer>4</answer><reasoning>" * 3
        >>> math_equal.score({"completion": spam, "answer": "4"}).reason
        'repeated answer blocks (3 <answer>, 3 </answer>)'
    """
    from ..parsers._mathequal import math_equivalent, parse_answer
    from ..parsers._mathparse import parse_math

    c = _completion(completion)
    gold_text = _gold_text(answer)
    if gold_text is None:
        return Outcome.not_applicable("no gold answer", extracted=None, source="none")
    if words_to_number(gold_text) is not None:  # as number_match and TRL: a gold column in
        return Outcome.not_applicable(  # prose is a broken column, whatever the completion
            f"gold answer {_short(gold_text)!r} is words, not math", extracted=None, source="none"
        )
    letter = gold_letter(gold_text)
    gold = parse_gold(gold_text, parse_answer) if letter is None else None
    if gold is None and letter is None:
        return Outcome.not_applicable(
            f"gold answer {_short(gold_text)!r} is not parseable", extracted=None, source="none"
        )
    text = unescape_commands(c.answer_text)
    if _is_echo(text, prompt):
        return Outcome.unparseable(
            "the completion echoes the prompt", extracted=None, source="echo"
        )
    spam = _spam(c)
    if spam is not None:
        return Outcome.unparseable(spam, extracted=None, source="spam")
    if letter is not None:  # a multiple-choice gold: read the option the text chooses
        chosen, how = find_letter(text, letter)
        if chosen is None:
            return Outcome.unparseable(how, extracted=None, source="letter")
        ok = chosen == letter
        why = _verdict(ok, chosen, letter) + f" (extracted from: {how})"
        return Outcome.ok(float(ok), why, extracted=chosen, source="letter")
    assert gold is not None
    check_negation = _NEGATION_RE.search(gold_text) is None

    gold_alt = maybe_decimal_comma(gold_text)
    gold_comma = parse_answer(gold_alt) if gold_alt is not None else None

    def same(pred_text: str) -> bool | None:
        pred = parse_math(clean_answer(pred_text))  # uncached: only the gold repeats
        if pred is not None:
            if math_equivalent(gold, pred, rel_tol=rel_tol):
                return True
            if gold_comma is not None and math_equivalent(gold_comma, pred, rel_tol=rel_tol):
                return True  # gold "1,22" (decimal comma) answered "1.22"
        alt = maybe_decimal_comma(pred_text) or ratio_as_tuple(clean_answer(pred_text))
        alt_value = parse_math(alt) if alt is not None else None
        if alt_value is not None:  # "1,22" read as 1.22; "7:32" read part by part
            return math_equivalent(gold, alt_value, rel_tol=rel_tol)
        return None if pred is None else False

    boxes = [b for b in dict.fromkeys(b.strip() for b in extract_boxed_all(text))]
    restated = final_marker_after_boxes(text) if boxes else None
    if restated is not None:  # "\boxed{200} ... \boxed{255} ... The final answer is $10,455$."
        text, boxes = text[restated:], []
    if boxes:
        if any(not b for b in boxes):
            return Outcome.unparseable("empty \\boxed{}", extracted="", source="boxed")
        if check_negation and any(_negated(b, "boxed") for b in boxes):
            return Outcome.unparseable(
                "negated answer", extracted=boxes[0] if len(boxes) == 1 else boxes, source="boxed"
            )
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
    if found is None:  # no marker and a long text: read its final sentence
        found, source = text, "text"
    found = found.strip()
    if not found:
        return Outcome.unparseable(f"empty answer ({source})", extracted="", source=source)
    if check_negation and source in ("answer_tag", "gsm8k") and _negated(found, source):
        return Outcome.unparseable(
            f"negated answer {_short(found)!r}", extracted=found, source=source
        )
    picked = pick_answer(
        found,
        source,
        parse_math,
        gold,
        check_negation=check_negation,
        include_segment=source != "text",
    )
    shown = None if source == "text" else found  # a whole long text is no "extracted" answer
    if picked.refusal is not None:
        return Outcome.unparseable(picked.refusal, extracted=shown, source=source)
    if picked.value is None or picked.text is None:
        what = "no final answer found" if source == "text" else f"cannot parse {_short(found)!r}"
        return Outcome.unparseable(what, extracted=shown, source=source)
    verdict = same(picked.text)
    if verdict is None:
        return Outcome.unparseable(
            f"cannot parse {_short(picked.text)!r}", extracted=picked.text, source=source
        )
    why = _verdict(verdict, picked.text, gold_text) + f" (extracted from: {picked.source})"
    return Outcome.ok(float(verdict), why, extracted=picked.text, source=source)


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
# Right before a number: it is an argument, exponent or subscript ("\sqrt{90}", "2^10").
_FORMULA_BEFORE_RE = re.compile(r"[\^_{\u221a\u221b\u221c/]$|\\(?:times|cdot)$|[*\u00d7]$")
# Right after a number: an exponent, a constant or an operator ("90^2", "100\pi", "9 \cdot 10").
_FORMULA_AFTER_RE = re.compile(r"^(?:[\^_\u03c0\u221a*\u00d7/]|\\(?:times|cdot)(?![A-Za-z]))")


def _formula_around(text: str, start: int, end: int) -> str | None:
    """The formula a number token at ``text[start:end]`` sits in (its neighbouring words
    joined, ``$`` and sentence punctuation stripped), or ``None`` when it stands alone:
    ``90`` in ``x = \\sqrt{90}.`` or ``100`` in ``$100 \\pi$`` is not a plain number."""
    left = re.search(r"\S*\s*$", text[max(0, start - 80) : start])
    right = re.match(r"\s*\S*", text[end : end + 80])
    before = left.group(0) if left else ""
    after = right.group(0) if right else ""
    b, a = before.strip(), after.strip()
    b_math = has_math_beyond_number(b) or _FORMULA_BEFORE_RE.search(b) is not None
    a_math = has_math_beyond_number(a) or _FORMULA_AFTER_RE.match(a) is not None
    if not (b_math or a_math):
        return None
    # A neighbouring word joins the formula when it is math or touches the number.
    if not (b_math or before == b):
        before = ""
    if not (a_math or after == a):
        after = ""
    chunk = (before + text[start:end] + after).strip()
    chunk = re.sub(r"^[*$\s]+|[*$\s.,;:!?]+$", "", chunk)
    return chunk or None


def _read_number(snippet: str, source: str) -> ParsedNumber | None:
    """The number a snippet states. A marker snippet holding several numbers is refused
    (``<answer>1, 2, 3</answer>`` is a shotgun), except after "the answer is", where the
    number comes first and an explanation may follow. A number inside a formula
    (``\\sqrt{90}``, ``100\\pi``, ``9 \\cdot 10``) is not read as that number."""
    whole = parse_number_ex(snippet)
    if whole is not None:
        return whole
    tokens = list(itertools.islice(_NUM_TOKEN_RE.finditer(snippet[:500]), 2))
    if not tokens:
        return None
    if len(tokens) > 1 and source not in ("answer_is", "last_number"):
        return None
    first = tokens[0]
    if _formula_around(snippet, first.start(), first.end()) is not None:
        return None
    return parse_number_ex(first.group(0).rstrip(","))


def _find_number(
    text: str, extract: str, order: tuple[str, ...]
) -> tuple[str | None, str, ParsedNumber | None, str | None]:
    sources = order if extract == "auto" else (extract,)
    for source in sources:
        snippet = _extract(text, source)
        if snippet is None:
            continue
        snippet = snippet.strip()
        if not snippet:
            return "", source, None, None
        if source == "last_number":
            at = text.rfind(snippet)
            inside = _formula_around(text, at, at + len(snippet)) if at >= 0 else None
            if inside is not None:
                return snippet, source, None, inside
        pred = _read_number(snippet, source)
        return snippet, source, pred, (snippet if pred is None else None)
    return None, "none", None, None


def _numeric_value(v: MathValue | None) -> bool:
    """Whether a parsed answer states one number: a constant, or ``x = <constant>``."""
    if isinstance(v, NumberValue):
        return True
    if isinstance(v, ScalarValue):
        return not getattr(v.expr, "free_symbols", True)
    if isinstance(v, RelationValue):
        return all(op == "=" for op in v.ops) and _numeric_value(v.sides[-1])
    return False


def _parse_numeric(text: str | None, *, cached: bool = False) -> MathValue | None:
    """``text`` parsed by the bounded math parser when it states one number, else ``None``
    (``cached`` for gold answers, which repeat across a group)."""
    if text is None:
        return None
    boxes = extract_boxed_all(text, limit=2)
    if len(boxes) > 1:  # "\\boxed{-12} \\boxed{0}" is a shotgun, not a product
        return None
    if boxes:
        text = boxes[0]
    from ..parsers._mathequal import parse_answer
    from ..parsers._mathparse import parse_math

    value = parse_answer(text) if cached else parse_math(text)
    return value if _numeric_value(value) else None


def _number_answer(
    c: Completion, extract: str, order: tuple[str, ...], missing: str, text: str | None = None
) -> Outcome | tuple[str, str, ParsedNumber | MathValue]:
    """The stated number of ``c`` as (text, source, number), or the ``UNPARSEABLE`` outcome:
    spam, no answer (``missing``), no single number, or a negated one. An answer that is
    not a plain number (``\\sqrt{90}``, ``9 \\cdot 10``) comes back parsed by the math
    parser, with the formula as its text, when it states one constant."""
    spam = _spam(c)
    if spam is not None:
        return Outcome.unparseable(spam, extracted=None, source="spam")
    text = c.answer_text if text is None else text
    snippet, source, pred, formula = _find_number(text, extract, order)
    if snippet is None:
        return Outcome.unparseable(missing, extracted=None, source=source)
    if source == "boxed" and len({b.strip() for b in extract_boxed_all(text, limit=8)}) > 1:
        return Outcome.unparseable(
            "several different \\boxed{} answers", extracted=snippet, source=source
        )
    if hedged(hedge_scope(text if source == "last_number" else snippet, source)):
        return Outcome.unparseable(
            f"hedged answer {_short(snippet)!r}", extracted=snippet, source=source
        )
    value: ParsedNumber | MathValue | None = pred
    if pred is None:
        value = _parse_numeric(formula)
        if value is None and source == "answer_is" and formula is not None:
            formula = _leading_math(formula)
            value = _parse_numeric(formula)
    if value is None:
        if _DIGIT_RE.search(snippet) and _negated(snippet, source, text):
            return Outcome.unparseable(
                f"negated answer {_short(snippet)!r}", extracted=snippet, source=source
            )
        return Outcome.unparseable(
            f"no single number in {_short(snippet)!r}", extracted=snippet, source=source
        )
    if _negated(snippet, source, text):
        return Outcome.unparseable(
            f"negated answer {_short(snippet)!r}", extracted=snippet, source=source
        )
    if pred is None and formula is not None:
        snippet = formula
    return snippet, source, value


@functools.lru_cache(maxsize=4096)
def _gold_number(gold_text: str) -> ParsedNumber | MathValue | None:
    """The gold as a plain number, else (``\\sqrt{90}``, ``100\\pi``) as the constant the
    math parser reads, else ``None``."""
    gold = parse_number_ex(gold_text)
    if gold is not None:
        return gold
    if words_to_number(gold_text) is not None:
        return None  # a gold in words ("four") is prose to number_match: NOT_APPLICABLE
    if len(gold_text) <= 40 and not has_math_beyond_number(gold_text):
        last = extract_last_number(gold_text)
        at = gold_text.rfind(last) if last is not None else -1
        if last is not None and at >= 0 and _formula_around(gold_text, at, at + len(last)) is None:
            gold = parse_number_ex(last)
            if gold is not None:
                return gold
    return _parse_numeric(gold_text, cached=True)


@reward(range=(0, 1), version="4", cheap=True)
@_flag_truncated
def number_match(
    completion: Completion,
    answer: Any,
    prompt: Any = None,
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

    Repeated ``<answer>`` blocks (counted past a dangling, unclosed reasoning
    tag), box spam and a negated answer (``<answer>The answer is not 96.</answer>``,
    "the answer is not 96", "it is not 96") are ``UNPARSEABLE``; see the module
    docstring. So is an echo of the prompt (an answer text of at least
    :data:`ECHO_MIN_CHARS` characters found verbatim in ``prompt``), whose last
    number may well be the gold. Version 2 added these guards.

    Version 3: a number inside a formula is not that number. A gold that is not
    a plain number (``\\sqrt{90}``, ``100\\pi``) is compared symbolically, as in
    :func:`math_equal` (``NOT_APPLICABLE``, "gold answer is not a plain number",
    when it does not state one constant), so "90" no longer matches
    ``\\sqrt{90}``; an answer that is not a plain number (``\\frac{90}{1}``,
    ``9 \\cdot 10``, ``3\\sqrt{10}``) is compared the same way.

    Version 4: a hedge ("42 or 43", "x = 42 or x = 43"), a struck-through digit
    (``42\\u0338``) and several different ``\\boxed{}`` answers are
    ``UNPARSEABLE``; plain integers take a fast path.

    Example:
        >>> number_match.score({"completion": "<answer>$1,250</answer>", "answer": "1250"}).score
        1.0
        >>> number_match.score({"completion": "It costs 18 dollars.", "answer": 18}).score
        1.0
        >>> number_match.score({"completion": "The answer is not 18.", "answer": 18}).status
        <Status.UNPARSEABLE: 'unparseable'>
    """
    c = _completion(completion)
    gold_text = _gold_text(answer)
    gold = _gold_number(gold_text) if gold_text is not None else None
    if gold is None:
        if gold_text is not None and has_math_beyond_number(gold_text):
            reason = "gold answer is not a plain number"
        else:
            reason = f"gold answer {_short(str(answer))!r} is not a number"
        return Outcome.not_applicable(reason, extracted=None, source="none")
    text = c.answer_text
    if _is_echo(text, prompt):
        return Outcome.unparseable(
            "the completion echoes the prompt", extracted=None, source="echo"
        )
    found = _number_answer(c, extract, _ORDER, "no number found", text)
    if isinstance(found, Outcome):
        return found
    snippet, source, pred = found
    if isinstance(gold, ParsedNumber) and isinstance(pred, ParsedNumber):
        ok = numbers_equal(gold, pred, rel_tol=rel_tol, abs_tol=abs_tol)
    else:
        from ..parsers._mathequal import math_equivalent

        ok = math_equivalent(_as_math(gold), _as_math(pred), rel_tol=rel_tol, abs_tol=abs_tol)
    return Outcome.ok(
        float(ok), _verdict(ok, snippet, str(gold_text)), extracted=snippet, source=source
    )


def _as_math(v: ParsedNumber | MathValue) -> MathValue:
    return NumberValue(v) if isinstance(v, ParsedNumber) else v


@reward(range=(0, 1), version="4", cheap=True)
@_flag_truncated
def int_answer(completion: Completion, *, extract: Extract = "auto") -> Outcome:
    """1.0 if the final answer is an integer (the Unsloth GSM8K notebook's ``int_reward_func``).

    The answer comes from the ``<answer>`` block, ``#### N``, "the answer is"
    or the last ``\\boxed{}`` (``extract="auto"``; the last bare number is not
    used unless asked for with ``extract="last_number"``, since almost any text
    ends with some number). Negative integers, ``1,000`` and ``$18`` count;
    ``2.5``, ``3/4`` and several numbers do not. The notebook scores 0.5; scale
    this reward with a weight instead. Repeated answer blocks, box spam and a
    negated answer are ``UNPARSEABLE``, as in :func:`number_match` (version 2).
    Version 3: a formula around a number (``\\sqrt{90}``, ``100\\pi``) is not an
    integer. Version 4: hedges and struck-through digits are refused, as in
    :func:`number_match`.

    Example:
        >>> int_answer.score({"completion": "<answer>\\n72\\n</answer>"}).score
        1.0
        >>> int_answer.score({"completion": "<answer>2.5</answer>"}).score
        0.0
    """
    c = _completion(completion)
    found = _number_answer(c, extract, _ORDER[:-1], "no answer found")
    if isinstance(found, Outcome):
        return found
    snippet, source, pred = found
    ok = (
        isinstance(pred, ParsedNumber)
        and pred.value.denominator == 1
        and not pred.decimal
        and not pred.percent
    )
    why = "an integer" if ok else "not an integer"
    return Outcome.ok(
        float(ok), f"{_short(snippet, 40)!r} is {why}", extracted=snippet, source=source
    )
