"""Multiple-choice letter answers: "The answer is (C)", "D. it can't be A or B", "B。不是 A".

When the gold answer is one option letter, a completion states its choice in
prose, and the other letters it mentions are usually the options it rules out.
:func:`find_letter` reads the choice in this order: a ``\\boxed{}`` letter, the
letter after the last answer marker (English, French, Chinese), a letter that
opens the completion, else the last letter that is not ruled out. A choice
joined to another letter ("A or B", "C, D", "A B C D") is a hedge and reads as
no answer; so does a choice ruled out itself ("the answer is not D").

Linear scans with bounded regexes; the text is capped by the caller.
"""

from __future__ import annotations

import re

from ._answers import extract_boxed_all

__all__ = ["find_letter", "gold_letter"]

#: Option letters are A to E, or up to the gold's letter when it is later (A to J).
_DEFAULT_LAST = "E"
_MAX_LAST = "J"

_WRAP_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|boxed)\s*\{([^{}]{0,20})\}|[$*]")
_LONE_RE = re.compile(r"^\s*[(\[]?\s*([A-J])\s*[)\]]?\s*[.:]?\s*$")
_MARK = (
    r"(?:final answer|correct answer|the answer|answer|correct option|the option|"
    r"r[ée]ponse(?: finale)?|la bonne r[ée]ponse|respuesta|antwort)"
    r"(?:\s+(?:is|est|es|ist|would be|will be|should be))?\s*[:=]?"
    r"|答案\s*(?:是|为|[:：])?|选项?\s*(?:是|为)?"
)
_MARK_RE = re.compile(_MARK, re.I)
# Between a marker and its letter: filler words ("for sure", "option"), brackets, markup.
_FILLER_RE = re.compile(
    r"(?:\s|[(\[*$:：,，]|\\(?:text|textbf|boxed|mathrm)\{|"
    r"\b(?:for sure|definitely|clearly|probably|option|choice|letter|then|therefore|thus)\b)*",
    re.I,
)
_NEG_WORDS = (
    r"not|n['\u2019]t|non|pas|never|cannot be|rather than|instead of|except|eliminate|"
    r"rule out|ruled out|exclude|不是|不|非"
)
# A negation that a letter follows within three words: "not A", "can't be A", "不是 A".
_NEG_BEFORE_RE = re.compile(
    rf"(?:\b(?:{_NEG_WORDS})|不是|不|非)(?:\s+[A-Za-z]+){{0,3}}\s*[(]?\s*\Z", re.I
)
_NEG_RE = re.compile(rf"\b(?:{_NEG_WORDS})\b|不是|不|非", re.I)
# Letters joined into a list: "A or B", "A, B", "A/B", "A B", "A 或 B".
_SEP = r"[\s,;/.?|)(]*"
_JOIN = rf"{_SEP}(?:(?:\b(?:or|and|nor|maybe|perhaps|possibly)\b|或|和){_SEP}){{0,2}}"


def _letters(gold: str) -> str:
    last = max(_DEFAULT_LAST, gold)
    return "ABCDEFGHIJ"[: "ABCDEFGHIJ".index(min(last, _MAX_LAST)) + 1]


def gold_letter(text: str) -> str | None:
    """The option letter a gold answer names: ``C``, ``(C)``, ``\\text{C}``, or a gold in
    prose that says "the answer is (C) Cecile"; else ``None``."""
    plain = _WRAP_RE.sub(lambda m: m.group(1) or "", text)
    m = _LONE_RE.match(plain)
    if m is not None:
        return m.group(1)
    if len(plain) > 300 or re.search(r"[\d=\\^_{}]", plain):
        return None  # math, not an option
    mark = _last_mark(plain)
    if mark is None:
        return None
    after = re.match(
        r"\s*[(\[]?\s*([A-J])(?:[)\]]|\s+[A-Z][a-z]|\s*[.:]?\s*$)", plain[mark.end() :]
    )
    return after.group(1) if after else None


def _last_mark(text: str) -> re.Match[str] | None:
    last = None
    for m in _MARK_RE.finditer(text):
        last = m
    return last


def _letter_re(letters: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9'\u2019\\])[{letters}](?![A-Za-z0-9'\u2019])")


def _ruled_out(text: str, at: int, letters: str) -> bool:
    """Whether the letter at ``at`` follows a negation, directly or through a list of
    letters ("can't be A or B": B is ruled out too)."""
    head = text[max(0, at - 80) : at]
    head = re.sub(rf"(?:[{letters}]{_JOIN})+\Z", "", head)
    return _NEG_BEFORE_RE.search(head) is not None


def _hedged(text: str, start: int, letters: str) -> bool:
    """Whether the letter at ``start`` is joined to another letter (a list of choices)."""
    after = re.match(rf"{_JOIN}[{letters}](?![A-Za-z0-9'\u2019])", text[start + 1 : start + 40])
    if after is not None and after.group(0).strip():
        return True
    before = text[max(0, start - 40) : start]
    m = re.search(rf"(?<![A-Za-z0-9'\u2019\\])[{letters}]{_JOIN}\Z", before)
    return m is not None and not _ruled_out(text, start - len(before) + m.start(), letters)


def find_letter(text: str, gold: str) -> tuple[str | None, str]:
    """The option letter ``text`` chooses, and how it was found (``boxed``, ``marker``,
    ``leading``, ``last letter``), or ``(None, why)``: no letter, a hedge, a negated one."""
    letters = _letters(gold)
    text = text[-20_000:]
    boxes = [_WRAP_RE.sub(lambda m: m.group(1) or "", b) for b in extract_boxed_all(text)]
    if boxes:
        picked = {m.group(1) for b in boxes if (m := _LONE_RE.match(b)) is not None}
        if len(picked) == 1 and len(set(boxes)) == 1:
            return picked.pop(), "boxed"
        if len(set(boxes)) > 1:
            return None, "several different \\boxed{} answers"
    one = _letter_re(letters)
    mark = _last_mark(text)
    if mark is not None:
        fill = _FILLER_RE.match(text, mark.end())
        at = fill.end() if fill else mark.end()
        hit = one.match(text, at)
        if hit is not None:
            return _checked(text, hit.start(), letters, "marker")
        if _NEG_RE.match(text, at) and one.search(text, at, at + 30):
            return None, "negated answer"
    lead = re.match(rf"\s*[(\[*]*\s*([{letters}])(?:[).:\]。，,\s]|[^\x00-\x7f]|$)", text)
    if lead is not None and not re.match(r"\s+[a-z]", text[lead.end(1) :]):
        return _checked(text, lead.start(1), letters, "leading")
    hits = [h for h in one.finditer(text) if not _article(text, h.start())]
    for hit in reversed(hits):
        if not _ruled_out(text, hit.start(), letters):
            return _checked(text, hit.start(), letters, "last letter")
    return None, ("every letter is ruled out" if hits else "no option letter")


def _article(text: str, at: int) -> bool:
    """Whether the letter at ``at`` opens a sentence and a lowercase word follows: the
    article "A car ..." (or "I think"), not an option."""
    head = text[max(0, at - 3) : at]
    opens = at == 0 or re.search(r"(?:^|[.!?:]\s+|\n\s*)$", head) is not None
    return opens and re.match(r"\s+[a-z]", text[at + 1 : at + 4]) is not None


def _checked(text: str, at: int, letters: str, how: str) -> tuple[str | None, str]:
    if _ruled_out(text, at, letters):
        return None, "negated answer"
    if _hedged(text, at, letters):
        return None, f"hedged answer {text[max(0, at - 20) : at + 20]!r}"
    return text[at], how
