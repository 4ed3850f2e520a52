"""One contract: one Status, one outcome policy, one rule for weighted totals."""

from __future__ import annotations

import random

import pytest

import rewardkit as rk
from rewardkit import Outcome, Status
from rewardkit.cli._encode import _linear_total
from rewardkit.compose._combine import weighted_total


def test_one_status_enum_the_sandbox_verdict_has_its_own_name() -> None:
    from rewardkit.sandbox import TestVerdict

    assert TestVerdict is not Status
    assert {v.value for v in TestVerdict} & {"ok", "error", "not_applicable"} == set()
    assert "Status" in rk.__all__ and "TestVerdict" not in rk.__all__


def test_outcome_policy_lives_in_the_core_and_adapters_reuse_it() -> None:
    from rewardkit.trainers import openrlhf, trl, verl

    assert trl.OutcomePolicy is rk.OutcomePolicy
    assert verl.OutcomePolicy is rk.OutcomePolicy
    assert openrlhf.OutcomePolicy is rk.OutcomePolicy
    policy = rk.OutcomePolicy(on_error=-1.0, on_timeout="min", on_unparseable="score")
    assert policy.value(Outcome(0.5, Status.OK), (0.0, 1.0)) == 0.5
    assert policy.value(Outcome(None, Status.ERROR, "boom"), (0.0, 1.0)) == -1.0
    assert policy.value(Outcome(None, Status.TIMEOUT, "slow"), (0.2, 1.0)) == 0.2
    assert policy.value(Outcome(None, Status.NOT_APPLICABLE), (0.0, 1.0)) is None
    with pytest.raises(ValueError, match="not a valid on_error"):
        rk.OutcomePolicy(on_error="zero")  # type: ignore[arg-type]


def test_weighted_total_rules() -> None:
    ok, na = Outcome(1.0, Status.OK), Outcome(None, Status.NOT_APPLICABLE)
    err, slow = Outcome(None, Status.ERROR, "x"), Outcome(None, Status.TIMEOUT, "y")
    assert weighted_total([(2.0, ok), (1.0, na)], 0.5) == (2.5, Status.OK, -1)
    assert weighted_total([(1.0, na)]) == (None, Status.NOT_APPLICABLE, -1)
    assert weighted_total([]) == (None, Status.NOT_APPLICABLE, -1)
    assert weighted_total([(1.0, ok), (1.0, slow), (1.0, err)]) == (None, Status.TIMEOUT, 1)


def _random_outcome(rng: random.Random) -> Outcome:
    status = rng.choice([Status.OK] * 5 + list(Status))
    if status is Status.OK:
        return Outcome(rng.uniform(-3, 3), status)
    if status is Status.UNPARSEABLE:
        return Outcome(0.0, status, "no answer")
    return Outcome(None, status, "why")


def test_composite_and_cli_fast_path_agree_bit_for_bit() -> None:
    """The CLI's fast path and WeightedSum.combine share one rule, so totals are identical."""

    @rk.reward
    def rk_one_a(completion: str) -> float:
        return 0.0

    @rk.reward
    def rk_one_b(completion: str) -> float:
        return 0.0

    rng = random.Random(7)
    for _ in range(300):
        wa, wb, bias = rng.uniform(-2, 2), rng.uniform(-2, 2), rng.choice([0.0, 0.25])
        total = wa * rk_one_a + wb * rk_one_b + bias
        outs = {"rk_one_a": _random_outcome(rng), "rk_one_b": _random_outcome(rng)}
        full = total.combine({}, lambda leaf, o=outs: o[leaf.key])
        fast = _linear_total([(wa, "rk_one_a"), (wb, "rk_one_b")], bias, outs)
        assert (full.score, full.status.value) == fast
