"""The TRL adapter's contract, called exactly as ``GRPOTrainer._calculate_rewards`` calls it.

No trainer here (and no trl needed): keyword-only calls with ``prompts``,
``completions``, ``completion_ids``, the dataset columns, ``trainer_state``,
``log_extra`` and ``log_metric``, in both standard and conversational form.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pickle
import subprocess
import sys
import warnings
from collections import defaultdict
from typing import Any

import pytest
import rk_trainer_rewards as rw

import rewardkit as rk
from rewardkit import MissingColumnError
from rewardkit.trainers import _lint
from rewardkit.trainers.trl import (
    AsyncTRLReward,
    OutcomePolicy,
    reward_weights,
    to_trl,
    trl_supports_async,
)

GOOD = "<reasoning>\nadd\n</reasoning>\n<answer>\n4\n</answer>\n"


class Sink:
    """Stands in for TRL's ``_log_metric`` / ``_log_completion_extra``."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.extra: dict[str, list[Any]] = defaultdict(list)

    def log_metric(self, name: str, value: float) -> None:
        self.metrics[name].append(value)

    def log_extra(self, column: str, values: list[Any]) -> None:
        self.extra[column].extend(values)


class State:
    global_step = 3
    max_steps = 10
    epoch = 0.5


def _call(f: Any, completions: list[Any], sink: Sink, **columns: Any) -> list[float | None]:
    n = len(completions)
    kwargs: dict[str, Any] = dict(
        prompts=columns.pop("prompts", ["q"] * n),
        completions=completions,
        completion_ids=[[1, 2, 3]] * n,
        **columns,
        trainer_state=State(),
        log_extra=sink.log_extra,
        log_metric=sink.log_metric,
    )
    if isinstance(f, AsyncTRLReward):
        return asyncio.run(f(**kwargs))
    result: list[float | None] = f(**kwargs)
    return result


def test_import_is_light() -> None:
    code = (
        "import sys, rewardkit, rewardkit.trainers, rewardkit.trainers.trl, "
        "rewardkit.trainers.axolotl, rewardkit.trainers.axolotl_rewards, "
        "rewardkit.trainers.verl, rewardkit.trainers.openrlhf, rewardkit.trainers.unsloth\n"
        "bad = [m for m in ('trl', 'torch', 'transformers', 'unsloth', 'axolotl', 'datasets') "
        "if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_are_unique_readable_and_picklable() -> None:
    funcs = to_trl(
        [
            "xml_format",
            "xml_format(mode=strict)",
            "xml_format",
            "0.7*think_format + 0.3*unique_chars",
        ],
        asynchronous=False,
    )
    names = [f.__name__ for f in funcs]
    assert names == [
        "xml_format",
        "xml_format_mode_strict",
        "xml_format_2",
        "0.7_think_format_0.3_unique_chars",
    ]
    # TRL >= 1.9 names a callable by get_callable_name (unwrap partial, then __name__)
    assert all(getattr(f, "__name__", None) == n for f, n in zip(funcs, names, strict=True))
    clone = pickle.loads(pickle.dumps(funcs))
    assert [f.__name__ for f in clone] == names
    assert clone[0].group is clone[1].group
    # Axolotl's signature check: at least two parameters
    assert len(inspect.signature(funcs[0]).parameters) >= 2


def test_async_detection_matches_trl() -> None:
    f = to_trl("xml_format", asynchronous=True)[0]
    assert inspect.iscoroutinefunction(f.__call__)
    g = to_trl("xml_format", asynchronous=False)[0]
    assert not inspect.iscoroutinefunction(g.__call__)
    if importlib.util.find_spec("trl") is not None:
        from trl.trainer.utils import is_async_callable

        assert is_async_callable(f) and not is_async_callable(g)
        assert trl_supports_async()


@pytest.mark.parametrize("asynchronous", [False, True])
def test_standard_batch_statuses_and_logs(asynchronous: bool) -> None:
    funcs = to_trl(
        ["xml_format", rw.raises_on_task, rw.na_on_task, "exact_match"],
        asynchronous=asynchronous,
        lint=False,
    )
    sink = Sink()
    comps = [GOOD, "plain text", GOOD, "x"]
    tasks = ["ok", "boom", "na", "ok"]
    answers = ["4", "4", None, "7"]
    out = {f.__name__: _call(f, comps, sink, task=tasks, answer=answers) for f in funcs}
    assert out["xml_format"] == [1.0, 0.0, 1.0, 0.0]
    assert out["raises_on_task"] == [0.25, None, 0.25, 0.25]  # the raise costs one sample
    assert out["na_on_task"][2] is None
    # exact_match: matched, wrong, not applicable (no gold), wrong
    assert out["exact_match"] == [1.0, 0.0, None, 0.0]
    m = sink.metrics
    assert m["rewardkit/raises_on_task/error"] == [1.0]
    assert m["rewardkit/raises_on_task/ok"] == [3.0]
    assert m["rewardkit/exact_match/not_applicable"] == [1.0]
    for name in out:
        for status in rk.Status:
            assert f"rewardkit/{name}/{status.value}" in m
    reasons = sink.extra["rewardkit/raises_on_task"]
    assert len(reasons) == 4 and "verifier exploded" in reasons[1]
    assert reasons[1].startswith("error: ")
    # every sample names the code that scored it
    assert sink.extra["rewardkit/xml_format/provenance"] == [rk.stamp(rk.get("xml_format"))] * 4


def test_conversational_completions() -> None:
    (f,) = to_trl("xml_format", asynchronous=False)
    prompts = [[{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]] * 2
    comps = [[{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": "no"}]]
    assert _call(f, comps, Sink(), prompts=prompts) == [1.0, 0.0]


def test_policy_values() -> None:
    funcs = to_trl(
        [rw.raises_on_task, "exact_match"],
        on_error=-1.0,
        on_unparseable="min",
        asynchronous=False,
        lint=False,
    )
    sink = Sink()
    out = [_call(f, ["", "x"], sink, task=["boom", "ok"], answer=["a", "b"]) for f in funcs]
    assert out[0] == [-1.0, 0.25]
    assert out[1] == [0.0, 0.0]  # "" is unparseable -> the reward's declared minimum
    with pytest.raises(ValueError, match="valid ones are"):
        to_trl("xml_format", on_error="zero")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OutcomePolicy(on_timeout=float("nan"))


def test_scored_once_per_batch_for_all_adapters() -> None:
    calls: list[int] = []

    @rk.reward(range=(0, 1), cheap=True)
    def counted(completion: str) -> float:
        calls.append(1)
        return 1.0

    funcs = to_trl({"a": counted, "b": counted * 0.5}, asynchronous=False, lint=False)
    comps = ["u", "v", "w"]
    sink = Sink()
    shared_kwargs: dict[str, Any] = dict(prompts=["p"] * 3, completions=comps)
    assert funcs[0](**shared_kwargs, log_metric=sink.log_metric) == [1.0, 1.0, 1.0]
    assert funcs[1](**shared_kwargs, log_metric=sink.log_metric) == [0.5, 0.5, 0.5]
    assert len(calls) == 3  # the leaf ran once per completion, not once per adapter
    # a second step with equal completions is scored again (cache aside), not reused stale
    funcs[0](**shared_kwargs)
    funcs[1](**shared_kwargs)


def test_split_weights_and_reward_weights() -> None:
    funcs = to_trl("0.7*xml_format + 0.3*unique_chars", split=True, asynchronous=False)
    assert [f.__name__ for f in funcs] == ["xml_format", "unique_chars"]
    assert reward_weights(funcs) == [0.7, 0.3]
    assert reward_weights(funcs, {"unique_chars": 2.0}) == [0.7, 2.0]
    with pytest.raises(KeyError):
        reward_weights(funcs, {"nope": 1.0})


def test_missing_column_fails_fast_at_first_batch() -> None:
    (f,) = to_trl("exact_match", asynchronous=False, lint=False)
    with pytest.raises(MissingColumnError, match="answer"):
        f(prompts=["q"], completions=["a"], task=["x"])


def test_lint_warnings() -> None:
    class DS:
        column_names = ["prompt", "question"]

    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        funcs = to_trl(
            ["exact_match", rk.scale(rk.get("xml_format"), 100.0) + rk.get("unique_chars")],
            asynchronous=False,
            dataset=DS(),
            probe=[{"prompt": "q", "completion": c, "answer": "zz"} for c in ("a", "b", "c")],
        )
    kinds = sorted({i.kind for i in funcs[0].group.lint_issues})
    assert kinds == ["constant", "missing_column", "range_mismatch"], funcs[0].group.lint_issues
    assert all(issubclass(w.category, _lint.RewardLintWarning) for w in got)
    assert any("needs column 'answer'" in str(w.message) for w in got)


def test_timeout_costs_only_its_samples() -> None:
    (f,) = to_trl(rw.slow_on_task, scorer={"timeout": 1.0, "workers": 1}, asynchronous=False)
    sink = Sink()
    try:
        out = _call(f, ["a", "b", "c"], sink, task=["ok", "slow", "ok"])
    finally:
        f.close()
    assert out == [0.5, None, 0.5]
    assert sink.metrics["rewardkit/slow_on_task/timeout"] == [1.0]
    assert sink.extra["rewardkit/slow_on_task"][1].startswith("timeout")
