"""Format rewards with peers' published cases (TRL, open-r1, the Unsloth GSM8K notebook).

Facts carry over from the peers' tests; where rewardkit deliberately differs, the
row says so and why.
"""

from __future__ import annotations

import pytest

from rewardkit import Status
from rewardkit.rewards.format import tag_count, think_format, xml_count, xml_format


def conv(text: str) -> list[dict[str, str]]:
    """TRL's conversational completion form, as its own tests pass it."""
    return [{"content": text}]


def run(rw, text, **row):  # type: ignore[no-untyped-def]
    return rw.score({"completion": conv(text), **row})


class TestThinkFormatTRLCases:
    """huggingface/trl tests/test_rewards.py::TestThinkFormatReward."""

    @pytest.mark.parametrize(
        "text",
        [
            "<think>This is my reasoning.</think>This is my answer.",  # one-line reasoning
            "<think>\nThis is my reasoning.\n</think>\nThis is my answer.",  # multiline
            "<think>\nThis is\nmy reasoning.\n</think>\nThis is my answer.",  # multiline
            "<think>\nThis is <some tag> my reasoning.</think>\nThis is my answer.",  # other tags
        ],
    )
    def test_valid(self, text: str) -> None:
        out = run(think_format, text)
        assert (out.score, out.status) == (1.0, Status.OK)

    @pytest.mark.parametrize(
        "text",
        [
            "<think>\nThis is my reasoning.\nThis is my answer.",  # no closing </think>
            "<think>This is my reasoning.\nThis is my answer.",  # no closing </think>
            "This is my reasoning. This is my answer.",  # no think tags
            "This is my reasoning.\nThis is my answer.",  # no think tags
            "This<think>is my reasoning.</think>\nThis is my answer.",  # <think> mid-text
            "<think>This is<think>my reasoning.</think></think>This is my answer.",  # nested
            "<think>This is</think>\nmy\n<think>reasoning.</think>\nThis is my answer.",  # two
        ],
    )
    def test_invalid(self, text: str) -> None:
        assert run(think_format, text).score == 0.0

    def test_empty_reasoning_differs_from_trl(self) -> None:
        # TRL scores "<think></think>answer" 1.0; here it is 0: an empty block pays the
        # format reward for skipping the reasoning (Qwen3's non-thinking mode emits it)
        out = run(think_format, "<think></think>\nThis is my answer.")
        assert out.score == 0.0 and out.reason == "empty reasoning block"

    @pytest.mark.parametrize(
        "text",
        [
            "This is my reasoning.</think>\nThis is my answer.",
            "This is my reasoning.</think>This is my answer.",
        ],
    )
    def test_closing_without_opening_needs_a_known_prefill(self, text: str) -> None:
        # TRL's test lists these as invalid, and without a prompt that opened <think>
        # they are: a lone </think> is no evidence of a prefilling template
        out = run(think_format, text)
        assert out.score == 0.0 and "prompt did not open <think>" in out.reason
        prompt = "<|im_start|>assistant\n<think>\n"
        assert think_format.score({"completion": text, "prompt": prompt}).score == 1.0
        assert think_format.configure(prefilled=True)(text).score == 1.0

    def test_mixed_batch(self) -> None:
        texts = [
            "<think>This is my reasoning.</think>This is my answer.",
            "<think>\nThis is my reasoning.\n</think>\nThis is my answer.",
            "<think>This is my reasoning.\nThis is my answer.",
            "This is my reasoning. This is my answer.",
        ]
        outs = think_format.score_batch([{"completion": conv(t)} for t in texts])
        assert [o.score for o in outs] == [1.0, 1.0, 0.0, 0.0]


class TestThinkFormatPrefill:
    def test_prefilled_prompt(self) -> None:
        prompt = "<|im_start|>assistant\n<think>\n"
        out = think_format.score({"completion": "2 plus 2.\n</think>\nIt is 4.", "prompt": prompt})
        assert out.score == 1.0

    def test_garbage_before_close_with_an_unprefilled_prompt(self) -> None:
        out = think_format.score({"completion": "garbage</think>5", "prompt": "What is 2+3?"})
        assert out.score == 0.0
        chat = [{"role": "user", "content": "What is 2+3?"}]
        assert think_format.score({"completion": "garbage</think>5", "prompt": chat}).score == 0.0

    def test_explicit_prefilled_false_overrides_the_prompt(self) -> None:
        never = think_format.configure(prefilled=False)
        out = never.score({"completion": "2 plus 2.</think>4", "prompt": "Q<think>"})
        assert out.score == 0.0
        assert never.score({"completion": "<think>2 plus 2.</think>4"}).score == 1.0

    def test_prefilled_but_never_closed(self) -> None:
        out = think_format.score({"completion": "2 plus 2 is...", "prompt": "<think>\n"})
        assert out.score == 0.0

    def test_require_answer(self) -> None:
        strict = think_format.configure(require_answer=True)
        assert strict("<think>a</think>").score == 0.0
        assert strict("<think>a</think> 4").score == 1.0
        assert think_format("<think>a</think>").score == 1.0


XML_OK = "<reasoning>\nThree apples plus one.\n</reasoning>\n<answer>\n4\n</answer>\n"


class TestXmlFormatUnsloth:
    """The Unsloth GSM8K notebook's strict/soft regexes (seed 003)."""

    def test_strict_layout(self) -> None:
        strict = xml_format.configure(mode="strict")
        assert strict(XML_OK).score == 1.0  # notebook strict regex: match (0.5)
        assert xml_format(XML_OK).score == 1.0

    @pytest.mark.parametrize(
        ("text", "why"),
        [
            (
                "<reasoning>x</reasoning>\n<answer>\n4\n</answer>\n",
                "content must be on its own lines",
            ),
            ("<reasoning>\nx\n</reasoning><answer>\n4\n</answer>\n", "separated by one newline"),
            ("<reasoning>\nx\n</reasoning>\n\n<answer>\n4\n</answer>\n", "separated by one"),
            ("Sure!\n" + XML_OK, "does not start with <reasoning>"),
            ("\n" + XML_OK, "does not start with <reasoning>"),
            (XML_OK + "Anything else?", "text after </answer>"),
            ("<reasoning>\n\n</reasoning>\n<answer>\n4\n</answer>\n", "non-empty"),
            (XML_OK + XML_OK, "appears 2x"),
        ],
    )
    def test_strict_rejects(self, text: str, why: str) -> None:
        out = xml_format.configure(mode="strict")(text)
        assert out.score == 0.0
        assert why in out.reason

    def test_strict_differences_from_the_notebook_regex(self) -> None:
        strict = xml_format.configure(mode="strict")
        # The notebook's `.*?` has no DOTALL, so multi-line reasoning never matched it;
        # real reasoning spans lines, so rewardkit accepts it.
        multi = "<reasoning>\nline 1\nline 2\n</reasoning>\n<answer>\n4\n</answer>\n"
        assert strict(multi).score == 1.0
        # The notebook needs "\n" after </answer>; EOS often follows it directly.
        assert strict(XML_OK.rstrip("\n")).score == 1.0
        assert strict(XML_OK + "\n\n").score == 1.0

    @pytest.mark.parametrize(
        ("text", "score"),
        [
            ("<reasoning>x</reasoning> <answer>4</answer>", 1.0),  # soft regex: match
            ("<reasoning>x</reasoning>\n\n<answer>4</answer>", 1.0),
            ("Let me see. <reasoning>x</reasoning><answer>4</answer> Done.", 1.0),
            ("<reasoning>x</reasoning>", 0.0),  # no answer block
            ("<answer>4</answer>", 0.0),
            ("<answer>4</answer><reasoning>x</reasoning>", 0.0),  # wrong order
            ("<reasoning>x</reasoning> so <answer>4</answer>", 0.0),  # text between
            ("<reasoning>x</reasoning><answer></answer>", 0.0),  # empty answer
            ("<reasoning>x</reasoning><answer>4</answer><answer>5</answer>", 0.0),  # repeated
            ("<reasoning>x</reasoning><answer>4", 0.0),  # unclosed
        ],
    )
    def test_lenient(self, text: str, score: float) -> None:
        assert xml_format(text).score == score


class TestXmlFormatOpenR1:
    """huggingface/open-r1 tests/test_rewards.py format_reward, with tags=(think, answer)."""

    think_answer = xml_format.configure(tags=("think", "answer"))

    @pytest.mark.parametrize(
        "text",
        [
            "<think>Some reasoning</think><answer>The answer</answer>",
            "<think>\nI will count each distinct object in the image:\n1. Purple scooter\n"
            "2. Red bicycle\n\nThere are 2 distinct objects in total.\n</think>\n<answer>2</answer>",
        ],
    )
    def test_correct(self, text: str) -> None:
        assert self.think_answer.score({"completion": conv(text)}).score == 1.0

    @pytest.mark.parametrize(
        "text",
        [
            "<think>Only thinking</think>",
            "<answer>Only answer</answer>",
            "No tags at all",
            "<think>Missing closing</think><answer>Missing closing",
            "<think>Wrong order</answer><answer>Wrong order</think>",
        ],
    )
    def test_incorrect(self, text: str) -> None:
        assert self.think_answer.score({"completion": conv(text)}).score == 0.0

    def test_prefilled_think_restored(self) -> None:
        row = {"completion": "reasoning</think><answer>4</answer>", "prompt": "<think>"}
        assert self.think_answer.score(row).score == 1.0


class TestXmlCount:
    """The notebook's count_xml: 0.5 * xml_count reproduces it exactly."""

    @pytest.mark.parametrize(
        ("text", "notebook"),
        [
            (XML_OK, 0.5),  # every tag line once, nothing trailing
            (XML_OK + "abc", 0.494),  # 3 trailing characters, counted by both tag terms
            # no "\n</answer>\n": all 68 characters count as trailing for one term
            (XML_OK.rstrip("\n"), 0.5 - 0.068 + 0.001),
            ("<answer>\n4\n</answer>", 0.126),  # only the closing-answer term
            ("no tags", 0.0),
            (XML_OK + XML_OK, 0.0),  # every tag twice: nothing counts exactly once
        ],
    )
    def test_matches_notebook(self, text: str, notebook: float) -> None:
        assert 0.5 * xml_count(text) == pytest.approx(notebook)

    def test_long_tail_is_penalised_below_zero(self) -> None:
        out = xml_count.score({"completion": XML_OK + "x" * 1000})
        assert out.status is Status.OK and out.score is not None and out.score < 0

    def test_options(self) -> None:
        assert xml_count.configure(per_tag=0.1)(XML_OK) == pytest.approx(0.4)
        out = xml_count.configure(per_tag=0.5).score({"completion": XML_OK})
        assert out.status is Status.ERROR and "per_tag must be between 0 and 0.25" in out.reason


class TestTagCount:
    @pytest.mark.parametrize(
        ("text", "score"),
        [
            ("<think>a</think><answer>b</answer>", 1.0),
            ("<think>a</think>", 0.5),
            ("<think>a</think><think>b</think><answer>c</answer>", 0.5),  # think repeated
            ("<answer>b", 0.0),
            ("", 0.0),
        ],
    )
    def test_fraction_of_well_formed_tags(self, text: str, score: float) -> None:
        assert tag_count(text).score == score

    def test_reason_names_bad_tags(self) -> None:
        assert tag_count("<think>a</think>").reason == "bad or repeated: answer"

    def test_custom_tags_and_prefill(self) -> None:
        rw = tag_count.configure(tags=("think",))
        assert rw.score({"completion": "a</think>", "prompt": "<think>"}).score == 1.0
