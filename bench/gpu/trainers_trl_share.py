"""GPU: share of a real TRL GRPO step spent in rewards, rewardkit adapters vs plain functions.

Same tiny model, data, seed and config for each setup; ``GRPOTrainer._calculate_rewards``
is wrapped with a timer (it is where TRL calls every reward function), and the
train loop's wall time is taken per step. Setups: the Unsloth notebook's five
plain functions; ``to_trl`` over the same five functions; ``to_trl`` over
rewardkit's built-in equivalents. Prints one table; writes JSON to $OUT.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import trainers_tiny as tiny  # noqa: E402


def run(
    setup: str, funcs: list[Any], model_dir: Path, steps: int, batch: int, cpu: bool = False
) -> dict[str, Any]:
    import torch
    import trl
    from transformers import TrainerCallback

    ds = tiny.conversational_dataset(512)
    torch.manual_seed(0)
    cfg = trl.GRPOConfig(
        output_dir=f"/tmp/grpo_{setup}",
        per_device_train_batch_size=batch,
        num_generations=8,
        max_completion_length=128,
        max_steps=steps,
        logging_steps=1,
        learning_rate=1e-5,
        bf16=not cpu,
        use_cpu=cpu,
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="no",
        seed=0,
        beta=0.0,
    )
    stamps: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, *a: Any, **k: Any) -> None:
            if not cpu:
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())

    trainer = trl.GRPOTrainer(
        model=str(model_dir), reward_funcs=funcs, args=cfg, train_dataset=ds, callbacks=[Clock()]
    )
    spent: list[float] = []
    inner = trainer._calculate_rewards

    def timed(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        out = inner(*a, **k)
        if not cpu:
            torch.cuda.synchronize()
        spent.append(time.perf_counter() - t0)
        return out

    trainer._calculate_rewards = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    trainer.train()
    total = time.perf_counter() - t0
    warm = 3  # drop the first steps (CUDA warm-up, worker start)
    step_times = [b - a for a, b in zip(stamps[warm - 1 :], stamps[warm:], strict=False)]
    reward_times = spent[warm:]
    for f in funcs:
        close = getattr(f, "close", None)
        if callable(close):
            close()
            break
    hist = [h for h in trainer.state.log_history if "reward" in h]
    return {
        "setup": setup,
        "steps": steps,
        "completions_per_step": batch,
        "total_s": total,
        "step_s_mean": sum(step_times) / len(step_times),
        "reward_s_mean": sum(reward_times) / len(reward_times),
        "reward_share": sum(reward_times) / sum(step_times),
        "last_reward": hist[-1]["reward"] if hist else None,
        "rk_metrics": sorted(k for k in (hist[-1] if hist else {}) if k.startswith("rewardkit/"))[
            :6
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--cpu", action="store_true", help="a quick local check")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import adapters as nb  # bench/adapters.py: the notebook's functions and rk wrappers

    from rewardkit.trainers.trl import to_trl

    model_dir = tiny.build_tiny("/tmp/tiny_trl")
    print(torch.cuda.get_device_name(0) if not args.cpu else "cpu", "torch", torch.__version__)
    results = []
    for setup, funcs in [
        ("plain", list(nb.PLAIN)),
        ("rk_same_fns", to_trl(nb.SAME, lint=False)),
        ("rk_builtins", to_trl(nb.BUILTINS, lint=False)),
        ("plain_again", list(nb.PLAIN)),
    ]:
        r = run(setup, funcs, model_dir, args.steps, args.batch, args.cpu)
        results.append(r)
        print(json.dumps(r))
    print(f"{'setup':14} {'step ms':>9} {'reward ms':>10} {'share':>8}")
    for r in results:
        print(
            f"{r['setup']:14} {r['step_s_mean'] * 1e3:9.1f} {r['reward_s_mean'] * 1e3:10.2f} "
            f"{r['reward_share'] * 100:7.2f}%"
        )
    out = os.environ.get("OUT")
    if out:
        Path(out, "trl_reward_share.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
