"""Final-answer extraction: ``\\boxed{}``, GSM8K ``####``, "the answer is", numbers, code."""

from __future__ import annotations

import collections
import re

from ..contract._completion import MAX_COMPLETION_CHARS
from ._xml import extract_tag

__all__ = [
    "boxed_spans",
    "extract_answer_is",
    "extract_boxed",
    "extract_boxed_all",
    "extract_code_blocks",
    "extract_gsm8k",
    "extract_last_number",
    "final_answer",
]

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
MAX_BOXES = 64


def _brace_matches(text: str) -> dict[int, int]:
    """Map each ``{`` offset to its matching ``}`` in one linear pass (``\\x`` escapes skipped)."""
    match: dict[int, int] = {}
    stack: list[int] = []
    k, n = 0, len(text)
    while k < n:
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            stack.append(k)
        elif ch == "}" and stack:
            match[stack.pop()] = k
        k += 1
    return match


def extract_boxed_all(text: str, *, limit: int = MAX_BOXES) -> list[str]:
    """Contents of every ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces balanced), in order.

    ``\\boxed 5`` (no braces) yields the following token. An unbalanced box is
    skipped. At most ``limit`` are returned. Linear time: braces are matched in
    one pass, however many unbalanced boxes the text holds.
    """
    return [body for body, _, _ in boxed_spans(text, limit=limit)]


def boxed_spans(text: str, *, limit: int = MAX_BOXES) -> list[tuple[str, int, int]]:
    """Every box as (content, start of ``\\boxed``, end of the box), as
    :func:`extract_boxed_all` finds them: the offsets let a caller read the words
    between boxes."""
    text = text[:MAX_COMPLETION_CHARS]
    out: list[tuple[str, int, int]] = []
    matches: dict[int, int] | None = None
    n = len(text)
    for m in _BOX_RE.finditer(text):
        if len(out) >= limit:
            break
        j = m.end()
        while j < n and text[j] == " ":
            j += 1
        if j < n and text[j] == "{":
            if matches is None:
                matches = _brace_matches(text)
            k = matches.get(j)
            if k is not None:
                out.append((text[j + 1 : k].strip(), m.start(), k + 1))
            continue
        if j > m.end():  # "\\boxed 5": take the next token
            tok = re.match(r"[^\s$]+", text[j : j + 200])
            if tok:
                out.append((tok.group(0), m.start(), j + tok.end()))
    return out


def extract_boxed(text: str) -> str | None:
    """The last ``\\boxed{}`` content, or ``None``."""
    boxes = extract_boxed_all(text)
    return boxes[-1] if boxes else None


_GSM8K_RE = re.compile(r"####[ \t]*([^\n]{0,200})")


def extract_gsm8k(text: str) -> str | None:
    """The answer after the last GSM8K marker ``#### 42``."""
    hits = _GSM8K_RE.findall(text[:MAX_COMPLETION_CHARS])
    if not hits:
        return None
    ans = hits[-1].strip()
    return ans or None


# The marker is located first and the answer read after the *last* one, so a
# line with two markers ("answer is 1, no, the answer is 2") yields 2.
# ``\s*(?::\s*)?`` rather than ``\s*:?\s*``: two adjacent ``\s*`` can split a long
# whitespace run in quadratically many ways before failing.
_ANSWER_MARK_RE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)|r[ée]ponse(?: finale)?\s*(?:est|:)"
    r"|答案\s*(?:是|为|[:：])",
    re.IGNORECASE,
)
_ANSWER_REST_RE = re.compile(r"\s*(?::\s*)?([^\n]{1,200})")


def extract_answer_is(text: str) -> str | None:
    """What follows the last "the answer is" / "final answer:" marker, up to the line end.

    Trailing sentence punctuation and wrapping ``$``/``**`` are removed.
    """
    text = text[:MAX_COMPLETION_CHARS]
    marks = collections.deque(_ANSWER_MARK_RE.finditer(text), maxlen=8)
    rest = None
    while marks and rest is None:  # a bare marker at the very end falls back to earlier ones
        rest = _ANSWER_REST_RE.match(text, marks.pop().end())
    if rest is None:
        return None
    ans = rest.group(1).strip()
    ans = re.sub(r"^[*$\s]+|[*$\s]+$", "", ans)
    ans = ans.rstrip(".!;, ")
    ans = re.sub(r"^[*$\s]+|[*$\s]+$", "", ans)
    return ans or None


_NUMBER_RE = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d{1,4})?%?|-?\.\d+")


def extract_last_number(text: str) -> str | None:
    """The last number-looking token (``-1,234.5``, ``$18``, ``45%``, ``1e-3``), or ``None``."""
    text = text[-20_000:]
    last = None
    for m in _NUMBER_RE.finditer(text):
        last = m.group(0)
    if last is None:
        return None
    return last.rstrip(",")


# The fence run is maximal (lookahead) and the info string is one ``[^\n]*``, so a long
# unterminated fence line fails in linear time; the language is read from the info string.
_FENCE_RE = re.compile(r"^[ \t]*(`{3,}(?!`)|~{3,}(?!~))([^\n]*)\n", re.MULTILINE)
_LANG_RE = re.compile(r"[ \t]*([\w+#.-]*)")


def extract_code_blocks(text: str, language: str | None = None) -> list[str]:
    """Bodies of fenced code blocks, in order; filtered by language when given.

    Blocks tagged with another language are skipped; untagged blocks count as
    any language. An unclosed final fence (a truncated completion) is kept.
    """
    text = text[:MAX_COMPLETION_CHARS]
    want = _lang_alias(language) if language else None
    out: list[str] = []
    pos = 0
    while True:
        m = _FENCE_RE.search(text, pos)
        if not m:
            break
        fence = m.group(1)
        info = _LANG_RE.match(m.group(2))
        lang = _lang_alias(info.group(1) if info else "")
        body_start = m.end()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        c = close.search(text, body_start)
        body = text[body_start : c.start()] if c else text[body_start:]
        pos = c.end() if c else len(text)
        if want is None or not lang or lang == want:
            out.append(body.rstrip("\n"))
        if not c:
            break
    return out


_LANGS = {
    "py": "python",
    "python3": "python",
    "cpp": "c++",
    "cxx": "c++",
    "cc": "c++",
    "js": "javascript",
}


def _lang_alias(lang: str | None) -> str:
    lang = (lang or "").lower()
    return _LANGS.get(lang, lang)


def final_answer(text: str, *, short_limit: int = 100) -> tuple[str | None, str]:
    """The final answer of a completion and where it was found.

    Order: last ``\\boxed{}``, the ``<answer>`` block, a "the answer is" or
    ``####`` marker, and — only for a short text — the whole text. Returns
    ``(answer or None, source)`` where source is one of ``boxed``, ``answer_tag``,
    ``answer_is``, ``gsm8k``, ``whole`` or ``none``.
    """
    boxed = extract_boxed(text)
    if boxed is not None:
        return boxed, "boxed"
    tag = extract_tag(text, "answer")
    if tag is not None:
        inner = extract_boxed(tag)
        return (inner if inner is not None else tag), "answer_tag"
    gsm = extract_gsm8k(text)
    if gsm is not None:
        return gsm, "gsm8k"
    said = extract_answer_is(text)
    if said is not None:
        return said, "answer_is"
    stripped = text.strip()
    if stripped and len(stripped) <= short_limit:
        return stripped, "whole"
    return None, "none"
