"""Answer extraction and normalisation on free-form model output (issue 14).

Each case is a (gold, completion, label) the suites in ``bench/math_agreement.py``
exercise in some form, written afresh: inline and display math without a box,
the final sentence, relations and intervals, matrices, JSON-doubled backslashes,
units, currency, decimal commas, degrees, percent, ``\\pm``, labelled golds, a
final answer restated after working boxes, and chat-template tails. The
degenerate corpus holds every refusal class of the issue: none may score 1.0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.parsers._extract import (
    answer_candidates,
    clean_answer,
    final_marker_after_boxes,
    halve_backslashes,
    math_spans,
    maybe_decimal_comma,
)
from rewardkit.rewards.math import int_answer, math_equal, number_match

CASES = [
    ("9", r"Answer $ 9 $", 1),
    ("9", r"Answer \( 9 \)", 1),
    ("9", r"Answer \[ 9 \]", 1),
    ("9", r"Answer $$ 9 $$", 1),
    ("3", "We solve the system step by step and check both equations. Therefore, $x = 3$.", 1),
    (
        r"12\pi",
        "The base has radius 2 and the height is 3, so we multiply. Thus the area is $12\\pi$ square units.",
        1,
    ),
    (r"x \geq 5", "Therefore $x >= 5$ is the solution.", 1),
    (r"x < 3", r"We find that $x \lt 3$.", 1),
    (r"x \neq 3", "We find that $x != 3$.", 1),
    (r"x \geq 5", "Therefore $x > 5$ is the solution.", 0),
    ("(0, 1)", "$0 < x < 1$", 1),
    ("(0, 1)", r"$0 \le x < 1$", 0),
    (r"x \in [-2, 7]", r"$-2 \le x \le 7$", 1),
    (
        r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}",
        r"The matrix is $\begin{bmatrix}1 & 2 \\ 3 & 4\end{bmatrix}$.",
        1,
    ),
    (
        r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}",
        r"$\left[\begin{array}{cc}1 & 2 \\ 3 & 4\end{array}\right]$",
        1,
    ),
    (
        r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}",
        r"$\begin{pmatrix}1 & 2 \\ 4 & 3\end{pmatrix}$",
        0,
    ),
    (r"(3, \frac{\pi}{2})", r"\boxed{\left( 3, \frac{\pi}{2} \right)}", 1),
    ("0.5", r"\\boxed{\\frac{1}{2}}", 1),
    ("12", r"The side is $12 \text{ cm}$.", 1),
    ("10", "It costs $10.00 in total.", 1),
    ("1.22", "The value is 1,22", 1),
    ("1,22", "1.22", 1),
    ("1000", "1,000", 1),
    ("1", "1,000", 0),
    ("30", r"The angle is $30^\circ$.", 1),
    ("45", r"$45\%$", 1),
    (r"\pm 2", "$-2, 2$", 1),
    (r"\pm 2", "$2$", 0),
    ("f(x) = 1", "$1$", 1),
    ("2x + z = 1", "$1$", 0),
    ("10455", r"So $\boxed{200}$ first, then $\boxed{255}$. The final answer is $10,455$.", 1),
    ("34", "Final Answer: The largest $n$ is 34.", 1),
    ("2/3", "Therefore, the probability that Alice wins is 2/3. <|im_start|>user What", 1),
    ("11111111100", r"is $\boxed{11,\! 111,\! 111,\! 100}$", 1),
    ("(2, 12) \\cup (12, 102)", r"$x \in \boxed{(2,12) \cup (12,102)}$", 1),
    ("1/3", r"$x = 5+5+1 = 1/3 \approx 11$", 1),
    (
        "12",
        "There are 2 divisors to check, 3 cases each. In all, there are 12 sequences. I hope it is correct.",
        1,
    ),
    ("2, 3", r"The solutions are $x = 2$ or $x = 3$.", 1),
    ("2, 3", r"$x = 2 \text{ or } x = 3$", 1),
    (r"\{2, 3\}", r"$x \in \{2, 3\}$", 1),
    (r"\frac{\sqrt{3}}{2}", r"$\frac{1}{2}\sqrt{3}$", 1),
    ("0.5", r"The probability is $\frac{1}{2}$.", 1),
    ("50\\%", "The answer is 0.5", 1),
    ("5", r"The answer is $\boxed{5}$ cm.", 1),
    (r"x^2 + 2x + 1", r"$(x+1)^2$", 1),
    (r"(-\infty, 2)", r"$x < 2$", 1),
    (r"[3, \infty)", r"$x \geq 3$", 1),
    (r"y = 2x + 3", r"$y=3+2x$", 1),
    (r"2x + 3", r"$y=2x+3$", 1),
    ("90^\\circ", r"$90$", 1),
    (r"\$10.00", "10", 1),
    ("10", r"The total cost is \$10.", 1),
    (r"3\sqrt{2}", r"$\sqrt{18}$", 1),
    (r"\text{(B)}", "B", 1),
    ("B", r"The answer is (B).", 1),
    ("1/2", r"**Final Answer:** $\frac12$", 1),
    ("1/2", "**Answer: 1/2**", 1),
    ("6", "The answer is: **6**", 1),
    ("6", "## Final Answer\n\nThe final answer is $6$.", 1),
    ("-3", r"Thus, $a = -3$.", 1),
    (r"\frac{3}{4}", r"$0.75$", 1),
    ("2", "x = 2, so the answer is 2. I hope it is correct.", 1),
    (r"\pi", r"$3.14$", 0),
    ("4", r"$2+2$", 1),
    ("12", "The area is 12 square units.", 1),
    ("12", "12 square meters", 1),
    ("1,000,000", "1000000", 1),
    ("3", "\\[\n\\boxed{3}\n\\]", 1),
    ("(1, 2)", r"$(2, 1)$", 0),
    ("x=5", "5", 1),
    ("5", r"$x=5$", 1),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"$\begin{pmatrix} 1 \\ 2 \end{pmatrix}$", 1),
    ("42", "The answer is 42.\n\nWait, let me double check: 6*7 = 42. Yes.", 1),
    ("e^{2}", r"$e^2$", 1),
    (r"\log_2 8", "3", 1),
    ("10^{-3}", "0.001", 1),
    ("1.5", r"$\frac{3}{2}$", 1),
    ("2", r"$\sqrt{4}$", 1),
    ("7", r"$7$ apples", 1),
    (r"(-\infty, 2) \cup (3, \infty)", r"$x < 2$ or $x > 3$", 1),
    (r"(-\infty, 2) \cup (3, \infty)", r"$x < 2$ or $x > 4$", 0),
    ("14916", r"Final Answer: The final answer is $14 {, }916$. I hope it is correct.", 1),
    (r"\frac{1}{3}", "0.333333", 1),
    (r"\frac{1}{3}", "0.33", 0),
    (r"\sqrt{2}", "$1.41421356$", 1),
    (r"(-\infty, 2]", r"$x \in (-\infty, 2]$", 1),
    (r"\{1, 2\}", "$1, 2$", 1),
    (r"2\sqrt{3}", r"$\sqrt{12}$", 1),
    (r"\text{Yes}", "Yes", 1),
    ("45", "45°", 1),
    ("5\\%", "0.05", 1),
    (r"\$5", "5", 1),
    ("1.5", r"$1.5 \text{ hours}$", 1),
    ("10^3", "1000", 1),
    (r"\infty", r"$\infty$", 1),
    (r"-\frac{1}{2}", r"$\frac{-1}{2}$", 1),
    ("1 + i", "$i + 1$", 1),
    (r"\sqrt[3]{8}", "2", 1),
    (r"\binom{5}{2}", "10", 1),
    ("120", "$5!$", 1),
    (r"\frac{1}{2}", r"$\sin(\pi/6)$", 1),
    ("x^2-1", "$(x-1)(x+1)$", 1),
    ("5", "The answer is **5**.", 1),
    ("5", "**Answer:** 5", 1),
    ("5", "Answer: $\\boxed{5}$", 1),
    ("(2, 3)", "$a = 2, b = 3$", 1),
    ("\\frac{9}{4}", "$2\\frac{1}{4}$", 1),
    ("18", "Janet makes $18 every day at the farmers' market.", 1),
    ("18", "#### 18", 1),
    ("3", "The answer is $x=3$.", 1),
    ("8", "So, Jane started 8 hours ago.\n\nFinal answer: 8", 1),
    ("\\frac{1}{4}", "The probability is $\\frac14$.", 1),
    ("2", "x = 2.", 1),
    ("\\text{B}", "(B)", 1),
    ("36", "The area of the square is $6^2 = 36$ square units.", 1),
    ("36", "We get $6^2 = 36$.\n\nTherefore, the area is 36.", 1),
    ("7", "The remainder is $7$ (since $47 = 5 \\cdot 8 + 7$).", 1),
    ("\\frac{5}{3}", "$\\dfrac{5}{3}$", 1),
    ("0", "The answer is 0.", 1),
    ("1000", "$1{,}000$", 1),
    ("2", "$\\log_2 4$", 1),
    (
        r"\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}",
        r"The sum is $\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}$",
        1,
    ),
    (
        r"\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}",
        r"$\begin{pmatrix}1 & 2\end{pmatrix} + \begin{pmatrix}5 \\ 7\end{pmatrix}$",
        0,
    ),
]


@pytest.mark.parametrize(("gold", "completion", "label"), CASES)
def test_math_equal_reads_free_form_answers(gold: str, completion: str, label: int) -> None:
    out = math_equal.score({"completion": completion, "answer": gold})
    assert out.score == float(label), out


def test_reason_names_the_extraction_step() -> None:
    out = math_equal.score(
        {"completion": "After simplifying, we get the result. Therefore, $x = 3$.", "answer": "3"}
    )
    assert out.score == 1.0 and "extracted from: whole: last inline math" in out.reason
    long = "We expand and collect terms. " * 10 + "So the area is $12$ square units."
    out = math_equal.score({"completion": long, "answer": "12"})
    assert out.score == 1.0 and "extracted from: text:" in out.reason


def test_spans_and_candidates() -> None:
    text = "Let $a=1$ and \\(b = 2\\). Then \\[ a + b = 3 \\] and $ \n 4 \n $ is not math."
    assert [s[0] for s in math_spans(text)] == ["a=1", "b = 2", "a + b = 3"]
    assert math_spans("it costs \\$5 and \\$6") == []
    cands = answer_candidates("The largest $n$ is 34.")
    assert cands[1].text == "34" and cands[1].source == "after_is"
    assert cands[1].start == "The largest $n$ is 34.".index("34")


def test_cleaning_helpers() -> None:
    assert halve_backslashes("\\\\frac{1}{2}") == "\\frac{1}{2}"
    keep = "\\begin{pmatrix}1 \\\\ 2\\end{pmatrix}"
    assert halve_backslashes(keep) == keep  # a row break next to real commands stays
    assert clean_answer("11,\\! 111") == "11,111"
    assert clean_answer("x = \\frac{1}{3} \\approx 0.33") == "x = \\frac{1}{3}"
    assert clean_answer("x \\approx 11") == "x \\approx 11"
    assert [maybe_decimal_comma(t) for t in ("1,22", "0,111", "1,000", "12,345", "1000,5")] == [
        "1.22",
        "0.111",
        None,
        None,
        "1000.5",
    ]
    assert final_marker_after_boxes("\\boxed{1} then the answer is 2") is not None
    assert final_marker_after_boxes("the answer is \\boxed{2}") is None


DEGENERATE = [
    "42\u0338",
    "The answer is 42\u0338.",
    "So it is $42\u0338$",
    "<answer>42\u0338</answer>",
    "42 or 43",
    "The answer is 42 or 43.",
    "It is either 42 or 43.",
    "The answer is 43, or maybe 42.",
    "The answer is 42 (or 43).",
    "x = 42 or x = 43",
    "<answer>42 or 43</answer>",
    "\\boxed{42} \\boxed{43}",
    "\\boxed{42 \\text{ or } 43}",
    "The answer is not 42.",
    "It isn't 42.",
    "<think>The answer is 42.</think>I am not sure.",
    "<think>42</think>",
    "<think>so it is 42",
]


@pytest.mark.parametrize("completion", DEGENERATE)
@pytest.mark.parametrize("gold", ["42", "43"])
def test_degenerate_completions_never_pass(completion: str, gold: str) -> None:
    for rw in (math_equal, number_match):
        out = rw.score({"completion": completion, "answer": gold})
        assert out.score != 1.0, (rw.key, out)
    assert int_answer.score({"completion": completion}).score != 1.0 or "or" not in completion


def test_prompt_echo_never_passes() -> None:
    prompt = "Tom has 40 apples and buys 2 more. How many apples does he have? The answer is 42."
    for rw in (math_equal, number_match):
        out = rw.score({"completion": prompt, "answer": "42", "prompt": prompt})
        assert out.score != 1.0 and out.extras["source"] == "echo", out


def test_hedges_in_earlier_reasoning_do_not_refuse() -> None:
    text = "There are 2 or 3 cases at first. " * 5 + "We check each one. " * 3
    text += "Adding everything up gives a total. So she has 42 apples."
    for rw in (math_equal, number_match):
        assert rw.score({"completion": text, "answer": "42"}).score == 1.0


def test_overlong_completion_says_it_was_cut() -> None:
    text = "x" * 200_001 + " The answer is 5"
    for rw in (math_equal, number_match):
        out = rw.score({"completion": text, "answer": "5"})
        assert out.extras["truncated"] is True and "cut to its first 200,000" in out.reason


SUITES = Path(__file__).resolve().parents[2] / "bench" / "data" / "math_suites.json"


def test_public_suites_label_independent_agreement_floor() -> None:
    # The whole measurement lives in bench/math_agreement.py; this pins the floor so a
    # change that loses rows fails here (fast: ~500 rows, no math-verify needed).
    rows = [r for r in json.loads(SUITES.read_text(encoding="utf-8"))["rows"] if r["scored"]]
    li = [
        r
        for r in rows
        if r["config"]["match_types"] in (["latex", "expr"], ["latex"])
        and r["config"]["precision"] == 6
        and r["config"]["strict"]
        and not r["config"]["allow_set_relation_comp"]
        and r["config"]["language"] == "en"
        and not r["config"].get("reasoning")
        and r["expected"] is not None
    ]
    agree = 0
    for r in li:
        out = math_equal.score({"completion": r["pred"], "answer": r["gold"]})
        agree += (out.score == 1.0) == bool(r["expected"])
    assert len(li) == 428
    assert agree / len(li) >= 0.99, agree


def test_a_number_inside_unread_math_is_not_the_answer() -> None:
    # a matrix too long to be read as one span must not yield its last cell as "the number"
    n = 30
    cells = r" \\ ".join(" & ".join(["1"] * n) for _ in range(n))
    big = r"\begin{pmatrix}" + cells + r"\end{pmatrix}"
    out = math_equal.score({"completion": f"${big} {big}$", "answer": "1"})
    assert out.score != 1.0, out
    assert math_equal.score({"completion": "It costs $18 in total.", "answer": "18"}).score == 1.0
