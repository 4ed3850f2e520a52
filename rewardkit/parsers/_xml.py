"""XML-style tag parsing (``<answer>...</answer>``) without regex backtracking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..contract._completion import MAX_COMPLETION_CHARS, _split_reasoning

__all__ = ["TagMatch", "count_blocks", "extract_tag", "find_blocks", "strip_reasoning"]


@dataclass(frozen=True, slots=True)
class TagMatch:
    """One ``<tag>content</tag>`` block: content and character offsets of the whole block."""

    content: str
    start: int
    end: int


def find_blocks(text: str, tag: str, *, limit: int = 1000) -> list[TagMatch]:
    """All non-overlapping closed ``<tag>...</tag>`` blocks, in order (case-sensitive).

    An opening tag with no closing tag ends the scan. At most ``limit`` blocks
    are returned so tag spam costs bounded work.
    """
    text = text[:MAX_COMPLETION_CHARS]
    open_t, close_t = f"<{tag}>", f"</{tag}>"
    out: list[TagMatch] = []
    pos = 0
    while len(out) < limit:
        a = text.find(open_t, pos)
        if a == -1:
            break
        b = text.find(close_t, a + len(open_t))
        if b == -1:
            break
        out.append(TagMatch(text[a + len(open_t) : b], a, b + len(close_t)))
        pos = b + len(close_t)
    return out


def extract_tag(text: str, tag: str, *, strict: bool = False, strip: bool = True) -> str | None:
    """Content of the *last* ``<tag>`` block, or ``None``.

    Lenient mode (default) also accepts an unclosed final block (``<answer> 42``
    at the end of a truncated completion). Strict mode requires exactly one
    closed block and returns ``None`` if the tag is repeated.
    """
    blocks = find_blocks(text, tag)
    if strict:
        if len(blocks) != 1 or text.count(f"<{tag}>") != 1 or text.count(f"</{tag}>") != 1:
            return None
        content = blocks[0].content
        return content.strip() if strip else content
    open_t = f"<{tag}>"
    last_open = text.rfind(open_t)
    if blocks and blocks[-1].start == last_open:
        content = blocks[-1].content
    elif last_open != -1 and f"</{tag}>" not in text[last_open:]:
        content = text[last_open + len(open_t) :]
    elif blocks:
        content = blocks[-1].content
    else:
        return None
    return content.strip() if strip else content


def count_blocks(text: str, tag: str) -> tuple[int, int]:
    """(number of opening tags, number of closing tags): detects repeated blocks."""
    return text.count(f"<{tag}>"), text.count(f"</{tag}>")


def strip_reasoning(text: str, tags: Sequence[str] = ("think", "reasoning")) -> str:
    """Remove reasoning blocks; an unclosed block swallows the rest of the text."""
    return _split_reasoning(text[:MAX_COMPLETION_CHARS], tags)[1]
