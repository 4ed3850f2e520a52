"""Composition: every combinator, the status rules and the visible sub-terms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import rewardkit as rk
from rewardkit import Outcome, Reward, Status


def _col(column: str, rng: tuple[float | None, float | None] = (0, 1)) -> Reward:
    """A reward that returns row[column] (a number, None, or an Outcome)."""

    def fn(row: Mapping[str, Any]) -> Any:
        return row[column]

    return Reward(fn, name=column, range=rng)


A, B, C = _col("a"), _col("b"), _col("c", (-1, 1))


def score(node: Any, **row: Any) -> Outcome:
    out: Outcome = node.score(row)
    return out


def terms(out: Outcome) -> dict[str, tuple[float | None, str]]:
    return {k: (v["score"], v["status"]) for k, v in out.extras["terms"].items()}


class TestWeightedSum:
    def test_operators(self) -> None:
        node = 0.7 * A + 0.3 * B
        assert node.name == "0.7*a+0.3*b"
        out = score(node, a=1.0, b=0.5)
        assert out.status is Status.OK
        assert out.score == pytest.approx(0.85)
        assert terms(out) == {"a": (1.0, "ok"), "b": (0.5, "ok")}

    def test_subtraction_division_negation_and_bias(self) -> None:
        node = A - B / 2 + 1
        assert score(node, a=1.0, b=1.0).score == pytest.approx(1.5)
        assert score(-A, a=0.25).score == -0.25
        assert score(1 - A, a=0.25).score == 0.75
        assert score(sum([A, B]), a=1.0, b=1.0).score == 2.0

    def test_weighted_constructor(self) -> None:
        node = rk.weighted([(A, 2), (B, -1)], name="combo")
        assert node.name == "combo"
        assert score(node, a=1.0, b=0.5).score == 1.5
        assert rk.weighted({A: 1.0}).name == "a"

    def test_range(self) -> None:
        assert (0.5 * A - 0.5 * B).range == (-0.5, 0.5)
        assert (A + _col("u", (None, None))).range == (None, None)

    def test_weights_must_be_numbers(self) -> None:
        with pytest.raises(TypeError, match="scaled by numbers"):
            A * "2"  # noqa: B018
        with pytest.raises(TypeError):
            A * B  # noqa: B018
        with pytest.raises(ValueError, match="finite"):
            A * float("inf")  # noqa: B018

    def test_not_applicable_terms_are_skipped(self) -> None:
        out = score(A + B, a=1.0, b=None)
        assert out.status is Status.OK and out.score == 1.0
        assert terms(out)["b"] == (None, "not_applicable")

    def test_all_not_applicable(self) -> None:
        out = score(A + B, a=None, b=None)
        assert out.status is Status.NOT_APPLICABLE and out.score is None
        assert set(terms(out)) == {"a", "b"}

    @pytest.mark.parametrize(
        ("bad", "status"), [(Outcome.error("x"), Status.ERROR), (Outcome.timeout(), Status.TIMEOUT)]
    )
    def test_error_and_timeout_propagate(self, bad: Outcome, status: Status) -> None:
        out = score(A + B, a=1.0, b=bad)
        assert out.status is status and out.score is None
        assert "term 'b'" in out.reason
        assert terms(out)["a"] == (1.0, "ok")

    def test_raising_term_is_an_error_not_a_zero(self) -> None:
        out = score(A + B, a=1.0)  # no column b: that leaf errors
        assert out.status is Status.ERROR

    def test_unparseable_with_score_counts(self) -> None:
        out = score(A + B, a=1.0, b=Outcome.unparseable("no answer"))
        assert out.status is Status.OK and out.score == 1.0

    def test_nested_terms_are_flattened(self) -> None:
        node = rk.clip(A + B, 0, 1) + 0.5 * C
        out = score(node, a=1.0, b=1.0, c=-1.0)
        assert out.score == pytest.approx(0.5)
        assert terms(out) == {"a": (1.0, "ok"), "b": (1.0, "ok"), "c": (-1.0, "ok")}


class TestUnary:
    def test_clip(self) -> None:
        node = rk.clip(A + B, 0.0, 1.0)
        assert node.range == (0.0, 1.0)
        assert score(node, a=1.0, b=1.0).score == 1.0
        assert score(rk.clip(C, 0, 1), c=-0.5).score == 0.0
        assert score(node, a=None, b=None).status is Status.NOT_APPLICABLE
        with pytest.raises(ValueError, match="above"):
            rk.clip(A, 1, 0)

    def test_scale(self) -> None:
        node = rk.scale(A, 2.0, -1.0)
        assert node.range == (-1.0, 1.0)
        out = score(node, a=0.25)
        assert out.score == -0.5 and terms(out) == {"a": (0.25, "ok")}
        assert score(node, a=Outcome.error("boom")).status is Status.ERROR

    def test_threshold(self) -> None:
        node = rk.threshold(A, 0.5, above=1.0, below=-1.0)
        assert node.range == (-1.0, 1.0)
        assert score(node, a=0.5).score == 1.0
        assert score(node, a=0.49).score == -1.0
        assert score(node, a=None).status is Status.NOT_APPLICABLE


class TestExtremes:
    def test_min_max(self) -> None:
        assert score(rk.minimum(A, B), a=0.2, b=0.7).score == 0.2
        assert score(rk.maximum(A, B), a=0.2, b=0.7).score == 0.7
        assert rk.minimum(A, C).range == (-1.0, 1.0)
        assert rk.maximum(A, C).range == (0.0, 1.0)
        assert rk.minimum(A, B).name == "min(a, b)"

    def test_status_rules(self) -> None:
        assert score(rk.maximum(A, B), a=None, b=0.3).score == 0.3
        assert score(rk.maximum(A, B), a=None, b=None).status is Status.NOT_APPLICABLE
        out = score(rk.minimum(A, B), a=0.1, b=Outcome.timeout("slow"))
        assert out.status is Status.TIMEOUT

    def test_needs_a_child(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            rk.minimum()


class TestGate:
    def test_passes_value_when_condition_holds(self) -> None:
        node = rk.gate(A, B)
        out = score(node, a=1.0, b=0.4)
        assert out.score == 0.4 and out.status is Status.OK
        assert terms(out) == {"a": (1.0, "ok"), "b": (0.4, "ok")}

    def test_otherwise_when_condition_fails(self) -> None:
        node = rk.gate(A, B, at=0.5, otherwise=-1.0)
        out = score(node, a=0.2, b=1.0)
        assert out.score == -1.0 and "not passed" in out.reason
        assert node.range == (-1.0, 1.0)

    def test_condition_error_propagates(self) -> None:
        out = score(rk.gate(A, B), a=Outcome.error("boom"), b=1.0)
        assert out.status is Status.ERROR and "gate condition 'a'" in out.reason

    def test_value_error_propagates_when_passed(self) -> None:
        out = score(rk.gate(A, B), a=1.0, b=Outcome.timeout("slow"))
        assert out.status is Status.TIMEOUT

    @pytest.mark.parametrize(
        "cond", [0.2, None, Outcome.error("boom"), Outcome.timeout("slow")], ids=repr
    )
    def test_value_not_evaluated_unless_condition_passes(self, cond: Any) -> None:
        calls: list[str] = []

        def costly(completion: str) -> float:
            calls.append(completion)
            return 1.0

        node = rk.gate(A, Reward(costly, name="costly"), at=0.5)
        out = score(node, a=cond, completion="x")
        assert calls == []
        assert list(out.extras["terms"]) == ["a"]  # a skipped term is absent
        assert score(node, a=0.5, completion="y").score == 1.0
        assert calls == ["y"]

    def test_needed_asks_for_the_value_once_the_condition_passed(self) -> None:
        node = rk.gate(A, B)
        assert node.needed({}) == [A]
        assert node.needed({}, {"a": Outcome(1.0)}) == [B]
        assert node.needed({}, {"a": Outcome(0.0)}) == []
        assert node.needed({}, {"a": Outcome.error("boom")}) == []
        assert node.needed({}, {"a": Outcome(1.0), "b": Outcome(0.0)}) == []
        # a composite condition is combined from what is known
        nested = rk.gate(A + B, C, at=2.0)
        assert nested.needed({}) == [A, B]
        assert nested.needed({}, {"a": Outcome(1.0)}) == [B]
        assert nested.needed({}, {"a": Outcome(1.0), "b": Outcome(1.0)}) == [C]
        assert nested.needed({}, {"a": Outcome(1.0), "b": Outcome(0.5)}) == []


class TestRoute:
    def test_only_the_routed_branch_is_evaluated(self) -> None:
        calls: list[str] = []

        def tracked(name: str) -> Reward:
            def fn(completion: str) -> float:
                calls.append(name)
                return 1.0 if name == "math" else 0.5

            return Reward(fn, name=f"branch_{name}")

        node = rk.route("task", {"math": tracked("math"), "code": tracked("code")})
        out = score(node, task="code", completion="x")
        assert calls == ["code"]
        assert out.score == 0.5
        assert out.extras["route"] == "branch_code"
        assert list(out.extras["terms"]) == ["branch_code"]
        assert [leaf.name for leaf in node.needed({"task": "math"})] == ["branch_math"]

    def test_default_and_no_match(self) -> None:
        node = rk.route("task", {"x": A}, default=B)
        assert score(node, task="other", a=1.0, b=0.25).score == 0.25
        out = score(rk.route("task", {"x": A}), task="other")
        assert out.status is Status.NOT_APPLICABLE and "task='other'" in out.reason
        assert rk.route("task", {"x": A}).needed({"task": "other"}) == []

    def test_unhashable_value_uses_default(self) -> None:
        assert score(rk.route("task", {"x": A}, default=B), task=["x"], b=0.5).score == 0.5

    def test_bind_needs_the_routing_column(self) -> None:
        node = rk.route("data_source", {"gsm8k": A})
        assert node.required_columns[0] == "data_source"
        with pytest.raises(rk.MissingColumnError, match="needs column 'data_source'"):
            node.bind(["a"])


class TestWhen:
    def test_applies_only_where_predicate_holds(self) -> None:
        def is_math(row: Mapping[str, Any]) -> bool:
            return row.get("task") == "math"

        node = rk.when(is_math, A)
        assert score(node, task="math", a=0.5).score == 0.5
        out = score(node, task="code", a=0.5)
        assert out.status is Status.NOT_APPLICABLE and "is_math is false" in out.reason
        assert node.needed({"task": "code"}) == []
        # inside a sum, the rows it does not apply to simply drop the term
        assert score(node + B, task="code", a=0.5, b=0.25).score == 0.25

    def test_raising_predicate_is_an_error(self) -> None:
        def broken(row: Mapping[str, Any]) -> bool:
            raise KeyError("task")

        out = score(rk.when(broken, A), a=1.0)
        assert out.status is Status.ERROR
        assert "predicate broken raised KeyError" in out.reason


class TestStructure:
    def test_leaves_are_deduplicated(self) -> None:
        node = A + rk.gate(A, B) + rk.clip(B, 0, 1)
        assert [leaf.name for leaf in node.leaves()] == ["a", "b"]

    def test_each_leaf_scored_once_per_row(self) -> None:
        calls: list[int] = []

        def fn(completion: str) -> float:
            calls.append(1)
            return 1.0

        leaf = Reward(fn, name="counted")
        (leaf + rk.gate(leaf, leaf) + 2 * leaf).score({"completion": "x"})
        assert len(calls) == 1

    def test_bind_checks_every_leaf(self) -> None:
        with pytest.raises(rk.MissingColumnError, match="needs column 'answer'"):
            (rk.get("xml_format") + rk.get("exact_match")).bind(["completion"])

    def test_score_batch(self) -> None:
        outs = (A + B).score_batch([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 0.0}])
        assert [o.score for o in outs] == [1.0, 0.0]

    def test_with_builtins(self) -> None:
        node = 0.5 * rk.get("think_format") + 0.5 * rk.get("unique_chars")
        out = node.score({"completion": "<think>abcd</think>ok"})
        assert out.status is Status.OK
        assert set(out.extras["terms"]) == {"think_format", "unique_chars"}
