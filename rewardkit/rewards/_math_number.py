"""``number_match`` and ``int_answer``: the final *number* of a completion, read without sympy.

Plain numbers are settled by :mod:`rewardkit.parsers._numbers`; a number inside a
formula (``\\sqrt{90}``, ``100\\pi``, ``9 \\cdot 10``) is never read as that number,
and such an answer or gold goes through the bounded math parser instead. The
guards (spam, negation, hedges, echoes) are those of :mod:`._math_guards`.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any, Literal

from ..contract._completion import Completion
from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..parsers._answers import (
    extract_answer_is,
    extract_boxed,
    extract_boxed_all,
    extract_gsm8k,
    extract_last_number,
)
from ..parsers._mathparse import MathValue, NumberValue, RelationValue, ScalarValue
from ..parsers._numbers import (
    ParsedNumber,
    has_math_beyond_number,
    numbers_equal,
    parse_number_ex,
)
from ..parsers._numwords import words_to_number
from ..parsers._xml import extract_tag
from ._math_final import hedge_scope, hedged
from ._math_guards import (
    DIGIT_RE,
    as_completion,
    find_spam,
    flag_truncated,
    gold_answer_text,
    is_echo,
    is_negated,
    leading_math,
    shorten,
    verdict_text,
)

__all__ = ["Extract", "int_answer", "number_match"]

Extract = Literal["auto", "answer_tag", "gsm8k", "answer_is", "boxed", "last_number"]

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
    spam = find_spam(c)
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
            f"hedged answer {shorten(snippet)!r}", extracted=snippet, source=source
        )
    value: ParsedNumber | MathValue | None = pred
    if pred is None:
        value = _parse_numeric(formula)
        if value is None and source == "answer_is" and formula is not None:
            formula = leading_math(formula)
            value = _parse_numeric(formula)
    if value is None:
        if DIGIT_RE.search(snippet) and is_negated(snippet, source, text):
            return Outcome.unparseable(
                f"negated answer {shorten(snippet)!r}", extracted=snippet, source=source
            )
        return Outcome.unparseable(
            f"no single number in {shorten(snippet)!r}", extracted=snippet, source=source
        )
    if is_negated(snippet, source, text):
        return Outcome.unparseable(
            f"negated answer {shorten(snippet)!r}", extracted=snippet, source=source
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
@flag_truncated
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
    c = as_completion(completion)
    gold_text = gold_answer_text(answer)
    gold = _gold_number(gold_text) if gold_text is not None else None
    if gold is None:
        if gold_text is not None and has_math_beyond_number(gold_text):
            reason = "gold answer is not a plain number"
        else:
            reason = f"gold answer {shorten(str(answer))!r} is not a number"
        return Outcome.not_applicable(reason, extracted=None, source="none")
    text = c.answer_text
    if is_echo(text, prompt):
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
        float(ok), verdict_text(ok, snippet, str(gold_text)), extracted=snippet, source=source
    )


def _as_math(v: ParsedNumber | MathValue) -> MathValue:
    return NumberValue(v) if isinstance(v, ParsedNumber) else v


@reward(range=(0, 1), version="4", cheap=True)
@flag_truncated
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
    c = as_completion(completion)
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
        float(ok), f"{shorten(snippet, 40)!r} is {why}", extracted=snippet, source=source
    )
