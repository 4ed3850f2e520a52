"""Answer classes added for issue 14's second round, one block per class.

Each case is real model-style text written afresh (not a suite row), scored by
the reward, with the label a mathematician would give. Every new extraction
path has its own degenerate attacks: none may score 1.0.
"""

from __future__ import annotations

import time

import pytest

from rewardkit.contract._outcome import Status
from rewardkit.parsers._extract import gold_box_run
from rewardkit.parsers._latex_lexer import unescape_commands
from rewardkit.parsers._mathequal import math_equivalent, parse_answer
from rewardkit.rewards.math import math_equal, number_match


def _score(completion: str, gold: str) -> float | None:
    return math_equal.score({"completion": completion, "answer": gold}).score


# -- a gold solution with several boxes: the last run joined by "and"/commas ---------------

GOLD_BOXES = [
    (r"So \boxed{4} is wrong; after checking, \boxed{6}", "$6$", 1.0),
    (r"So \boxed{4} is wrong; after checking, \boxed{6}", "$4, 6$", 0.0),
    (r"The roots are \boxed{2} and \boxed{5}.", r"$\boxed{2, 5}$", 1.0),
    (r"The roots are \boxed{2} and \boxed{5}.", r"$\boxed{5}$", 0.0),
    (r"We need \boxed{3} boxes and \boxed{7} bags", "$3$ and $7$", 1.0),
    (r"$\boxed{1}\quad\text{and}\quad\boxed{-1}$", r"\boxed{\pm 1}", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), GOLD_BOXES)
def test_gold_boxes_last_run(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


def test_gold_box_run_helper() -> None:
    assert gold_box_run(r"\boxed{1} then we see \boxed{2}") == ["2"]
    assert gold_box_run(r"\boxed{1}, \boxed{2} or \boxed{3}") == ["1", "2", "3"]
    assert gold_box_run("no box") == []


# -- LaTeX commands mangled by JSON/Python escapes (form feed + "rac" was \frac) ----------

ESCAPED = [
    ("$\\\x0crac{1}{2}$", "0.5", 1.0),
    ("\x0crac{3}{4}", r"\frac{3}{4}", 1.0),
    ("$\x0crac{3}{4}$", "0.7", 0.0),
    ("3\times 4", "12", 1.0),
    ("\x08inom{5}{2}", "10", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), ESCAPED)
def test_commands_mangled_by_string_escapes(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


def test_a_tab_before_prose_is_not_a_command() -> None:
    # tab + "x" / tab + "he" spell no command: the tab stays whitespace
    assert math_equivalent(parse_answer("2x") or _fail(), parse_answer("2\tx") or _fail())
    assert unescape_commands("so\the answer") == "so\the answer"
    assert unescape_commands("\x0crac{1}{2} and 3\times 4") == "\\frac{1}{2} and 3\\times 4"


def _fail() -> None:
    raise AssertionError("not parsed")


# -- a number inside malformed inline math is not the answer --------------------------------


def test_number_in_inline_math_broken_by_a_line_break() -> None:
    assert _score("Answer \\( \n 9 \n \\)", "9") != 1.0
    assert _score("Answer \\( 9 \\)", "9") == 1.0
    assert _score("Answer: 9", "9") == 1.0


# -- |x| inequalities as unions of intervals --------------------------------------------------

ABS = [
    (r"1 \le |z| \le 2", r"$z \in [-2, -1] \cup [1, 2]$", 1.0),
    (r"1 \le |z| \le 2", r"$z \in [-2, -1] \cup (1, 2]$", 0.0),
    (r"1 \le |z| \le 2", r"$z \in [-2, 2]$", 0.0),
    (r"|x| < 3", "$(-3, 3)$", 1.0),
    (r"|x| < 3", "$[-3, 3]$", 0.0),
    (r"|x| \geq 2", r"$(-\infty, -2] \cup [2, \infty)$", 1.0),
    (r"(-\infty, -2) \cup (2, \infty)", r"$|x| > 2$", 1.0),
    (r"(-\infty, -2) \cup (2, \infty)", r"$|x| \ge 2$", 0.0),
    (r"[-1, 1]", r"$0 \le |x| \le 1$", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), ABS)
def test_absolute_value_inequalities(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


# -- sums and products -------------------------------------------------------------------------

SUMS = [
    (r"\sum_{k=1}^{10} k^2", "385", True),
    (r"\prod_{i=1}^{5} i", "120", True),
    (r"\sum_{k=1}^{10} k^2", "384", False),
    (r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", r"F_n = \sum_{k=0}^{n-1} F_{n-k-1} F_k", True),
    (r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", r"F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}", False),
    (r"\sum_{k=1}^{n} k^2", r"\sum_{j=1}^{n} j^2", True),
    (r"\sum_{k=1}^{n} k^2", r"\sum_{j=1}^{n} j^3", False),
]


@pytest.mark.parametrize(("gold", "pred", "same"), SUMS)
def test_sums_and_products(gold: str, pred: str, same: bool) -> None:
    g, p = parse_answer(gold), parse_answer(pred)
    assert g is not None and p is not None
    assert math_equivalent(g, p) is same


def test_huge_sums_stay_bounded() -> None:
    t = time.perf_counter()
    for text in (
        r"\sum_{k=1}^{10^{9}} k",
        r"\prod_{k=1}^{10^{6}} k^{k}",
        r"\sum_{k=1}^{n} 9^{9^{k}}",
    ):
        value = parse_answer(text)
        if value is not None:
            math_equivalent(value, parse_answer("5") or value)
    assert time.perf_counter() - t < 2.0
    assert _score(r"\boxed{\sum_{k=1}^{4} k}", "10") == 1.0


# -- a gold with an undefined macro and a chain of equalities -------------------------------


def test_gold_with_undefined_macro_and_chain() -> None:
    assert _score("$0$", r"$1 = \zzz = x = 0$") == 1.0
    assert _score("$1$", r"$1 = \zzz = x = 0$") == 0.0
    # a macro with an argument stays unreadable (NOT_APPLICABLE), also in number_match
    out = math_equal.score({"completion": "4", "answer": r"\unknowncommand{4}"})
    assert out.status is Status.NOT_APPLICABLE
    assert number_match.score({"completion": "0", "answer": r"\zzz"}).score is None


# -- multiple-choice letters ----------------------------------------------------------------

LETTERS = [
    ("D", "The answer is for sure D, it can't be A or B", 1.0),
    ("D", "D. it can't be A or B", 1.0),
    ("B", "It's not A because the units are wrong, therefore I think it's B", 1.0),
    ("C", "Comparing all four options, the correct answer is (C).", 1.0),
    ("C", r"So we pick \boxed{C}.", 1.0),
    ("(B)", "B", 1.0),
    ("C", "réponse est C non A", 1.0),
    ("B", "B。不是 A", 1.0),
    ("C", "the answer is\n(C) Cecile", 1.0),
    ("D", "The answer is C, since D makes no sense.", 0.0),
    ("Alina and the answer is\n(C) Cecile", "C", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), LETTERS)
def test_multiple_choice_letters(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


LETTER_ATTACKS = [
    "A or B",
    "The answer is A or B.",
    "The answer is C, or maybe D.",
    "A B C D E",
    "A, B, C, D",
    "A? B? C? D?",
    "not D",
    "The answer is not D.",
    "It cannot be A, B, C or D.",
    r"\boxed{C} \boxed{D}",
    "<think>The answer is D.</think> I don't know.",
    "The answer is (C/D).",
]


@pytest.mark.parametrize("completion", LETTER_ATTACKS)
@pytest.mark.parametrize("gold", ["C", "D"])
def test_letter_attacks_never_pass(completion: str, gold: str) -> None:
    out = math_equal.score({"completion": completion, "answer": gold})
    assert out.score != 1.0, out


# -- non-English answer markers, unit and currency tails ----------------------------------------

PROSE = [
    ("2/5", r"所以，每份应该是 (\frac{2}{5}) 吨。 答案：每份应该是 (\frac{2}{5}) 吨。", 1.0),
    ("2/5", r"答案：每份应该是 (\frac{3}{5}) 吨。", 0.0),
    ("7", "Après calcul, la réponse est 7.", 1.0),
    ("2.74", "Soucis : 2,74 $ a payer", 1.0),
    ("1000.99", "so the area is 1,000.99m²", 1.0),
    ("1000.99", "so the area is 1,000.98m²", 0.0),
    ("12", "The volume is 12 m³.", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), PROSE)
def test_markers_units_and_currency_tails(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


@pytest.mark.parametrize(
    "completion",
    ["答案：不是 7。", "La réponse est 7 ou 8.", "答案：7 或 8", "la réponse n'est pas 7"],
)
def test_non_english_refusals(completion: str) -> None:
    assert _score(completion, "7") != 1.0


# -- number words, floor and ceiling, the imaginary unit ------------------------------------

WORDS_AND_FUNCS = [
    ("5", "The answer is five.", 1.0),
    ("42", "The answer is forty-two.", 1.0),
    ("105", "The answer is one hundred and five.", 1.0),
    ("5", "The answer is six.", 0.0),
    ("5", r"$\lfloor 5.7 \rfloor$", 1.0),
    ("6", r"$\left\lceil \frac{11}{2} \right\rceil$", 1.0),
    ("5", r"$\lceil 5.2 \rceil$", 0.0),
    ("-1", r"$e^{i\pi}$", 1.0),
    ("3 + 4i", r"$4i + 3$", 1.0),
    ("3 + 4i", r"$3 - 4i$", 0.0),
    (r"\sum_{i=1}^{4} i", "10", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), WORDS_AND_FUNCS)
def test_number_words_floor_ceil_and_i(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


def test_a_gold_in_words_is_not_applicable() -> None:
    # as TRL's accuracy reward and number_match: a gold column in prose is a broken column
    for rw in (math_equal, number_match):
        out = rw.score({"completion": r"\boxed{42}", "answer": "forty two"})
        assert out.status is Status.NOT_APPLICABLE and out.score is None


@pytest.mark.parametrize(
    "completion",
    ["five or six", "It is five, or maybe six.", "The answer is not five.", "one of them"],
)
def test_number_word_attacks(completion: str) -> None:
    for rw in (math_equal, number_match):
        assert rw.score({"completion": completion, "answer": "5"}).score != 1.0


INTEGRALS = [
    (r"\frac{1}{3}", r"\int_0^1 x^2 \, dx", True),
    (r"\int_{0}^{3} (x^2 + 2x)\,dx", "18", True),
    (r"\int_{0}^{3} (x^2 + 2x)\,dx", "17", False),
    ("2", r"\int_1^3 dx", True),
    (r"\int_0^{\pi} \sin(x)\,dx", r"\int_0^{\pi} \sin(t)\,dt", True),
    (r"\int_0^{\pi} \sin(x)\,dx", r"\int_0^{\pi} \cos(t)\,dt", False),
]


@pytest.mark.parametrize(("gold", "pred", "same"), INTEGRALS)
def test_integrals(gold: str, pred: str, same: bool) -> None:
    g, p = parse_answer(gold), parse_answer(pred)
    assert g is not None and p is not None
    assert math_equivalent(g, p) is same


def test_integrals_stay_bounded() -> None:
    # a huge power is refused before integration; no differential is no integral
    assert parse_answer(r"\int_0^1 x^{100000} dx") is None
    assert parse_answer(r"\int_0^1 x^2") is None
    t = time.perf_counter()
    value = parse_answer(r"\int_0^{10^{9}} e^{x^{2}} \sin(x^{x}) dx")
    if value is not None:
        math_equivalent(value, parse_answer("1") or value)
    assert time.perf_counter() - t < 2.0


# -- more answer forms: units with powers, repeating decimals, named sets, gcd/max, function
# -- definitions, percent after "i.e." -------------------------------------------------------

MORE_FORMS = [
    ("5", r"The area is $5 \text{ cm}^2$.", 1.0),
    ("25", r"The area is $5 \text{ cm}^2$.", 0.0),
    (r"\frac{1}{3}", r"$0.\overline{3}$", 1.0),
    (r"\frac{137}{110}", r"$1.2\overline{45}$", 1.0),
    (r"\frac{1}{3}", r"$0.\overline{33}$", 1.0),
    (r"\frac{1}{3}", r"$0.\overline{6}$", 0.0),
    (r"\emptyset", r"$\{\}$", 1.0),
    (r"\mathbb{R}", r"$(-\infty, \infty)$", 1.0),
    (r"\mathbb{R}", r"$[0, \infty)$", 0.0),
    ("6", r"$\gcd(12, 18)$", 1.0),
    ("12", r"$\operatorname{lcm}(4, 6)$", 1.0),
    ("4", r"$\max(3, 4)$", 1.0),
    ("3", r"$\max(3, 4)$", 0.0),
    ("f(x) = x^2", "$x^2$", 1.0),
    ("f(x) = x^2", "$x^3$", 0.0),
    ("f(x) = x^2", "$y^2$", 0.0),
    (r"\frac{1}{2}", r"The probability is $\dfrac{1}{2}$, i.e. 50\%.", 1.0),
]


@pytest.mark.parametrize(("gold", "completion", "label"), MORE_FORMS)
def test_more_answer_forms(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label


def test_an_article_is_not_an_option() -> None:
    text = "A car travels 60 miles in 2 hours. So the answer is 30 miles per hour."
    assert _score(text, "A") != 1.0
    assert _score("I think it is A because of the units.", "A") == 1.0


@pytest.mark.parametrize(
    ("gold", "completion", "label"),
    [
        (r"(2, \infty)", r"$\{x \mid x > 2\}$", 1.0),
        (r"(2, \infty)", r"$\{x : x \ge 2\}$", 0.0),
        (r"[0, 1]", r"$\{x \mid 0 \le x \le 1\}$", 1.0),
    ],
)
def test_set_builder_notation(gold: str, completion: str, label: float) -> None:
    assert _score(completion, gold) == label
