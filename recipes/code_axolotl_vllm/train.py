"""code-axolotl-vllm: Axolotl GRPO for code with vLLM servers on 1, 2 or N GPUs (seed 002).

    python train.py --preset 2gpu --dataset my_code.jsonl     # starts vLLM, waits, trains
    python train.py --preset 4gpu --dry-run                   # prints the YAML and commands
    python train.py multi_gpu_config.yaml --config_file accelerate_multi_gpu.yaml \\
        --num_processes 2 --num_machines 1 --machine_rank 0 -m axolotl.cli.train --dry-run
    python train.py --write-configs .                          # regenerates the seed's YAMLs

Layouts, as the seed documents them (its "Resource Allocation Guide"):

* ``1gpu``: ``axolotl vllm-serve`` and training share GPU 0 (vLLM at 0.6 of memory);
* ``2gpu``: vLLM on GPU 0, training on GPU 1;
* ``ngpu``: vLLM tensor-parallel on GPUs ``0..TP-1``, data-parallel training on ``TP..N-1``
  (3 GPUs: TP 1, training on 1-2; 4+: TP 2, training on 2+);
* ``ngpu_2servers``: vLLM server 1 on GPU 0 (port 8000), server 2 on GPU 1 (port 8001),
  training on GPU 2+. The trainer talks to the first server (TRL's client uses one).

Training runs the seed's command: ``accelerate launch --config_file <accelerate yaml>
--num_processes K --num_machines 1 --machine_rank 0 -m axolotl.cli.train <config>``. The
servers start in the background; ``/health`` is polled until each answers
(``vllm_health_timeout_s``), and a clear error names the server log otherwise.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

if __package__:
    from .. import _runtime as rt
    from . import seed_config
else:  # run as a file: an exported folder (sibling _runtime.py) or the source tree
    _here = Path(__file__).resolve().parent
    sys.path[:0] = [str(p) for p in (_here, _here.parent) if (p / "_runtime.py").is_file()][:1]
    sys.path.insert(0, str(_here))
    import _runtime as rt
    import seed_config

HERE = Path(__file__).resolve().parent
FORMATS = (
    "instruction_response",
    "instruction_response_with_tests",
    "input_output",
    "problem_solution",
    "multi_turn",
)
#: reward_set -> (top-level module, dataset type suffix, reward names it defines)
MODULES = {
    "seed": (
        "grpo_code",
        "_transform",
        {"soft_format_reward_func", "code_execution_reward_func", "answer_execution_reward_func"},
    ),
    "improved": ("rk_code_axolotl", "", {"format", "code_tests"}),
}
#: layout -> the seed's file name for the training config
TRAIN_CONFIG = {
    "1gpu": "single_gpu_config.yaml",
    "2gpu": "custom_dataset_config.yaml",
    "ngpu": "multi_gpu_config.yaml",
    "ngpu_2servers": "multi_gpu_config.yaml",
}
#: the seed's training environment (its scripts export these before accelerate launch)
TRAIN_ENV = {
    "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
    "TOKENIZERS_PARALLELISM": "false",
}
SUPPORT_FILES = (
    "rk_code_axolotl.py",
    "grpo_code.py",
    "simple_test_transforms.py",
    "wait_for_vllm.sh",
    "accelerate_config.yaml",
    "accelerate_multi_gpu.yaml",
)


def gpu_plan(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """``{"servers": [(gpus, port, config name)], "train": gpus}`` for the layout."""
    layout, n = str(cfg.get("layout", "2gpu")), int(cfg.get("num_gpus", 2))
    port = int(cfg.get("vllm_port", 8000))
    name = TRAIN_CONFIG.get(layout, "axolotl.yaml")
    k = cfg.get("num_processes")
    if layout == "1gpu":
        return {"servers": [([0], port, name)], "train": [0]}
    if layout == "2gpu":
        return {"servers": [([0], port, name)], "train": [1]}
    if layout == "ngpu_2servers":
        second = int(cfg.get("vllm_second_port", 8001))
        servers = [([0], port, "config_gpu0.yaml"), ([1], second, "config_gpu1.yaml")]
        first = 2
    else:
        first = int(cfg.get("vllm_tensor_parallel", 2))
        servers = [(list(range(first)), port, name)]
    count = int(k) if k is not None else n - first
    if count < 1:
        raise rt.ConfigError(f"{layout}: {n} GPUs leave none for training after {first} for vLLM")
    return {"servers": servers, "train": list(range(first, first + count))}


def gpu_split(cfg: Mapping[str, Any]) -> tuple[list[int], list[int]]:
    """(vLLM GPUs, training GPUs) for the layout."""
    plan = gpu_plan(cfg)
    return [g for gpus, _, _ in plan["servers"] for g in gpus], plan["train"]


def _user_overrides(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The ``axolotl.*`` overrides of this run (re-applied over the layout's values)."""
    applied = (cfg.get("_recipe") or {}).get("overrides") or {}
    return {k.split(".", 1)[1]: v for k, v in applied.items() if k.startswith("axolotl.")}


def axolotl_config(cfg: Mapping[str, Any], server: int = 0) -> dict[str, Any]:
    """The Axolotl YAML (as a dict) for the resolved config; ``server`` picks the vLLM port."""
    layout = str(cfg.get("layout", "2gpu"))
    if layout not in (cfg.get("layouts") or {}):
        raise rt.ConfigError(f"layout {layout!r} unknown; choose {', '.join(cfg['layouts'])}")
    if cfg.get("dataset_format") not in FORMATS:
        raise rt.ConfigError(f"dataset_format must be one of {', '.join(FORMATS)}")
    reward_set = str(cfg.get("reward_set", "seed"))
    if reward_set not in MODULES:
        raise rt.ConfigError(f"reward_set must be one of {', '.join(MODULES)}")
    module, suffix, _ = MODULES[reward_set]
    ax = rt._deep_merge(copy.deepcopy(dict(cfg["axolotl"])), cfg["layouts"][layout])
    for key, value in _user_overrides(cfg).items():  # --set axolotl.X beats the layout's X
        rt.apply_override(ax, key, value)
    ax["base_model"] = cfg["model"]
    plan = gpu_plan(cfg)
    gpus, port, _ = plan["servers"][server]
    ax["vllm"]["tensor_parallel_size"] = len(gpus)
    ax["vllm"]["port"] = port
    ax["trl"]["vllm_server_port"] = plan["servers"][0][1]  # TRL's client: the first server
    ax["datasets"] = [
        {
            "path": "data.jsonl",
            "type": f"{module}.{cfg['dataset_format']}{suffix}",
            "split": "train",
        }
    ]
    ax["trl"]["reward_funcs"] = [f"{module}.{r['name']}" for r in cfg["rewards"]]
    weights = [float(r.get("weight", 1.0)) for r in cfg["rewards"]]
    ax["trl"].pop("reward_weights", None)
    if any(w != 1.0 for w in weights):  # the seed's configs set none (TRL: all 1.0)
        ax["trl"]["reward_weights"] = weights
    ax["output_dir"] = "./grpo-output"
    return ax


def accelerate_file(cfg: Mapping[str, Any]) -> str:
    """The accelerate config: the seed's single-process file, or its multi-GPU one."""
    if cfg.get("accelerate_config"):
        return str(cfg["accelerate_config"])
    train = gpu_plan(cfg)["train"]
    return "accelerate_multi_gpu.yaml" if len(train) > 1 else "accelerate_config.yaml"


def commands(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The server and training commands with their CUDA_VISIBLE_DEVICES."""
    plan = gpu_plan(cfg)
    train_name = TRAIN_CONFIG[str(cfg.get("layout", "2gpu"))]
    return {
        "vllm": [
            {
                "CUDA_VISIBLE_DEVICES": ",".join(map(str, gpus)),
                "command": ["axolotl", "vllm-serve", name],
                "health": f"http://127.0.0.1:{port}/health",
            }
            for gpus, port, name in plan["servers"]
        ],
        "train": {
            "CUDA_VISIBLE_DEVICES": ",".join(map(str, plan["train"])),
            "env": dict(TRAIN_ENV),
            "command": [
                "accelerate",
                "launch",
                "--config_file",
                accelerate_file(cfg),
                "--num_processes",
                str(len(plan["train"])),
                "--num_machines",
                str(cfg.get("num_machines", 1)),
                "--machine_rank",
                str(cfg.get("machine_rank", 0)),
                "-m",
                "axolotl.cli.train",
                train_name,
            ],  # fmt: skip
        },
    }


def config_files(cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{file name: Axolotl YAML}``: the training config plus each server's own config."""
    files = {TRAIN_CONFIG[str(cfg.get("layout", "2gpu"))]: axolotl_config(cfg)}
    for i, (_, _, name) in enumerate(gpu_plan(cfg)["servers"]):
        files.setdefault(name, axolotl_config(cfg, server=i))
    return files


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The generated Axolotl configs and the commands that run them."""
    return {**config_files(cfg), "launch": commands(cfg)}


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """Axolotl's GRPO checks, the two-part ``type:`` rule, rewards, accelerate's flags."""
    ax = tc[TRAIN_CONFIG[str(cfg.get("layout", "2gpu"))]]
    problems = []
    gens = int(ax["trl"]["num_generations"])
    plan = gpu_plan(cfg)
    world = len(plan["train"])
    batch = int(ax["micro_batch_size"]) * int(ax["gradient_accumulation_steps"]) * world
    if gens < 2:
        problems.append("trl.num_generations must be >= 2")
    elif batch % gens:
        problems.append(
            f"micro_batch_size x gradient_accumulation_steps x {world} GPU(s) = {batch} is not "
            f"divisible by num_generations={gens}"
        )
    if cfg.get("layout") in ("1gpu", "2gpu") and int(cfg.get("num_processes") or 1) != 1:
        problems.append(f"layout {cfg.get('layout')} trains on one GPU: --num_processes 1")
    needed = max([*plan["train"], *(g for gpus, _, _ in plan["servers"] for g in gpus)]) + 1
    if needed > int(cfg.get("num_gpus", 1)):
        problems.append(f"this layout needs {needed} GPUs; num_gpus is {cfg.get('num_gpus')}")
    if (int(cfg.get("num_machines", 1)), int(cfg.get("machine_rank", 0))) != (1, 0):
        problems.append("the recipe runs on one machine: --num_machines 1 --machine_rank 0")
    acc = Path(accelerate_file(cfg))
    if not ((HERE / acc).is_file() or acc.is_file()):
        problems.append(f"accelerate config {acc} not found")
    for ds in ax["datasets"]:
        if len(str(ds["type"]).split(".")) != 2:
            problems.append(f"dataset type {ds['type']!r} must be exactly module.factory")
    module, _, names = MODULES.get(str(cfg.get("reward_set", "seed")), MODULES["seed"])
    unknown = sorted({str(r["name"]) for r in cfg["rewards"]} - names)
    if unknown:
        problems.append(
            f"{module}.py defines the rewards {', '.join(sorted(names))}; edit it to add "
            f"{', '.join(unknown)} (or choose --set reward_set=...)"
        )
    return problems


def write_run_dir(cfg: Mapping[str, Any], out: Path) -> Path:
    """Write the configs, data.jsonl and the support modules/scripts into ``out``."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    for name, ax in config_files(cfg).items():
        (out / name).write_text(yaml.safe_dump(ax, sort_keys=False))
    for name in SUPPORT_FILES:
        shutil.copy2(HERE / name, out / name)
    acc = Path(accelerate_file(cfg))
    if acc.is_file() and acc.name not in SUPPORT_FILES:
        shutil.copy2(acc, out / acc.name)
    dataset = Path(str(cfg["dataset"]))
    if not dataset.is_absolute() and (HERE / dataset).exists():
        dataset = HERE / dataset
    if rt.is_local_data(str(dataset)):
        rows = rt.load_records(str(dataset))
        (out / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


def wait_for_server(url: str, timeout_s: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until it answers 200; raise with the log's tail if the server dies or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"vLLM server exited with {proc.returncode}; log {log}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(5)
    raise RuntimeError(
        f"vLLM server at {url} did not become healthy within {timeout_s:.0f} s; see {log}"
    )


def _flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write-configs", metavar="DIR", help="write the seed's config YAMLs")
    _seed_flags(parser)


def _seed_flags(parser: argparse.ArgumentParser) -> None:
    """The seed's command lines: ``accelerate launch`` flags and the Axolotl config file."""
    parser.add_argument(
        "seed_args",
        nargs="*",
        metavar="FILE",
        help="the seed's config or script names (custom_dataset_config.yaml, "
        "train_multi_gpu.sh, ...), an Axolotl YAML of your own, or the words of the seed's "
        "commands (accelerate launch, axolotl vllm-serve)",
    )
    parser.add_argument("--config_file", "--config-file", dest="accelerate_config")
    parser.add_argument("--num_processes", "--num-processes", type=int)
    parser.add_argument("--num_machines", "--num-machines", type=int)
    parser.add_argument("--machine_rank", "--machine-rank", type=int)
    parser.add_argument("-m", dest="module", choices=["axolotl.cli.train"])


def _seed_sets(args: argparse.Namespace) -> list[str]:
    """The seed flags as ``--set`` items (one override path for CLI, file and flags)."""
    sets: list[str] = []
    if args.seed_args:
        known = rt.load_spec(HERE).config["axolotl"]
        for token in args.seed_args:
            sets += seed_config.sets_for(token, MODULES, FORMATS, known)
    pairs = {
        "accelerate_config": args.accelerate_config,
        "num_processes": args.num_processes,
        "num_machines": args.num_machines,
        "machine_rank": args.machine_rank,
    }
    return sets + [f"{k}={v}" for k, v in pairs.items() if v is not None]


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(
        HERE, argv, description=__doc__.splitlines()[0], add_arguments=_flags, to_sets=_seed_sets
    )
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    if args.write_configs:
        import yaml

        written: set[str] = set()  # multi_gpu_config.yaml: the seed's TP-2 one (4gpu)
        for preset in ("1gpu", "2gpu", "4gpu", "4gpu-2servers"):
            c = rt.resolve_config(spec, preset=preset)
            for name, ax in config_files(c).items():
                if name not in written:
                    written.add(name)
                    Path(args.write_configs, name).write_text(yaml.safe_dump(ax, sort_keys=False))
        return 0
    tc = trainer_config(cfg)
    problems = validate(cfg, tc)
    code = rt.plan_exit(args, spec, cfg, tc, problems)
    if code is not None:
        return code
    out = write_run_dir(cfg, Path(str(cfg["output_dir"])).resolve())
    cmds = tc["launch"]
    env = {**os.environ, "PYTHONPATH": f"{out}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    with ExitStack() as stack:
        for i, server in enumerate(cmds["vllm"]):
            log = out / f"vllm_server_{i}.log"
            rt.log(f"starting vLLM on GPU(s) {server['CUDA_VISIBLE_DEVICES']} (log: {log})")
            fh = stack.enter_context(open(log, "wb"))
            proc = subprocess.Popen(
                server["command"],
                cwd=out,
                env={**env, "CUDA_VISIBLE_DEVICES": server["CUDA_VISIBLE_DEVICES"]},
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, proc)
            wait_for_server(
                server["health"], float(cfg.get("vllm_health_timeout_s", 600)), proc, log
            )
        rt.log(f"vLLM healthy; training on GPU(s) {cmds['train']['CUDA_VISIBLE_DEVICES']}")
        train_env = {**env, "CUDA_VISIBLE_DEVICES": cmds["train"]["CUDA_VISIBLE_DEVICES"]}
        for key, value in cmds["train"]["env"].items():  # the user's own values win
            train_env.setdefault(key, value)
        return subprocess.run(
            cmds["train"]["command"], cwd=out, env=train_env, check=False
        ).returncode


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
