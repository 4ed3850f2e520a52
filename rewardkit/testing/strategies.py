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

This is the only rewardkit module that imports hypothesis (a ``dev`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "rewardkit.testing.strategies needs hypothesis, which is not installed. "
        "Install it with `pip install rewardkit[dev]` (or `pip install hypothesis`)."
    ) from exc

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

#: Every notation :func:`numbers` can render.
NOTATIONS: tuple[str, ...] = (
    "int",
    "decimal",
    "comma",
    "currency",
    "percent",
    "scientific",
    "fraction",
    "latex_frac",
    "latex_dfrac",
)


@dataclass(frozen=True)
class NumberText:
    """A number and one way of writing it.

    Attributes:
        value: the exact value the text denotes. For ``percent`` this is ``p/100``
            (``"50%"`` has value 1/2); graders differ on whether ``50%`` also
            equals ``50``, so test that choice explicitly.
        text: the rendering, e.g. ``"1,234"``, ``"\\frac{3}{4}"``, ``"$12.50"``.
        notation: which of :data:`NOTATIONS` produced it.
    """

    value: Fraction
    text: str
    notation: str


def _decimal_text(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    assert scaled.denominator == 1
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@st.composite
def _number(draw: st.DrawFn, notation: str, lo: int, hi: int) -> NumberText:
    sign = draw(st.sampled_from([1, -1])) if lo < 0 else 1
    if notation == "int":
        n = draw(st.integers(lo, hi))
        return NumberText(Fraction(n), str(n), notation)
    if notation == "decimal":
        places = draw(st.integers(1, 4))
        n = draw(st.integers(lo * 10**places, hi * 10**places))
        value = Fraction(n, 10**places)
        return NumberText(value, _decimal_text(value, places), notation)
    if notation == "comma":
        n = draw(st.integers(1000, max(hi, 1000) * 1000)) * sign
        return NumberText(Fraction(n), f"{n:,}", notation)
    if notation == "currency":
        cents = draw(st.integers(0, max(hi, 1) * 100))
        value = Fraction(cents, 100)
        text = f"${cents // 100:,}" + (f".{cents % 100:02d}" if cents % 100 else "")
        return NumberText(value, text, notation)
    if notation == "percent":
        p = draw(st.integers(0, 1000)) * sign
        return NumberText(Fraction(p, 100), f"{p}%", notation)
    if notation == "scientific":
        whole, tenth = draw(st.integers(1, 9)), draw(st.integers(0, 9))
        exp = draw(st.integers(-6, 9))
        value = Fraction(10 * whole + tenth, 10) * Fraction(10) ** exp * sign
        mant = f"{whole}.{tenth}" if tenth else str(whole)
        return NumberText(value, f"{'-' if sign < 0 else ''}{mant}e{exp}", notation)
    num = draw(st.integers(1, 999))
    den = draw(st.integers(2, 999))
    value = Fraction(num, den) * sign
    minus = "-" if sign < 0 else ""
    if notation == "fraction":
        return NumberText(value, f"{minus}{num}/{den}", notation)
    command = "\\dfrac" if notation == "latex_dfrac" else "\\frac"
    if num < 10 and den < 10 and draw(st.booleans()):
        return NumberText(value, f"{minus}{command}{num}{den}", notation)  # \frac12 is valid
    return NumberText(value, f"{minus}{command}{{{num}}}{{{den}}}", notation)


def numbers(
    *,
    notations: tuple[str, ...] = NOTATIONS,
    min_value: int = -1_000_000,
    max_value: int = 1_000_000,
) -> SearchStrategy[NumberText]:
    """Numbers with their exact value and a rendering in one of ``notations``.

    Args:
        notations: any subset of :data:`NOTATIONS`.
        min_value: lower bound for integer parts (negative enables signs).
        max_value: upper bound for integer parts.
    """
    bad = [n for n in notations if n not in NOTATIONS]
    if bad or not notations:
        raise ValueError(
            f"{(bad or [''])[0]!r} is not a valid notation; valid ones are {', '.join(NOTATIONS)}"
        )
    if min_value > max_value:
        raise ValueError(f"numbers(): min_value {min_value} is above max_value {max_value}")
    return st.sampled_from(notations).flatmap(lambda n: _number(n, min_value, max_value))


def equal_numbers(
    *, notations: tuple[str, ...] = ("int", "decimal", "fraction", "latex_frac")
) -> SearchStrategy[tuple[NumberText, NumberText]]:
    """Two renderings of the *same* value (``"0.5"`` and ``"\\frac{1}{2}"``).

    For "equivalent answers score the same" properties. The default notations
    are unambiguous; add ``percent`` or ``currency`` only if your grader is
    meant to treat them as equal.
    """

    def render(value: Fraction, notation: str) -> NumberText | None:
        if notation == "int":
            if value.denominator != 1:
                return None
            return NumberText(value, str(value.numerator), notation)
        if notation == "decimal":
            d = value.denominator
            twos = fives = 0
            while d % 2 == 0:
                d //= 2
                twos += 1
            while d % 5 == 0:
                d //= 5
                fives += 1
            if d != 1:
                return None
            return NumberText(value, _decimal_text(value, max(twos, fives, 1)), notation)
        sign = "-" if value < 0 else ""
        num, den = abs(value.numerator), value.denominator
        if notation == "fraction":
            return NumberText(value, f"{sign}{num}/{den}", notation)
        if notation in ("latex_frac", "latex_dfrac"):
            cmd = "\\dfrac" if notation == "latex_dfrac" else "\\frac"
            return NumberText(value, f"{sign}{cmd}{{{num}}}{{{den}}}", notation)
        if notation == "percent":
            scaled = value * 100
            if (scaled * 10_000).denominator != 1:
                return None
            text = _decimal_text(scaled, 4).rstrip("0").rstrip(".")
            return NumberText(value, f"{text}%", notation)
        raise ValueError(f"equal_numbers() cannot render notation {notation!r}")

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[NumberText, NumberText]:
        den = draw(st.sampled_from([1, 2, 4, 5, 8, 10, 20, 25, 100]))
        value = Fraction(draw(st.integers(-10_000, 10_000)), den)
        options = [r for n in notations if (r := render(value, n)) is not None]
        if not options:
            options = [NumberText(value, f"{value.numerator}/{value.denominator}", "fraction")]
        first = draw(st.sampled_from(options))
        second = draw(st.sampled_from(options))
        return first, second

    for n in notations:
        if n not in ("int", "decimal", "fraction", "latex_frac", "latex_dfrac", "percent"):
            raise ValueError(f"equal_numbers() cannot render notation {n!r}")
    return pair()


def answers() -> SearchStrategy[str]:
    """Answer strings: numbers in any notation, short words, or small LaTeX expressions."""
    words = st.sampled_from(["yes", "no", "Paris", "x = 3", "A", "(B)", "\\sqrt{2}", "\\pi"])
    return st.one_of(numbers().map(lambda n: n.text), words)


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


#: Fragments that break naive text handling: NUL, bidi override, zero-width and combining
#: characters, ANSI escapes, non-ASCII digits, lone tags and braces.
_WEIRD_PIECES: tuple[str, ...] = (
    "\x00",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\u0301",
    "\r",
    "\t",
    "\x1b[31m",
    "\U0001d7d8",
    "\u0663",
    "\u00bd",
    "\u221e",
    "NaN",
    "-0",
    "<answer>",
    "</answer>",
    "</think>",
    "\\boxed{",
    "}",
    " ",
    "4",
)


def hostile_text() -> SearchStrategy[str]:
    """Text designed to hang, crash or fool parsers; a reward must survive all of it.

    Includes completions above :data:`rewardkit.MAX_COMPLETION_CHARS`
    (truncation), thousands of nested braces, exponent towers (``9^{9^{9^9}}``
    makes naive sympy evaluation hang), huge digit strings, null bytes,
    control and bidi characters, unclosed tags and many competing answers.
    """
    sizes = st.integers(1_000, 300_000)
    depth = st.integers(100, 20_000)
    huge = st.tuples(st.sampled_from(["a", "9", "ab ", "\\boxed{1}", "<think>"]), sizes).map(
        lambda t: t[0] * (t[1] // len(t[0]))
    )
    nested = depth.map(lambda d: "\\boxed{" + "{" * d + "1" + "}" * d + "}")
    unbalanced = depth.map(lambda d: "\\boxed{" + "{" * d)
    frac_nest = st.integers(50, 2_000).map(lambda d: "\\frac{1}{" * d + "2" + "}" * d)
    tower = st.tuples(st.integers(3, 50), st.sampled_from(["^", "**"])).map(
        lambda t: "\\boxed{" + t[1].join(["9"] * t[0]) + "}"
    )
    latex_tower = st.integers(3, 30).map(lambda d: "\\boxed{" + "9^{" * d + "9" + "}" * d + "}")
    big_numbers = st.integers(1_000, 100_000).map(lambda n: "The answer is " + "9" * n)
    factorial = st.sampled_from(["\\boxed{100000!}", "\\boxed{10^{10^{10}}}", "\\boxed{1e999999}"])
    weird = st.lists(st.sampled_from(_WEIRD_PIECES), max_size=200).map("".join)
    many_answers = st.integers(2, 2_000).map(
        lambda n: " ".join(f"\\boxed{{{i}}}" for i in range(n))
    )
    tag_spam = st.integers(2, 5_000).map(lambda n: "<answer>" * n + "4" + "</answer>" * (n // 2))
    arbitrary = st.text(max_size=500)
    return st.one_of(
        huge,
        nested,
        unbalanced,
        frac_nest,
        tower,
        latex_tower,
        big_numbers,
        factorial,
        weird,
        many_answers,
        tag_spam,
        arbitrary,
    )


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
