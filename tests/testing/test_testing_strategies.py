"""``rewardkit.testing.strategies`` produces the shapes it promises (and fails clearly without hypothesis)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.contract._completion import MAX_COMPLETION_CHARS, Completion
from rewardkit.testing import expect
from rewardkit.testing import strategies as rks

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=60, deadline=None)


def _parse(n: rks.NumberText) -> Fraction:
    """An independent reading of each notation, so the strategy's ``value`` is checked."""
    t = n.text
    if n.notation in ("int", "decimal", "fraction", "scientific"):
        return Fraction(t)
    if n.notation == "comma":
        assert re.fullmatch(r"-?\d{1,3}(,\d{3})+", t), t
        return Fraction(t.replace(",", ""))
    if n.notation == "currency":
        assert re.fullmatch(r"\$\d{1,3}(,\d{3})*(\.\d\d)?", t), t
        return Fraction(t[1:].replace(",", ""))
    if n.notation == "percent":
        return Fraction(t[:-1]) / 100
    m = re.fullmatch(r"(-?)\\d?frac(?:\{(\d+)\}\{(\d+)\}|(\d)(\d))", t)
    assert m, t
    num, den = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    return Fraction(int(num), int(den)) * (-1 if m.group(1) else 1)


@FAST
@given(rks.numbers())
def test_numbers_text_denotes_value(n: rks.NumberText) -> None:
    assert n.notation in rks.NOTATIONS
    assert _parse(n) == n.value


@pytest.mark.parametrize("notation", rks.NOTATIONS)
def test_every_notation_is_reachable(notation: str) -> None:
    @settings(max_examples=10, deadline=None)
    @given(rks.numbers(notations=(notation,), min_value=0))
    def check(n: rks.NumberText) -> None:
        assert n.notation == notation
        assert _parse(n) == n.value
        assert not n.text.startswith("-")

    check()


@FAST
@given(rks.equal_numbers(notations=("int", "decimal", "fraction", "latex_frac", "percent")))
def test_equal_numbers_share_a_value(pair: tuple[rks.NumberText, rks.NumberText]) -> None:
    a, b = pair
    assert a.value == b.value
    assert _parse(a) == a.value and _parse(b) == b.value


@FAST
@given(rks.completions(forms=("plain",)))
def test_plain_completions_are_strings(completion: object) -> None:
    assert isinstance(completion, str)


@FAST
@given(rks.completions("42", forms=("chat",), reasoning_block=True))
def test_chat_completions_with_reasoning(completion: object) -> None:
    assert isinstance(completion, list) and len(completion) == 1
    assert completion[0]["role"] == "assistant"
    view = Completion.from_raw(completion)
    assert view.startswith("<think>")
    assert "42" in view.answer_text


@FAST
@given(rks.completions("7", reasoning_block=False, styles=("boxed",)))
def test_boxed_completions_without_reasoning(completion: object) -> None:
    text = str(Completion.from_raw(completion))
    assert "<think>" not in text
    assert re.search(r"\\(boxed|fbox) ?\{7\}", text)


@FAST
@given(rks.xml_answer(strict=True))
def test_strict_xml_is_accepted_by_strict_xml_format(completion: str) -> None:
    expect("xml_format(mode=strict)").given(completion=completion).scores(1.0)


@FAST
@given(rks.reasoning(closed=False))
def test_open_reasoning_block_hides_the_answer(text: str) -> None:
    assert Completion.from_raw(text + " so 4").answer_text == ""


@settings(max_examples=40, deadline=None)
@given(rks.hostile_text())
def test_hostile_text_is_text(text: str) -> None:
    assert isinstance(text, str)
    Completion.from_raw(text)  # the shared view is built without error


def test_hostile_text_covers_oversized_completions() -> None:
    sizes: list[int] = []

    @settings(max_examples=150, deadline=None)
    @given(rks.hostile_text())
    def collect(text: str) -> None:
        sizes.append(len(text))

    collect()
    assert max(sizes) > 10_000


@FAST
@given(rks.rows(completion=rks.hostile_text(), data_source=st.just("gsm8k")))
def test_rows_have_the_columns(row: dict[str, object]) -> None:
    assert {"prompt", "completion", "answer", "data_source"} <= set(row)


@FAST
@given(rks.rows("12"))
def test_rows_by_default_carry_the_answer(row: dict[str, object]) -> None:
    assert row["answer"] == "12"
    assert "12" in str(Completion.from_raw(row["completion"]))


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="'roman' is not a valid notation; valid ones are int"):
        rks.numbers(notations=("roman",))
    with pytest.raises(ValueError, match="'voice' is not a valid form"):
        rks.completions(forms=("voice",))
    with pytest.raises(ValueError, match="'haiku' is not a valid style"):
        rks.completions(styles=("haiku",))
    with pytest.raises(ValueError, match="cannot render notation 'currency'"):
        rks.equal_numbers(notations=("currency",))


def test_missing_hypothesis_gives_an_install_hint() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["hypothesis"] = None  # as if it were not installed
        import rewardkit.testing as t  # works without hypothesis
        try:
            t.strategies
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert out.stdout.strip() == (
        "rewardkit.testing.strategies needs hypothesis, which is not installed. "
        "Install it with `pip install rewardkit[dev]` (or `pip install hypothesis`)."
    )


def test_max_completion_chars_is_what_hostile_text_exceeds() -> None:
    # keeps the docstring's promise honest if the core limit ever grows
    assert MAX_COMPLETION_CHARS < 300_000
