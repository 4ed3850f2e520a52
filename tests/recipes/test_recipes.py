"""Every bundled recipe validates (``rewardkit recipe run NAME --dry-run``) for every preset,
the CLI's list/show/export work, the Axolotl files stay in sync with recipe.yaml, and the
gpt-oss VRAM estimator runs offline. No trainer framework beyond TRL is needed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rewardkit.recipes import _runtime as rt
from rewardkit.recipes import recipe_dir, recipe_names
from typer.testing import CliRunner

from rewardkit.recipes_cli import app

EXPECTED = {
    "code-axolotl-vllm",
    "gpt-oss-20b-16gb",
    "gsm8k-trl-deepspeed-lora",
    "gsm8k-unsloth-vllm",
    "musique-unsloth",
}
runner = CliRunner()


def _cases() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for name in recipe_names():
        out.append((name, None))
        out.extend((name, p) for p in rt.load_spec(recipe_dir(name)).presets)
    return out


def test_all_five_recipes_are_bundled() -> None:
    assert set(recipe_names()) == EXPECTED
    for name in EXPECTED:
        folder = recipe_dir(name)
        for f in ("recipe.yaml", "requirements.txt", "train.py", "README.md", "__init__.py"):
            assert (folder / f).is_file(), f"{name}: missing {f}"
        spec = rt.load_spec(folder)
        assert spec.requirements_file.is_file() and spec.hardware and spec.presets


@pytest.mark.parametrize(("name", "preset"), _cases())
def test_dry_run_validates(name: str, preset: str | None, tmp_path: Path) -> None:
    args = ["run", name, "--dry-run", "--output-dir", str(tmp_path)]
    if preset:
        args += ["--preset", preset]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "dry run: config is valid" in result.output
    assert "# trainer config" in result.output and "# launch command" in result.output


def test_dry_run_reports_invalid_config(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["run", "gsm8k-trl-deepspeed-lora", "--dry-run", "--set", "grpo.num_generations=3"],
    )
    assert res.exit_code == 2 and "not divisible by num_generations=3" in res.output
    res = runner.invoke(app, ["run", "gsm8k-trl-deepspeed-lora", "--dry-run", "--set", "nope=1"])
    assert res.exit_code == 2 and "unknown key" in res.output
    res = runner.invoke(app, ["run", "gsm8k-trl-deepspeed-lora", "--set", "grpo.learnin_rate=1"])
    assert res.exit_code == 2 and "learning_rate" in res.output


def test_overrides_resolve_like_the_docs_say() -> None:
    spec = rt.load_spec(recipe_dir("gsm8k-trl-deepspeed-lora"))
    cfg = rt.resolve_config(
        spec, preset="bf16", sets=["max_steps=2", "lora.r=8", "grpo.learning_rate=1e-5"]
    )
    assert cfg["grpo"]["max_steps"] == 2 and cfg["lora"]["r"] == 8
    assert cfg["grpo"]["learning_rate"] == 1e-5 and cfg["precision"] == "bf16"
    kw = rt.grpo_kwargs(cfg)
    assert kw["bf16"] is True and kw["fp16"] is False and kw["deepspeed"].endswith(".json")
    uns = rt.resolve_config(rt.load_spec(recipe_dir("gsm8k-unsloth-vllm")))
    kw = rt.grpo_kwargs(uns)
    assert "warmup_ratio" not in kw and kw["warmup_steps"] == 0.1
    assert "max_prompt_length" not in kw


def test_run_without_requirements_prints_install_command(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "code-axolotl-vllm", "--output-dir", str(tmp_path)])
    assert res.exit_code == 3, res.output
    assert "pip install -r" in res.output and "requirements.txt" in res.output


def test_list_and_show() -> None:
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0 and all(n in res.output for n in EXPECTED)
    res = runner.invoke(app, ["show", "gpt-oss-20b-16gb"])
    assert res.exit_code == 0
    for part in ("conservative", "aggressive", "requirements", "hardware", "unsloth=="):
        assert part in res.output


def test_export_runs_standalone(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    res = runner.invoke(app, ["export", "gsm8k-trl-deepspeed-lora", str(dest)])
    assert res.exit_code == 0, res.output
    assert (dest / "_runtime.py").is_file() and not (dest / "__init__.py").exists()
    proc = subprocess.run(
        [sys.executable, "train.py", "--preset", "cpu-smoke", "--dry-run"],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(dest) in proc.stdout  # the exported copy's own DeepSpeed/launch paths


def test_gpt_oss_test_configs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    from rewardkit.recipes.gpt_oss_20b_16gb import train

    assert train.main(["--test-configs"]) == 0
    out = capsys.readouterr().out
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.split()}
    assert {"conservative", "standard", "aggressive"} <= set(lines)
    spec = rt.load_spec(recipe_dir("gpt-oss-20b-16gb"))
    shape = spec.data["model_card"]
    totals = {
        p: train.estimate(shape, rt.resolve_config(spec, preset=p))["total"] for p in spec.presets
    }
    assert totals["conservative"] < totals["standard"] < totals["aggressive"]
    assert totals["standard"] < 16 < totals["aggressive"]  # the seed's "risky" preset
    est = train.estimate(shape, rt.resolve_config(spec))
    assert 20 < est["model_params_b"] < 22


def test_musique_seed_flags() -> None:
    from rewardkit.recipes.musique_unsloth import train

    args, cfg = rt.parse_train_args(
        recipe_dir("musique-unsloth"),
        [
            "train",
            "--model",
            "m",
            "--batch-size",
            "4",
            "--num-generations",
            "4",
            "--learning-rate",
            "2e-5",
            "--max-steps",
            "7",
        ],
        add_arguments=train._seed_flags,
        to_sets=train._seed_sets,
    )
    tc = train.trainer_config(cfg)
    g = tc["GRPOConfig"]
    assert (g["per_device_train_batch_size"], g["num_generations"], g["max_steps"]) == (4, 4, 7)
    assert g["learning_rate"] == 2e-5 and cfg["model"] == "m"
    peft = tc["FastLanguageModel.get_peft_model"]
    assert peft["lora_alpha"] == 2 * peft["r"] and peft["use_gradient_checkpointing"] == "unsloth"
    rows = rt.load_records(str(recipe_dir("musique-unsloth") / "data" / "sample.jsonl"))
    row = train.format_row(rows[0], cfg)
    assert row is not None and row["answer_aliases"] == ["Suzy Amis Cameron"]
    rewards = {n: r for n, r, _ in rt.build_reward_objects(cfg)}
    good = {**row, "completion": "<think>Cameron</think><answer>Suzy Amis</answer>"}
    assert rewards["exact_match"].score(good).score == 1.0
    assert rewards["format"].score(good).score == 1.0


def test_axolotl_files_match_recipe_and_transforms_work(tmp_path: Path) -> None:
    folder = recipe_dir("code-axolotl-vllm")
    from rewardkit.recipes.code_axolotl_vllm import train

    assert train.main(["--write-configs", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "single_gpu_config.yaml",
        "custom_dataset_config.yaml",
        "multi_gpu_config.yaml",
        "config_gpu0.yaml",
        "config_gpu1.yaml",
    }
    for name in names:
        assert yaml.safe_load((tmp_path / name).read_text()) == yaml.safe_load(
            (folder / name).read_text()
        ), f"{name} is stale: run train.py --write-configs {folder}"
    spec = rt.load_spec(folder)
    # the seed's layout: vLLM on the first GPUs, training on the rest
    assert train.gpu_split(rt.resolve_config(spec, preset="2gpu")) == ([0], [1])
    assert train.gpu_split(rt.resolve_config(spec, preset="3gpu")) == ([0], [1, 2])
    assert train.gpu_split(rt.resolve_config(spec, preset="8gpu")) == ([0, 1], list(range(2, 8)))
    assert train.gpu_split(rt.resolve_config(spec, preset="4gpu-2servers")) == ([0, 1], [2, 3])
    mod_spec = importlib.util.spec_from_file_location(
        "rk_code_axolotl", folder / "rk_code_axolotl.py"
    )
    assert mod_spec is not None and mod_spec.loader is not None
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    rows = rt.load_records(str(folder / "data" / "sample.jsonl"))
    fn, kw = mod.instruction_response_with_tests(cfg=None)
    out = fn(rows[0])
    assert out["tests"] == rows[0]["test_cases"] and out["prompt"][-1]["role"] == "user"
    assert kw == {"remove_columns": "__all__"}
    fn2, _ = mod.input_output(cfg=None)
    assert fn2({"input": "reverse s", "output": "s[::-1]"})["tests"] is None
    assert callable(mod.format) and callable(mod.code_tests)
    # Axolotl: reward functions need >= 2 signature parameters (anchors §3.2).
    import inspect

    assert len(inspect.signature(mod.format).parameters) >= 2


def test_metrics_history_files(tmp_path: Path) -> None:
    hist = rt.MetricsHistory()
    for step in range(1, 4):
        hist.add({"step": step, "reward": step / 10, "rewards/a/mean": step / 20})
    paths = hist.write(tmp_path)
    assert Path(paths["csv"]).read_text().splitlines()[0].startswith("step,reward")
    assert [json.loads(x)["step"] for x in Path(paths["jsonl"]).read_text().splitlines()] == [
        1,
        2,
        3,
    ]
    if importlib.util.find_spec("matplotlib"):
        assert Path(paths["png"]).stat().st_size > 1000


def test_accuracy_is_a_fraction_even_for_weighted_correctness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``2*number_match`` scores 0 or 2; the reported accuracy must still be the share right."""
    import rewardkit as rk

    rows = [{"prompt": f"{i}+1=", "answer": str(i + 1)} for i in range(4)]
    answers = iter(["<answer>\n1\n</answer>", "<answer>\n2\n</answer>", "<answer>\n9\n</answer>"])
    from rewardkit.recipes import _rt_unsloth  # where accuracy() looks generate_texts up

    monkeypatch.setattr(
        _rt_unsloth,
        "generate_texts",
        lambda model, tok, prompts, **kw: [next(answers, "") for _ in prompts],
    )
    weighted = rk.parse_formula("2*number_match(extract=answer_tag)", name="correctness")
    got = rt.accuracy(None, None, rows, weighted)
    assert got["n"] == 4 and got["accuracy"] == 0.5  # rows 0 and 1 right, 2 wrong, 3 empty
    f1 = rk.get("f1")
    answers = iter(["<answer>1</answer>", "<answer>2 x</answer>"])
    got = rt.accuracy(None, None, rows[:2], f1)
    assert got["accuracy"] == pytest.approx((1.0 + 2 / 3) / 2, abs=1e-4)  # mean F1 unchanged


def test_musique_documented_flags_are_accepted_and_wired(tmp_path: Path) -> None:
    """Seed 004's documented flags: --lora-alpha (doubled internally), --bf16,
    --gradient-checkpointing, --max-prompt-length, accepted and reaching the trainer."""
    from rewardkit.recipes.musique_unsloth import train

    flags = [
        "train", "--model", "m", "--lora-rank", "16", "--lora-alpha", "24", "--no-bf16",
        "--no-gradient-checkpointing", "--max-prompt-length", "512",
        "--max-completion-length", "256",
    ]  # fmt: skip
    args, cfg = rt.parse_train_args(
        recipe_dir("musique-unsloth"),
        flags,
        add_arguments=train._seed_flags,
        to_sets=train._seed_sets,
    )
    tc = train.trainer_config(cfg)
    peft = tc["FastLanguageModel.get_peft_model"]
    assert (peft["r"], peft["lora_alpha"]) == (16, 48)
    assert peft["use_gradient_checkpointing"] in (False, "false")
    assert tc["GRPOConfig"]["bf16"] is False
    assert tc["GRPOConfig"]["max_completion_length"] == 256
    assert cfg["grpo"]["max_prompt_length"] == 512
    assert train.main([*flags, "--dry-run", "--output-dir", str(tmp_path)]) == 0
