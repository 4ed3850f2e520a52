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

import functools
from typing import Any

from ..contract._completion import Completion
from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..parsers._answers import extract_boxed_all, final_answer
from ..parsers._extract import (
    clean_answer,
    final_marker_after_boxes,
    maybe_decimal_comma,
    ratio_as_tuple,
)
from ..parsers._latex_lexer import unescape_commands
from ..parsers._letters import find_letter, gold_letter
from ..parsers._mathvalues import MathValue
from ..parsers._numwords import words_to_number
from ._math_final import NEGATION_RE, parse_gold, pick_answer
from ._math_guards import (  # noqa: F401 (named here)
    ECHO_MIN_CHARS,
    MAX_BOXES_TOTAL,
    MAX_DISTINCT_BOXES,
    MAX_GOLD_CHARS,
    as_completion,
    find_spam,
    flag_truncated,
    gold_answer_text,
    is_echo,
    is_negated,
    shorten,
    verdict_text,
)
from ._math_number import (
    Extract,  # noqa: F401 (re-exported)
    int_answer,
    number_match,
)

__all__ = ["int_answer", "math_equal", "number_match"]

# -- math_equal ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _read_gold(gold_text: str) -> tuple[bool, str | None, MathValue | None]:
    """(in number words?, option letter, parsed value) of a gold answer, cached: golds
    repeat across a GRPO group and parsed values are immutable."""
    from ..parsers._mathequal import parse_answer

    if words_to_number(gold_text) is not None:
        return True, None, None
    letter = gold_letter(gold_text)
    return False, letter, (parse_gold(gold_text, parse_answer) if letter is None else None)


@reward(range=(0, 1), version="4")
@flag_truncated
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
    Version 4: a gold that is one option letter (``C``, ``(C)``) reads the letter the
    completion chooses (markers, a leading letter, the last letter not ruled out;
    "A or B" and "not D" are refused); French/Chinese answer markers; number words;
    ``\\sum``/``\\prod``/``\\int``, floor/ceiling, ``i``, ``|x|`` inequalities, repeating
    decimals; a gold in number words is ``NOT_APPLICABLE``; a gold's boxes are its last
    run of boxes joined by "and"/commas.

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

    c = as_completion(completion)
    gold_text = gold_answer_text(answer)
    if gold_text is None:
        return Outcome.not_applicable("no gold answer", extracted=None, source="none")
    words, letter, gold = _read_gold(gold_text)
    if words:  # as number_match and TRL: a gold column in prose is a broken column
        return Outcome.not_applicable(
            f"gold answer {shorten(gold_text)!r} is words, not math", extracted=None, source="none"
        )
    if gold is None and letter is None:
        return Outcome.not_applicable(
            f"gold answer {shorten(gold_text)!r} is not parseable", extracted=None, source="none"
        )
    text = unescape_commands(c.answer_text)
    if is_echo(text, prompt):
        return Outcome.unparseable(
            "the completion echoes the prompt", extracted=None, source="echo"
        )
    spam = find_spam(c)
    if spam is not None:
        return Outcome.unparseable(spam, extracted=None, source="spam")
    if letter is not None:  # a multiple-choice gold: read the option the text chooses
        chosen, how = find_letter(text, letter)
        if chosen is None:
            return Outcome.unparseable(how, extracted=None, source="letter")
        ok = chosen == letter
        why = verdict_text(ok, chosen, letter) + f" (extracted from: {how})"
        return Outcome.ok(float(ok), why, extracted=chosen, source="letter")
    assert gold is not None
    check_negation = NEGATION_RE.search(gold_text) is None

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
        if check_negation and any(is_negated(b, "boxed") for b in boxes):
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
                    f"cannot parse {shorten(boxes[0])!r}", extracted=boxes[0], source="boxed"
                )
            ok = bool(verdicts[0])
            return Outcome.ok(
                float(ok), verdict_text(ok, boxes[0], gold_text), extracted=boxes[0], source="boxed"
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
    if check_negation and source in ("answer_tag", "gsm8k") and is_negated(found, source):
        return Outcome.unparseable(
            f"negated answer {shorten(found)!r}", extracted=found, source=source
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
        what = "no final answer found" if source == "text" else f"cannot parse {shorten(found)!r}"
        return Outcome.unparseable(what, extracted=shown, source=source)
    verdict = same(picked.text)
    if verdict is None:
        return Outcome.unparseable(
            f"cannot parse {shorten(picked.text)!r}", extracted=picked.text, source=source
        )
    why = verdict_text(verdict, picked.text, gold_text) + f" (extracted from: {picked.source})"
    return Outcome.ok(float(verdict), why, extracted=picked.text, source=source)
