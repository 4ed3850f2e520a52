"""Outcome and Status: the typed value every reward ends in."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from rewardkit import Outcome, Status


class TestConstructors:
    def test_ok_coerces_to_float(self) -> None:
        out = Outcome.ok(1, "matched", extracted="4")
        assert out.score == 1.0 and isinstance(out.score, float)
        assert out.status is Status.OK and out.is_ok
        assert out.reason == "matched"
        assert out.extras == {"extracted": "4"}

    @pytest.mark.parametrize(
        ("out", "status", "score"),
        [
            (Outcome.not_applicable("no gold"), Status.NOT_APPLICABLE, None),
            (Outcome.unparseable("no answer"), Status.UNPARSEABLE, 0.0),  # a wrong answer
            (Outcome.unparseable("no answer", score=None), Status.UNPARSEABLE, None),
            (Outcome.timeout("5 s"), Status.TIMEOUT, None),
            (Outcome.error("boom"), Status.ERROR, None),
        ],
    )
    def test_status_constructors(self, out: Outcome, status: Status, score: float | None) -> None:
        assert out.status is status
        assert out.score == score
        assert not out.is_ok

    def test_status_given_as_string_is_coerced(self) -> None:
        assert Outcome(1.0, "ok").status is Status.OK  # type: ignore[arg-type]

    def test_unknown_status_string_rejected(self) -> None:
        with pytest.raises(ValueError):
            Outcome(1.0, "great")  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_score_refused(self, bad: float) -> None:
        with pytest.raises(ValueError, match="finite"):
            Outcome(bad)


class TestValueSemantics:
    def test_frozen(self) -> None:
        out = Outcome.ok(1.0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            out.score = 0.0  # type: ignore[misc]

    def test_with_extras_copies(self) -> None:
        out = Outcome.ok(0.5, a=1)
        more = out.with_extras(b=2)
        assert more.extras == {"a": 1, "b": 2}
        assert out.extras == {"a": 1}
        assert (more.score, more.status, more.reason) == (0.5, Status.OK, "")

    def test_equality(self) -> None:
        assert Outcome.ok(1.0, "x") == Outcome.ok(1.0, "x")
        assert Outcome.ok(1.0) != Outcome.ok(0.0)

    def test_dict_round_trip(self) -> None:
        out = Outcome.unparseable("no box", score=0.0, source="none")
        d = out.to_dict()
        assert d == {
            "score": 0.0,
            "status": "unparseable",
            "reason": "no box",
            "extras": {"source": "none"},
        }
        assert Outcome.from_dict(d) == out

    def test_to_dict_omits_empty_extras(self) -> None:
        assert "extras" not in Outcome.ok(1.0).to_dict()

    def test_from_dict_defaults(self) -> None:
        assert Outcome.from_dict({"score": 1}) == Outcome(1.0, Status.OK, "", {})
        assert Outcome.from_dict({"score": None, "status": "error"}).status is Status.ERROR

    def test_pickles(self) -> None:
        out = Outcome.ok(0.25, "r", terms={"a": {"score": 1.0}})
        assert pickle.loads(pickle.dumps(out)) == out


class TestStatus:
    def test_members(self) -> None:
        assert [s.value for s in Status] == [
            "ok",
            "not_applicable",
            "unparseable",
            "timeout",
            "error",
        ]

    def test_str_is_value(self) -> None:
        assert str(Status.NOT_APPLICABLE) == "not_applicable"
        assert f"{Status.ERROR}" == "error"

    def test_compares_as_string(self) -> None:
        assert Status.OK == "ok"
