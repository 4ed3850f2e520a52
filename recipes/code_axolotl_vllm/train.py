"""code-axolotl-vllm: Axolotl GRPO for code with a vLLM server on 1, 2 or N GPUs (seed 002).

    python train.py --preset 2gpu --dataset my_code.jsonl     # starts vLLM, waits, trains
    python train.py --preset 4gpu --dry-run                   # prints the YAML and commands
    python train.py --write-configs .                          # regenerates axolotl_*.yaml

Layouts (what the seed describes, with Axolotl's own rule that vLLM takes the *last* GPUs):

* ``1gpu``: ``axolotl vllm-serve`` and training share GPU 0 (vLLM at 0.6 of memory);
* ``2gpu``: vLLM on GPU 0, training on GPU 1;
* ``ngpu``: vLLM tensor-parallel on the last ``vllm_tensor_parallel`` GPUs,
  data-parallel training (``axolotl train --num-processes K``) on the others.

The server is started in the background, ``/health`` is polled until it answers
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
from pathlib import Path
from typing import Any

if __package__:
    from .. import _runtime as rt
else:  # run as a file: an exported folder (sibling _runtime.py) or the source tree
    _here = Path(__file__).resolve().parent
    sys.path[:0] = [str(p) for p in (_here, _here.parent) if (p / "_runtime.py").is_file()][:1]
    import _runtime as rt

HERE = Path(__file__).resolve().parent
FORMATS = ("instruction_response", "input_output", "instruction_response_with_tests")


def gpu_split(cfg: Mapping[str, Any]) -> tuple[list[int], list[int]]:
    """(vLLM GPUs, training GPUs) for the layout."""
    layout, n = str(cfg.get("layout", "2gpu")), int(cfg.get("num_gpus", 2))
    if layout == "1gpu":
        return [0], [0]
    if layout == "2gpu":
        return [0], [1]
    tp = int(cfg.get("vllm_tensor_parallel", 2))
    if n - tp < 1:
        raise rt.ConfigError(f"ngpu: {n} GPUs leave none for training after {tp} for vLLM")
    return list(range(n - tp, n)), list(range(n - tp))


def axolotl_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The Axolotl YAML (as a dict) for the resolved recipe config and layout."""
    layout = str(cfg.get("layout", "2gpu"))
    if layout not in (cfg.get("layouts") or {}):
        raise rt.ConfigError(f"layout {layout!r} unknown; choose 1gpu, 2gpu or ngpu")
    if cfg.get("dataset_format") not in FORMATS:
        raise rt.ConfigError(f"dataset_format must be one of {', '.join(FORMATS)}")
    ax = rt._deep_merge(copy.deepcopy(dict(cfg["axolotl"])), cfg["layouts"][layout])
    ax["base_model"] = cfg["model"]
    vllm_gpus, _ = gpu_split(cfg)
    ax["vllm"]["tensor_parallel_size"] = len(vllm_gpus)
    ax["vllm"]["port"] = ax["trl"]["vllm_server_port"] = int(cfg.get("vllm_port", 8000))
    ax["datasets"] = [
        {"path": "data.jsonl", "type": f"rk_code_axolotl.{cfg['dataset_format']}", "split": "train"}
    ]
    ax["trl"]["reward_funcs"] = [f"rk_code_axolotl.{r['name']}" for r in cfg["rewards"]]
    ax["trl"]["reward_weights"] = [float(r.get("weight", 1.0)) for r in cfg["rewards"]]
    ax["output_dir"] = "./grpo-output"
    return ax


def commands(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The server and training commands with their CUDA_VISIBLE_DEVICES."""
    vllm_gpus, train_gpus = gpu_split(cfg)
    return {
        "vllm": {
            "CUDA_VISIBLE_DEVICES": ",".join(map(str, vllm_gpus)),
            "command": ["axolotl", "vllm-serve", "axolotl.yaml"],
        },
        "health": f"http://127.0.0.1:{int(cfg.get('vllm_port', 8000))}/health",
        "train": {
            "CUDA_VISIBLE_DEVICES": ",".join(map(str, train_gpus)),
            "command": [
                "axolotl",
                "train",
                "axolotl.yaml",
                "--num-processes",
                str(len(train_gpus)),
            ],
        },
    }


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The generated Axolotl config and the commands that run it."""
    return {"axolotl.yaml": axolotl_config(cfg), "launch": commands(cfg)}


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """Axolotl's GRPO checks (anchors §3.1), the two-part ``type:`` rule, dotted rewards."""
    ax = tc["axolotl.yaml"]
    problems = []
    gens = int(ax["trl"]["num_generations"])
    world = len(gpu_split(cfg)[1])
    batch = int(ax["micro_batch_size"]) * int(ax["gradient_accumulation_steps"]) * world
    if gens < 2:
        problems.append("trl.num_generations must be >= 2")
    elif batch % gens:
        problems.append(
            f"micro_batch_size x gradient_accumulation_steps x {world} GPU(s) = {batch} is not "
            f"divisible by num_generations={gens}"
        )
    for ds in ax["datasets"]:
        if len(str(ds["type"]).split(".")) != 2:
            problems.append(f"dataset type {ds['type']!r} must be exactly module.factory")
    if len(ax["trl"]["reward_funcs"]) != len(ax["trl"]["reward_weights"]):
        problems.append("reward_funcs and reward_weights differ in length")
    for fn in ax["trl"]["reward_funcs"]:
        if len(fn.split(".")) < 2 or fn.split(".")[0] != "rk_code_axolotl":
            problems.append(f"reward function {fn!r} is not an attribute of rk_code_axolotl")
    known = {r["name"] for r in cfg["rewards"]}
    if not known <= {"format", "code_tests"}:
        problems.append(
            "rk_code_axolotl.py defines the rewards 'format' and 'code_tests'; edit it to add "
            f"{', '.join(sorted(known - {'format', 'code_tests'}))}"
        )
    return problems


def write_run_dir(cfg: Mapping[str, Any], out: Path) -> Path:
    """Write axolotl.yaml, data.jsonl and rk_code_axolotl.py into ``out`` (the working dir)."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    (out / "axolotl.yaml").write_text(yaml.safe_dump(axolotl_config(cfg), sort_keys=False))
    shutil.copy2(HERE / "rk_code_axolotl.py", out / "rk_code_axolotl.py")
    for script in ("wait_for_vllm.sh",):
        shutil.copy2(HERE / script, out / script)
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
    parser.add_argument("--write-configs", metavar="DIR", help="write axolotl_{1,2,n}gpu.yaml")


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(
        HERE, argv, description=__doc__.splitlines()[0], add_arguments=_flags
    )
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    if args.write_configs:
        import yaml

        for preset, name in (("1gpu", "1gpu"), ("2gpu", "2gpu"), ("4gpu", "ngpu")):
            c = rt.resolve_config(spec, preset=preset)
            Path(args.write_configs, f"axolotl_{name}.yaml").write_text(
                yaml.safe_dump(axolotl_config(c), sort_keys=False)
            )
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
    log = out / "vllm_server.log"
    rt.log(f"starting vLLM on GPU(s) {cmds['vllm']['CUDA_VISIBLE_DEVICES']} (log: {log})")
    with open(log, "wb") as fh:
        server = subprocess.Popen(
            cmds["vllm"]["command"],
            cwd=out,
            env={**env, "CUDA_VISIBLE_DEVICES": cmds["vllm"]["CUDA_VISIBLE_DEVICES"]},
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_server(cmds["health"], float(cfg.get("vllm_health_timeout_s", 600)), server, log)
        rt.log(f"vLLM healthy; training on GPU(s) {cmds['train']['CUDA_VISIBLE_DEVICES']}")
        train_env = {**env, "CUDA_VISIBLE_DEVICES": cmds["train"]["CUDA_VISIBLE_DEVICES"]}
        train_env.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
        return subprocess.run(
            cmds["train"]["command"], cwd=out, env=train_env, check=False
        ).returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    raise SystemExit(main())
