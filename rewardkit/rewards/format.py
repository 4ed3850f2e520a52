"""Format rewards: XML-style blocks, ``<think>`` reasoning and tag counting.

All are pure, bounded and linear-time (``str.find``/``count``), so they are
declared ``cheap`` and the engine may run them inline.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from ..contract._completion import Completion, _prompt_prefills_think
from ..contract._outcome import Outcome
from ..contract._reward import reward

__all__ = ["tag_count", "think_format", "xml_count", "xml_format"]


@functools.lru_cache(maxsize=64)
def _tag_strings(tags: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((f"<{t}>", f"</{t}>") for t in tags)


def _layout(text: str, tags: tuple[str, ...], strict: bool) -> tuple[bool, str]:
    """Check that ``tags`` appear once each, in order, as closed blocks.

    Linear time: each tag costs two ``str.count`` scans and two ``str.find``
    calls, all in C, so this stays within a small factor of a bare regex.
    """
    pos = 0
    pairs = _tag_strings(tags)
    if strict and not text.startswith(pairs[0][0]):
        return False, f"does not start with <{tags[0]}>"
    for i, (open_t, close_t) in enumerate(pairs):
        tag = tags[i]
        opens, closes = text.count(open_t), text.count(close_t)
        if opens != 1 or closes != 1:
            return False, f"<{tag}> appears {opens}x and </{tag}> {closes}x (need exactly once)"
        start = text.find(open_t)
        end = text.find(close_t, start + len(open_t))
        if end == -1:
            return False, f"<{tag}> is not closed"
        if start < pos:
            return False, f"<{tag}> comes before </{tags[i - 1]}> (wrong order)"
        content = text[start + len(open_t) : end]
        if i > 0:
            between = text[pos:start]
            if strict and between != "\n":
                return False, f"</{tags[i - 1]}> and <{tag}> must be separated by one newline"
            if between.strip():
                return False, f"text between </{tags[i - 1]}> and <{tag}>"
        if strict:
            if not (content.startswith("\n") and content.endswith("\n")) or not content.strip():
                return False, f"<{tag}> content must be on its own lines and non-empty"
        elif not content.strip():
            return False, f"<{tag}> is empty"
        pos = end + len(close_t)
    if strict and text[pos:] not in ("", "\n"):
        return False, f"text after </{tags[-1]}>"
    return True, ""


@reward(range=(0, 1), version="1", cheap=True)
def xml_format(
    completion: Completion,
    *,
    mode: Literal["lenient", "strict"] = "lenient",
    tags: tuple[str, ...] = ("reasoning", "answer"),
) -> Outcome:
    """1.0 if the completion has each tag block once, in order (strict: exact line layout).

    Lenient mode accepts text before the first block and after the last, and
    whitespace between blocks. Strict mode is the Unsloth GSM8K notebook's
    ``^<reasoning>\\n...\\n</reasoning>\\n<answer>\\n...\\n</answer>\\n$`` layout
    (content may span several lines). A prefilled ``<think>`` is restored first.

    Example:
        >>> xml_format.score({"completion": "<reasoning>2+2</reasoning> <answer>4</answer>"}).score
        1.0
        >>> xml_format.configure(mode="strict").score(
        ...     {"completion": "<reasoning>2+2</reasoning> <answer>4</answer>"}).score
        0.0
    """
    text = completion.full_text
    if mode == "strict" and text.endswith("\n"):
        text = text.rstrip("\n") + "\n"  # trailing blank lines are tolerated, leading ones not
    ok, why = _layout(text, tuple(tags), mode == "strict")
    return Outcome.ok(1.0 if ok else 0.0, why)


@reward(range=(None, 1), version="1", cheap=True)
def xml_count(
    completion: Completion,
    *,
    tags: tuple[str, ...] = ("reasoning", "answer"),
    per_tag: float = 0.25,
    trailing_penalty: float = 0.002,
) -> float:
    """Partial credit per well-formed tag line, minus a penalty per character after the answer.

    The Unsloth GSM8K notebook's ``count_xml`` scaled to a maximum of 1.0
    (``0.5 * xml_count`` reproduces the notebook exactly): each of
    ``<reasoning>\\n``, ``\\n</reasoning>\\n``, ``\\n<answer>\\n``, ``\\n</answer>``
    found exactly once earns ``per_tag`` (at most 0.25, so that the score stays
    within 1); characters after the closing answer tag cost ``trailing_penalty``
    each. A prefilled ``<think>`` is restored first.

    Example:
        >>> xml_count("<reasoning>\\nx\\n</reasoning>\\n<answer>\\n4\\n</answer>\\n")
        1.0
    """
    if not 0.0 <= per_tag <= 0.25:
        raise ValueError(f"per_tag must be between 0 and 0.25, got {per_tag}")
    if not tags:
        raise ValueError("tags must name at least one tag")
    text = completion.full_text
    first, last = tags[0], tags[-1]
    score = 0.0
    if text.count(f"<{first}>\n") == 1:
        score += per_tag
    if text.count(f"\n</{first}>\n") == 1:
        score += per_tag
    if text.count(f"\n<{last}>\n") == 1:
        score += per_tag
        score -= len(text.split(f"\n</{last}>\n")[-1]) * trailing_penalty
    if text.count(f"\n</{last}>") == 1:
        score += per_tag
        score -= (len(text.split(f"\n</{last}>")[-1]) - 1) * trailing_penalty
    return score


@reward(range=(0, 1), version="2", cheap=True)
def think_format(
    completion: Completion,
    prompt: Any = None,
    *,
    require_answer: bool = False,
    prefilled: bool | Literal["auto"] = "auto",
) -> Outcome:
    """1.0 if the completion is one ``<think>...</think>`` block followed by the answer.

    Chat templates that prefill ``<think>`` in the prompt (Qwen3, R1 distills)
    leave only ``</think>`` in the completion; scoring those 0 would punish
    every sample. Whether the template prefilled is a fact about the *prompt*:
    ``prefilled="auto"`` reads it from the prompt (it ends with an open
    ``<think>``), ``True``/``False`` states it. A completion that closes
    ``</think>`` without opening it scores 0 unless the prefill is known, so
    ``garbage</think>5`` is not rewarded for a prompt that never opened
    ``<think>``. With chat-message prompts the template's own text is not
    visible, so pass ``prefilled=True`` for a prefilling template. Repeated or
    nested think tags score 0. Version 2: the prefill
    is no longer guessed from a lone ``</think>`` in the completion.

    Example:
        >>> think_format("<think>2+2=4</think>The answer is 4")
        Outcome(score=1.0, status=<Status.OK: 'ok'>, reason='', extras={})
        >>> think_format.score({"completion": "2+2=4</think>4", "prompt": "Q?<think>"}).score
        1.0
        >>> think_format.score({"completion": "2+2=4</think>4", "prompt": "Q?"}).score
        0.0
    """
    is_prefilled = (
        prefilled
        if isinstance(prefilled, bool)
        else prompt is not None and _prompt_prefills_think(prompt)
    )
    text = completion.text.lstrip()
    if is_prefilled and not text.startswith("<think>"):
        text = "<think>" + text
    if not text.startswith("<think>"):
        why = "does not start with <think>"
        if "</think>" in text:
            why += " (closes </think> but the prompt did not open <think>; see prefilled=)"
        return Outcome.ok(0.0, why)
    opens, closes = text.count("<think>"), text.count("</think>")
    if opens != 1 or closes != 1:
        return Outcome.ok(0.0, f"<think> appears {opens}x and </think> {closes}x")
    inner_end = text.find("</think>")
    if not text[len("<think>") : inner_end].strip():
        return Outcome.ok(0.0, "empty reasoning block")
    if require_answer and not text[inner_end + len("</think>") :].strip():
        return Outcome.ok(0.0, "nothing after </think>")
    return Outcome.ok(1.0)


@reward(range=(0, 1), version="1", cheap=True)
def tag_count(completion: Completion, *, tags: tuple[str, ...] = ("think", "answer")) -> Outcome:
    """Fraction of ``tags`` whose opening and closing tag each appear exactly once.

    Example:
        >>> tag_count("<think>a</think><answer>b</answer>").score
        1.0
        >>> tag_count("<think>a</think><think>b</think>").score
        0.0
    """
    text = completion.full_text
    good = [t for t in tags if text.count(f"<{t}>") == 1 and text.count(f"</{t}>") == 1]
    missing = [t for t in tags if t not in good]
    reason = f"bad or repeated: {', '.join(missing)}" if missing else ""
    return Outcome.ok(len(good) / len(tags) if tags else 0.0, reason)
