"""Picking ``math_equal``'s final answer among the readings the extraction layer offers.

:func:`rewardkit.parsers._extract.answer_candidates` lists readings of an answer
segment (the whole segment, its last math span, the words after its last "is",
its last number). This module keeps the first reading the bounded parser reads
as math, after the refusals: a negated reading ("is not $5$", "42\u0338") is
skipped, and if the only readings left were negated the answer is refused; a
hedge ("42 or 43") is refused when the gold is one value. Prose that parses
only as words (``TextValue``) is taken only when the gold itself is words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..parsers._extract import (
    SOURCE_NAMES,
    answer_candidates,
    clean_answer,
    math_spans,
    maybe_decimal_comma,
    ratio_as_tuple,
    sentences,
    typeset_clean,
)
from ..parsers._mathparse import (
    Alternatives,
    MathValue,
    NumberValue,
    ScalarValue,
    SeqValue,
    TextValue,
    UnionValue,
)

__all__ = ["COMBINING_NEG_RE", "Picked", "hedge_scope", "hedged", "parse_gold", "pick_answer"]

# Negation words and symbols, including a combining long solidus overlay ("42\u0338").
NEGATION_RE = re.compile(
    r"\bnot\b|n['\u2019]t\b|\bpas\b|不是|不等于|并非|\u2260|\u0338|\u20e5|!=|=/=|"
    r"\\(?:neq|ne|not)(?![A-Za-z])",
    re.I,
)
# A negation shortly before a reading: "is not $5$", "isn't equal to 5", "\neq 5".
_NEG_BEFORE_RE = re.compile(
    r"(?:\bnot|n['\u2019]t|\bpas|不是|不等于|并非|\u2260|!=|\\(?:neq|ne|not)(?![A-Za-z]))"
    r"(?:\s+[A-Za-z]+){0,3}[\s$=:(\\]*\Z",
    re.I,
)
# Two candidate values joined by "or": "42 or 43", "$5$ or $6$", "either 2 or 3".
# Two numbers joined by "or" within a few characters: "42 or 43", "43, or maybe 42",
# "x = 42 or x = 43", "42 (or 43)", "$5$ or $6$".
_HEDGE_RE = re.compile(r"\d[^\n\d]{0,10}?(?:\b(?:or|and/or|ou|oder)\b|或)[^\n\d]{0,20}?\d", re.I)
# Combining overlays that strike a digit through: "42\u0338" reads "not 42".
COMBINING_NEG_RE = re.compile("[\u0337\u0338\u20d2\u20e5\u20e6]")


def hedged(text: str) -> bool:
    """Whether ``text`` offers two numeric answers joined by "or"."""
    return _HEDGE_RE.search(text) is not None


def hedge_scope(text: str, source: str) -> str:
    """Where a hedge counts: a marker's or tag's whole answer, else the last two sentences
    (reasoning earlier in a long text may weigh "2 or 3 cases" freely)."""
    if source in ("text", "last_number"):
        return " ".join(s for s, _ in sentences(text, last=2))
    return text[-400:]


@dataclass(frozen=True, slots=True)
class Picked:
    """The reading kept (``value`` None: nothing parseable) and why."""

    text: str | None
    source: str
    value: MathValue | None
    refusal: str | None = None


def _negated_at(segment: str, text: str, start: int) -> bool:
    if NEGATION_RE.search(text):
        return True
    end = start + len(text)
    if COMBINING_NEG_RE.search(segment[end : end + 2]):  # "42\u0338" read as "42"
        return True
    return _NEG_BEFORE_RE.search(segment[max(0, start - 60) : start]) is not None


def _single_value(v: MathValue) -> bool:
    return isinstance(v, NumberValue | ScalarValue)


def pick_answer(
    segment: str,
    source: str,
    parse: Callable[[str], MathValue | None],
    gold: MathValue,
    *,
    check_negation: bool,
    include_segment: bool = True,
) -> Picked:
    """The final answer read from ``segment`` (found by step ``source``), or why there is none."""
    segment = typeset_clean(segment)
    if check_negation and _single_value(gold) and hedged(hedge_scope(segment, source)):
        return Picked(segment, source, None, f"hedged answer {segment[-60:]!r}")
    negated = 0
    words: Picked | None = None
    cands = answer_candidates(segment, lead=source in ("answer_is", "gsm8k", "answer_tag"))
    if not include_segment:
        cands = [c for c in cands if c.source != "segment"]
    for cand in cands:
        if cand.source == "math_list" and not isinstance(
            gold, SeqValue | Alternatives | UnionValue
        ):
            continue  # several values answer only a list gold
        text = cand.text
        if source == "answer_is" and cand.source == "segment":
            digit = re.search(r"\d", text)  # "96, not 95": an explanation after the number
            text = text[: digit.start()] if digit else text
        if check_negation and (
            COMBINING_NEG_RE.search(cand.text) or _negated_at(segment, text, cand.start)
        ):
            negated += 1
            continue
        value = parse(clean_answer(cand.text))
        if value is None and cand.source != "segment":
            alt = maybe_decimal_comma(cand.text) or ratio_as_tuple(clean_answer(cand.text))
            value = parse(alt) if alt is not None else None
        if value is None:
            continue
        step = source if cand.source == "segment" else f"{source}: {SOURCE_NAMES[cand.source]}"
        if isinstance(value, TextValue) and not isinstance(gold, TextValue):
            if words is None:
                words = Picked(cand.text, step, value)
            continue
        return Picked(cand.text, step, value)
    if negated:
        return Picked(segment, source, None, f"negated answer {segment[-60:]!r}")
    if words is not None:
        return words
    return Picked(segment, source, None)


def parse_gold(text: str, parse: Callable[[str], MathValue | None]) -> MathValue | None:
    """The gold answer parsed; a gold written as prose around math ("$19, 46$ and $82$",
    JSON-doubled backslashes, a decimal comma) falls back to its last math span."""
    solutions = _assignments_as_tuples(text) if ";" in text else None
    if solutions is not None and parse(solutions) is not None:
        return parse(solutions)  # "p=5,q=2;p=7,q=2": one tuple per solution
    value = parse(text)
    if value is not None and not isinstance(value, TextValue):
        return value
    fixed = clean_answer(text)
    if fixed != text:
        again = parse(fixed)
        if again is not None:
            return again
    alts = (
        maybe_decimal_comma(text),
        _gold_alternatives(fixed),
        ratio_as_tuple(fixed),
    )
    for alt in alts:
        again = parse(alt) if alt is not None else None
        if again is not None:
            return again
    spans = math_spans(text)
    if spans and value is None:
        value = parse(spans[-1][0])
    if value is None:
        from ..parsers._mathequal import parse_gold_lenient

        value = parse_gold_lenient(clean_answer(text))
    return value


_GOLD_OR_RE = re.compile(r"\s*(?:\\text\{\s*(?:or|and)\s*\}|\b(?:or|and)\b)\s*")


def _gold_alternatives(text: str) -> str | None:
    """A gold listing its accepted answers with "or"/"and" ("$21,16$ or $11$",
    "(11,7)or(7,11)") as one list; an answer must then list them all."""
    if not _GOLD_OR_RE.search(text):
        return None
    return _GOLD_OR_RE.sub(", ", text.replace("$", "")).strip(", ")


_ASSIGN_RE = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*([^,;=]{1,40}?)\s*$")


def _assignments_as_tuples(text: str) -> str | None:
    """``p=5,q=2;p=7,q=2`` (one solution per ``;``) as ``(5, 2), (7, 2)``: the tuples a
    solver lists, in the variables' order of appearance."""
    body = text.strip().strip("$")
    if "=" not in body or len(body) > 300:
        return None
    tuples = []
    names: list[str] | None = None
    for solution in body.split(";"):
        pairs = [_ASSIGN_RE.match(part) for part in solution.split(",")]
        if len(pairs) < 2 or any(m is None for m in pairs):
            return None
        these = [m.group(1) for m in pairs if m is not None]
        if names is not None and these != names:
            return None
        names = these
        tuples.append("(" + ", ".join(m.group(2) for m in pairs if m is not None) + ")")
    return ", ".join(tuples)
