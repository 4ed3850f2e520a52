"""Where a free-form completion states its final answer, beyond ``\\boxed{}`` and markers.

Models often write the answer inline: "Therefore, $x = 3$.", "Thus the area is
$12\\pi$ square units.", "Answer \\[ 9 \\]". :func:`answer_candidates` turns a
text segment (the rest of an "answer is" line, or the whole completion when no
marker was found) into an ordered list of typed candidates, most specific
first; the caller keeps the first one its parser reads. Each candidate carries
its source (reported in the reward's ``reason``) and its offset in the text, so
a caller can say where the answer came from and never cut the text silently.

Scanning is linear: delimiter search with ``str.find``, and regexes without
nested quantifiers. Nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._answers import boxed_spans
from ._numwords import words_to_number

__all__ = [
    "Candidate",
    "answer_candidates",
    "clean_answer",
    "final_marker_after_boxes",
    "gold_box_run",
    "halve_backslashes",
    "math_spans",
    "maybe_decimal_comma",
    "ratio_as_tuple",
    "typeset_clean",
]

#: Longest math span considered (a longer "span" is an unmatched ``$`` swallowing prose).
MAX_SPAN_CHARS = 2_000

#: Human-readable names of the extraction steps (what ``reason`` says).
SOURCE_NAMES = {
    "segment": "the whole answer text",
    "leading": "the math before the first word",
    "math": "last inline math",
    "math_list": "every math of the last sentence",
    "display": "last display math",
    "after_is": "the words after the last 'is'",
    "last_number": "the last number",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of the final answer: ``text``, the step that found it, its offset."""

    text: str
    source: str
    start: int


_DISPLAY_OPEN = (("$$", "$$"), ("\\[", "\\]"))
_INLINE_OPEN = (("\\(", "\\)"), ("$", "$"))


def _find_unescaped(text: str, needle: str, start: int) -> int:
    """``text.find(needle, start)`` skipping occurrences escaped by a backslash (``\\$``)."""
    while True:
        k = text.find(needle, start)
        if k <= 0 or needle[0] != "$" or text[k - 1] != "\\":
            return k
        start = k + 1


def math_spans(text: str) -> list[tuple[str, int, bool]]:
    """Every ``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]`` span as (body, offset, display).

    Inline spans do not cross a line break (a stray ``$`` must not swallow the
    next paragraph); display spans may. Escaped ``\\$`` (currency in prose, or
    inside the math) is not a delimiter.
    """
    out: list[tuple[str, int, bool]] = []
    k, n = 0, len(text)
    while k < n:
        nxt = -1
        for opener in ("$", "\\(", "\\["):
            j = _find_unescaped(text, opener, k)
            if j >= 0 and (nxt < 0 or j < nxt):
                nxt = j
        if nxt < 0:
            break
        if text.startswith("$$", nxt):
            pair, display = ("$$", "$$"), True
        elif text.startswith("\\[", nxt):
            pair, display = ("\\[", "\\]"), True
        elif text.startswith("\\(", nxt):
            pair, display = ("\\(", "\\)"), False
        else:
            pair, display = ("$", "$"), False
        body_at = nxt + len(pair[0])
        end = _find_unescaped(text, pair[1], body_at)
        if end < 0 or end - body_at > MAX_SPAN_CHARS:
            k = body_at
            continue
        body = text[body_at:end]
        if not display and "\n" in body:
            k = body_at if pair[0] != "$" else end  # "$ \n 9 \n $" is not inline math
            continue
        if body.strip():
            out.append((body.strip(), nxt, display))
        k = end + len(pair[1])
    return out


# A parenthetical justification after the answer: "is $7$ (since $47 = 5 \\cdot 8 + 7$)."
_ASIDE_RE = re.compile(
    r"\((?:since|because|as|which|where|from|by|using|i\.e\.|e\.g\.|note|check)\b[^()]{0,300}\)",
    re.I,
)
_JOIN_RE = re.compile(r"^(?:,|,?\s*(?:and|or))?\s*$", re.I)
_IS_MARK_RE = re.compile(r"(?:\bis|\bare|\bequals|\bgives|\best|=|:)\s+|[是为：]\s*", re.I)
# Prose after an answer that is not math: Chinese/Japanese text and punctuation ("吨。"), or a
# currency sign written after the number ("2,74 $ a").
_PROSE_TAIL_RE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]|(?<=\d)\s+\$(?=\s|\Z)")


def _after_last_is(sentence: str) -> tuple[str, int] | None:
    """The words after the sentence's last "is" / "=" / ":" (not "is not"), and their offset."""
    last = None
    for m in _IS_MARK_RE.finditer(sentence):
        last = m
    if last is None or sentence.startswith("not", last.end()):
        return None
    rest = sentence[last.end() : last.end() + 200]
    tail = _PROSE_TAIL_RE.search(rest)
    if tail is not None and tail.start() > 0:
        rest = rest[: tail.start()]
    rest = rest.rstrip().rstrip(".;!").rstrip()
    return (rest, last.end()) if rest else None


_NUMBER_RE = re.compile(
    r"(?<![A-Za-z_])(?:-?\d{1,12}/\d{1,12}(?!\d|[.,]\d)|-?\d[\d,]*(?:\.\d+)?(?:\\?%)?|-?\.\d+)"
)
_SENTENCE_END_RE = re.compile(
    r"(?<!\bi\.e)(?<!\be\.g)[.!?](?:\s+|\Z)(?=\S)|[。！？]\s*(?=\S)|\n\s*\n"
)


def sentences(text: str, *, last: int = 3) -> list[tuple[str, int]]:
    """The last ``last`` sentences of ``text``, last first, with their offsets (a period
    ends one only when whitespace follows it: ``3.5`` does not)."""
    tail_at = max(0, len(text) - 4_000)
    tail = text[tail_at:].rstrip()
    starts = [0] + [m.end() for m in _SENTENCE_END_RE.finditer(tail)]
    bounds = list(zip(starts, [*starts[1:], len(tail)], strict=True))[-last:]
    return [(tail[a:b], tail_at + a) for a, b in reversed(bounds) if tail[a:b].strip()]


_LEAD_RE = re.compile(r"^(.*?)(?:[.;]\s|,\s+(?=[A-Za-z]{3})|\s(?=[A-Za-z]{3,}\b(?<!\\)))")
# Chat-template tokens a runaway completion continues past ("... is 2/3. <|im_start|>user").
_CHAT_TOKEN_RE = re.compile(r"<\|[A-Za-z_]{1,30}\|>")


# A "$" that opens or closes math; "$18" (currency: a digit right after) is not one.
_MATH_DOLLAR_RE = re.compile(r"(?<!\\)\$(?!\d)")


def _in_latex(sentence: str, n: re.Match[str]) -> bool:
    """Whether a number sits in math that was not read as a span (an unclosed or overlong
    ``$``, a matrix cell next to ``&`` or ``\\\\``): part of that math, not an answer."""
    opened = sum(1 for d in _MATH_DOLLAR_RE.finditer(sentence) if d.start() < n.start())
    if opened % 2 == 1:
        return True
    head = sentence[: n.start()]
    if head.count("\\(") > head.count("\\)"):  # "\( \n 9 \n \)": malformed inline math
        return True
    near = sentence[max(0, n.start() - 3) : n.end() + 3]
    return "&" in near or "\\\\" in near


def answer_candidates(segment: str, offset: int = 0, *, lead: bool = False) -> list[Candidate]:
    """Readings of the answer in ``segment``, most specific first (see the module docstring).

    The steps: the segment itself; with ``lead`` (a marker's rest, where the
    answer comes first: "96, since ...") the math before the first word and
    then the marker's first sentence, else the last three sentences, last
    first. In each sentence: its last display or inline math, the words after
    its last "is" / "=" / ":" (first when they follow that math: "the largest
    $n$ is 34"), its last number. Text after a chat-template token is dropped.
    """
    chat = _CHAT_TOKEN_RE.search(segment)
    if chat is not None and segment[: chat.start()].strip():
        segment = segment[: chat.start()]
    out: list[Candidate] = []
    seg = segment.strip()
    if seg:
        out.append(Candidate(seg, "segment", offset))
    m_lead = _LEAD_RE.match(seg) if lead else None
    if m_lead is not None and m_lead.group(1).strip().rstrip(",.;:"):
        out.append(Candidate(m_lead.group(1).strip().rstrip(",.;:"), "leading", offset))
    spans = math_spans(segment)
    if lead:
        first = sentences(segment, last=10_000)
        picked = first[-1:] if first else []
    else:
        picked = sentences(segment)
    for sentence, s_at in picked:
        out.extend(_sentence_candidates(segment, sentence, s_at, spans, offset))
    if spans:  # a display block spanning several "sentences"
        body, at, display = spans[-1]
        out.append(Candidate(body, "display" if display else "math", offset + at))
    seen: set[str] = set()
    uniq = []
    for c in out:
        if c.text and c.text not in seen:
            seen.add(c.text)
            uniq.append(c)
    return uniq


def _sentence_candidates(
    segment: str, sentence: str, s_at: int, spans: list[tuple[str, int, bool]], offset: int
) -> list[Candidate]:
    out: list[Candidate] = []
    m = _after_last_is(sentence)
    after = Candidate(m[0], "after_is", offset + s_at + m[1]) if m else None
    asides = [(s_at + m.start(), s_at + m.end()) for m in _ASIDE_RE.finditer(sentence)]
    inside = [
        sp
        for sp in spans
        if s_at <= sp[1] < s_at + len(sentence) and not any(a <= sp[1] < b for a, b in asides)
    ]
    if len(inside) > 1:  # "the roots are $x = 2$ or $x = 3$": every value, for a list gold
        run = [inside[-1]]
        for prev in reversed(inside[:-1]):
            prev_end = segment.find(prev[0], prev[1]) + len(prev[0])
            gap = segment[prev_end : run[0][1]]
            if not _JOIN_RE.match(gap.strip("$\\()[] ")):
                break
            run.insert(0, prev)
        if len(run) > 1:
            joined = ", ".join(body for body, _, _ in run)
            out.append(Candidate(joined, "math_list", offset + run[0][1]))
    if inside:
        body, at, display = inside[-1]
        span = Candidate(body, "display" if display else "math", offset + at)
        # "The largest $n$ is 34.": a number after the last math span is the answer
        tail = segment[at + len(body) + 2 : s_at + len(sentence)]
        if after is not None and _DIGIT_RE.search(tail) and after.start > offset + at:
            out.append(after)
        out.append(span)
    if after is not None:
        out.append(after)
    numbers = list(_NUMBER_RE.finditer(sentence))
    # a number inside math is part of that math ("8" in a matrix sum), not the answer
    in_math = [(at - s_at, at - s_at + len(body) + 2) for body, at, _ in inside]
    numbers = [
        n
        for n in numbers
        if not any(a <= n.start() < b for a, b in in_math) and not _in_latex(sentence, n)
    ]
    if numbers:
        last = numbers[-1]
        out.append(
            Candidate(last.group(0).rstrip(","), "last_number", offset + s_at + last.start())
        )
    return out


_DIGIT_RE = re.compile(r"\d")
# "11,\! 111" and "14{,}916": a typeset thousands separator between digit groups
_GROUP_RE = re.compile(r"(?<=\d)(?:,\\!\s*|\s?\{\s?,\s?\}\s?)(?=\d{3})")
# "\quadx_2" (spacing glued to the next token), and ", and" / "\text{ and }" in a list
_QUAD_RE = re.compile(r"(?<!\\)\\q?quad|(?<!\\)\\[,;: ](?![A-Za-z])")
_LIST_AND_RE = re.compile(r",?\s*(?:\\(?:text|mbox)\{\s*(?:and|or)\s*\}|\band\b)\s*(?=[-\w$\\({])")
_APPROX_RE = re.compile(r"\\approx(?![A-Za-z])|\u2248")


def typeset_clean(text: str) -> str:
    """Doubled backslashes halved and typeset thousands separators (``11,\\! 111``,
    ``14{,}916``) made plain; safe on a whole completion."""
    text = _GROUP_RE.sub(",", halve_backslashes(text)).replace("\\!", "")
    return _QUAD_RE.sub(" ", text)


def clean_answer(text: str) -> str:
    """Cosmetic LaTeX removed before parsing: doubled backslashes, thin-space ``\\!``
    (``11,\\! 111``), and an approximation tail (``x = \\frac{1}{3} \\approx 0.33``)."""
    if words_to_number(text) is not None:  # "one hundred and five" is one number
        return text
    text = _LIST_AND_RE.sub(", ", typeset_clean(text))
    m = _APPROX_RE.search(text)
    if m is not None and _DIGIT_RE.search(text[: m.start()]):  # "x \approx 11" keeps 11
        text = text[: m.start()].rstrip()
    return text


_SINGLE_CMD_RE = re.compile(r"(?<!\\)\\[A-Za-z]")
_DOUBLE_CMD_RE = re.compile(r"\\\\[A-Za-z]")


def halve_backslashes(text: str) -> str:
    """``\\\\frac{1}{2}`` (JSON-escaped twice) → ``\\frac{1}{2}``, when every command is doubled.

    Only when no single-backslash command appears: a matrix row break ``\\\\``
    next to real commands is left alone.
    """
    if "\\\\" not in text or not _DOUBLE_CMD_RE.search(text) or _SINGLE_CMD_RE.search(text):
        return text
    return text.replace("\\\\", "\\")


_DECIMAL_COMMA_RE = re.compile(r"^(-?)(\d+),(\d+)$")


def maybe_decimal_comma(text: str) -> str | None:
    """``1,22`` / ``1000,99`` / ``0,111`` read as a decimal comma, or ``None``.

    A comma is a thousands separator when it is followed by exactly three
    digits and preceded by one to three digits other than a lone ``0``
    (``1,000``, ``12,345``): such text is never reinterpreted.
    """
    m = _DECIMAL_COMMA_RE.match(text.strip().strip("$").strip())
    if m is None:
        return None
    sign, head, tail = m.groups()
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        return None
    return f"{sign}{head}.{tail}"


_FINAL_MARK_RE = re.compile(r"final answer|the answer is", re.I)
_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


def final_marker_after_boxes(text: str) -> int | None:
    """Offset of a "final answer" / "the answer is" marker that follows every ``\\boxed``.

    Boxes that a completion later restates as its final answer were working
    steps (``\\boxed{200}`` for an interest payment); the last statement wins.
    """
    last_box = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if last_box < 0:
        return None
    mark = _FINAL_MARK_RE.search(text, last_box)
    if mark is None:
        return None
    while True:  # the last marker
        nxt = _FINAL_MARK_RE.search(text, mark.end())
        if nxt is None:
            return mark.start()
        mark = nxt


_RATIO_SIDE_RE = re.compile(r"^\s*([^:]{1,60}?)\s*:\s*([^:]{1,60}?)\s*$")


def ratio_as_tuple(text: str) -> str | None:
    """``7:32`` → ``(7, 32)`` and ``V_1:V_2=11:21`` → ``(V_1, V_2)=(11, 21)``: a ratio or a
    clock time compared part by part (``12:00`` is not ``1:00``), or ``None``."""
    body = text.strip().strip("$").strip()
    if ":" not in body or "\\colon" in body or len(body) > 200:
        return None
    sides = []
    for side in body.split("="):
        if side.count(":") > 1:
            return None
        m = _RATIO_SIDE_RE.match(side) if ":" in side else None
        sides.append(f"({m.group(1)}, {m.group(2)})" if m else side)
    return "=".join(sides)


# What may sit between two boxes of one answer: no word at all, or "and"/"or"/a comma,
# optionally after one word ("\\boxed{1} papers and \\boxed{2} bins"); spacing, math
# delimiters and ``$`` are dropped first.
_BOX_GAP_RE = re.compile(r"^(?:[^A-Za-z]*|(?:[A-Za-z]{1,20}\s*)?(?:,?\s*(?:and|or)|[,;]))$", re.I)
_GAP_NOISE_RE = re.compile(r"\$|\\q?quad|\\[,;: ()\[\]]|\\(?:text|mbox)\{\s*(and|or|,)\s*\}|[.\s]+")


def gold_box_run(text: str) -> list[str]:
    """The boxes of a gold solution that state its answer: the last run of boxes joined only
    by commas or "and"/"or". Earlier boxes separated from it by words were working steps
    ("\\boxed{1} no no \\boxed{2}" answers 2; "\\boxed{2} and \\boxed{3}" answers both)."""
    spans = boxed_spans(text)
    if not spans:
        return []
    run = [spans[-1]]
    for prev in reversed(spans[:-1]):
        gap = _GAP_NOISE_RE.sub(
            lambda m: f" {m.group(1)} " if m.group(1) else " ", text[prev[2] : run[0][1]]
        )
        if not _BOX_GAP_RE.match(gap.strip()):
            break
        run.insert(0, prev)
    return [body for body, _, _ in run]
