"""Length and repetition shaping, with TRL's and open-r1's published cases."""

from __future__ import annotations

from typing import Any

import pytest

import rewardkit as rk
from rewardkit import Status, reward
from rewardkit.parsers import extract_boxed
from rewardkit.rewards.length import (
    cosine_length,
    length_penalty,
    repetition_penalty,
    soft_overlong,
    unique_chars,
)


@reward(range=(0, 1))
def rk_t_boxed_equal(completion: str, answer: str) -> float | None:
    """A tiny verifier for these tests: the last \\boxed{} equals the gold string."""
    if not any(ch.isdigit() for ch in answer):
        return None  # gold cannot be checked (TRL: "forty two")
    return float(extract_boxed(completion) == answer)


def ids(n: int) -> list[int]:
    return [1] * n


class TestSoftOverlongTRL:
    """huggingface/trl tests/test_rewards.py::TestSoftOverlongPunishmentReward."""

    rw = soft_overlong.configure(max_length=100, cache=20)

    @pytest.mark.parametrize(("n", "expected"), [(50, 0.0), (80, 0.0), (90, -0.5), (110, -1.0)])
    def test_cases(self, n: int, expected: float) -> None:
        out = self.rw.score({"completion": "x", "completion_ids": ids(n)})
        assert out.score == pytest.approx(expected)

    def test_characters_without_ids(self) -> None:
        rw = soft_overlong.configure(max_length=100, cache=20, chars_per_token=1.0)
        assert rw.score({"completion": "x" * 90}).score == pytest.approx(-0.5)
        assert soft_overlong.optional_columns == ("completion_ids",)


class TestLengthPenalty:
    @pytest.mark.parametrize(("n", "expected"), [(0, 0.0), (512, 0.0), (768, -0.5), (5000, -1.0)])
    def test_linear_ramp(self, n: int, expected: float) -> None:
        assert length_penalty.score({"completion": "", "completion_ids": ids(n)}).score == expected

    def test_target_above_limit_is_a_step(self) -> None:
        rw = length_penalty.configure(target=10, limit=5)
        assert rw.score({"completion": "", "completion_ids": ids(11)}).score == -1.0


def cos_row(content: str, answer: str, n: int | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"completion": [{"content": content}], "answer": answer}
    if n is not None:
        row["completion_ids"] = ids(n)
    return row


class TestCosineLength:
    trl = cosine_length.configure(
        verifier="rk_t_boxed_equal",
        max_length=100,
        min_value_wrong=-1.0,
        max_value_wrong=-0.5,
        min_value_correct=0.5,
        max_value_correct=1.0,
    )
    RIGHT, WRONG, GOLD = r"\boxed{\frac{1}{3}}", r"\boxed{\frac{1}{2}}", r"\frac{1}{3}"

    @pytest.mark.parametrize(
        ("correct", "n", "expected"),
        [
            (True, 25, 0.92678),  # TRL: a shorter correct answer earns more
            (True, 75, 0.57322),
            (False, 25, -0.92678),  # TRL: a longer wrong answer is penalised less
            (False, 75, -0.57322),
            (True, 50, 0.75),  # midpoint: cosine 0
            (False, 50, -0.75),
            (True, 0, 1.0),  # boundaries
            (True, 100, 0.5),
            (False, 0, -1.0),
            (False, 100, -0.5),
            (True, 200, 0.5),  # clamped past max_length
            (False, 200, -0.5),
        ],
    )
    def test_trl_cases(self, correct: bool, n: int, expected: float) -> None:
        content = self.RIGHT if correct else self.WRONG
        out = self.trl.score(cos_row(content, self.GOLD, n))
        assert out.status is Status.OK
        assert out.score == pytest.approx(expected, abs=1e-4)
        assert out.extras == {"correct": correct, "length": min(n, 100)}

    def test_unparseable_gold_is_not_applicable(self) -> None:
        out = self.trl.score(cos_row(r"\boxed{42}", "forty two", 50))
        assert out.status is Status.NOT_APPLICABLE and out.score is None

    @pytest.mark.parametrize(
        ("content", "length", "expected"),
        [
            (r"\boxed{\frac{63}{400}}", 20, 0.943),  # 22 characters: short, correct
            (r"\boxed{\frac{63}{400}}", 80, 0.547),
            (r"\boxed{\frac{64}{400}}", 20, -0.942),
            (r"\boxed{\frac{64}{400}}", 80, -0.547),
        ],
    )
    def test_open_r1_cases_in_characters(self, content: str, length: int, expected: float) -> None:
        rw = self.trl.configure(chars_per_token=1.0)
        padded = content + " " * (length - len(content))
        out = rw.score(cos_row(padded, r"\frac{63}{400}"))
        assert out.score == pytest.approx(expected, abs=5e-3)

    def test_verifier_errors_pass_through(self) -> None:
        rw = cosine_length.configure(verifier="no_such_verifier")
        out = rw.score(cos_row("x", "1"))
        assert out.status is Status.ERROR and "UnknownRewardError" in out.reason

    def test_bounds_outside_the_range_are_errors(self) -> None:
        out = self.trl.configure(max_value_correct=2.0).score(cos_row(self.RIGHT, self.GOLD, 0))
        assert out.status is Status.ERROR and "value bounds must lie in [-1, 1]" in out.reason
        # wider rewards come from scaling, which keeps the declared range honest
        wide = rk.scale(self.trl.configure(max_value_correct=1.0, min_value_correct=0.0), 2.0)
        assert wide.score(cos_row(self.RIGHT, self.GOLD, 50)).score == pytest.approx(1.0)


def rep(text: str, n: int, penalty: float = -1.0) -> float | None:
    return (
        repetition_penalty.configure(ngram_size=n, max_penalty=penalty)
        .score({"completion": [{"content": text}]})
        .score
    )


class TestRepetitionPenaltyOpenR1:
    """huggingface/open-r1 tests/test_rewards.py::TestRepetitionPenaltyReward."""

    @pytest.mark.parametrize(
        ("text", "n", "penalty", "expected"),
        [
            ("this is a test sentence", 2, -1.0, 0.0),  # no repetition
            ("this this this this this", 2, -1.0, -0.75),  # (1 - 1/4) * -1
            ("this is a this is a test", 2, -1.0, -1 / 3),  # 4 unique of 6
            ("this is a test", 3, -0.5, 0.0),
            ("test test test test", 3, -0.5, -0.25),
            ("", 2, -1.0, 0.0),  # empty
            ("word", 3, -1.0, 0.0),
            ("two words", 3, -1.0, 0.0),
            ("three different words", 3, -1.0, 0.0),
            ("word word word word", 3, -1.0, -0.5),
            ("one two one two", 3, -1.0, 0.0),
            ("A B C A B", 3, -0.5, 0.0),
            ("A B C A B C", 3, -1.0, -0.25),
            ("A B C A B C E F G A B C A B C", 3, -1.0, -0.3846),
            ("A B C D E F G H I J K L", 3, -1.0, 0.0),
        ],
    )
    def test_cases(self, text: str, n: int, penalty: float, expected: float) -> None:
        assert rep(text, n, penalty) == pytest.approx(expected, abs=1e-4)

    def test_mixed_case(self) -> None:
        assert rep("This is A Test", 2) == rep("this IS a test", 2)

    def test_stronger_penalty_by_scaling(self) -> None:
        # open-r1's max_penalty=-2.0 case (-0.4), expressed as a scaled reward
        rw = rk.scale(repetition_penalty.configure(ngram_size=3), 2.0)
        out = rw.score({"completion": "this is a this is a test"})
        assert out.score == pytest.approx(-0.4)

    def test_positive_or_too_large_penalty_is_an_error(self) -> None:
        for bad in (1.0, 1.5, -2.0):
            out = repetition_penalty.configure(max_penalty=bad).score({"completion": "a b c"})
            assert out.status is Status.ERROR
            assert f"max_penalty must be between -1 and 0, got {bad}" in out.reason

    def test_loops_inside_reasoning_are_penalised(self) -> None:
        looping = "<think>" + "wait let me check " * 50  # never closes: truncated loop
        # 198 trigrams; 4 from the loop plus the first one ("<think>wait", "let", "me")
        assert rep(looping, 3) == pytest.approx(-(1 - 5 / 198), abs=1e-9)


class TestUniqueChars:
    @pytest.mark.parametrize(
        ("text", "saturation", "expected"),
        [("abcabc", 4, 0.75), ("", 64, 0.0), ("abcdefgh", 4, 1.0), ("aaaa", 1, 1.0)],
    )
    def test_cases(self, text: str, saturation: int, expected: float) -> None:
        assert unique_chars(text, saturation=saturation) == expected

    def test_bad_saturation_is_an_error(self) -> None:
        assert unique_chars.configure(saturation=0).score({"completion": "x"}).status is (
            Status.ERROR
        )
