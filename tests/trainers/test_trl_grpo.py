"""A real ``trl.GRPOTrainer`` run with rewardkit rewards, offline on CPU.

Two short runs (standard prompts + LoRA with async adapters; conversational
prompts with sync adapters) on a tiny locally built Qwen2. The reward set holds a
built-in, a composed reward, a formula, an async reward, one that hangs on some
rows (timeout), one that raises on some rows, and one that is not applicable on
some rows. The logs must show per-reward and per-status metrics, and the
hanging/raising rewards must cost only their own samples: their logged mean is
exactly the score of the rows that did not fail (a failed sample is ``None``,
i.e. left out, never a silent 0).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl")
pytest.importorskip("peft")

import rk_trainer_rewards as rw  # noqa: E402

import rewardkit as rk  # noqa: E402
from rewardkit.trainers.trl import AsyncTRLReward, TRLReward, to_trl  # noqa: E402

PROMPTS = ["What is 2 + 2?", "Solve 3 * 5.", "Name the capital of France.", "hello numbers"]
TASKS = ["ok", "slow", "boom", "na"]
ANSWERS = ["4", "15", "Paris", "0"]
STATUSES = ("ok", "not_applicable", "unparseable", "timeout", "error")


def _dataset(conversational: bool) -> Any:
    from datasets import Dataset

    if conversational:
        prompts: list[Any] = [
            [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": p}]
            for p in PROMPTS
        ]
    else:
        prompts = list(PROMPTS)
    return Dataset.from_dict({"prompt": prompts, "task": TASKS, "answer": ANSWERS})


def _rewards() -> list[Any]:
    composed = 0.5 * rk.get("xml_count") + rk.get("unique_chars")
    return [
        "xml_format",  # a built-in, by name
        composed,  # composed in Python
        "0.7*think_format + 0.3*unique_chars",  # a formula
        rw.async_len,  # an async reward
        rw.slow_on_task,  # hangs on task == "slow" -> timeout
        rw.raises_on_task,  # raises on task == "boom" -> error
        rw.na_on_task,  # not applicable on task == "na"
    ]


def _train(
    model_dir: Path, tmp_path: Path, *, conversational: bool, asynchronous: bool, lora: bool
) -> tuple[list[dict[str, float]], list[Any], Any]:
    from transformers import TrainerCallback

    logs: list[dict[str, float]] = []

    class Keep(TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs_: Any = None, **kw: Any) -> None:
            if kw.get("logs") is not None:
                logs.append(dict(kw["logs"]))

    ds = _dataset(conversational)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lint findings on a random model are expected
        funcs = to_trl(
            _rewards(),
            scorer={"timeout": 1.0, "workers": 2},
            asynchronous=asynchronous,
            dataset=ds,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # transformers' own deprecation notices
        config = _config(tmp_path)
    peft_config = None
    if lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # transformers/peft deprecation notices
            trainer = trl.GRPOTrainer(
                model=str(model_dir),
                reward_funcs=funcs,
                args=config,
                train_dataset=ds,
                peft_config=peft_config,
                callbacks=[Keep()],
            )
            trainer.train()
    finally:
        funcs[0].close()
    return logs, funcs, trainer


def _config(tmp_path: Path) -> Any:
    return trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        per_device_train_batch_size=8,
        num_generations=2,
        max_completion_length=8,
        max_steps=2,
        logging_steps=1,
        learning_rate=0.1,
        report_to="none",
        save_strategy="no",
        seed=0,
    )


def _total(logs: list[dict[str, float]], key: str) -> float:
    return sum(entry[key] for entry in logs if key in entry)


def _check_run(logs: list[dict[str, float]], funcs: list[Any]) -> None:
    names = [f.__name__ for f in funcs]
    assert len(set(names)) == len(names)
    assert names[:1] == ["xml_format"]
    step_logs = [e for e in logs if "reward" in e]
    assert len(step_logs) == 2, logs
    for name in names:
        assert any(f"rewards/{name}/mean" in e for e in step_logs), name
        for status in STATUSES:
            assert any(f"rewardkit/{name}/{status}" in e for e in step_logs), (name, status)
    # 8 completions per step, 2 per task (one prompt x 2 generations)
    assert _total(step_logs, "rewardkit/slow_on_task/timeout") == pytest.approx(4.0)
    assert _total(step_logs, "rewardkit/slow_on_task/ok") == pytest.approx(12.0)
    assert _total(step_logs, "rewardkit/raises_on_task/error") == pytest.approx(4.0)
    assert _total(step_logs, "rewardkit/raises_on_task/ok") == pytest.approx(12.0)
    assert _total(step_logs, "rewardkit/na_on_task/not_applicable") == pytest.approx(4.0)
    for e in step_logs:
        # failed samples are left out (None -> NaN), not scored 0: the mean is the rest's score
        assert e["rewards/slow_on_task/mean"] == pytest.approx(0.5)
        assert e["rewards/raises_on_task/mean"] == pytest.approx(0.25)
        assert math.isfinite(e["reward"])
        assert e["rewardkit/batch_seconds"] < 30
    assert any("train_loss" in e and math.isfinite(e["train_loss"]) for e in logs)


@pytest.mark.trl
def test_grpo_standard_prompts_lora_async(tiny_model_dir: Path, tmp_path: Path) -> None:
    logs, funcs, trainer = _train(
        tiny_model_dir, tmp_path, conversational=False, asynchronous=True, lora=True
    )
    assert all(isinstance(f, AsyncTRLReward) for f in funcs)
    assert trainer.reward_func_names == [f.__name__ for f in funcs]
    assert type(trainer.model).__name__.startswith("Peft")
    _check_run(logs, funcs)
    # each sample's reason reaches the completions table
    extra = trainer._logs["extra"]
    reasons = list(extra["rewardkit/slow_on_task"])
    assert sum(r.startswith("timeout") for r in reasons) >= 2
    assert any("verifier exploded" in r for r in extra["rewardkit/raises_on_task"])


@pytest.mark.trl
def test_grpo_conversational_prompts_sync(tiny_model_dir: Path, tmp_path: Path) -> None:
    logs, funcs, trainer = _train(
        tiny_model_dir, tmp_path, conversational=True, asynchronous=False, lora=False
    )
    assert all(isinstance(f, TRLReward) for f in funcs)
    _check_run(logs, funcs)
