"""Formula ranges propagate bound by bound through constants, sums, clips, gates, min/max.

``xml_count`` is bounded above (1.0) but not below (trailing text costs without limit),
so it exercises one-sided propagation; ``number_match`` is [0, 1].
"""

from __future__ import annotations

import pytest

import rewardkit as rk


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("0.5*xml_count", (None, 0.5)),  # was (None, None): the known upper bound was lost
        ("xml_count*0.5", (None, 0.5)),
        ("xml_count + 1", (None, 2.0)),
        ("-xml_count", (-1.0, None)),
        ("number_match - 0.5*xml_count", (-0.5, None)),
        ("0*xml_count + number_match", (0.0, 1.0)),
        ("2*(number_match + xml_format)", (0.0, 4.0)),
        ("0.7*think_format + 0.3*unique_chars", (0.0, 1.0)),
        ("clip(0.5*xml_count, 0, 1)", (0.0, 0.5)),  # clip narrowed by the child's range
        ("clip(xml_count, -1, 2)", (-1.0, 1.0)),
        ("min(number_match, 0.5*xml_count)", (None, 0.5)),
        ("max(number_match, 0.5*xml_count)", (0.0, 1.0)),
        ("scale(xml_count, 2)", (None, 2.0)),
        ("gate(xml_format, 0.5*xml_count)", (None, 0.5)),
    ],
)
def test_formula_range(formula: str, expected: tuple[float | None, float | None]) -> None:
    assert rk.parse_formula(formula).range == expected


@pytest.mark.parametrize("formula", ["0.5*xml_count", "clip(0.5*xml_count, 0, 1)"])
def test_scores_stay_inside_the_propagated_range(formula: str) -> None:
    total = rk.parse_formula(formula)
    lo, hi = total.range
    completions = [
        "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>\n",
        "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>\n" + "trailing " * 50,
        "nothing",
    ]
    for c in completions:
        score = total.score({"completion": c, "answer": "4"}).score
        assert score is not None
        assert (lo is None or score >= lo) and (hi is None or score <= hi), (c, score)
