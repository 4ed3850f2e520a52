"""GPU machine (Python 3.12): a generated Axolotl GRPO config through Axolotl 0.21's own loaders.

1. ``write_axolotl_config`` (1 GPU, no vLLM: vLLM cannot be carried there) with a
   local tiny model and a local JSONL GSM8K-style dataset;
2. ``axolotl.cli.config.load_cfg`` (Axolotl's schema validation);
3. every ``trl.reward_funcs`` entry through ``GRPOStrategy.get_reward_func`` and
   called TRL-style; the dataset ``type:`` through ``prompt_strategies.base.load``
   with the DPO module base (the GRPO path), applied to a row;
4. a reward module with a missing dependency: Axolotl's message vs rewardkit's;
5. ``axolotl train`` itself is then tried for 2 steps by the driver script.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import trainers_tiny as tiny  # noqa: E402


def main() -> None:
    work = Path("/tmp/ax_work")
    work.mkdir(exist_ok=True)
    os.chdir(work)
    sys.path.insert(0, str(work))
    tiny.build_tiny("/tmp/tiny_ax", hidden=128, layers=2)
    data = tiny.write_jsonl(work / "gsm.jsonl", 64)
    from rewardkit.trainers.axolotl import resolve_reward_func, write_axolotl_config

    w = write_axolotl_config(
        work / "grpo.yaml",
        base_model="/tmp/tiny_ax",
        rewards=["xml_format", "0.5*xml_count + number_match", "exact_match(extract=answer_tag)"],
        weights=[0.5, 1.0, 1.0],
        dataset=str(data),
        answer_after="####",
        system_prompt=tiny.SYSTEM,
        gpus=1,
        use_vllm=False,
        num_generations=4,
        micro_batch_size=4,
        gradient_accumulation_steps=1,
        max_steps=2,
        max_completion_length=32,
        sequence_len=256,
        output_dir=str(work / "out"),
    )
    print("generated:", w.config_path, w.module_path, w.commands)
    print(w.config_path.read_text())
    report: dict[str, object] = {}

    import axolotl
    from axolotl.cli.config import load_cfg
    from axolotl.core.trainers.grpo import GRPOStrategy
    from axolotl.prompt_strategies.base import load

    report["axolotl"] = axolotl.__version__
    cfg = load_cfg(str(w.config_path))
    report["load_cfg"] = "ok"
    print("load_cfg ok; rl =", cfg.rl, "reward_funcs =", cfg.trl.reward_funcs)
    funcs = []
    for fqn in cfg.trl.reward_funcs:
        fn = GRPOStrategy.get_reward_func(fqn)
        out = fn(
            prompts=[[{"role": "user", "content": "What is 2 + 2?"}]] * 2,
            completions=[
                [
                    {
                        "role": "assistant",
                        "content": "<reasoning>\nadd\n</reasoning>\n<answer>\n4\n</answer>\n",
                    }
                ],
                [{"role": "assistant", "content": "no idea"}],
            ],
            answer=["4", "4"],
        )
        funcs.append({"fqn": fqn, "name": fn.__name__, "out": out})
        print("get_reward_func", fqn, "->", fn.__name__, out)
    report["reward_funcs"] = funcs
    loaded = load(
        cfg.datasets[0]["type"], cfg, module_base="axolotl.prompt_strategies.dpo", dataset_idx=0
    )
    assert loaded is not None, "Axolotl could not load the dataset transform"
    fn, kwargs = loaded if isinstance(loaded, tuple) else (loaded, {})
    row = fn({"question": "What is 2 + 2?", "answer": "2 + 2 = 4\n#### 4"})
    print("dataset type", cfg.datasets[0]["type"], "->", row, kwargs)
    report["transform"] = {"row": row, "map_kwargs": kwargs}

    (work / "rk_needs_dep.py").write_text(
        "import rk_package_that_does_not_exist\n\ndef reward(prompts, completions, **kw):\n"
        "    return [0.0] * len(completions)\n"
    )
    try:
        GRPOStrategy.get_reward_func("rk_needs_dep.reward")
        axo = "resolved?!"
    except Exception as exc:
        axo = f"{type(exc).__name__}: {exc}"
    try:
        resolve_reward_func("rk_needs_dep.reward")
        ours = "resolved?!"
    except Exception as exc:
        ours = f"{type(exc).__name__}: {exc}"
    print("missing dependency, Axolotl says:", axo)
    print("missing dependency, rewardkit says:", ours)
    report["missing_dep"] = {"axolotl": axo, "rewardkit": ours}
    out = os.environ.get("OUT")
    if out:
        Path(out, "axolotl_check.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
