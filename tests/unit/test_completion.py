"""Completion: one normalised view of strings, chat messages and multimodal parts."""

from __future__ import annotations

import time

import pytest

from rewardkit import Completion
from rewardkit.contract._completion import MAX_COMPLETION_CHARS, prompt_text, to_text


class TestShapes:
    def test_plain_string(self) -> None:
        c = Completion.from_raw("The answer is 4")
        assert c == "The answer is 4" and isinstance(c, str)
        assert c.text == "The answer is 4" and type(c.text) is str
        assert c.raw == "The answer is 4"
        assert c.messages is None
        assert "answer" in c  # a str: regexes and `in` work as users expect

    def test_trl_conversational_form(self) -> None:
        raw = [{"role": "assistant", "content": "<think>x</think>4"}]
        c = Completion.from_raw(raw)
        assert c == "<think>x</think>4"
        assert c.messages == raw

    def test_message_without_role(self) -> None:
        # TRL's own tests pass [{"content": ...}]
        assert Completion.from_raw([{"content": "hi"}]) == "hi"

    def test_only_assistant_turns_are_the_completion(self) -> None:
        raw = [
            {"role": "assistant", "content": "call tool"},
            {"role": "tool", "content": "result: 42"},
            {"role": "assistant", "content": "it is 42"},
        ]
        assert Completion.from_raw(raw) == "call tool\nit is 42"

    def test_multimodal_parts(self) -> None:
        raw = [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "I see "},
                    {"type": "image", "image": "<bytes>"},
                    {"type": "text", "text": "a cat"},
                ],
            }
        ]
        assert Completion.from_raw(raw) == "I see a cat"

    def test_single_message_mapping_and_none_content(self) -> None:
        assert Completion.from_raw({"role": "assistant", "content": "x"}) == "x"
        assert Completion.from_raw([{"role": "assistant", "content": None}]) == ""
        assert to_text(None) == ""

    def test_prompt_text_joins_every_turn(self) -> None:
        prompt = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "2+2?"},
        ]
        assert prompt_text(prompt) == "Be brief.\n2+2?"
        assert prompt_text("plain") == "plain"

    def test_from_raw_is_idempotent(self) -> None:
        c = Completion.from_raw("x")
        assert Completion.from_raw(c) is c


class TestPrefilledThink:
    @pytest.mark.parametrize(
        "prompt",
        [
            "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n",  # Qwen3
            "<｜User｜>2+2?<｜Assistant｜><think>\n",  # R1 distills
            "Q <think>",
        ],
    )
    def test_detected_from_the_prompt(self, prompt: str) -> None:
        c = Completion.from_raw("Let me add.\n</think>\n4", prompt=prompt)
        assert c.prefilled_think
        assert c.full_text == "<think>Let me add.\n</think>\n4"
        assert c.reasoning == "Let me add."
        assert c.answer_text == "4"

    def test_detected_from_the_completion_alone(self) -> None:
        # chat-message prompts never show the template's prefill; a completion that
        # closes </think> without opening it is what a prefilled model writes
        prompt = [{"role": "user", "content": "2+2?"}]
        c = Completion.from_raw("Let me add.</think>4", prompt=prompt)
        assert c.prefilled_think and c.answer_text == "4"

    @pytest.mark.parametrize(
        "text",
        [
            "<think>a</think>4",  # opened by the model itself
            "plain answer",
            "x<think>a</think>4",
        ],
    )
    def test_not_prefilled(self, text: str) -> None:
        c = Completion.from_raw(text, prompt="Q: 2+2?")
        assert not c.prefilled_think
        assert c.full_text == text

    def test_think_earlier_in_prompt_is_not_a_prefill(self) -> None:
        c = Completion.from_raw("4", prompt="Use <think> tags. Question: 2+2?")
        assert not c.prefilled_think

    def test_rewrapping_with_a_prompt_learns_the_prefill(self) -> None:
        c = Completion.from_raw("reasoning only")
        assert not c.prefilled_think
        again = Completion.from_raw(c, prompt="<think>\n")
        assert again.prefilled_think and again.answer_text == ""


class TestAnswerText:
    @pytest.mark.parametrize(
        ("text", "answer", "reasoning"),
        [
            ("<think>a</think> 4 ", "4", "a"),
            ("<reasoning>\na\n</reasoning>\n<answer>4</answer>", "<answer>4</answer>", "a"),
            ("<THINK>a</Think>4", "4", "a"),  # tags are case-insensitive
            ("pre <think>a</think> mid <think>b</think> end", "pre  mid  end", "a\nb"),
            ("no reasoning", "no reasoning", ""),
        ],
    )
    def test_strips_reasoning_blocks(self, text: str, answer: str, reasoning: str) -> None:
        c = Completion.from_raw(text)
        assert c.answer_text == answer
        assert c.reasoning == reasoning

    def test_unclosed_block_swallows_the_rest(self) -> None:
        c = Completion.from_raw("<think>still thinking... the answer is 4")
        assert c.answer_text == ""
        assert c.reasoning == "still thinking... the answer is 4"

    def test_custom_reasoning_tags(self) -> None:
        c = Completion.from_raw("<scratch>x</scratch>4", reasoning_tags=("scratch",))
        assert c.answer_text == "4"
        assert Completion.from_raw("<think>x</think>4", reasoning_tags=()).answer_text == (
            "<think>x</think>4"
        )

    def test_non_ascii_case_folding_keeps_offsets(self) -> None:
        # "İ".lower() is two code points; offsets must still line up
        c = Completion.from_raw("İİİ<think>x</think>answer")
        assert c.answer_text == "İİİanswer"


class TestBounds:
    def test_truncated_to_the_cap(self) -> None:
        c = Completion.from_raw("a" * (MAX_COMPLETION_CHARS + 10))
        assert len(c) == MAX_COMPLETION_CHARS and c.truncated
        assert not Completion.from_raw("short").truncated

    def test_many_blocks_are_linear(self) -> None:
        text = "<think></think>" * (MAX_COMPLETION_CHARS // 15)
        start = time.perf_counter()
        assert Completion.from_raw(text).answer_text == ""
        assert time.perf_counter() - start < 1.0
