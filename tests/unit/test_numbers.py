"""parse_number / parse_number_ex / numbers_equal on the ways models write numbers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rewardkit.parsers._numbers import (
    MAX_DIGITS,
    ParsedNumber,
    has_math_beyond_number,
    numbers_equal,
    parse_number,
    parse_number_ex,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", Fraction(42)),
        ("-5", Fraction(-5)),
        ("+5", Fraction(5)),
        ("−5", Fraction(-5)),  # unicode minus
        ("7,425,000", Fraction(7425000)),
        ("1 000", Fraction(1000)),  # math-verify: space as thousands separator
        ("14{,}916", Fraction(14916)),  # LaTeX thousands separator
        ("1000.0", Fraction(1000)),
        ("1,000.99", Fraction(100099, 100)),
        ("1000,99", Fraction(100099, 100)),  # decimal comma
        ("0,111", Fraction(111, 1000)),
        (".4", Fraction(2, 5)),
        ("$1,000.99", Fraction(100099, 100)),
        ("1,000.99$", Fraction(100099, 100)),
        ("1,000.99€", Fraction(100099, 100)),
        ("£3.50", Fraction(7, 2)),
        ("-$5", Fraction(-5)),
        ("$-5", Fraction(-5)),
        (r"\$18.50", Fraction(37, 2)),
        ("1,000.99m²", Fraction(100099, 100)),
        ("18 dollars.", Fraction(18)),
        ("3 apples", Fraction(3)),
        ("15 cm^2", Fraction(15)),
        (r"12\text{ cm}", Fraction(12)),
        (r"90^\circ", Fraction(90)),
        ("3/4", Fraction(3, 4)),
        ("1 1/2", Fraction(3, 2)),
        (r"2\frac{1}{2}", Fraction(5, 2)),
        (r"\frac{3}{4}", Fraction(3, 4)),
        (r"\dfrac{3}{4}", Fraction(3, 4)),
        (r"\tfrac34", Fraction(3, 4)),
        (r"-\frac{10}{9}", Fraction(-10, 9)),
        (r"\frac{-3}{4}", Fraction(-3, 4)),
        ("1.5e3", Fraction(1500)),
        ("2E-2", Fraction(1, 50)),
        (r"1.5 \times 10^{3}", Fraction(1500)),
        (r"1.5\cdot10^{-2}", Fraction(3, 200)),
        ("1.5 x 10^3", Fraction(1500)),
        (r"$\boxed{28}$", Fraction(28)),
        (r"\(7\)", Fraction(7)),
    ],
)
def test_values(text: str, value: Fraction) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "AZYUK2A",  # math-verify: a digit inside a word is not a number
        "3 + 4",
        "5 6",
        "1, 2, 3",
        "3/0",
        "1e999",  # exponent cap
        "9" * (MAX_DIGITS + 1),
        "1" * 300,  # length cap
        "x = 3",
        "the answer",
    ],
)
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["28%", r"28\%", "28 percent", "28 pct", "28 percentage"])
def test_percent(text: str) -> None:
    p = parse_number_ex(text)
    assert p is not None and p.percent and p.readings() == (Fraction(28), Fraction(7, 25))


def test_units_off_is_strict() -> None:
    assert parse_number_ex("3x", units=False) is None
    assert parse_number_ex("3 apples", units=False) is None
    assert parse_number_ex("-2,1", units=False) is None  # a list, not -2.1
    assert parse_number_ex(r"3\text{ cm}", units=False) == ParsedNumber(Fraction(3))
    assert parse_number_ex(r"18\$", units=False) == ParsedNumber(Fraction(18))


def test_decimal_flag() -> None:
    assert parse_number_ex("0.5") == ParsedNumber(Fraction(1, 2), decimal=True)
    assert parse_number_ex("1/2") == ParsedNumber(Fraction(1, 2), decimal=False)


def _n(v: str, **kw: bool) -> ParsedNumber:
    p = parse_number_ex(v)
    assert p is not None
    return p


@pytest.mark.parametrize(
    ("gold", "pred", "kw", "expected"),
    [
        ("1/2", "0.5", {}, True),
        ("1/3", "0.3333333333333", {}, True),
        ("1/3", "0.333", {}, False),
        ("1/3", "0.333", {"rel_tol": 1e-2}, True),
        ("1000000000", "1000000001", {"rel_tol": 1e-3}, False),  # integers: exact, always
        ("45%", "0.45", {}, True),
        ("0.45", "45%", {}, True),
        ("0.45", "45", {}, False),
        ("2.5", "2.6", {"abs_tol": 0.2}, True),
    ],
)
def test_numbers_equal(gold: str, pred: str, kw: dict[str, float], expected: bool) -> None:
    assert numbers_equal(_n(gold), _n(pred), **kw) is expected


@pytest.mark.parametrize(
    "text",
    [
        r"\sqrt{90}",
        r"100\pi",
        "100 pi",
        "100π",
        "√90",
        "sqrt(90)",
        r"3\sqrt{2}",
        r"\log 5",
        r"5 \infty",
        r"\boxed{100\pi}",
        r"5\text{ pi}",
        "100 PI",
    ],
)
def test_formula_is_not_a_plain_number(text: str) -> None:
    assert has_math_beyond_number(text)
    assert parse_number_ex(text) is None
    assert parse_number_ex(text, units=False) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"\frac{90}{1}", Fraction(90)),
        (r"\dfrac{3}{4}", Fraction(3, 4)),
        (r"\tfrac{1}{2}", Fraction(1, 2)),
        (r"1.5 \times 10^{3}", Fraction(1500)),
        (r"2 \cdot 10^{2}", Fraction(200)),
        (r"45\%", Fraction(45)),
        (r"\$18", Fraction(18)),
        (r"5\,000", Fraction(5000)),
        (r"5\!000", Fraction(5000)),
        ("1{,}000", Fraction(1000)),
        (r"5\text{ cm}", Fraction(5)),
        (r"\boxed{7}", Fraction(7)),
        ("5 pints", Fraction(5)),
        ("3 spines", Fraction(3)),
    ],
)
def test_plain_number_latex_still_parses(text: str, value: Fraction) -> None:
    assert not has_math_beyond_number(text)
    assert parse_number(text) == value
