"""Hypothesis strategies for property-testing rewards.

Example-based tests check the completions you thought of; a policy under RL
finds the ones you did not. These strategies generate what models actually
emit (plain strings and chat messages, with and without ``<think>`` blocks, XML
answer tags, ``\\boxed{}`` answers, numbers in every notation graders trip
over) and what they emit when things go wrong (huge outputs, deeply nested
braces, exponent towers, odd unicode, null bytes), so you can state properties
such as "never raises", "always in range" and "monotone in correctness"::

    from hypothesis import given
    from rewardkit.testing import expect, strategies as rks

    @given(rks.completions())
    def test_format_reward_in_range(completion):
        expect("xml_format").given(completion=completion).scores_between(0, 1)

Numbers live in :mod:`._strategies_numbers` and hostile text in
:mod:`._strategies_hostile`; both are imported from here only after hypothesis
is known to be installed, so a missing ``dev`` extra gives one clear message.
These are the only rewardkit modules that import hypothesis (a ``dev`` extra).
"""

from __future__ import annotations

from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "rewardkit.testing.strategies needs hypothesis, which is not installed. "
        "Install it with `pip install rewardkit[dev]` (or `pip install hypothesis`)."
    ) from exc

from ._strategies_hostile import hostile_text
from ._strategies_numbers import NOTATIONS, NumberText, answers, equal_numbers, numbers

__all__ = [
    "NOTATIONS",
    "NumberText",
    "answers",
    "boxed",
    "chat",
    "completions",
    "equal_numbers",
    "hostile_text",
    "numbers",
    "reasoning",
    "rows",
    "xml_answer",
]

SearchStrategy = st.SearchStrategy


def _as_strategy(value: str | SearchStrategy[str] | None) -> SearchStrategy[str]:
    if value is None:
        return answers()
    if isinstance(value, str):
        return st.just(value)
    return value


_FILLER = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>{}\\"), max_size=60)


def boxed(answer: str | SearchStrategy[str] | None = None) -> SearchStrategy[str]:
    """``\\boxed{answer}`` (sometimes ``\\fbox`` or with a space: ``\\boxed {x}``)."""
    command = st.sampled_from(["\\boxed{", "\\boxed{", "\\boxed {", "\\fbox{"])
    return st.tuples(command, _as_strategy(answer)).map(lambda t: f"{t[0]}{t[1]}}}")


def reasoning(tag: str = "think", *, closed: bool | None = True) -> SearchStrategy[str]:
    """A reasoning block ``<think>...</think>``; ``closed=None`` sometimes leaves it open."""
    close = st.just(True) if closed else st.just(False) if closed is False else st.booleans()
    return st.tuples(_FILLER, close).map(
        lambda t: f"<{tag}>{t[0]}</{tag}>" if t[1] else f"<{tag}>{t[0]}"
    )


def xml_answer(
    answer: str | SearchStrategy[str] | None = None,
    *,
    tags: tuple[str, str] = ("reasoning", "answer"),
    strict: bool | None = None,
) -> SearchStrategy[str]:
    """``<reasoning>...</reasoning><answer>...</answer>``, in strict line layout or loose.

    ``strict=True`` always uses the ``\\n``-separated layout of the Unsloth GSM8K
    notebook, ``False`` never, ``None`` either.
    """
    layout = st.just(strict) if strict is not None else st.booleans()

    def build(t: tuple[str, str, bool]) -> str:
        thought, ans, is_strict = t
        r, a = tags
        if is_strict:
            return f"<{r}>\n{thought.strip() or '...'}\n</{r}>\n<{a}>\n{ans}\n</{a}>\n"
        return f"<{r}>{thought}</{r}> <{a}>{ans}</{a}>"

    return st.tuples(_FILLER, _as_strategy(answer), layout).map(build)


def chat(content: SearchStrategy[str]) -> SearchStrategy[list[dict[str, Any]]]:
    """Wrap text in TRL's conversational completion form: ``[{"role": "assistant", ...}]``."""
    return content.map(lambda c: [{"role": "assistant", "content": c}])


def completions(
    answer: str | SearchStrategy[str] | None = None,
    *,
    forms: tuple[str, ...] = ("plain", "chat"),
    reasoning_block: bool | None = None,
    styles: tuple[str, ...] = ("boxed", "xml", "sentence", "bare"),
) -> SearchStrategy[Any]:
    """Realistic completions carrying ``answer`` (default: any of :func:`answers`).

    Args:
        answer: the final answer, or a strategy for it.
        forms: ``plain`` (a string) and/or ``chat`` (a list of messages).
        reasoning_block: ``True`` always prepends ``<think>...</think>``,
            ``False`` never, ``None`` sometimes.
        styles: how the answer is given: ``boxed`` (``\\boxed{}``), ``xml``
            (``<answer>`` tags), ``sentence`` ("The answer is ..."), ``bare``.
    """
    for f in forms:
        if f not in ("plain", "chat"):
            raise ValueError(f"{f!r} is not a valid form; valid ones are 'plain', 'chat'")
    for s in styles:
        if s not in ("boxed", "xml", "sentence", "bare"):
            raise ValueError(
                f"{s!r} is not a valid style; valid ones are 'boxed', 'xml', 'sentence', 'bare'"
            )
    ans = _as_strategy(answer)
    think = (
        reasoning()
        if reasoning_block
        else st.just("")
        if reasoning_block is False
        else st.one_of(st.just(""), reasoning())
    )

    @st.composite
    def text(draw: st.DrawFn) -> str:
        style = draw(st.sampled_from(styles))
        a = draw(ans)
        if style == "boxed":
            body = f"{draw(_FILLER)} {draw(boxed(a))}"
        elif style == "xml":
            body = draw(xml_answer(a))
        elif style == "sentence":
            body = f"{draw(_FILLER)} The answer is {a}"
        else:
            body = a
        prefix = draw(think)
        return f"{prefix}\n{body}" if prefix else body

    plain: SearchStrategy[Any] = text()
    out: list[SearchStrategy[Any]] = []
    if "plain" in forms:
        out.append(plain)
    if "chat" in forms:
        out.append(chat(text()))
    return st.one_of(*out)


def rows(
    answer: str | SearchStrategy[str] | None = None,
    *,
    completion: SearchStrategy[Any] | None = None,
    **columns: SearchStrategy[Any],
) -> SearchStrategy[dict[str, Any]]:
    """Dataset rows: ``completion``, ``answer`` and ``prompt``, plus any extra column strategies.

    By default the completion carries the row's answer, so ``rows()`` exercises
    the "correct" path; pass ``completion=hostile_text()`` for the other one.
    """

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        a = draw(_as_strategy(answer))
        comp = draw(completion if completion is not None else completions(a))
        row: dict[str, Any] = {"prompt": "Solve the problem.", "completion": comp, "answer": a}
        for key, strategy in columns.items():
            row[key] = draw(strategy)
        return row

    return build()
