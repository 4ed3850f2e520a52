"""math_equal, number_match and int_answer: real cases, peers' published cases, degenerates.

Cases marked "math-verify" restate facts from huggingface/Math-Verify tests/test_all.py
(gold, prediction, expected); TRL / open-r1 cases restate their reward tests. The
prediction is given as the final answer text (the whole-text fallback reads it).
"""

from __future__ import annotations

import doctest
import time

import pytest

from rewardkit import Outcome
from rewardkit.contract._outcome import Status
from rewardkit.parsers._mathequal import math_equivalent, parse_answer
from rewardkit.rewards import math as math_rewards
from rewardkit.rewards.math import int_answer, math_equal, number_match

# (gold, prediction, expected) -- shared with bench/rewards.py
PEER_CASES: list[tuple[str, str, int]] = [
    # math-verify: numbers, thousands separators, units, currency
    ("-5", "-5", 1),
    ("7425000", "7,425,000", 1),
    ("1000", "1 000", 1),
    ("1000", "1000.0", 1),
    ("1000.0", "1,000.0", 1),
    ("0.4", ".4", 1),
    ("1000.99", "$1,000.99", 1),
    ("1000.99", "1,000.99$", 1),
    ("2", "AZYUK2A", 0),
    # math-verify: fractions
    ("10/9", r"\frac{10}{9}", 1),
    ("-10/9", r"-\frac{10}{9}", 1),
    # math-verify: sets and intervals
    ("$[0,1)$", "$[0,1)$", 1),
    ("$[0,9)$", "$[0,1)$", 0),
    ("$(0,9)$", "$[0,9)$", 0),
    ("$1$", "$-[0,1)$", 0),
    # math-verify: LaTeX notation
    ("$10$", r"\( (9+1) \)", 1),
    ("$1/3$", r"$\frac13 $", 1),
    ("$1$", r"$\frac3{3} $", 1),
    (r"$\sqrt{3}$", r"$\sqrt3 $", 1),
    ("$1/3$", r"$\cfrac{1}{3} $", 1),
    ("$1/3$", r"$\dfrac{1}{3} $", 1),
    ("$1/3$", r"$\tfrac{1}{3} $", 1),
    ("$1/3$", "$ 1/3 $", 1),
    ("$1/3$", r"$\left( \frac{1}{3} \right)$", 1),
    ("$1/3$", r"$\boxed{\frac{1}{3}}$", 1),
    ("$1/3$", r"$\frac{1}{3} \text{meters}$", 1),
    ("$1/3$", r"$\frac{1}{3} \textbf{meters}$", 1),
    ("$1/3$", r"$k = \frac{1}{3}$", 1),
    # math-verify: percentages
    (r"$28\%$", "28 percent", 1),
    (r"$28\%$", "28 pct", 1),
    (r"$28\%$", "28 %", 1),
    (r"$28\%$", "$28$ %", 1),
    (r"$28\%$", r"$\boxed{28 pct}$", 1),
    (r"$28\%$", r"$\boxed{28 percent}$", 1),
    (r"$28\%$", "28", 1),
    ("$0.28$", "28", 0),
    ("$28/100$", "28", 0),
    ("$28$", "28/100", 0),
    (r"$\frac{28}{100}$", "28", 0),
    (r"$28*\frac{1}{100}$", "28", 0),
    # math-verify: MATH answers
    ("$2-2p$", "2-2p", 1),
    (
        r"\begin{pmatrix} 0 & 3 \\ 0 & -1 \end{pmatrix}",
        r"\begin{pmatrix} 0 & 3 \\ 0 & -1 \end{pmatrix}",
        1,
    ),
    (r"$28\%$", r"28\%", 1),
    (r"14{,}916", r"14{,}916", 1),
    (r"$(3, \frac{\pi}{2})$", r"\left( 3, \frac{\pi}{2} \right)", 1),
    (r"$\frac{14}{3}$", r"\frac{14}{3}", 1),
    (r"$\text{Evelyn}$", r"\text{Evelyn}", 1),
    (r"$90^\circ$", r"90^\circ", 1),
    (r"$3\sqrt{13}$", r"3\sqrt{13}", 1),
    (r"$\frac{3}{56}$", r"\frac{3}{56}", 1),
    (r"$15\mbox{ cm}^2$", r"15\mbox{ cm}^2", 1),
    ("$-2,1$", "-2,1", 1),
    ("$204_5$", "204_5", 1),
    ("$(6,31,-1)$", "(6,31,-1)", 1),
    (r"$1 \pm \sqrt{19}$", r"1 \pm \sqrt{19}", 1),
    (r"$3 \pm 2 \sqrt{2}$", r"3 \pm 2 \sqrt{2}", 1),
    (r"$\{1\pm\sqrt{5},-2\}$", r"\{1\pm\sqrt{5},-2\}", 1),
    ("$f(2) < f(1) < f(4)$", "f(2) < f(1) < f(4)", 1),
    (r"$2 \sin b \cos a$", r"2 \sin b \cos a", 1),
    (r"$\frac{\pi r}{h+r}$", r"\frac{\pi r}{h+r}", 1),
    ("$125$ miles", r"125\textnormal{ miles}", 1),
    (
        r"$[-1, -\frac{1}{2}) \cup (-\frac{1}{2}, 0) \cup (0, 1) \cup (1, \infty)$",
        r"[-1, -\tfrac12) \cup (-\tfrac12, 0) \cup (0, 1) \cup (1, \infty)",
        1,
    ),
    (r"$\sqrt{2}+\sqrt{5}$", r"\sqrt 2+\sqrt 5", 1),
    (r"$\frac{9}{4}\pi$", r"\frac94\pi", 1),
    (r"\{-1\} \cup [0,7)", r"\{-1\} \cup [0,7)", 1),
    # math-verify: relations
    ("$x >= 5$", r"$x \geq 5$", 1),
    ("$x < 3$", r"$x \lt 3$", 1),
    (r"$x \leq 2$", "$x <= 2$", 1),
    ("$x > 5$", r"$x \gt 5$", 1),
    ("$x != 3$", r"$x \neq 3$", 1),
    ("$x > 5$", "$x < 5$", 0),
    (r"$x \geq 5$", r"$x \leq 5$", 0),
    (r"$x \neq 5$", "$x != 5$", 1),
    (r"$x \leq 5$", r"$5 \geq x$", 1),
    (r"$x \geq 5$", r"$5 \leq x$", 1),
    ("$x = 11$", "$x = 5+5+1 = 7 =11$", 1),
    ("$7 = 11a+c$", "$11a+c$", 0),
    ("$11$", "$x=11$", 1),
    ("$11$", r"$x\approx11$", 1),
    ("$x < 1$", "$-x > -1$", 1),
    ("$x < 1$", "$x > -1$", 0),
    ("$x <= 1$", "$-x >= -1$", 1),
    ("$a +3z = 0$", "$0$", 0),
    ("$2x + z = 1$", "$1$", 0),
    ("$a^2 + b = 0$", "$0$", 0),
    ("$k=1$", "$1$", 1),
    ("$1$", "$k=1$", 1),
    ("$2x+4y-3=0$", r"$y=-\frac{1}{2}x+\frac{3}{4}$", 1),
    ("$x^2/4 + y^2/3 = 1$", "$x^2/16 + y^2/12 = 1/4$", 1),
    # math-verify: matrices
    (
        r"$\begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix}$",
        r"$ \begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix} $",
        1,
    ),
    (
        r"$\begin{bmatrix}0 & 0 \\0 & 0\end{bmatrix}$",
        r"$ \begin{pmatrix}0 & 0 \\0 & 0\end{pmatrix} $",
        1,
    ),
    (
        r"$\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}$",
        r"$ \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] $",
        1,
    ),
    (
        r"$\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}$",
        r"$\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}$",
        0,
    ),
    # math-verify: qwen-parser cases
    (r"$\frac{1}{12}$", "$0.0833333333333333$", 1),
    (r"$(1,\frac{9}{2})$", "$(1,4.5)$", 1),
    (r"$\frac{x+2}{7}$", r"$\frac{x}{7}+\frac{2}{7}$", 1),
    (r"$\tan^2(y)+1$", r"$\sec^2(y)$", 1),
    # TRL accuracy_reward docstring / tests
    (r"\frac{1}{3}", r"My answer is \boxed{\frac{1}{3}}", 1),
    (r"\frac{1}{3}", r"My answer is \boxed{\frac{1}{2}}", 0),
    # open-r1 accuracy reward tests
    (r"$\frac{64}{400}$", r"\boxed{\frac{64}{400}}", 1),
    (r"$\frac{64}{400}$", r"\boxed{\frac{1}{5}}", 0),
    (r"$\frac{64}{400}$", r"\boxed{\frac{4}{25}}", 1),
]

# (description, completion, gold, prompt) -- a correct reward scores each 0
DEGENERATES: list[tuple[str, str, str, str | None]] = [
    ("shotgun list", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 42, 43, 44", "42", None),
    ("shotgun with dots", r"The answer is one of $1, 2, 3, \ldots, 100$.", "42", None),
    ("shotgun boxed list", r"\boxed{40, 41, 42, 43}", "42", None),
    ("several boxed", r"Maybe \boxed{41}. Or \boxed{42}. Or \boxed{43}.", "42", None),
    ("two boxed, last right", r"\boxed{7} hmm, no: \boxed{42}", "42", None),
    ("reasoning only", r"<think>So it is \boxed{42}.</think>", "42", None),
    (
        "answer in reasoning, text after",
        "<think>The answer is 42.</think> I am not sure.",
        "42",
        None,
    ),
    ("unclosed reasoning", "<think>The answer is 42", "42", None),
    ("empty answer tags", "<think>42</think><answer></answer>", "42", None),
    ("empty boxed", r"<think>42</think> \boxed{}", "42", None),
    (
        "prompt echo",
        "Tom has 42 apples and eats none of them. How many apples does he have left?",
        "42",
        "Tom has 42 apples and eats none of them. How many apples does he have left?",
    ),
    ("hedged or", r"\boxed{41 \text{ or } 42}", "42", None),
    ("plus-minus hedge", r"\boxed{42 \pm 1}", "42", None),
    ("interval hedge", r"\boxed{[41, 43]}", "42", None),
]


def _score(completion: str, gold: str, prompt: str | None = None) -> Outcome:
    row = {"completion": completion, "answer": gold}
    if prompt is not None:
        row["prompt"] = prompt
    return math_equal.score(row)


class TestPeerCases:
    @pytest.mark.parametrize(("gold", "pred", "expected"), PEER_CASES)
    def test_case(self, gold: str, pred: str, expected: int) -> None:
        out = _score(pred, gold)
        assert out.score == float(expected), out

    @pytest.mark.parametrize(("why", "completion", "gold", "prompt"), DEGENERATES)
    def test_degenerate_never_passes(
        self, why: str, completion: str, gold: str, prompt: str | None
    ) -> None:
        out = _score(completion, gold, prompt)
        assert out.score == 0.0, (why, out)


class TestMathEqual:
    @pytest.mark.parametrize(
        ("completion", "gold"),
        [
            ("<reasoning>6*7</reasoning>\n<answer>\n42\n</answer>\n", "42"),  # Unsloth layout
            ("Natalia sold 48 + 24 = 72 clips.\n#### 72", "72"),  # GSM8K marker
            ("So the final answer is $72$.", "Natalia sold 48/2 = 24 clips.\n#### 72"),
            (r"<think>long</think> \boxed{\dfrac{\sqrt{3}}{2}}", r"\frac{1}{2}\sqrt{3}"),
            (r"The answer is $\boxed{2\pi}$.", r"\boxed{2 \pi}"),
            (r"\boxed{x = 3}", "3"),
            (r"\boxed{(-\infty, 2]}", r"(-\infty,2]"),
            (r"\boxed{\{1, 2\}}", r"\{2,1\}"),
            ("The answer is 5, since 2 + 3 = 5.", "5"),
            (r"\boxed{1.5 \times 10^{3}}", "1500"),
            (r"\boxed{2\frac{1}{2}}", "5/2"),
        ],
    )
    def test_passes(self, completion: str, gold: str) -> None:
        out = _score(completion, gold)
        assert out.status is Status.OK and out.score == 1.0, out

    @pytest.mark.parametrize(
        ("completion", "gold"),
        [
            (r"\boxed{1000000001}", "1000000000"),  # integers compare exactly
            (r"\boxed{3.14}", r"\pi"),
            (r"\boxed{(2, 1)}", "(1, 2)"),  # tuples are ordered
            (r"\boxed{\{1, 2, 3\}}", r"\{1, 2\}"),
            (r"\boxed{3x}", "3"),
        ],
    )
    def test_fails(self, completion: str, gold: str) -> None:
        assert _score(completion, gold).score == 0.0

    def test_statuses_and_extras(self) -> None:
        out = _score(r"so \boxed{4}", "4")
        assert out.extras == {"extracted": "4", "source": "boxed"}
        assert _score("no answer here at all, just a long rambling text " * 3, "4").status is (
            Status.UNPARSEABLE
        )
        na = _score(r"\boxed{4}", "")
        assert na.status is Status.NOT_APPLICABLE and na.score is None
        assert _score(r"\boxed{4}", r"\unknowncommand{4}").status is Status.NOT_APPLICABLE
        assert _score(r"\boxed{\frac{}{}}", "4").status is Status.UNPARSEABLE

    def test_chat_and_prefilled_think(self) -> None:
        msgs = [{"role": "assistant", "content": r"2+2=4</think> \boxed{4}"}]
        assert (
            math_equal.score({"completion": msgs, "answer": "4", "prompt": "<think>"}).score == 1.0
        )
        # the box is inside the (prefilled) reasoning block: no final answer
        msgs = [{"role": "assistant", "content": r"\boxed{4}</think> I think so"}]
        assert math_equal.score({"completion": msgs, "answer": "4"}).score == 0.0

    @pytest.mark.parametrize(
        "bomb",
        [
            "9^9^9^9",
            "2^{2^{2^{2^{2^{2}}}}}",
            "10^{10^{10}}",
            "x^{1000000}",
            "1000!",
            r"\binom{100000}{50000}",
            "e^{e^{e^{10}}}",
            "(" * 500 + "1" + ")" * 500,
            r"\frac{" * 100 + "1" + "}{2}" * 100,
            "1" * 5000,
            "+".join(["x"] * 1000),
        ],
    )
    def test_bombs_are_refused_quickly(self, bomb: str) -> None:
        t = time.perf_counter()
        out = _score(rf"\boxed{{{bomb}}}", "2")
        assert time.perf_counter() - t < 5.0
        assert out.score == 0.0

    def test_options(self) -> None:
        loose = math_equal.configure(rel_tol=1e-3)
        assert loose.score({"completion": r"\boxed{0.3333}", "answer": "1/3"}).score == 1.0
        assert math_equal.score({"completion": r"\boxed{0.3333}", "answer": "1/3"}).score == 0.0


class TestEquivalence:
    def test_not_symmetric_by_design(self) -> None:
        # gold "k = 1" accepts "1"; gold "7 = 11a + c" does not accept its right side
        assert math_equivalent(parse_answer("k=1"), parse_answer("1"))  # type: ignore[arg-type]
        assert not math_equivalent(parse_answer("7=11a+c"), parse_answer("11a+c"))  # type: ignore[arg-type]

    def test_plain_numbers_do_not_import_sympy(self) -> None:
        import subprocess
        import sys

        code = (
            "import sys; from rewardkit.parsers._mathequal import parse_answer, math_equivalent;"
            "assert math_equivalent(parse_answer('1,000'), parse_answer('1000.0'));"
            "assert 'sympy' not in sys.modules, 'sympy imported'"
        )
        subprocess.run([sys.executable, "-c", code], check=True)


class TestNumberMatch:
    @pytest.mark.parametrize(
        ("completion", "gold", "score"),
        [
            ("<answer>\n72\n</answer>", "72", 1.0),
            ("He pays $1,250.00 in total.\n#### 1250", "1250", 1.0),
            ("The answer is 18 dollars, because 3 * 6 = 18.", "18", 1.0),
            (r"\boxed{\frac{3}{4}}", "0.75", 1.0),
            ("So 45% of them.", "0.45", 1.0),
            ("So 45% of them.", "45", 1.0),
            ("It is 0.45.", "45", 0.0),
            ("about 1.5e3 m", "1500", 1.0),
            ("-7 degrees", "-7", 1.0),
            ("<answer>1 1/2 cups</answer>", "1.5", 1.0),
            ("<answer>71</answer>", "72", 0.0),
            ("<answer>1000000001</answer>", "1000000000", 0.0),
        ],
    )
    def test_cases(self, completion: str, gold: str, score: float) -> None:
        assert number_match.score({"completion": completion, "answer": gold}).score == score

    def test_statuses(self) -> None:
        r = number_match.score({"completion": "<answer>1, 2, 3</answer>", "answer": "2"})
        assert r.status is Status.UNPARSEABLE  # a shotgun list in the answer tag
        r = number_match.score({"completion": "<answer></answer>", "answer": "2"})
        assert r.status is Status.UNPARSEABLE
        r = number_match.score({"completion": "4", "answer": "four"})
        assert r.status is Status.NOT_APPLICABLE
        r = number_match.score({"completion": "<think>42</think>", "answer": "42"})
        assert r.status is Status.UNPARSEABLE

    def test_tolerance_and_extract(self) -> None:
        row = {"completion": "<answer>3.14</answer> and finally 3", "answer": "3.14159"}
        assert number_match.score(row).score == 0.0
        assert number_match.configure(rel_tol=1e-3).score(row).score == 1.0
        assert number_match.configure(extract="last_number").score(row).extras["extracted"] == "3"
        assert number_match.score({"completion": "x", "answer": 3}).status is Status.UNPARSEABLE


class TestIntAnswer:
    @pytest.mark.parametrize(
        ("completion", "score"),
        [
            ("<answer>\n72\n</answer>", 1.0),
            ("<answer>-3</answer>", 1.0),
            ("<answer>$1,000</answer>", 1.0),
            ("<answer>2.5</answer>", 0.0),
            ("<answer>3/4</answer>", 0.0),
            ("The answer is 12.", 1.0),
            ("#### 12", 1.0),
        ],
    )
    def test_cases(self, completion: str, score: float) -> None:
        assert int_answer.score({"completion": completion}).score == score

    def test_no_answer_is_unparseable(self) -> None:
        assert int_answer.score({"completion": "I ate 3 apples"}).status is Status.UNPARSEABLE
        r = int_answer.configure(extract="last_number").score({"completion": "I ate 3 apples"})
        assert r.score == 1.0


@pytest.mark.parametrize("rw", [math_equal, number_match, int_answer], ids=lambda r: r.name)
def test_docstring_examples_run(rw: object) -> None:
    fn = rw.fn  # type: ignore[attr-defined]
    tests = doctest.DocTestFinder().find(fn, rw.name, globs=vars(math_rewards))  # type: ignore[attr-defined]
    runner = doctest.DocTestRunner()
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0
    assert sum(t.examples.__len__() for t in tests) >= 2


def test_registered_and_cheapness() -> None:
    import rewardkit

    assert rewardkit.get("math_equal").cheap is False
    assert rewardkit.get("number_match").cheap is True
    assert rewardkit.get("int_answer").cheap is True


class TestSpamAndNegation:
    """Repeated answer blocks and negated answers are UNPARSEABLE in all three rewards."""

    REWARDS = (math_equal, number_match, int_answer)

    @pytest.mark.parametrize(
        ("completion", "why"),
        [
            ("<answer>96</answer><reasoning>" * 40, "repeated answer blocks"),
            ("<answer>96</answer><answer>96</answer>", "repeated answer blocks"),
            ("<answer>96</answer><reasoning>x<answer>96</answer>", "repeated answer blocks"),
            ("<answer>\\boxed{96}</answer><reasoning>" * 5, "repeated answer blocks"),
            ("<reasoning>r</reasoning><answer>96", "unbalanced answer tags"),
            ("<answer>96</answer></answer>", "repeated answer blocks"),
            ("\\boxed{96} " * 40, "repeated \\boxed{} answers"),
            ("<reasoning>r</reasoning>\n<answer>\nThe answer is not 96.\n</answer>", "negated"),
            ("<answer>not 96</answer>", "negated"),
            ("<answer>x \\neq 96</answer>", "negated"),
            ("<answer>\u2260 96</answer>", "negated"),
            ("The answer is not 96.", "negated"),
            ("The answer isn't 96.", "negated"),
            ("The answer is definitely not $96$.", "negated"),
            ("#### not 96", "negated"),
            ("So it is \\boxed{\\text{not } 96}.", "negated"),
        ],
    )
    def test_unparseable(self, completion: str, why: str) -> None:
        for rw in self.REWARDS:
            out = rw.score({"completion": completion, "answer": "96"})
            assert out.status is Status.UNPARSEABLE and out.score == 0.0, (rw.key, out)
            if rw is not math_equal or why != "negated":
                assert why in out.reason, (rw.key, out)

    def test_bare_negated_last_number(self) -> None:
        out = number_match.score({"completion": "Hmm, it is not 96.", "answer": "96"})
        assert out.status is Status.UNPARSEABLE and "negated" in out.reason
        out = number_match.score({"completion": "It isn't equal to 96", "answer": "96"})
        assert out.status is Status.UNPARSEABLE
        out = number_match.score({"completion": "Not 4 but 96", "answer": "96"})
        assert out.score == 1.0  # the negation is not next to the last number

    def test_number_match_prompt_echo(self) -> None:
        prompt = "A hall has 19 rows of 4 chairs and 38 chairs are taken. How many chairs are free?"
        out = number_match.score({"completion": prompt, "answer": "38", "prompt": prompt})
        assert out.status is Status.UNPARSEABLE and out.extras["source"] == "echo"
        ok = number_match.score({"completion": "There are 38.", "answer": "38", "prompt": prompt})
        assert ok.score == 1.0

    @pytest.mark.parametrize(
        "completion",
        [
            "<reasoning>r</reasoning>\n<answer>\n96\n</answer>\n",
            "<think>r</think>\n<answer>96</answer>",
            "step</think><answer>96</answer>",  # prefilled <think>
            # a dangling reasoning block after the answer hides nothing to count
            "<answer>96</answer><reasoning>let me double-check",
            # a closed reasoning block may mention the answer tags
            "<think>Format: <answer>N</answer>. <answer>?</think><answer>96</answer>",
            "\\boxed{96} and again \\boxed{96}",
            "The answer is 96, not 95.",
            "The answer is 96, which is not prime.",
            "Not counting the 4 red chairs, there are 96 \\boxed{96}",
        ],
    )
    def test_still_passes(self, completion: str) -> None:
        for rw in (math_equal, number_match):
            out = rw.score({"completion": completion, "answer": "96"})
            assert out.status is Status.OK and out.score == 1.0, (rw.key, out)
        assert int_answer.score({"completion": completion}).score == 1.0

    def test_negated_gold_allows_negated_answer(self) -> None:
        out = math_equal.score({"completion": "<answer>$x \\neq 5$</answer>", "answer": "x != 5"})
        assert out.score == 1.0, out
        out = math_equal.score({"completion": "<answer>$x = 5$</answer>", "answer": "x != 5"})
        assert out.score == 0.0, out

    def test_versions_bumped(self) -> None:
        assert (math_equal.version, number_match.version, int_answer.version) == ("4", "4", "4")


class TestNumberInsideFormula:
    """A number inside a formula (``\\sqrt{90}``, ``100\\pi``) is not that number."""

    @pytest.mark.parametrize(
        ("completion", "gold", "score"),
        [
            ("<answer>90</answer>", r"\sqrt{90}", 0.0),
            ("<answer>100</answer>", r"100\pi", 0.0),
            (r"<answer>\sqrt{90}</answer>", "90", 0.0),
            (r"<answer>100\pi</answer>", "100", 0.0),
            (r"\boxed{100\pi}", "100", 0.0),
            ("<answer>100 pi</answer>", "100", 0.0),
            (r"The answer is $\sqrt{90}$, since 9 * 10 = 90.", "90", 0.0),
            (r"So we get $x = \sqrt{90}$.", "90", 0.0),
            (r"The area is $100 \pi$ square units.", "100", 0.0),
            # symbolic fallback: same value, other form
            (r"<answer>\sqrt{90}</answer>", r"\sqrt{90}", 1.0),
            (r"<answer>3\sqrt{10}</answer>", r"\sqrt{90}", 1.0),
            (r"<answer>100\pi</answer>", r"100\pi", 1.0),
            (r"The area is $100 \pi$ square units.", r"100\pi", 1.0),
            (r"<answer>\frac{90}{1}</answer>", "90", 1.0),
            (r"<answer>9 \cdot 10</answer>", "90", 1.0),
            (r"<answer>9 \times 10</answer>", "90", 1.0),
            (r"So we get $x = \sqrt{8100}$.", "90", 1.0),
            (r"The answer is 90, since \sqrt{8100} = 90.", "90", 1.0),
            ("<answer>1.5 \\times 10^{3}</answer>", "1500", 1.0),
        ],
    )
    def test_number_match(self, completion: str, gold: str, score: float) -> None:
        out = number_match.score({"completion": completion, "answer": gold})
        assert out.status is Status.OK and out.score == score, out

    def test_number_match_gold_not_a_number(self) -> None:
        out = number_match.score({"completion": "<answer>1</answer>", "answer": r"(1, \sqrt{2})"})
        assert out.status is Status.NOT_APPLICABLE
        assert out.reason == "gold answer is not a plain number"
        out = number_match.score({"completion": "<answer>x</answer>", "answer": r"\sqrt{2}"})
        assert out.status is Status.UNPARSEABLE

    def test_number_match_formula_shotgun(self) -> None:
        row = {"completion": r"<answer>\boxed{-12} \boxed{0} \boxed{965}</answer>", "answer": "0"}
        assert number_match.score(row).score == 0.0

    @pytest.mark.parametrize(
        ("completion", "score"),
        [
            (r"<answer>\sqrt{90}</answer>", 0.0),
            (r"<answer>100\pi</answer>", 0.0),
            ("<answer>100 pi</answer>", 0.0),
            ("<answer>100π</answer>", 0.0),
            (r"\boxed{100\pi}", 0.0),
            (r"The answer is \sqrt{90}.", 0.0),
            (r"<answer>\frac{90}{1}</answer>", 1.0),
            (r"<answer>90\text{ cm}</answer>", 1.0),
        ],
    )
    def test_int_answer(self, completion: str, score: float) -> None:
        out = int_answer.score({"completion": completion})
        assert out.status is Status.OK and out.score == score, out
        if not score:
            assert "not an integer" in out.reason
