"""exact_match and f1: SQuAD-style normalisation, aliases, and where the answer is read."""

from __future__ import annotations

import pytest

from rewardkit import Status
from rewardkit.rewards.text import exact_match, f1, normalize_answer


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  a  Cat, an apple ", "cat apple"),
        ("Theatre", "theatre"),  # 'the' only as a word
        ("U.S.A.", "usa"),
        ("", ""),
    ],
)
def test_normalize_answer(text: str, norm: str) -> None:
    assert normalize_answer(text) == norm


class TestExactMatch:
    @pytest.mark.parametrize(
        ("completion", "answer", "score", "source"),
        [
            ("<answer>The Eiffel Tower!</answer>", "eiffel tower", 1.0, "answer_tag"),
            ("<think>hmm</think><answer>Paris</answer>", "paris", 1.0, "answer_tag"),
            ("Some thought. The answer is: Barack Obama.", "Barack Obama", 1.0, "answer_is"),
            ("Barack Obama", "barack obama", 1.0, "whole"),
            ("<answer>Lyon</answer>", "Paris", 0.0, "answer_tag"),
            ("<answer>Paris, France</answer>", "Paris", 0.0, "answer_tag"),  # EM is exact
        ],
    )
    def test_cases(self, completion: str, answer: str, score: float, source: str) -> None:
        out = exact_match.score({"completion": completion, "answer": answer})
        assert (out.score, out.status) == (score, Status.OK)
        assert out.extras["source"] == source

    def test_aliases_list_and_column(self) -> None:
        row = {"completion": "<answer>JFK</answer>", "answer": ["John F. Kennedy", "JFK"]}
        out = exact_match.score(row)
        assert out.score == 1.0 and out.reason == "matched 'JFK'"
        row2 = {
            "completion": "<answer>JFK</answer>",
            "answer": "Kennedy",
            "answer_aliases": ["JFK"],
        }
        assert exact_match.score(row2).score == 1.0

    def test_no_gold_is_not_applicable(self) -> None:
        for answer in (None, "", [], ["  "]):
            out = exact_match.score({"completion": "x", "answer": answer})
            assert out.status is Status.NOT_APPLICABLE

    @pytest.mark.parametrize(
        "completion",
        [
            "<answer></answer>",  # empty answer tags
            "<answer> ... </answer>",  # punctuation only
            "<think>The answer is Paris</think>",  # the answer only inside reasoning
            "<think>I think it is Paris and I keep thinking",  # never left the reasoning
        ],
    )
    def test_degenerate_completions_are_unparseable(self, completion: str) -> None:
        out = exact_match.score({"completion": completion, "answer": "Paris"})
        assert out.status is Status.UNPARSEABLE and out.score == 0.0

    def test_answer_tag_inside_reasoning_does_not_count(self) -> None:
        row = {"completion": "<think><answer>Paris</answer></think><answer>Lyon</answer>"}
        assert exact_match.score({**row, "answer": "Paris"}).score == 0.0

    def test_extract_modes(self) -> None:
        row = {"completion": "The answer is Paris", "answer": "Paris"}
        assert exact_match.configure(extract="answer_tag").score(row).status is Status.UNPARSEABLE
        assert exact_match.configure(extract="whole").score(row).score == 0.0
        assert exact_match.score(row).score == 1.0


class TestF1:
    @pytest.mark.parametrize(
        ("pred", "gold", "expected"),
        [
            ("Paris France", "Paris", 2 / 3),  # P = 1/2, R = 1
            ("Paris", "Paris France", 2 / 3),  # P = 1, R = 1/2
            ("the cat sat", "a cat sat down", 0.8),  # articles dropped: P = 1, R = 2/3
            ("dog", "cat", 0.0),
            ("New York City", "new york city", 1.0),
        ],
    )
    def test_token_f1(self, pred: str, gold: str, expected: float) -> None:
        out = f1.score({"completion": f"<answer>{pred}</answer>", "answer": gold})
        assert out.score == pytest.approx(expected)

    def test_best_alias_wins(self) -> None:
        row = {"completion": "<answer>Kennedy</answer>", "answer": ["JFK", "John Kennedy"]}
        out = f1.score(row)
        assert out.score == pytest.approx(2 / 3)
        assert out.reason == "best gold 'John Kennedy'"

    def test_unparseable_and_not_applicable(self) -> None:
        assert f1.score({"completion": "<answer></answer>", "answer": "x"}).status is (
            Status.UNPARSEABLE
        )
        assert f1.score({"completion": "x", "answer": None}).status is Status.NOT_APPLICABLE

    def test_bind_names_the_answer_column(self) -> None:
        assert f1.required_columns == ("completion", "answer")
        assert f1.optional_columns == ("answer_aliases",)
