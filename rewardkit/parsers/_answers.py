"""Final-answer extraction: ``\\boxed{}``, GSM8K ``####``, "the answer is", numbers, code."""

from __future__ import annotations

import re

from .._completion import MAX_COMPLETION_CHARS
from ._xml import extract_tag

__all__ = [
    "extract_answer_is",
    "extract_boxed",
    "extract_boxed_all",
    "extract_code_blocks",
    "extract_gsm8k",
    "extract_last_number",
    "final_answer",
]

_BOX_CMDS = ("\\boxed", "\\fbox")
MAX_BOXES = 64


def extract_boxed_all(text: str, *, limit: int = MAX_BOXES) -> list[str]:
    """Contents of every ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces balanced), in order.

    ``\\boxed 5`` (no braces) yields the following token. An unbalanced box is
    skipped. At most ``limit`` are returned.
    """
    text = text[:MAX_COMPLETION_CHARS]
    out: list[str] = []
    pos = 0
    n = len(text)
    while len(out) < limit:
        starts = [(text.find(c, pos), c) for c in _BOX_CMDS]
        starts = [(i, c) for i, c in starts if i != -1]
        if not starts:
            break
        i, cmd = min(starts)
        j = i + len(cmd)
        while j < n and text[j] == " ":
            j += 1
        if j < n and text[j] == "{":
            depth, k = 0, j
            while k < n:
                ch = text[k]
                if ch == "\\" and k + 1 < n:
                    k += 2
                    continue
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            if depth == 0 and k < n:
                out.append(text[j + 1 : k].strip())
                pos = k + 1
                continue
            pos = j + 1
            continue
        if j > i + len(cmd):  # "\boxed 5": take the next token
            m = re.match(r"[^\s$]+", text[j : j + 200])
            if m:
                out.append(m.group(0))
        pos = j
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


_ANSWER_IS_RE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]{1,200})", re.IGNORECASE
)


def extract_answer_is(text: str) -> str | None:
    """What follows the last "the answer is" / "final answer:" marker, up to the line end.

    Trailing sentence punctuation and wrapping ``$``/``**`` are removed.
    """
    hits = _ANSWER_IS_RE.findall(text[:MAX_COMPLETION_CHARS])
    if not hits:
        return None
    ans = hits[-1].strip()
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


_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n", re.MULTILINE)


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
        fence, lang = m.group(1), _lang_alias(m.group(2))
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
