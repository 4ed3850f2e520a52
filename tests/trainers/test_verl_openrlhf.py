"""verl and OpenRLHF adapters, loaded and called exactly as those trainers do.

verl (``verl/trainer/ppo/reward.py::get_custom_reward_fn``) and OpenRLHF
(``--remote_rm_url file.py``) both load the reward file by *path* with
``importlib.util.spec_from_file_location`` under their own module name, then
call ``compute_score(data_source, solution_str, ground_truth, extra_info,
**reward_kwargs)`` / ``reward_func(queries, prompts, labels)`` (OpenRLHF: one
sample per call, from a worker thread).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest

import rewardkit.trainers.openrlhf as openrlhf_pkg
import rewardkit.trainers.verl as verl_pkg

STATUS_KEYS = {"rk_ok", "rk_not_applicable", "rk_unparseable", "rk_timeout", "rk_error"}


def _load_by_path(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def verl_module() -> ModuleType:
    assert verl_pkg.__file__ is not None
    return _load_by_path(verl_pkg.__file__, "custom_module")


def test_verl_compute_score_per_sample(verl_module: ModuleType) -> None:
    # verl binds reward_kwargs with functools.partial, then calls positionally
    fn = functools.partial(
        verl_module.compute_score,
        routes={"musique": "exact_match", "fmt": "xml_format"},
        timeout=5,
    )
    hit = fn("musique", "<answer>The Eiffel Tower</answer>", "eiffel tower", {"index": 0})
    assert hit["score"] == 1.0 and hit["rk_ok"] == 1.0
    assert set(hit) == {"score"} | STATUS_KEYS
    miss = fn("musique", "<answer>Louvre</answer>", "eiffel tower", None)
    assert miss["score"] == 0.0 and miss["rk_ok"] == 1.0
    fmt = fn("fmt", "<reasoning>a</reasoning><answer>b</answer>", None, None)
    assert fmt["score"] == 1.0
    # a data source with no route: not applicable (not verl's NotImplementedError), scored 0
    other = fn("unknown/source", "x", "y", None)
    assert other["score"] == 0.0 and other["rk_not_applicable"] == 1.0
    assert set(other) == set(hit)  # same keys for every sample (verl stacks them)


def test_verl_single_reward_missing_score_and_batch(verl_module: ModuleType) -> None:
    kw: dict[str, Any] = {"reward": "exact_match", "missing_score": -1.0}
    assert verl_module.compute_score("d", "<answer>x</answer>", None, None, **kw)["score"] == -1.0
    out = verl_module.compute_score_batch(
        data_sources=["a", "b"],
        solution_strs=["<answer>4</answer>", "<answer>5</answer>"],
        ground_truths=["4", {"answer": "6", "answer_aliases": ["5"]}],
        extra_infos=[None, {"split": "train"}],
        reward="exact_match",
    )
    assert [o["score"] for o in out] == [1.0, 1.0]


def test_verl_configuration_errors(
    verl_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        verl_module.compute_score("d", "x", "y", None)
    monkeypatch.setenv("REWARDKIT_VERL_ROUTES", json.dumps({"d": "exact_match"}))
    assert verl_module.compute_score("d", "<answer>y</answer>", "y", None)["score"] == 1.0


@pytest.fixture(scope="module")
def openrlhf_module() -> ModuleType:
    assert openrlhf_pkg.__file__ is not None
    return _load_by_path(openrlhf_pkg.__file__, "reward_func")


def test_openrlhf_reward_func_as_the_executor_calls_it(
    openrlhf_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("REWARDKIT_OPENRLHF_REWARD", "exact_match")
    prompt = "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n"
    samples = [
        (prompt + "<answer>Paris</answer><|im_end|>", prompt, "Paris"),
        (prompt + "<answer>Lyon</answer><|im_end|>", prompt, "Paris"),
        (prompt + "<answer>x</answer><|im_end|>", prompt, json.dumps({"answer": None})),
    ]

    async def run() -> list[Any]:
        # SingleTurnExecutor._fetch_rewards_via_func: asyncio.to_thread, one sample per call
        return list(
            await asyncio.gather(
                *(
                    asyncio.to_thread(openrlhf_module.reward_func, [q], [p], [lab])
                    for q, p, lab in samples
                )
            )
        )

    results = asyncio.run(run())
    rewards = [r["rewards"] for r in results]
    assert all(isinstance(t, torch.Tensor) and t.shape == (1,) for t in rewards)
    assert [float(t[0]) for t in rewards] == [1.0, 0.0, 0.0]
    assert float(results[2]["extra_logs"]["rewardkit/not_applicable"][0]) == 1.0
    assert torch.equal(results[0]["scores"], results[0]["rewards"])


def test_openrlhf_batch_and_response_extraction() -> None:
    pytest.importorskip("torch")
    fn = openrlhf_pkg.make_reward_func("xml_format", label_column="answer")
    try:
        assert fn.response("PROMPT<reasoning>a</reasoning>\n</s>", "PROMPT") == (
            "<reasoning>a</reasoning>\n"  # text before the token is kept as written
        )
        out = fn(
            ["Q<reasoning>a</reasoning><answer>b</answer><|im_end|>", "Qno"],
            ["Q", "Q"],
            ["b", "b"],
        )
    finally:
        fn.close()
    assert out["rewards"].tolist() == [1.0, 0.0]
    assert set(out["extra_logs"]) == {
        "rewardkit/ok",
        "rewardkit/not_applicable",
        "rewardkit/unparseable",
        "rewardkit/timeout",
        "rewardkit/error",
    }


def test_openrlhf_unconfigured_is_a_clear_error(
    openrlhf_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REWARDKIT_OPENRLHF_REWARD", raising=False)
    monkeypatch.setattr(openrlhf_module, "_default", None)
    with pytest.raises(RuntimeError, match="REWARDKIT_OPENRLHF_REWARD"):
        openrlhf_module.reward_func(["q"], ["p"], ["l"])
