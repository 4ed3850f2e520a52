"""Output validation cannot be fooled by numeric subclasses, and outcomes stay bounded."""

from __future__ import annotations

import pytest

import rewardkit as rk
from rewardkit import Outcome, Status
from rewardkit.contract._validate import MAX_EXTRAS_BYTES, MAX_REASON_CHARS


class LyingInt(int):
    """An int that claims to be inside every range and converts to 0.5."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __float__(self) -> float:
        return 0.5


class LyingFloat(float):
    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __sub__(self, other: object) -> float:
        return 0.0


@pytest.mark.parametrize(
    "value",
    [LyingInt(100), LyingFloat(100.0), Outcome(LyingFloat(7.0)), [LyingInt(3)]],
    ids=["int-subclass", "float-subclass", "outcome-of-subclass", "batched"],
)
def test_numeric_subclasses_cannot_slip_past_the_range(value: object) -> None:
    batched = isinstance(value, list)

    @rk.reward(range=(0, 1), batched=batched)
    def rigged(completion: object) -> object:
        return value

    out = rigged.score({"completion": "x"})
    assert out.status is Status.ERROR
    assert "outside its declared range" in out.reason


def test_a_subclass_inside_the_range_becomes_a_plain_float() -> None:
    @rk.reward(range=(0, 1))
    def fine(completion: str) -> float:
        return LyingFloat(0.25)

    out = fine.score({"completion": "x"})
    assert out.status is Status.OK and out.score == 0.25 and type(out.score) is float


def test_huge_extras_are_dropped_with_a_note_not_carried() -> None:
    @rk.reward
    def bloated(completion: str) -> Outcome:
        return Outcome.ok(1.0, "fine", blob="x" * (MAX_EXTRAS_BYTES + 1))

    out = bloated.score({"completion": "x"})
    assert out.status is Status.OK and out.score == 1.0
    assert out.reason == "fine [extras over 64 KiB dropped]"
    assert out.extras == {"extras_dropped": "over 64 KiB"}


def test_deep_or_self_referencing_extras_are_bounded() -> None:
    loop: list[object] = []
    loop.append(loop)

    @rk.reward
    def cyclic(completion: str) -> Outcome:
        return Outcome(1.0, extras={"loop": loop})

    out = cyclic.score({"completion": "x"})
    assert out.score == 1.0 and "extras_dropped" in out.extras


def test_long_reasons_are_cut_with_a_marker_and_small_extras_kept() -> None:
    @rk.reward
    def chatty(completion: str) -> Outcome:
        return Outcome(1.0, reason="r" * (MAX_REASON_CHARS + 500), extras={"answer": "42"})

    out = chatty.score({"completion": "x"})
    assert out.status is Status.OK and out.score == 1.0
    assert out.reason.endswith("[500 more characters cut]")
    assert len(out.reason) < MAX_REASON_CHARS + 40
    assert out.extras == {"answer": "42"}
