"""Property tests: every parser accepts any text, never raises, and returns in bounded time.

The bounds are deliberately generous (seconds, not milliseconds): they catch
exponential blow-ups and hangs, not ordinary slowness on a loaded CI machine.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardkit.parsers import (
    extract_answer_is,
    extract_boxed_all,
    extract_gsm8k,
    extract_last_number,
    final_answer,
)
from rewardkit.parsers._mathequal import math_equivalent, parse_answer
from rewardkit.parsers._mathparse import parse_math
from rewardkit.parsers._numbers import parse_number_ex
from rewardkit.rewards.math import int_answer, math_equal, number_match

BOUND_S = 5.0

_PIECES = [
    "\\frac{",
    "\\dfrac",
    "\\sqrt[",
    "\\sqrt{",
    "}",
    "{",
    "(",
    ")",
    "[",
    "]",
    "\\{",
    "\\}",
    "^",
    "^{",
    "_",
    "9",
    "99",
    "0",
    ".",
    ",",
    "-",
    "+",
    "*",
    "/",
    "=",
    "<",
    "\\leq",
    "x",
    "y",
    "e",
    "\\pi",
    "\\infty",
    "\\cdot",
    "\\times",
    "\\pm",
    "\\cup",
    "\\left(",
    "\\right)",
    "\\text{cm}",
    "\\boxed{",
    "\\begin{pmatrix}",
    "\\end{pmatrix}",
    "&",
    "\\\\",
    "%",
    "\\%",
    "!",
    "|",
    "\\sin",
    "\\log_",
    "\\ln",
    "$",
    " ",
    "1e9",
    "\\binom{",
    "\\ldots",
    "<answer>",
    "</answer>",
    "####",
    "the answer is ",
    "<think>",
    "</think>",
    "1,000",
    "\\circ",
    "'",
]

math_text = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
any_text = st.one_of(st.text(max_size=300), math_text)


def _timed(fn: object, *args: object) -> None:
    t = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    assert time.perf_counter() - t < BOUND_S


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_answer_parsers_never_raise(text: str) -> None:
    for fn in (
        parse_number_ex,
        parse_math,
        extract_boxed_all,
        extract_gsm8k,
        extract_answer_is,
        extract_last_number,
        final_answer,
    ):
        _timed(fn, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(math_text, math_text)
def test_equivalence_never_raises(gold: str, pred: str) -> None:
    g, p = parse_answer(gold), parse_answer(pred)
    if g is not None and p is not None:
        t = time.perf_counter()
        assert isinstance(math_equivalent(g, p), bool)
        assert time.perf_counter() - t < BOUND_S


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, math_text)
def test_rewards_always_return_an_outcome(completion: str, gold: str) -> None:
    for rw in (math_equal, number_match, int_answer):
        t = time.perf_counter()
        out = rw.score({"completion": completion, "answer": gold or "1"})
        assert time.perf_counter() - t < BOUND_S
        assert out.status.value != "error", out
        assert out.score is None or 0.0 <= out.score <= 1.0


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_integers_round_trip(n: int) -> None:
    p = parse_number_ex(f"{n:,}")
    assert p is not None and p.value == n
    assert math_equal.score({"completion": f"\\boxed{{{n}}}", "answer": str(n)}).score == 1.0


def test_adversarial_long_inputs_are_bounded() -> None:
    nasty = [
        "\\boxed{" * 20_000,
        "{" * 50_000 + "}" * 50_000,
        "1," * 100_000,
        "#### " * 40_000,
        "the answer is " * 15_000,
        "<answer>" * 20_000,
        "9^" * 5_000 + "9",
        "\\frac{1}{" * 5_000,
        "(" * 100_000,
    ]
    for text in nasty:
        for rw in (math_equal, number_match, int_answer):
            _timed(rw.score, {"completion": text, "answer": "1"})
        _timed(parse_math, text)
        _timed(parse_number_ex, text)
