"""Formulas: the config/CLI form of composition, under an allow-list policy."""

from __future__ import annotations

import pytest

import rewardkit as rk
from rewardkit import FormulaError, Reward, Status, parse_formula
from rewardkit.compose._compose import Composite

ROW = {"completion": "<think>abc</think>The answer is 4", "answer": "4"}


class TestValid:
    def test_weighted_sum(self) -> None:
        node = parse_formula("0.7*think_format + 0.3*unique_chars")
        assert isinstance(node, Composite)
        assert node.name == "0.7*think_format+0.3*unique_chars"
        out = node.score(ROW)
        assert out.status is Status.OK
        assert set(out.extras["terms"]) == {"think_format", "unique_chars"}

    def test_single_name_is_the_reward_itself(self) -> None:
        assert parse_formula("xml_format") is rk.get("xml_format")

    def test_options_bare_words_and_literals(self) -> None:
        node = parse_formula("xml_format(mode=strict)")
        assert isinstance(node, Reward) and node.key == "xml_format(mode='strict')"
        assert parse_formula("xml_format(mode='strict')").key == node.key
        assert parse_formula("soft_overlong(max_length=100, cache=20)").options["cache"] == 20

    def test_tuple_options(self) -> None:
        node = parse_formula("xml_format(tags=(think, answer)) + tag_count(tags=[think])")
        keys = [leaf.key for leaf in node.leaves()]
        assert keys == ["xml_format(tags=('think', 'answer'))", "tag_count(tags=('think',))"]

    def test_combinators(self) -> None:
        node = parse_formula(
            "gate(think_format, exact_match, at=1) + 0.1*clip(xml_count, 0, 1)"
            " - max(length_penalty, soft_overlong) + scale(unique_chars, 0.5, 0.1)"
            " + threshold(f1, 0.5) + min(f1, exact_match)"
        )
        assert {leaf.name for leaf in node.leaves()} == {
            "think_format",
            "exact_match",
            "xml_count",
            "length_penalty",
            "soft_overlong",
            "unique_chars",
            "f1",
        }
        assert node.score(ROW).status is Status.OK

    def test_route(self) -> None:
        node = parse_formula("route(by=task, qa=exact_match, fmt=think_format)")
        assert node.score({**ROW, "task": "qa"}).extras["route"] == "exact_match"
        assert node.score({**ROW, "task": "fmt"}).extras["route"] == "think_format"
        assert node.score({**ROW, "task": "x"}).status is Status.NOT_APPLICABLE

    def test_arithmetic_forms(self) -> None:
        node = parse_formula("-think_format + 2 * (unique_chars / 4) - 1")
        assert node.score(ROW).score == pytest.approx(
            -1 + 2 * (rk.get("unique_chars")(ROW["completion"]) / 4) - 1
        )

    def test_extra_names_and_result_name(self) -> None:
        mine = Reward(lambda completion: 1.0, name="mine")
        node = parse_formula("2*mine", {"mine": mine}, name="doubled")
        assert node.name == "doubled" and node.score(ROW).score == 2.0
        assert parse_formula("mine", {"mine": mine}, name="alias").name == "alias"


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("xml_format.fn", "attribute access is not allowed"),
        ("think_format.__class__", "attribute access is not allowed"),
        ("import os", "imports are not allowed"),
        ("from os import system", "imports are not allowed"),
        ("__import__('os')", "name '__import__' is not allowed"),
        ("_private + 1", "name '_private' is not allowed"),
        ("think_format(__class__=1)", "name '__class__' is not allowed"),
        ("[think_format][0]", "a subscript is not allowed"),
        ("xml_format[0]", "a subscript is not allowed"),
        ("[r for r in (1, 2)]", "a comprehension is not allowed"),
        ("(lambda: 1)()", "only named rewards and combinators can be called"),
        ("lambda: 1", "a lambda is not allowed"),
        ("think_format ** 2", "the ** operator is not allowed"),
        ("think_format if 1 else f1", "a conditional expression is not allowed"),
        ("think_format and f1", "and/or is not allowed"),
        ("think_format < 1", "a comparison is not allowed"),
        ("'abc' + think_format", "constant 'abc' is not allowed here"),
        ("x = 1", "statements are not allowed"),
        ("think_format +", "syntax error"),
        ("no_such_reward + 1", "unknown name 'no_such_reward'"),
        ("think_fromat", "Did you mean 'think_format'?"),
        ("print(end=1)", "unknown name 'print'"),
        ("eval('1')", "'eval' called with positional arguments"),
        ("open('/etc/passwd')", "'open' called with positional"),
        ("xml_format(1)", "must be given as key=value"),
        ("xml_format(**{})", "** is not allowed"),
        ("xml_format(mode=loose)", "'loose' is not a valid 'mode'"),
        ("xml_format(nope=1)", "has no option 'nope'"),
        ("think_format * f1", "weights must be numbers"),
        ("think_format / 0", "ZeroDivisionError"),
        ("1 / 0 * think_format", "ZeroDivisionError"),
        ("9" * 400 + " * think_format", "OverflowError"),
        ("1 + 2", "does not mention any reward"),
        ("clip(think_format, 1, 0)", "above"),
    ],
)
def test_rejected_with_a_clear_error(formula: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as exc:
        parse_formula(formula)
    assert fragment in str(exc.value)
    assert exc.value.formula.startswith(formula[:20])
    assert isinstance(exc.value, ValueError)


def test_too_long() -> None:
    with pytest.raises(FormulaError, match="longer than"):
        parse_formula("+".join(["think_format"] * 400))
