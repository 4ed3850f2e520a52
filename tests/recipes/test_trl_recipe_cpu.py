"""The TRL recipe end to end on CPU, through the command a user runs.

``python -m rewardkit.recipes_cli run gsm8k-trl-deepspeed-lora --preset cpu-smoke
--model <tiny local dir> --dataset <tiny jsonl> --set max_steps=2`` (the same
``rewardkit recipe run``: resolve, validate, check requirements, write the
resolved config, launch ``train.py`` in a subprocess). No DeepSpeed on CPU: the
``cpu-smoke`` preset selects the plain ``python`` launcher and ``use_cpu``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")
pytestmark = [pytest.mark.trl, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_trl_recipe_runs_two_steps_on_cpu(
    tiny_model: Path, addition_jsonl: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable, "-m", "rewardkit.recipes_cli", "run", "gsm8k-trl-deepspeed-lora",
        "--preset", "cpu-smoke", "--model", str(tiny_model), "--dataset", str(addition_jsonl),
        "--output-dir", str(out), "--set", "max_steps=2", "--set", "eval_samples=4",
        "--set", "eval_max_new_tokens=8",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "[recipe] step 2/2" in proc.stdout
    config = json.loads((out / "recipe_config.json").read_text())
    assert config["grpo"]["max_steps"] == 2 and config["model"] == str(tiny_model)
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if "reward" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for key in ("rewards/think_unique/mean", "rewards/correctness/mean", "reward_time_share"):
        assert key in steps[-1], key
    assert any(k.startswith("rewardkit/correctness/") for k in steps[-1])
    assert (out / "metrics.csv").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["train"]["train_steps_per_second"] > 0
    assert summary["eval_before"]["n"] == 4 and summary["eval_after"]["n"] == 4
    assert (out / "adapter_model.safetensors").is_file()  # the LoRA was saved
