"""One normalised view of a completion, whatever shape the trainer handed over.

TRL passes completions either as plain strings or, for conversational datasets,
as a list of chat messages ``[{"role": "assistant", "content": ...}]``. Chat
templates of Qwen3 and the R1 distills also *prefill* ``<think>`` in the prompt,
so the completion starts inside the reasoning block and has only ``</think>``.
A format reward that looks for ``<think>`` would then score every completion 0.

:class:`Completion` is a ``str`` (the completion text, so regexes and ``in``
work as users expect) with a few lazily computed views on top.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_COMPLETION_CHARS", "Completion", "prompt_text", "to_text"]

#: Completions are hostile input: every parser works on at most this many characters.
MAX_COMPLETION_CHARS = 200_000

DEFAULT_REASONING_TAGS: tuple[str, ...] = ("think", "reasoning")


def to_text(value: Any) -> str:
    """Flatten a completion or prompt (string, chat messages, or None) into text.

    For chat messages the ``content`` of assistant messages is joined; if there
    are none (a prompt), every message's content is joined in order.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if type(value) is list and all(type(m) is dict for m in value):
        # the usual chat form, without the (slow) abstract-class checks below
        chosen = [m for m in value if m.get("role") == "assistant"] or value
        return "\n".join([_content_text(m.get("content")) for m in chosen])
    if isinstance(value, Mapping):
        return _content_text(value.get("content"))
    if isinstance(value, Sequence):
        msgs = [m for m in value if isinstance(m, Mapping)]
        if len(msgs) != len(value):
            return "\n".join(to_text(v) for v in value)
        assistant = [m for m in msgs if m.get("role") == "assistant"]
        chosen = assistant or msgs
        return "\n".join(_content_text(m.get("content")) for m in chosen)
    return str(value)


def _content_text(content: Any) -> str:
    # Multimodal messages carry a list of parts: [{"type": "text", "text": ...}, ...]
    if type(content) is str:
        return content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "".join(
            str(p.get("text", "")) for p in content if isinstance(p, Mapping) and "text" in p
        )
    return str(content)


def prompt_text(prompt: Any) -> str:
    """The prompt as one string (chat messages joined by newlines)."""
    if type(prompt) is list:
        return "\n".join(
            [
                _content_text(m.get("content"))
                if type(m) is dict or isinstance(m, Mapping)
                else str(m)
                for m in prompt
            ]
        )
    if isinstance(prompt, Sequence) and not isinstance(prompt, str):
        return "\n".join(
            _content_text(m.get("content")) if isinstance(m, Mapping) else str(m) for m in prompt
        )
    return to_text(prompt)


_PREFILL_RE = re.compile(r"<think>\s*\Z")


def _prompt_prefills_think(prompt: Any) -> bool:
    text = prompt if type(prompt) is str else prompt_text(prompt)
    tail = text[-200:]
    # the literal test skips the regex for the usual prompt, which has no <think> at all
    return "<think>" in tail and bool(_PREFILL_RE.search(tail))


class Completion(str):
    """A completion's text plus normalised views.

    Attributes:
        raw: what the trainer passed (string or list of chat messages).
        prefilled_think: ``True`` when the chat template opened ``<think>`` in the
            prompt (detected from the prompt, or from a completion that closes
            ``</think>`` without opening it).
        reasoning_tags: tags treated as reasoning blocks by :attr:`answer_text`.
        truncated: ``True`` when the text was cut to :data:`MAX_COMPLETION_CHARS`.

    Example:
        >>> c = Completion.from_raw("step 1</think> The answer is 4", prompt="<think>")
        >>> c.prefilled_think, c.answer_text
        (True, 'The answer is 4')
        >>> Completion.from_raw([{"role": "assistant", "content": "hi"}]) == "hi"
        True
    """

    raw: Any
    prefilled_think: bool
    reasoning_tags: tuple[str, ...]
    truncated: bool

    @classmethod
    def from_raw(
        cls,
        raw: Any,
        *,
        prompt: Any = None,
        reasoning_tags: Sequence[str] = DEFAULT_REASONING_TAGS,
    ) -> Completion:
        if type(raw) is str:
            text = raw
        elif isinstance(raw, Completion) and hasattr(raw, "reasoning_tags"):
            tags_same = tuple(reasoning_tags) == raw.reasoning_tags
            if tags_same and (prompt is None or raw.prefilled_think):
                return raw
            # re-view with the new facts; a prefill seen once stays seen
            again = cls.from_raw(raw.raw, prompt=prompt, reasoning_tags=reasoning_tags)
            if raw.prefilled_think and not again.prefilled_think:
                again.prefilled_think = True
            return again
        else:
            text = to_text(raw)
        truncated = len(text) > MAX_COMPLETION_CHARS
        if truncated:
            text = text[:MAX_COMPLETION_CHARS]
        self = cls(text)
        self.raw = raw
        self.reasoning_tags = (
            reasoning_tags if reasoning_tags is DEFAULT_REASONING_TAGS else tuple(reasoning_tags)
        )
        self.truncated = truncated
        prefilled = _prompt_prefills_think(prompt) if prompt is not None else False
        if not prefilled and "</think>" in text:
            first_close = text.find("</think>")
            prefilled = "<think>" not in text[:first_close]
        self.prefilled_think = prefilled
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (str(self), self.raw, self.prefilled_think, self.reasoning_tags, self.truncated),
        )

    @property
    def text(self) -> str:
        """The plain completion text."""
        return str(self)

    @property
    def full_text(self) -> str:
        """The text as the model 'wrote' it: with ``<think>`` restored when prefilled."""
        return "<think>" + str(self) if self.prefilled_think else str(self)

    @property
    def reasoning(self) -> str:
        """Content of the reasoning blocks (empty when there are none)."""
        return _split_reasoning(self.full_text, self.reasoning_tags)[0]

    @property
    def answer_text(self) -> str:
        """The text with reasoning blocks removed, stripped.

        An unclosed reasoning block swallows the rest of the text: a model that
        never left its reasoning has given no answer.
        """
        return _split_reasoning(self.full_text, self.reasoning_tags)[1]

    @property
    def messages(self) -> list[Mapping[str, Any]] | None:
        """The chat messages, when the completion arrived in conversational form."""
        raw = getattr(self, "raw", None)
        if isinstance(raw, list):
            return raw
        return None


def _rebuild(
    text: str, raw: Any, prefilled: bool, tags: tuple[str, ...], truncated: bool = False
) -> Completion:
    c = Completion(text)
    c.raw = raw
    c.prefilled_think = prefilled
    c.reasoning_tags = tags
    c.truncated = truncated
    return c


@functools.lru_cache(maxsize=64)
def _reasoning_patterns(
    tags: tuple[str, ...],
) -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    alternatives = "|".join(re.escape(t) for t in tags)
    opener = re.compile(f"<({alternatives})>", re.IGNORECASE)
    closers = {t.lower(): re.compile(f"</{re.escape(t)}>", re.IGNORECASE) for t in tags}
    return opener, closers


def _split_reasoning(text: str, tags: Sequence[str]) -> tuple[str, str]:
    """Split ``text`` into (reasoning, answer) in linear time (tags matched case-insensitively).

    Each search resumes where the previous block ended, and the patterns are
    plain alternations of literals, so there is no backtracking to exploit.
    """
    if not tags:
        return "", text.strip()
    outside, blocks, unclosed = _scan_reasoning(text, tuple(tags))
    if unclosed is not None:
        blocks.append(unclosed)
    return "\n".join(blocks).strip(), "".join(outside).strip()


def _scan_reasoning(text: str, tags: tuple[str, ...]) -> tuple[list[str], list[str], str | None]:
    """``(outside, blocks, unclosed)``: the pieces of ``text`` around reasoning blocks,
    the closed blocks' contents, and what follows an unclosed opening tag (None if none).

    Each search resumes where the previous block ended (linear time); tags match
    case-insensitively.
    """
    opener, closers = _reasoning_patterns(tags)
    outside: list[str] = []
    blocks: list[str] = []
    pos = 0
    while True:
        m = opener.search(text, pos)
        if m is None:
            outside.append(text[pos:])
            return outside, blocks, None
        outside.append(text[pos : m.start()])
        close = closers[m.group(1).lower()].search(text, m.end())
        if close is None:
            return outside, blocks, text[m.end() :]
        blocks.append(text[m.end() : close.start()])
        pos = close.end()
