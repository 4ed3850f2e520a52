"""Logging, the metrics history, reward-curve plots and the run summary.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_metrics`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__:
    from ._rt_rewards import RewardClock
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_rewards import RewardClock


def log(message: str) -> None:
    """One console line, prefixed so recipe output stands out from library chatter."""
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")) or 0) == 0:
        print(f"[recipe] {message}", flush=True)


@dataclass
class MetricsHistory:
    """Every logged step's metrics; written as JSONL + CSV and plotted at the end."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: Mapping[str, Any]) -> None:
        self.records.append(dict(record))

    def write(self, out_dir: str | Path) -> dict[str, str]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"jsonl": str(out / "metrics.jsonl"), "csv": str(out / "metrics.csv")}
        with open(paths["jsonl"], "w", encoding="utf-8") as fh:
            for rec in self.records:
                fh.write(json.dumps(rec, default=str) + "\n")
        keys: list[str] = []
        for rec in self.records:
            keys.extend(k for k in rec if k not in keys)
        with open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.records)
        png = plot_rewards(self.records, out / "reward_curve.png")
        if png:
            paths["png"] = png
        return paths


def plot_rewards(records: Sequence[Mapping[str, Any]], path: str | Path) -> str | None:
    """Reward (and each reward term) against step as a PNG; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no reward_curve.png (pip install matplotlib)")
        return None
    rows = [r for r in records if "reward" in r and "step" in r]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["reward"] for r in rows], label="reward (weighted sum)", linewidth=2)
    terms = sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    for key in terms:
        pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if pts:
            ax.plot(*zip(*pts, strict=True), label=key[len("rewards/") : -len("/mean")], alpha=0.7)
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def metrics_callback(history: MetricsHistory, clock: RewardClock | None = None) -> Any:
    """A ``transformers.TrainerCallback`` that prints progress and records every log.

    Console line per log event: step/max_steps, reward, each reward term, loss,
    steps/s and the share of wall time spent computing rewards since the last
    log. Runs next to (not instead of) ``report_to`` integrations.
    """
    from transformers import TrainerCallback

    class RecipeMetrics(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.start = time.perf_counter()
            self.last_time = self.start
            self.last_step = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.start = self.last_time = time.perf_counter()

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if not logs or not state.is_world_process_zero:
                return
            now = time.perf_counter()
            rec: dict[str, Any] = {
                "step": state.global_step,
                "elapsed_s": round(now - self.start, 3),
            }
            rec.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str))})
            span, steps = now - self.last_time, state.global_step - self.last_step
            if steps > 0 and span > 0:
                rec["steps_per_s"] = round(steps / span, 4)
            if clock is not None and span > 0 and steps > 0:
                rec["reward_time_share"] = round(clock.take() / span, 6)
            self.last_time, self.last_step = now, state.global_step
            history.add(rec)
            if "reward" not in rec and "loss" not in rec:
                return
            terms = " ".join(
                f"{k[8:-5]}={v:.3f}"
                for k, v in rec.items()
                if k.startswith("rewards/") and k.endswith("/mean") and isinstance(v, float)
            )
            parts = [f"step {state.global_step}/{state.max_steps}"]
            for key in ("reward", "loss"):
                if isinstance(rec.get(key), (int, float)) and not math.isnan(rec[key]):
                    parts.append(f"{key}={rec[key]:.4f}")
            if terms:
                parts.append(f"[{terms}]")
            if "steps_per_s" in rec:
                parts.append(f"{rec['steps_per_s']:.2f} steps/s")
            if "reward_time_share" in rec:
                parts.append(f"rewards {100 * rec['reward_time_share']:.2f}% of time")
            log(" ".join(parts))

    return RecipeMetrics()


def peak_gpu_memory() -> dict[str, float]:
    """Peak allocated/reserved CUDA memory in MiB (empty without CUDA)."""
    try:
        import torch
    except ImportError:
        return {}
    if not torch.cuda.is_available():
        return {}
    return {
        "peak_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
        "peak_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1),
    }


def finish(
    cfg: Mapping[str, Any],
    history: MetricsHistory,
    clock: RewardClock | None,
    train_metrics: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write metrics history, the reward plot and ``summary.json``; return the summary."""
    out = Path(str(cfg.get("output_dir", "outputs")))
    if int(os.environ.get("RANK", "0") or 0) != 0:
        return {}
    files = history.write(out)
    summary: dict[str, Any] = {
        "recipe": cfg.get("_recipe"),
        "model": cfg.get("model"),
        "dataset": cfg.get("dataset"),
        "files": files,
        **peak_gpu_memory(),
    }
    if train_metrics:
        summary["train"] = {k: v for k, v in train_metrics.items() if isinstance(v, (int, float))}
        runtime = float(train_metrics.get("train_runtime") or 0)
        if clock is not None and runtime > 0:
            summary["reward_seconds"] = round(clock.total, 3)
            summary["reward_time_share"] = round(clock.total / runtime, 6)
    rewards = [r["reward"] for r in history.records if isinstance(r.get("reward"), (int, float))]
    if rewards:
        k = max(1, len(rewards) // 5)
        summary["reward_first"] = round(sum(rewards[:k]) / k, 4)
        summary["reward_last"] = round(sum(rewards[-k:]) / k, 4)
    if extra:
        summary.update(extra)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    log("summary: " + json.dumps({k: v for k, v in summary.items() if k != "files"}, default=str))
    log(f"metrics: {files.get('csv')}  plot: {files.get('png', 'n/a')}")
    return summary


def dump_plan(
    cfg: Mapping[str, Any], trainer_config: Mapping[str, Any], command: Sequence[str]
) -> str:
    """The text ``--dry-run`` prints: resolved recipe config, trainer config, launch command."""
    public = {k: v for k, v in cfg.items() if not k.startswith("_")}
    return "\n".join(
        [
            "# resolved recipe config",
            json.dumps(public, indent=2, default=str),
            "# trainer config",
            json.dumps(dict(trainer_config), indent=2, default=str),
            "# launch command",
            shlex.join(command),
        ]
    )
