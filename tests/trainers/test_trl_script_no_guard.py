"""A TRL training script written the way TRL's own examples are: rewards at module level,
no ``if __name__ == "__main__":`` guard, one of them a plain TRL function.

Run as a real ``python script.py`` subprocess. The hanging reward must cost one sample
and the timeout per hang (never the run), the raising reward its own samples only, and
the script must not be re-executed by the reward workers (it prints a marker once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

SCRIPT = r'''
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
print("SCRIPT-START", os.getpid(), flush=True)

import trl
from datasets import Dataset
from transformers import TrainerCallback
import rewardkit as rk
from rewardkit.trainers.trl import to_trl

def hangs_on_slow(completions, task, **kwargs):
    """A plain TRL reward function that never returns on 'slow' rows."""
    out = []
    for c, t in zip(completions, task):
        if t == "slow":
            time.sleep(3600)
        out.append(float(len(c) % 3) / 2)
    return out

@rk.reward
def raises_on_boom(completion: str, task: str) -> float:
    if task == "boom":
        raise RuntimeError("boom row")
    return 1.0

ds = Dataset.from_dict({
    "prompt": ["What is 2 + 2?", "Solve 3 * 5.", "Name the capital of France.", "hello numbers"],
    "task": ["ok", "slow", "boom", "ok"],
})
funcs = to_trl([hangs_on_slow, raises_on_boom], scorer={"timeout": 1.0, "workers": 2},
               asynchronous=False, lint=False)
logs = []

class Keep(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kw):
        if logs is not None:
            globals()["logs"].append(dict(logs))

config = trl.GRPOConfig(output_dir=sys.argv[2], use_cpu=True, per_device_train_batch_size=8,
                        num_generations=2, max_completion_length=8, max_steps=2,
                        logging_steps=1, report_to="none", save_strategy="no", seed=0)
t0 = time.time()
trainer = trl.GRPOTrainer(model=sys.argv[1], reward_funcs=funcs, args=config,
                          train_dataset=ds, callbacks=[Keep()])
trainer.train()
funcs[0].close()
print("RESULT " + json.dumps({"logs": logs, "seconds": time.time() - t0}), flush=True)
'''


def test_module_level_rewards_without_main_guard_keep_their_timeouts(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = tmp_path / "train_grpo.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, str(script), str(tiny_model_dir), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("SCRIPT-START") for line in lines) == 1, proc.stdout
    result = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
    steps = [e for e in result["logs"] if "reward" in e]
    assert len(steps) == 2

    def total(key: str) -> float:
        return sum(e.get(key, 0.0) for e in steps)

    # 8 completions per step: 2 per prompt, one prompt of four is "slow" and one "boom".
    # A plain TRL function is called one completion at a time: each hang costs exactly
    # its own sample (reported as timed out, never as 0) and the 1 s timeout.
    assert total("rewardkit/hangs_on_slow/timeout") == pytest.approx(4.0)
    assert total("rewardkit/hangs_on_slow/ok") == pytest.approx(12.0)
    assert total("rewardkit/raises_on_boom/error") == pytest.approx(4.0)
    assert total("rewardkit/raises_on_boom/ok") == pytest.approx(12.0)
    # each hang costs about the timeout, not the 3600 s sleep
    assert result["seconds"] < 300
