"""Bounded parsers: real cases, adversarial inputs, and property tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.contract._completion import MAX_COMPLETION_CHARS
from rewardkit.parsers import (
    count_blocks,
    extract_answer_is,
    extract_boxed,
    extract_boxed_all,
    extract_code_blocks,
    extract_gsm8k,
    extract_last_number,
    extract_tag,
    final_answer,
    find_blocks,
    strip_reasoning,
)


class TestBoxed:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (r"so \boxed{42}.", "42"),
            (r"\boxed{\frac{63}{400}}", r"\frac{63}{400}"),
            (r"\boxed{\frac{\sqrt{2}}{2}}", r"\frac{\sqrt{2}}{2}"),  # nested braces
            (r"\boxed{ \{1, 2\} }", r"\{1, 2\}"),  # escaped braces do not count
            (r"first \boxed{1} then \boxed{2}", "2"),  # the last one
            (r"\fbox{7}", "7"),
            (r"\boxed 5$", "5"),  # no braces: the next token
            (r"\boxed{unclosed", None),
            (r"\boxed{ \boxed{5}", "5"),  # unbalanced outer box skipped
            (r"\boxedx{5}", None),  # another command
            ("no box", None),
        ],
    )
    def test_cases(self, text: str, expected: str | None) -> None:
        assert extract_boxed(text) == expected

    def test_all_in_order_and_limited(self) -> None:
        assert extract_boxed_all(r"\boxed{1} \boxed{2} \fbox{3}") == ["1", "2", "3"]
        assert len(extract_boxed_all(r"\boxed{1}" * 100)) == 64
        assert extract_boxed_all(r"\boxed{1}" * 10, limit=3) == ["1", "1", "1"]


class TestMarkers:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Natalia sold 48/2 = 24 clips.\n#### 72", "72"),
            ("#### 1,000\n", "1,000"),
            ("#### 5\nthen #### 6", "6"),
            ("####", None),
            ("no marker", None),
        ],
    )
    def test_gsm8k(self, text: str, expected: str | None) -> None:
        assert extract_gsm8k(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("So the answer is 42.", "42"),
            ("The final answer is: $\\frac{1}{2}$.", "\\frac{1}{2}"),
            ("**Answer:** 7", "7"),
            ("The answer is\n\n 7", "7"),
            ("ANSWER = x+1", "x+1"),
            ("answer is 1. Later, the answer is 2!", "2"),  # the last marker on a line
            ("the answer is 5.\nso the answer is", "5"),  # a bare last marker
            ("no marker here", None),
        ],
    )
    def test_answer_is(self, text: str, expected: str | None) -> None:
        assert extract_answer_is(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("It costs $18 in total", "$18"),
            ("from 3 to -1,234.5", "-1,234.5"),
            ("about 45%", "45%"),
            ("eps = 1e-3", "1e-3"),
            ("just .5", ".5"),
            ("1, 2, 3,", "3"),
            ("none", None),
        ],
    )
    def test_last_number(self, text: str, expected: str | None) -> None:
        assert extract_last_number(text) == expected


FENCED = """Here:
```python
def f():
    return 1
```
and
```js
console.log(1)
```
and
```
plain
```
~~~~py3 extra info
tilde
~~~~
"""


class TestCodeBlocks:
    def test_all(self) -> None:
        blocks = extract_code_blocks(FENCED)
        assert blocks == ["def f():\n    return 1", "console.log(1)", "plain", "tilde"]

    @pytest.mark.parametrize(
        ("lang", "expected"),
        [
            ("python", ["def f():\n    return 1", "plain"]),  # untagged counts as any
            ("py", ["def f():\n    return 1", "plain"]),  # aliases
            ("javascript", ["console.log(1)", "plain"]),
            ("rust", ["plain"]),
        ],
    )
    def test_by_language(self, lang: str, expected: list[str]) -> None:
        assert extract_code_blocks(FENCED, lang) == expected

    def test_longer_fence_holds_shorter_ones(self) -> None:
        text = "````md\n```python\nx\n```\n````\n"
        assert extract_code_blocks(text) == ["```python\nx\n```"]

    def test_unclosed_final_fence_is_kept(self) -> None:
        assert extract_code_blocks("```python\nprint(1)\n") == ["print(1)"]


class TestTags:
    def test_find_and_extract(self) -> None:
        text = "<answer>1</answer> x <answer> 2 </answer>"
        assert [b.content for b in find_blocks(text, "answer")] == ["1", " 2 "]
        assert extract_tag(text, "answer") == "2"  # last match
        assert extract_tag(text, "answer", strip=False) == " 2 "
        assert extract_tag(text, "answer", strict=True) is None  # repeated
        assert extract_tag("<answer>3</answer>", "answer", strict=True) == "3"
        assert count_blocks(text, "answer") == (2, 2)

    def test_lenient_accepts_unclosed_final_block(self) -> None:
        assert extract_tag("<answer> 42", "answer") == "42"
        assert extract_tag("<answer> 42", "answer", strict=True) is None
        assert extract_tag("no tags", "answer") is None

    def test_strip_reasoning(self) -> None:
        assert strip_reasoning("<think>a</think>b<reasoning>c</reasoning>d") == "bd"
        assert strip_reasoning("<scratch>a</scratch>b", tags=("scratch",)) == "b"


class TestFinalAnswer:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (r"<answer>\boxed{3}</answer> \boxed{4}", ("4", "boxed")),
            (r"<answer>\boxed{3}</answer>", ("3", "boxed")),  # any box comes first
            ("<answer>The answer is 3</answer>", ("The answer is 3", "answer_tag")),
            ("<answer>5</answer>", ("5", "answer_tag")),
            ("work\n#### 6", ("6", "gsm8k")),
            ("so the answer is 7", ("7", "answer_is")),
            ("8", ("8", "whole")),
            ("x" * 101, (None, "none")),
            ("", (None, "none")),
        ],
    )
    def test_order(self, text: str, expected: tuple[str | None, str]) -> None:
        assert final_answer(text) == expected


# -- adversarial and property tests ----------------------------------------------------------

PARSERS: list[Callable[[str], Any]] = [
    extract_boxed_all,
    extract_gsm8k,
    extract_answer_is,
    extract_last_number,
    extract_code_blocks,
    lambda t: extract_code_blocks(t, "python"),
    lambda t: extract_tag(t, "answer"),
    lambda t: extract_tag(t, "answer", strict=True),
    lambda t: find_blocks(t, "think"),
    strip_reasoning,
    final_answer,
]

N = MAX_COMPLETION_CHARS
ADVERSARIAL = {
    "unbalanced boxes": "\\boxed{" * (N // 7),
    "box commands without braces": "\\boxedx" * (N // 7),
    "answer-is then newlines": "answer is" + "\n" * N,
    "answer-is spam": "the answer is: " * (N // 15),
    "long fence line": "```" + "a" * N,
    "backtick run": "`" * N,
    "empty fences": "```\n" * (N // 4),
    "unclosed tags": "<answer>" * (N // 8),
    "think blocks": "<think></think>" * (N // 15),
    "nested braces": "\\boxed{" + "{" * N,
    "digits and commas": "1," * (N // 2),
    "hash marks": "#" * N,
    "over the cap": "<answer>" + "9" * (3 * N),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_inputs_are_fast(name: str) -> None:
    text = ADVERSARIAL[name]
    start = time.perf_counter()
    for parse in PARSERS:
        parse(text)
    assert time.perf_counter() - start < 2.0, name


_pieces = st.sampled_from(
    [
        "\\boxed{",
        "\\fbox",
        "{",
        "}",
        "\\",
        "<answer>",
        "</answer>",
        "<think>",
        "</think>",
        "<reasoning>",
        "```",
        "```python\n",
        "~~~",
        "####",
        "the answer is",
        "Final Answer:",
        " ",
        "\n",
        "$",
        "-",
        "1,000",
        "3.5e-2",
        "%",
        "İ",
    ]
)
_texts = st.one_of(st.text(max_size=300), st.lists(_pieces, max_size=60).map("".join))


@settings(max_examples=150, deadline=None)
@given(_texts)
def test_parsers_never_raise(text: str) -> None:
    for parse in PARSERS:
        parse(text)
    boxes = extract_boxed_all(text)
    assert len(boxes) <= 64
    answer, source = final_answer(text)
    assert source in {"boxed", "answer_tag", "gsm8k", "answer_is", "whole", "none"}
    assert (answer is None) == (source == "none")
    for got in (extract_gsm8k(text), extract_answer_is(text)):
        assert got is None or (got and len(got) <= 200)


@settings(max_examples=50, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=8).map("".join), st.integers(100, 2000))
def test_repeated_pieces_stay_bounded(unit: str, times: int) -> None:
    text = unit * times
    start = time.perf_counter()
    for parse in PARSERS:
        parse(text)
    assert time.perf_counter() - start < 1.0
