"""``expect``: passing checks, failing checks (message and attributes), and real pytest output."""

from __future__ import annotations

import pytest

import rewardkit as rk
from rewardkit import Outcome, Status
from rewardkit.testing import RewardAssertionError, expect

STRICT_OK = "<reasoning>\n2+2\n</reasoning>\n<answer>\n4\n</answer>\n"
LOOSE = "<reasoning>2+2</reasoning> <answer>4</answer>"


@rk.reward(range=(0, 1), name="tk_contains_answer")
def contains_answer(completion: str, answer: str) -> float:
    """1.0 when the gold answer appears anywhere (deliberately hackable)."""
    return float(answer in completion)


@rk.reward(range=(0, 1), name="tk_crashes")
def crashes(completion: str) -> float:
    """Raises on every input: the failure must chain the original exception."""
    return {"a": 1.0}[completion]


@rk.reward(name="tk_explains")
def explains(completion: str) -> Outcome:
    """Returns extras and a reason, for the reason/extras assertions."""
    if not completion:
        return Outcome.unparseable("no answer found")
    return Outcome.ok(0.1, "partial credit", extracted=completion[-1], steps=3)


class TestPassing:
    # Each row: a check that must hold, so the happy path returns the Check for chaining.
    def test_registered_name(self) -> None:
        check = expect("xml_format").given(completion=LOOSE).scores(1.0)
        assert check.outcome.status is Status.OK

    def test_reference_with_options(self) -> None:
        # the shell-friendly syntax: bare words are strings
        expect("xml_format(mode=strict)").given(completion=LOOSE).scores(0.0)
        expect("xml_format(mode=strict)").given(completion=STRICT_OK).scores(1.0)

    def test_options_as_keywords(self) -> None:
        expect("xml_format", mode="strict").given(completion=LOOSE).scores(0.0)

    def test_reward_object_and_columns(self) -> None:
        expect(contains_answer).given(completion="it is 42", answer="42").scores(1.0)

    def test_plain_function_is_wrapped_not_registered(self) -> None:
        def shouting(completion: str) -> float:
            return float(completion.isupper())

        expect(shouting).given(completion="HI").scores(1.0)
        assert "shouting" not in [r.name for r in rk.available()]

    def test_chat_message_completion(self) -> None:
        chat = [{"role": "assistant", "content": LOOSE}]
        expect("xml_format").given(completion=chat).scores(1.0)

    def test_composite(self) -> None:
        combined = 0.5 * rk.get("xml_format") + 0.5 * contains_answer
        expect(combined).given(completion=LOOSE, answer="4").scores(1.0)

    def test_chained_assertions(self) -> None:
        (
            expect(explains)
            .given(completion="x = 7")
            .has_status("ok")
            .has_status(Status.OK)
            .scores_between(0, 0.2)
            .scores(0.1, tol=1e-6)
            .reason_contains("partial")
            .reason_contains("PARTIAL", case_sensitive=False)
            .has_extra("extracted", "7")
            .has_extra("steps")
        )

    def test_unparseable_with_score_zero_passes_scores_zero(self) -> None:
        expect(explains).given(completion="").has_status("unparseable").scores(0.0)

    def test_error_status_can_be_expected(self) -> None:
        expect(crashes).given(completion="b").has_status("error").reason_contains("KeyError")

    def test_given_row(self) -> None:
        row = {"completion": "so 9", "answer": "9", "id": "x"}
        expect(contains_answer).given_row(row).scores(1.0)

    def test_expectation_is_reusable(self) -> None:
        rule = expect(contains_answer)
        rule.given(completion="4", answer="4").scores(1.0)
        rule.given(completion="5", answer="4").scores(0.0)


class TestFailing:
    def test_wrong_score_names_everything(self) -> None:
        with pytest.raises(RewardAssertionError) as info:
            expect("xml_format(mode=strict)").given(completion=LOOSE, answer="4").scores(1.0)
        err = info.value
        assert err.reward == "xml_format(mode='strict')"
        assert err.row == {"completion": LOOSE, "answer": "4"}
        assert err.outcome.score == 0.0
        assert err.check == "scores(1.0, tol=1e-09)"
        text = str(err)
        assert text.startswith(
            "expect(\"xml_format(mode='strict')\"): expected score 1.0 (tol 1e-09), got 0.0"
        )
        assert "from rewardkit (built-in) defined at" in text
        assert f"completion = {LOOSE!r}" in text
        assert "outcome: score=0.0 status=ok" in text
        assert "reason:  '<reasoning> content must be on its own lines" in text

    def test_long_inputs_are_truncated_keeping_the_tail(self) -> None:
        long = "x" * 5000 + " final answer 4"
        with pytest.raises(RewardAssertionError) as info:
            expect(contains_answer).given(completion=long, answer="5").scores(1.0)
        line = next(ln for ln in str(info.value).splitlines() if "completion" in ln)
        assert len(line) < 320
        assert "final answer 4'" in line
        assert "(5017 chars)" in line

    def test_crash_is_not_a_wrong_answer_and_chains_the_exception(self) -> None:
        with pytest.raises(RewardAssertionError) as info:
            expect(crashes).given(completion="b").scores(0.0)
        assert "expected score 0.0, got no score (status error)" in str(info.value)
        assert "raised KeyError" in str(info.value)
        assert isinstance(info.value.__cause__, KeyError)

    def test_scores_between(self) -> None:
        with pytest.raises(RewardAssertionError, match=r"expected a score in \[0, 0.05\], got 0.1"):
            expect(explains).given(completion="x").scores_between(0, 0.05)
        with pytest.raises(RewardAssertionError, match="got no score"):
            expect(crashes).given(completion="b").scores_between(0, 1)

    def test_status_and_reason_and_extras(self) -> None:
        check = expect(explains).given(completion="")
        with pytest.raises(RewardAssertionError, match="expected status 'ok', got 'unparseable'"):
            check.has_status("ok")
        with pytest.raises(RewardAssertionError, match="expected the reason to contain 'nope'"):
            check.reason_contains("nope")
        ok = expect(explains).given(completion="ab")
        with pytest.raises(RewardAssertionError, match="extras present: 'extracted', 'steps'"):
            ok.has_extra("answer")
        with pytest.raises(
            RewardAssertionError, match="expected extra 'extracted' == 'z', got 'b'"
        ):
            ok.has_extra("extracted", "z")
        assert "extras:  {'extracted': 'b', 'steps': 3}" in _message(lambda: ok.scores(1.0))


class TestMisuse:
    def test_unknown_status_lists_valid_ones(self) -> None:
        with pytest.raises(ValueError, match="'okay' is not a valid status; valid ones are 'ok'"):
            expect("xml_format").given(completion="").has_status("okay")

    def test_unknown_reward_suggests_names(self) -> None:
        with pytest.raises(rk.UnknownRewardError, match="Did you mean 'xml_format'"):
            expect("xml_fromat")

    def test_bad_option_is_rejected_at_once(self) -> None:
        with pytest.raises(rk.RewardDefinitionError, match="'loose' is not a valid 'mode'"):
            expect("xml_format", mode="loose")

    def test_not_a_reward(self) -> None:
        with pytest.raises(TypeError, match="expect\\(\\) takes a reward name"):
            expect(42)  # type: ignore[arg-type]

    def test_inverted_bounds(self) -> None:
        with pytest.raises(ValueError, match="low end is above the high end"):
            expect("xml_format").given(completion="").scores_between(1, 0)


def _message(fn: object) -> str:
    try:
        fn()  # type: ignore[operator]
    except RewardAssertionError as exc:
        return str(exc)
    raise AssertionError("expected a RewardAssertionError")


def test_failure_output_in_a_real_pytest_run(rk: object) -> None:
    """Messages as users see them: pytest's E-lines, no rewardkit frames, the cause chained."""
    rk.pytester.makepyfile(  # type: ignore[attr-defined]
        test_user="""
        import rewardkit as rk
        from rewardkit.testing import expect

        @rk.reward(range=(0, 1), name="user_len_reward_a")
        def long_enough(completion: str) -> float:
            return float(len(completion) > 10)

        @rk.reward(range=(0, 1), name="user_div_reward_a")
        def divides(completion: str) -> float:
            return 1 / 0

        def test_passes():
            expect(long_enough).given(completion="a fairly long answer").scores(1.0)

        def test_wrong_score():
            expect(long_enough).given(completion="short", answer="4").scores(1.0)

        def test_crash():
            expect(divides).given(completion="x").scores_between(0, 1)

        def test_strict_format():
            expect("xml_format(mode=strict)").given(
                completion="<reasoning>2+2</reasoning> <answer>4</answer>").has_status("error")
        """
    )
    result = rk.run("-q")  # type: ignore[attr-defined]
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "E *RewardAssertionError: expect('user_len_reward_a'): expected score 1.0 (tol 1e-09),"
            " got 0.0 (-1)",
            "E *reward:  user_len_reward_a v1 from user defined at *test_user.py:4",
            "E *inputs:",
            "E *completion = 'short'",
            "E *answer     = '4'",
            "E *outcome: score=0.0 status=ok",
            "E *reason:  (none given)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ZeroDivisionError: division by zero",
            "*The above exception was the direct cause of the following exception:*",
            "*expect('user_div_reward_a'): expected a score in ?0, 1?, got no score (status error)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*expect(\"xml_format(mode='strict')\"): expected status 'error', got 'ok'"]
    )
    # __tracebackhide__: the user's line is shown, rewardkit's internals are not
    assert "_expect.py" not in result.stdout.str()
