"""Hostile text: completions built to hang, crash or fool a reward's parser.

Why: a policy under RL produces, sooner or later, every string that makes a
verifier slow or wrong, and a verifier that hangs stalls the whole training
step. These shapes (huge outputs, thousands of nested braces, exponent towers,
null bytes, bidi and zero-width characters, unclosed tags, many competing
answers) are what a reward must survive; "never raises, always in range" is
the property to test with them.

Imported by :mod:`rewardkit.testing.strategies` after it has checked that
hypothesis is installed; import the strategies from there.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["hostile_text"]

SearchStrategy = st.SearchStrategy


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
