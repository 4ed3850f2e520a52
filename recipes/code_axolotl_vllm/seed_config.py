"""The seed's command lines (``accelerate launch ... -m axolotl.cli.train
custom_dataset_config.yaml``, ``./train_multi_gpu.sh``), as the recipe's ``--set`` items.

The seed's own file names pick its layout (``single_gpu_config.yaml`` → one shared GPU,
``custom_dataset_config.yaml`` → two GPUs, ``multi_gpu_config.yaml`` → vLLM TP 2 + training on
GPUs 2+, ``config_gpu0/1.yaml`` → two servers), and so do its scripts' names
(``train_single_gpu.sh``, ``train_single_gpu_shared.sh``, ``train_multi_gpu.sh``,
``start_vllm_server.sh``). A config file that exists is read too, so a config
written from the seed's text trains as written: ``base_model``, the dataset's path and
``type:`` (``grpo_code.<format>_transform``), ``trl.reward_funcs`` (``grpo_code.*`` → the seed
reward set) and the vLLM port and tensor-parallel size map to the recipe's keys; every other key
(``load_in_8bit``, ``val_set_size``, ``torch_compile``, ...) goes to the Axolotl section as is.
There is one override path: the result is a list of ``KEY=VALUE`` items applied like ``--set``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if __package__:
    from .. import _runtime as rt
else:  # an exported folder or a run directory: the runtime is a sibling module
    import _runtime as rt

#: the seed's config names given on a command line -> the layout they describe
SEED_CONFIGS: dict[str, dict[str, Any]] = {
    "single_gpu_config.yaml": {"layout": "1gpu", "num_gpus": 1},
    "custom_dataset_config.yaml": {"layout": "2gpu", "num_gpus": 2},
    "multi_gpu_config.yaml": {"layout": "ngpu", "num_gpus": 4, "vllm_tensor_parallel": 2},
    "config_gpu0.yaml": {"layout": "ngpu_2servers", "num_gpus": 4},
    "config_gpu1.yaml": {"layout": "ngpu_2servers", "num_gpus": 4},
}
#: the seed's scripts -> the layout each one runs
SEED_SCRIPTS: dict[str, dict[str, Any]] = {
    "start_vllm_server.sh": SEED_CONFIGS["custom_dataset_config.yaml"],
    "train_single_gpu.sh": SEED_CONFIGS["custom_dataset_config.yaml"],
    "train_single_gpu_shared.sh": SEED_CONFIGS["single_gpu_config.yaml"],
    "train_multi_gpu.sh": SEED_CONFIGS["config_gpu0.yaml"],  # it checks ports 8000 and 8001
}
#: words of the seed's commands (``accelerate launch ...``, ``axolotl vllm-serve ...``): the
#: recipe runs both the server and the training, so they select nothing
COMMAND_WORDS = {"accelerate", "launch", "axolotl", "vllm-serve"}
COMPAT = "rewardkit.recipes.code_axolotl_vllm.compat"
IMPROVED_FORMULAS = {"format": "xml_format", "code_tests": "code_tests"}
#: keys the recipe computes from the layout (a file's values would be overwritten anyway)
COMPUTED = {"output_dir"}


def _item(key: str, value: Any) -> str:
    return f"{key}={json.dumps(value)}"  # JSON is YAML: --set parses it back unchanged


def _flatten(data: Mapping[str, Any], known: Mapping[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if key in COMPUTED and not prefix.count("."):
            continue
        if isinstance(value, Mapping) and isinstance(known.get(key), Mapping):
            out += _flatten(value, known[key], f"{prefix}{key}.")
        else:
            out.append(_item(f"{prefix}{key}", value))
    return out


def _dataset_sets(
    datasets: Any, base: Path, modules: Mapping[str, Any], formats: tuple[str, ...]
) -> list[str]:
    if not isinstance(datasets, list) or len(datasets) != 1 or "path" not in datasets[0]:
        raise rt.ConfigError("datasets: the recipe trains on one dataset with a 'path:'")
    entry = datasets[0]
    path = Path(str(entry["path"]))
    path = path if path.is_absolute() else (base / path).resolve()
    # a path that is not there (the recipe's own data.jsonl, written per run) leaves the
    # dataset to --dataset / the recipe's default
    out = [_item("dataset", str(path))] if path.exists() else []
    module, _, fn = str(entry.get("type", "")).partition(".")
    for mod, suffix, _ in modules.values():
        fmt = fn[: len(fn) - len(suffix)] if suffix and fn.endswith(suffix) else fn
        if mod == module and fmt in formats:
            return [*out, _item("dataset_format", fmt)]
    names = ", ".join(f"grpo_code.{f}_transform" for f in formats)
    raise rt.ConfigError(f"dataset type {entry.get('type')!r}: use one of {names}")


def _reward_sets(funcs: Any, weights: Any, modules: Mapping[str, Any]) -> list[str]:
    for key, (mod, _, names) in modules.items():
        parts = [str(f).split(".") for f in funcs]
        if all(len(p) == 2 and p[0] == mod and p[1] in names for p in parts):
            ws = list(weights or [1.0] * len(parts))
            rewards = [
                {
                    "name": p[1],
                    "formula": f"{COMPAT}:{p[1]}" if key == "seed" else IMPROVED_FORMULAS[p[1]],
                    "weight": float(w),
                }
                for p, w in zip(parts, ws, strict=True)
            ]
            return [_item("reward_set", key), _item("rewards", rewards)]
    raise rt.ConfigError(
        f"trl.reward_funcs {funcs}: the recipe serves grpo_code.soft_format_reward_func, "
        "grpo_code.code_execution_reward_func, grpo_code.answer_execution_reward_func "
        "(or rk_code_axolotl.format, rk_code_axolotl.code_tests)"
    )


def sets_for(
    name: str,
    modules: Mapping[str, Any],
    formats: tuple[str, ...],
    known: Mapping[str, Any],
) -> list[str]:
    """``--set`` items for a file or word on the command line (see the module docstring)."""
    path = Path(name)
    if name in COMMAND_WORDS:
        return []
    if path.name in SEED_SCRIPTS:
        return [_item(k, v) for k, v in SEED_SCRIPTS[path.name].items()]
    sets = [_item(k, v) for k, v in SEED_CONFIGS.get(path.name, {}).items()]
    if not path.is_file():
        if path.name in SEED_CONFIGS:
            return sets
        names = ", ".join([*SEED_CONFIGS, *SEED_SCRIPTS])
        raise rt.ConfigError(f"{name}: no such file, and not one of the seed's files ({names})")
    data = rt.load_yaml(path) or {}
    if not isinstance(data, dict):
        raise rt.ConfigError(f"{name}: expected an Axolotl config (a mapping)")
    data = json.loads(json.dumps(data))  # a private copy
    if "base_model" in data:
        sets.append(_item("model", data.pop("base_model")))
    if "datasets" in data:
        sets += _dataset_sets(data.pop("datasets"), path.parent, modules, formats)
    trl = data.get("trl") or {}
    if trl.get("reward_funcs"):
        sets += _reward_sets(trl.pop("reward_funcs"), trl.pop("reward_weights", None), modules)
    trl.pop("vllm_server_port", None)  # the recipe points TRL at its first server
    vllm = data.get("vllm") or {}
    if "port" in vllm:
        sets.append(_item("vllm_port", vllm.pop("port")))
    if "tensor_parallel_size" in vllm:
        sets.append(_item("vllm_tensor_parallel", vllm.pop("tensor_parallel_size")))
    return sets + _flatten(data, known, "axolotl.")
