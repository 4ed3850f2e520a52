"""Prepare the GPU evidence run of the recipes: tiny models pre-trained on 2-digit addition.

For each recipe format (TRL's ``Question: ...`` text prompt, Unsloth's chat prompt with the
``<reasoning>/<answer>`` system prompt) this builds a ~3M-parameter Qwen2 from nothing,
SFTs it briefly on correct worked answers so it starts *partly* right, and writes the
addition data as JSONL (the first ``--eval`` rows are the recipes' held-out eval rows).
The recipes then run unchanged on ``--model <dir> --dataset <jsonl>``.

    python bench/gpu/recipes_tiny_prep.py --out /tmp/tiny --sft-steps 300
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
importlib.import_module("rewardkit.recipes_cli")  # binds rewardkit.recipes in a source checkout
from rewardkit.recipes import _runtime as rt  # noqa: E402
from rewardkit.recipes import _tiny, recipe_dir  # noqa: E402
from rewardkit.recipes.gsm8k_trl_deepspeed_lora import train as trl_recipe  # noqa: E402
from rewardkit.recipes.gsm8k_unsloth_vllm import train as uns_recipe  # noqa: E402


def _sft_until(model_dir: Path, pairs: list, held: list, cfg: dict, a: argparse.Namespace) -> None:
    """SFT in chunks until greedy accuracy on held-out rows reaches ``--target-acc``.

    GRPO needs a policy that is partly right (some groups with mixed rewards);
    a fixed step count lands anywhere from 5% to 90% depending on the seed.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    scorer = {n: r for n, r, _ in rt.build_reward_objects(cfg)}["correctness"]
    done = 0
    while done < a.max_sft_steps:
        _tiny.sft(model_dir, pairs, steps=a.sft_steps)
        done += a.sft_steps
        tok = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir).to("cuda")
        acc = rt.accuracy(model, tok, held, scorer, max_new_tokens=32)["accuracy"]
        print(f"{model_dir.name}: {done} SFT steps, held-out greedy accuracy {acc}")
        if acc is not None and acc >= a.target_acc:
            return


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/tiny")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--eval", type=int, default=256)
    ap.add_argument("--sft-steps", type=int, default=300)
    ap.add_argument("--formats", default="trl,unsloth")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--target-acc", type=float, default=0.3, help="SFT in chunks until this")
    ap.add_argument("--max-sft-steps", type=int, default=1500)
    a = ap.parse_args()
    out = Path(a.out)
    rows = _tiny.addition_rows(a.rows, seed=1)
    _tiny.write_jsonl(
        [{"question": r["question"], "answer": r["answer"]} for r in rows], out / "add.jsonl"
    )
    train = rows[a.eval :]
    kw = {"hidden_size": a.hidden, "layers": a.layers, "intermediate_size": a.hidden * 3}
    if "trl" in a.formats:
        cfg = rt.load_spec(recipe_dir("gsm8k-trl-deepspeed-lora")).config
        pairs = [
            (
                trl_recipe.format_row(r, cfg)["prompt"],
                f"<think>{r['a']}+{r['b']}</think>\nAnswer: {r['answer']}",
            )
            for r in train
        ]
        _tiny.build_tiny_model(out / "trl", **kw)
        held = [trl_recipe.format_row(r, cfg) for r in rows[: a.eval]]
        _sft_until(out / "trl", pairs, held, cfg, a)
    if "unsloth" in a.formats:
        cfg = rt.load_spec(recipe_dir("gsm8k-unsloth-vllm")).config
        pairs = [
            (
                uns_recipe.format_row(r, cfg)["prompt"],
                f"<reasoning>\n{r['a']}+{r['b']}\n</reasoning>\n<answer>\n{r['answer']}\n</answer>\n",
            )
            for r in train
        ]
        _tiny.build_tiny_model(out / "unsloth", extra_text=[cfg["system_prompt"]], **kw)
        held = [uns_recipe.format_row(r, cfg) for r in rows[: a.eval]]
        _sft_until(out / "unsloth", pairs, held, cfg, a)
    print(f"prepared {out}")


if __name__ == "__main__":
    main()
