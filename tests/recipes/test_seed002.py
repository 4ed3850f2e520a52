"""Seed 002 (Axolotl + vLLM code GRPO), reproduced: rewards, transforms, files, layouts, flags.

* The compat rewards equal the seed's reward functions on generated completions. The
  document names ``grpo_code.soft_format_reward_func`` and ``code_execution_reward_func``
  without printing them; the reference below states what they compute (the regex, the
  first ``<answer>`` block, 0.5 / -0.25, 2·accuracy³) and runs each program with a plain
  ``python -c`` subprocess, side by side with the compat set running it in the sandbox.
* The seed's module paths resolve the way Axolotl 0.8 and current Axolotl import them.
* Every command line, config file, accelerate config and dataset format the document shows is
  accepted by ``rewardkit recipe run code-axolotl-vllm --dry-run`` (the real CLI, in a
  subprocess), with the document's GPU layout.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardkit as rk

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "recipes" / "code_axolotl_vllm"
COMPAT = "rewardkit.recipes.code_axolotl_vllm.compat"


# -- the reference: what the seed's functions compute -------------------------------------------


def _ref_answer(text: str) -> str:
    match = re.search(r"<answer>(.*?)</answer>", text, re.S)
    return match.group(1).strip() if match else ""


def _ref_runs(code: str) -> bool:
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", code], capture_output=True, timeout=1.0, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def ref_soft_format(completions: list[list[dict[str, str]]]) -> list[float]:
    pattern = r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>.*"
    return [0.25 if re.match(pattern, c[0]["content"], re.S) else 0.0 for c in completions]


def ref_code_execution(completions: list[list[dict[str, str]]]) -> list[float]:
    return [0.5 if _ref_runs(_ref_answer(c[0]["content"])) else -0.25 for c in completions]


def ref_answer_execution(
    completions: list[list[dict[str, str]]], answers: list[list[str]]
) -> list[float]:
    out = []
    for c, tests in zip(completions, answers, strict=True):
        code = _ref_answer(c[0]["content"])
        results = [_ref_runs(code + "\n" + t) for t in tests]
        out.append(2.0 * (sum(results) / len(results)) ** 3 if results else 0.0)
    return out


PROGRAMS = [
    "",
    "x = 1",
    "def add(a, b):\n    return a + b",
    "print('hi')",
    "1/0",
    "def f(:\n  pass",
    "import math\nprint(math.sqrt(4))",
    "raise ValueError('no')",
    "import sys\nsys.exit(0)",
    "import sys\nsys.exit(2)",
    "assert 1 == 2",
    "```python\nx = 1\n```",
    "undefined_name",
]
WRAPS = [
    "<reasoning>{r}</reasoning>\n<answer>\n{p}\n</answer>",
    "<reasoning>\n{r}\n</reasoning> <answer>{p}</answer> trailing",
    "Sure. <reasoning>{r}</reasoning><answer>{p}</answer>",
    "<answer>{p}</answer><answer>1/0</answer>",
    "<reasoning>{r}</reasoning>\n{p}",
    "<reasoning>{r}<answer>{p}</answer>",
    "{p}",
    "<answer>{p}",
]


def _rows(texts: list[str], answers: list[list[str]] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": t}]}
        for t in texts
    ]  # fmt: skip
    for row, tests in zip(rows, answers or [], strict=False):
        row["answers"] = tests
    return rows


def _compat(name: str) -> Any:
    return rk.resolve(f"{COMPAT}:{name}").reward


def _compare(texts: list[str]) -> None:
    conv = [[{"role": "assistant", "content": t}] for t in texts]
    rows = _rows(texts)
    got = [o.score for o in _compat("soft_format_reward_func").score_batch(rows)]
    assert got == ref_soft_format(conv), texts
    got = [o.score for o in _compat("code_execution_reward_func").score_batch(rows)]
    assert got == ref_code_execution(conv), texts


def test_hand_written_cases_match_the_reference() -> None:
    texts = [w.format(r="think\nmore", p=p) for w in WRAPS[:2] for p in PROGRAMS]
    texts += [w.format(r="r", p="x = 1") for w in WRAPS]
    texts += ["<reasoning>r</reasoning><answer>while True: pass</answer>"]  # time limit
    _compare(texts)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(WRAPS), st.sampled_from(PROGRAMS)), min_size=1, max_size=4)
)
def test_generated_completions_match_the_reference(pairs: list[tuple[str, str]]) -> None:
    _compare([w.format(r="because", p=p) for w, p in pairs])


def test_answer_execution_matches_the_reference() -> None:
    code = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b"
    texts = [f"<reasoning>r</reasoning><answer>{code}</answer>", "<answer>1/0</answer>", "none"]
    answers = [
        ["assert add(1, 2) == 3", "assert add(5, 7) == 12", "assert add(-1, 5) == 4"],
        ["assert True"],
        [],
    ]
    conv = [[{"role": "assistant", "content": t}] for t in texts]
    got = [
        o.score for o in _compat("answer_execution_reward_func").score_batch(_rows(texts, answers))
    ]
    want = ref_answer_execution(conv, answers)
    assert got == pytest.approx(want, abs=1e-12)
    assert want[0] == pytest.approx(2 * (2 / 3) ** 3)  # the reference is not trivially 0


def test_compat_ranges_are_declared() -> None:
    assert _compat("soft_format_reward_func").range == (0.0, 0.25)
    assert _compat("code_execution_reward_func").range == (-0.25, 0.5)


# -- the seed's module paths, imported as each Axolotl version does --------------------------


def _axolotl_0_8(fqn: str) -> Any:
    return getattr(importlib.import_module(fqn.split(".")[-2]), fqn.split(".")[-1])


def _axolotl_current(fqn: str) -> Any:
    return getattr(importlib.import_module(".".join(fqn.split(".")[:-1])), fqn.split(".")[-1])


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run directory as train.py writes it, first on sys.path (PYTHONPATH=. in the scripts)."""
    from rewardkit.recipes import _runtime as rt
    from rewardkit.recipes.code_axolotl_vllm import train

    cfg = rt.resolve_config(rt.load_spec(FOLDER))
    out = train.write_run_dir(cfg, tmp_path / "run")
    monkeypatch.syspath_prepend(str(out))
    for mod in ("grpo_code", "rk_code_axolotl"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    return out


@pytest.mark.parametrize("loader", [_axolotl_0_8, _axolotl_current])
def test_seed_reward_paths_import_under_both_axolotl_rules(run_dir: Path, loader: Any) -> None:
    good = "<reasoning>r</reasoning>\n<answer>\nprint(1)\n</answer>"
    for fqn, want in (
        ("grpo_code.soft_format_reward_func", [0.25, 0.0]),
        ("grpo_code.code_execution_reward_func", [0.5, -0.25]),
    ):
        fn = loader(fqn)
        assert len(inspect.signature(fn).parameters) >= 2  # Axolotl's own check
        completions = [
            [{"role": "assistant", "content": c}] for c in (good, "<answer>1/0</answer>")
        ]
        assert fn(prompts=["p", "p"], completions=completions) == want


SAMPLES = {
    "instruction_response": {"instruction": "Create a function to sort a list", "response": "def s(l):\n    return sorted(l)"},
    "input_output": {"input": "Write a function to reverse a string", "output": "def r(s):\n    return s[::-1]"},
    "problem_solution": {"problem": "Find the maximum in a list", "solution": "def m(l):\n    return max(l)", "difficulty": "easy"},
    "multi_turn": {"instruction": "Create a BankAccount class", "response": "class BankAccount: ...", "follow_up": "Add a withdraw method", "follow_up_response": "def withdraw(self, amount): ..."},
    "instruction_response_with_tests": {"instruction": "circle area", "response": "import math\ndef a(r):\n    return math.pi*r*r", "test_cases": ["assert a(0) == 0"]},
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_every_dataset_format_transforms(run_dir: Path, fmt: str) -> None:
    from rewardkit.trainers.axolotl import resolve_transform

    grpo_code = importlib.import_module("grpo_code")
    fn, kwargs = getattr(grpo_code, f"{fmt}_transform")(None)
    assert kwargs == {"remove_columns": "__all__"}
    row = SAMPLES[fmt]
    out = fn(dict(row))
    prompt = out["prompt"]
    assert prompt[0]["role"] == "system" and "<answer>" in prompt[0]["content"]
    assert prompt[-1]["role"] == "user"
    if fmt == "multi_turn":  # the first exchange is history, the follow-up is the turn
        assert [m["role"] for m in prompt] == ["system", "user", "assistant", "user"]
        assert prompt[-1]["content"] == row["follow_up"]
        assert out["reference"] == row["follow_up_response"]
    else:
        first = row.get("instruction") or row.get("input") or row.get("problem")
        assert prompt[-1]["content"] == first
    if fmt == "problem_solution":
        assert out["difficulty"] == "easy" and out["reference"] == row["solution"]
    assert out["answers"] == list(row.get("test_cases") or [])
    # current Axolotl's rule for dataset types (exactly module.factory) accepts it
    resolved, _ = resolve_transform(f"grpo_code.{fmt}_transform")
    assert resolved(dict(row)) == out
    rk_mod = importlib.import_module("rk_code_axolotl")
    assert getattr(rk_mod, fmt)(None)[0](dict(row))["prompt"][-1] == prompt[-1]


def test_simple_test_transforms_script(run_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in SAMPLES.values()))
    proc = subprocess.run(
        [sys.executable, "simple_test_transforms.py", str(good)],
        cwd=run_dir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("✓") == 2 * len(SAMPLES)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "x", "response": "def f(:"}\nnot json\n{"foo": 1}\n')
    proc = subprocess.run(
        [sys.executable, "simple_test_transforms.py", str(bad)],
        cwd=run_dir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "3 problem(s)" in proc.stdout, proc.stdout


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


def _train_command(*config_and_flags: str) -> list[str]:
    return ["accelerate", "launch", *config_and_flags]


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
    data.write_text(json.dumps(SAMPLES["problem_solution"]) + "\n")
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
