"""Seed 002 (Axolotl + vLLM code GRPO): every command line, config file, accelerate config,
script and dataset format the document shows is accepted by ``rewardkit recipe run
code-axolotl-vllm --dry-run`` (the real CLI, in a subprocess), with the document's GPU layout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "recipes" / "code_axolotl_vllm"
COMPAT = "rewardkit.recipes.code_axolotl_vllm.compat"
PROBLEM_SOLUTION = {
    "problem": "Find the maximum in a list",
    "solution": "def m(l):\n    return max(l)",
    "difficulty": "easy",
}


# -- the seed's command lines through the real CLI --------------------------------------------


def _dry_run(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", "recipe", "run", "code-axolotl-vllm",
         "--dry-run", *args],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    out = proc.stdout
    start, end = out.find("# trainer config"), out.find("# launch command")
    tc = json.loads(out[start + len("# trainer config") : end]) if start >= 0 < end else {}
    return proc.returncode, tc, out + proc.stderr


# (the seed's command line after `accelerate launch`, or its preset) ->
# (servers: [(CUDA_VISIBLE_DEVICES, config, port)], training GPUs, training command tail)
SEED_COMMANDS = [
    (
        ["single_gpu_config.yaml", "--config_file", "accelerate_config.yaml",
         "--num_processes", "1", "--num_machines", "1", "--machine_rank", "0",
         "-m", "axolotl.cli.train"],
        [("0", "single_gpu_config.yaml", 8000)], "0",
        ["--config_file", "accelerate_config.yaml", "--num_processes", "1",
         "--num_machines", "1", "--machine_rank", "0", "-m", "axolotl.cli.train",
         "single_gpu_config.yaml"],
    ),
    (
        ["custom_dataset_config.yaml", "--config_file", "accelerate_config.yaml",
         "--num_processes", "1", "--num_machines", "1", "--machine_rank", "0",
         "-m", "axolotl.cli.train"],
        [("0", "custom_dataset_config.yaml", 8000)], "1",
        ["--config_file", "accelerate_config.yaml", "--num_processes", "1",
         "--num_machines", "1", "--machine_rank", "0", "-m", "axolotl.cli.train",
         "custom_dataset_config.yaml"],
    ),
    (
        ["multi_gpu_config.yaml", "--config_file", "accelerate_multi_gpu.yaml",
         "--num_processes", "2", "--num_machines", "1", "--machine_rank", "0",
         "-m", "axolotl.cli.train"],
        [("0,1", "multi_gpu_config.yaml", 8000)], "2,3",
        ["--config_file", "accelerate_multi_gpu.yaml", "--num_processes", "2",
         "--num_machines", "1", "--machine_rank", "0", "-m", "axolotl.cli.train",
         "multi_gpu_config.yaml"],
    ),
    (
        ["config_gpu0.yaml", "--config_file", "accelerate_multi_gpu.yaml",
         "--num_processes", "2"],
        [("0", "config_gpu0.yaml", 8000), ("1", "config_gpu1.yaml", 8001)], "2,3",
        ["--config_file", "accelerate_multi_gpu.yaml", "--num_processes", "2",
         "--num_machines", "1", "--machine_rank", "0", "-m", "axolotl.cli.train",
         "multi_gpu_config.yaml"],
    ),
    (["--preset", "3gpu"], [("0", "multi_gpu_config.yaml", 8000)], "1,2", None),
    # the seed's scripts by name, and its commands word for word (files after the options)
    (["train_multi_gpu.sh"], [("0", "config_gpu0.yaml", 8000), ("1", "config_gpu1.yaml", 8001)], "2,3", None),
    (["train_single_gpu.sh"], [("0", "custom_dataset_config.yaml", 8000)], "1", None),
    (["train_single_gpu_shared.sh"], [("0", "single_gpu_config.yaml", 8000)], "0", None),
    (["start_vllm_server.sh"], [("0", "custom_dataset_config.yaml", 8000)], "1", None),
    (["accelerate", "launch", "--config_file", "accelerate_config.yaml", "--num_processes", "1",
      "--num_machines", "1", "--machine_rank", "0", "-m", "axolotl.cli.train",
      "custom_dataset_config.yaml"],
     [("0", "custom_dataset_config.yaml", 8000)], "1", None),
    (["axolotl", "vllm-serve", "multi_gpu_config.yaml"], [("0,1", "multi_gpu_config.yaml", 8000)], "2,3", None),
]  # fmt: skip


@pytest.mark.parametrize(("args", "servers", "train_gpus", "tail"), SEED_COMMANDS)
def test_seed_command_lines_dry_run(
    args: list[str],
    servers: list[tuple[str, str, int]],
    train_gpus: str,
    tail: list[str] | None,
    tmp_path: Path,
) -> None:
    code, tc, text = _dry_run(*args, "-o", str(tmp_path))
    assert code == 0, text
    assert "dry run: config is valid" in text
    launch = tc["launch"]
    got = [(s["CUDA_VISIBLE_DEVICES"], s["command"][-1], s["health"]) for s in launch["vllm"]]
    assert got == [(g, c, f"http://127.0.0.1:{p}/health") for g, c, p in servers]
    for gpus, name, port in servers:
        assert tc[name]["vllm"]["port"] == port
        assert tc[name]["vllm"]["tensor_parallel_size"] == len(gpus.split(","))
    assert launch["train"]["CUDA_VISIBLE_DEVICES"] == train_gpus
    assert launch["train"]["command"][:2] == ["accelerate", "launch"]
    assert launch["train"]["env"] == {
        "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        "TOKENIZERS_PARALLELISM": "false",
    }
    if tail is not None:
        assert launch["train"]["command"][2:] == tail
    train_cfg = tc[launch["train"]["command"][-1]]
    assert train_cfg["val_set_size"] == 0.1
    assert train_cfg["trl"]["vllm_server_port"] == 8000
    assert train_cfg["trl"]["reward_funcs"] == [
        "grpo_code.soft_format_reward_func",
        "grpo_code.code_execution_reward_func",
    ]


def test_seed_config_written_from_the_document_is_accepted(tmp_path: Path) -> None:
    """The document's single-GPU config plus its custom-dataset section, as a user writes it."""
    data = tmp_path / "your_custom_dataset.jsonl"
    data.write_text(json.dumps(PROBLEM_SOLUTION) + "\n")
    config = {
        "base_model": "Qwen/Qwen2.5-3B-Instruct",
        "vllm": {"host": "0.0.0.0", "port": 8000, "tensor_parallel_size": 1,
                 "gpu_memory_utilization": 0.6, "dtype": "auto"},
        "rl": "grpo",
        "trl": {"beta": 0.001, "use_vllm": True, "vllm_server_host": "0.0.0.0",
                "vllm_server_port": 8000, "num_generations": 2, "max_completion_length": 128,
                "reward_funcs": ["grpo_code.soft_format_reward_func",
                                 "grpo_code.code_execution_reward_func"]},
        "datasets": [{"path": "./your_custom_dataset.jsonl",
                      "type": "grpo_code.problem_solution_transform"}],
        "dataset_prepared_path": "./prepared_data",
        "dataset_processes": 1,
        "skip_prepare_dataset": False,
        "val_set_size": 0.1,
        "gradient_accumulation_steps": 16,
        "micro_batch_size": 2,
        "sequence_len": 256,
        "load_in_8bit": True,
        "gradient_checkpointing": True,
        "gradient_checkpointing_kwargs": {"use_reentrant": False},
        "torch_compile": False,
        "ddp_find_unused_parameters": False,
    }  # fmt: skip
    (tmp_path / "single_gpu_config.yaml").write_text(yaml.safe_dump(config))
    code, tc, text = _dry_run(
        "single_gpu_config.yaml", "--config_file", "accelerate_config.yaml",
        "--num_processes", "1", "-m", "axolotl.cli.train", "-o", str(tmp_path / "out"),
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, text
    ax = tc["single_gpu_config.yaml"]
    assert tc["launch"]["train"]["CUDA_VISIBLE_DEVICES"] == "0"
    assert ax["datasets"][0]["type"] == "grpo_code.problem_solution_transform"
    for key in ("load_in_8bit", "torch_compile", "ddp_find_unused_parameters", "val_set_size",
                "micro_batch_size", "gradient_accumulation_steps", "sequence_len"):  # fmt: skip
        assert ax[key] == config[key], key
    assert ax["trl"]["max_completion_length"] == 128 and ax["trl"]["num_generations"] == 2
    assert ax["vllm"]["gpu_memory_utilization"] == 0.6
    assert str(data) in text  # the dataset path, resolved beside the config file


def test_wrong_seed_flags_are_refused(tmp_path: Path) -> None:
    code, _, text = _dry_run("--preset", "2gpu", "--num_processes", "2", "-o", str(tmp_path))
    assert code == 2 and "trains on one GPU" in text
    code, _, text = _dry_run("--num_machines", "2", "-o", str(tmp_path))
    assert code == 2 and "one machine" in text
    code, _, text = _dry_run("nope_config.yaml", "-o", str(tmp_path))
    assert code == 2 and "not one of the seed's files" in text


def test_accelerate_configs_and_scripts_are_the_documents() -> None:
    multi = yaml.safe_load((FOLDER / "accelerate_multi_gpu.yaml").read_text())
    assert multi["distributed_type"] == "MULTI_GPU" and multi["num_processes"] == 2
    assert multi["mixed_precision"] == "bf16" and multi["rdzv_backend"] == "static"
    single = yaml.safe_load((FOLDER / "accelerate_config.yaml").read_text())
    assert single["distributed_type"] == "NO" and single["num_processes"] == 1
    multi_script = (FOLDER / "train_multi_gpu.sh").read_text()
    assert "8000 8001" in multi_script and "CUDA_VISIBLE_DEVICES=${TRAIN_GPUS:-2,3}" in multi_script
    assert "-m axolotl.cli.train multi_gpu_config.yaml" in multi_script
    assert "CUDA_VISIBLE_DEVICES=1" in (FOLDER / "train_single_gpu.sh").read_text()
    assert "CUDA_VISIBLE_DEVICES=0" in (FOLDER / "train_single_gpu_shared.sh").read_text()
    for script in FOLDER.glob("*.sh"):
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, check=False)
        assert proc.returncode == 0, (script.name, proc.stderr)


def test_exported_folder_runs_the_seed_command_line(tmp_path: Path) -> None:
    dest = tmp_path / "grpo_code_recipe"
    proc = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", "recipe", "export", "code-axolotl-vllm", str(dest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("accelerate_config.yaml", "accelerate_multi_gpu.yaml", "train_multi_gpu.sh",
                 "train_single_gpu.sh", "train_single_gpu_shared.sh", "start_vllm_server.sh",
                 "config_gpu1.yaml", "grpo_code.py", "seed_diff.yaml"):  # fmt: skip
        assert (dest / name).is_file(), name
    proc = subprocess.run(
        [sys.executable, "train.py", "multi_gpu_config.yaml", "--config_file",
         "accelerate_multi_gpu.yaml", "--num_processes", "2", "--num_machines", "1",
         "--machine_rank", "0", "-m", "axolotl.cli.train", "--dry-run"],
        cwd=dest, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert '"CUDA_VISIBLE_DEVICES": "2,3"' in proc.stdout
    # the bundled config names data.jsonl (written per run): the dataset stays the default
    assert '"dataset": "data/sample.jsonl"' in proc.stdout
    proc = subprocess.run(
        [sys.executable, "simple_test_transforms.py"],
        cwd=dest, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "all transforms ok" in proc.stdout, proc.stdout + proc.stderr


def test_reward_set_variant_combines_with_presets_and_overrides() -> None:
    from rewardkit.recipes import _runtime as rt
    from rewardkit.recipes.code_axolotl_vllm import train

    spec = rt.load_spec(FOLDER)
    cfg = rt.resolve_config(spec, preset="4gpu", sets=["reward_set=improved"])
    ax = train.axolotl_config(cfg)
    assert ax["trl"]["reward_funcs"] == ["rk_code_axolotl.format", "rk_code_axolotl.code_tests"]
    assert ax["trl"]["reward_weights"] == [0.5, 1.0]
    assert ax["datasets"][0]["type"] == "rk_code_axolotl.instruction_response_with_tests"
    assert ax["vllm"]["tensor_parallel_size"] == 2  # the preset still applies
    seed = train.axolotl_config(rt.resolve_config(spec))
    assert "reward_weights" not in seed["trl"]  # the seed's configs set none
    three = [
        {"name": n, "formula": f"{COMPAT}:{n}", "weight": 1.0}
        for n in (
            "soft_format_reward_func",
            "code_execution_reward_func",
            "answer_execution_reward_func",
        )
    ]
    cfg = rt.resolve_config(spec, sets=[f"rewards={json.dumps(three)}"])
    assert (
        train.axolotl_config(cfg)["trl"]["reward_funcs"][-1]
        == "grpo_code.answer_execution_reward_func"
    )
    with pytest.raises(rt.ConfigError, match="reward_set='nope'"):
        rt.resolve_config(spec, sets=["reward_set=nope"])
