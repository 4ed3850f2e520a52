"""Writing an Axolotl GRPO config: the YAML, its vLLM GPU layout, and the rewards module beside it.

:func:`write_axolotl_config` writes the YAML (vLLM layouts for 1, 2 and N GPUs) and,
when the rewards are configured or user-defined, a small top-level module holding
them and the transform, and returns the commands that launch the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._axolotl_attrs import BUILTIN_PATH, PromptTransform, _identifier
from .trl import Policy, _entries

__all__ = ["AxolotlConfig", "write_axolotl_config"]


@dataclass(frozen=True)
class AxolotlConfig:
    """What :func:`write_axolotl_config` wrote and how to launch it."""

    config_path: Path
    module_path: Path | None
    config: dict[str, Any]
    commands: list[str]


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exp = text.partition("e")
        if e and "." not in mantissa:  # YAML 1.1 (PyYAML) reads "5e-06" as a string
            text = f"{mantissa}.0e{exp}"
        return text
    text = str(value)
    if re.fullmatch(r"[A-Za-z_./][A-Za-z0-9_./\-]*", text) and text not in (
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
    ):
        return text
    return json.dumps(text)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(v, Mapping) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(_yaml(v, indent + 2))
            elif isinstance(v, list) and v and any(isinstance(x, Mapping) for x in v):
                lines.append(f"{pad}{k}:")
                for item in v:
                    sub = _yaml(item, indent + 4)
                    lines.append(f"{pad}  - {sub[0].strip()}")
                    lines.extend(sub[1:])
            elif isinstance(v, list):
                lines.append(f"{pad}{k}: [{', '.join(_yaml_scalar(x) for x in v)}]")
            else:
                lines.append(f"{pad}{k}: {_yaml_scalar(v)}")
    return lines


def _gpu_list(ids: range) -> str:
    return ",".join(str(i) for i in ids)


def write_axolotl_config(
    path: str | Path,
    *,
    base_model: str,
    rewards: Sequence[str],
    dataset: str,
    weights: Sequence[float] | None = None,
    dataset_name: str | None = None,
    split: str = "train",
    question: str = "question",
    answer: str = "answer",
    answer_after: str | None = None,
    system_prompt: str | None = None,
    transform: bool = True,
    gpus: int = 1,
    vllm_gpus: int | None = None,
    use_vllm: bool = True,
    module: str = "rk_grpo",
    num_generations: int = 8,
    max_completion_length: int = 512,
    micro_batch_size: int | None = None,
    gradient_accumulation_steps: int = 4,
    max_steps: int = 200,
    learning_rate: float = 5e-6,
    sequence_len: int = 1024,
    lora: bool = True,
    output_dir: str = "./grpo-output",
    vllm_port: int = 8000,
    timeout: float = 10.0,
    on_error: Policy = None,
    on_timeout: Policy = None,
) -> AxolotlConfig:
    """Write an Axolotl GRPO config (and its reward/transform module) for ``gpus`` GPUs.

    Layouts (anchors-trainers §3.4):

    * 1 GPU: vLLM colocated with the trainer (``vllm_mode: colocate``);
    * 2 GPUs: ``axolotl vllm-serve`` on GPU 0, ``axolotl train`` on GPU 1;
    * N GPUs: vLLM on the first ``vllm_gpus`` GPUs (tensor parallel; default
      ``max(1, N // 4)``), ``axolotl train --num-processes`` on the others — the
      layout of the Axolotl code-training seed (vLLM first, trainers after).

    ``use_vllm=False`` generates with the trainer itself (any GPU count; slow but
    needs no vLLM). Plain registered names become
    ``rewardkit.trainers.axolotl_rewards.<name>``; configured rewards and formulas,
    and the dataset transform (which Axolotl only resolves as
    ``top_level_module.factory``), go in ``<module>.py`` written beside the YAML:
    run Axolotl from that directory (or put it on ``PYTHONPATH``).

    Raises:
        ValueError: impossible layouts or batch sizes, or mismatched weights.
    """
    from ..registry._registry import registry

    if gpus < 1:
        raise ValueError(f"gpus must be at least 1, got {gpus}")
    if num_generations < 2:
        raise ValueError(f"num_generations must be at least 2, got {num_generations}")
    if not rewards:
        raise ValueError("at least one reward is needed")
    if weights is not None and len(weights) != len(rewards):
        raise ValueError(f"{len(weights)} weights for {len(rewards)} rewards")
    if not module.isidentifier():
        raise ValueError(f"module name {module!r} must be a Python identifier")
    server = use_vllm and gpus >= 2
    n_vllm = (vllm_gpus if vllm_gpus is not None else max(1, gpus // 4)) if server else 0
    if server and not 1 <= n_vllm < gpus:
        raise ValueError(f"vllm_gpus must be between 1 and {gpus - 1} for {gpus} GPUs")
    n_train = gpus - n_vllm
    mbs = micro_batch_size if micro_batch_size is not None else num_generations
    if (mbs * gradient_accumulation_steps) % num_generations:
        raise ValueError(
            f"micro_batch_size * gradient_accumulation_steps = "
            f"{mbs * gradient_accumulation_steps} must be divisible by num_generations = "
            f"{num_generations}"
        )

    path = Path(path)
    known = set(registry.names())
    funcs: list[str] = []
    module_rewards: dict[str, str] = {}
    for ref in rewards:
        if ref in known:
            funcs.append(f"{BUILTIN_PATH}.{ref}")
            continue
        for e in _entries([ref], split=False):  # validates the reference now
            ident = _identifier(e.name)
            while ident in module_rewards:
                ident += "_"
            module_rewards[ident] = ref
            funcs.append(f"{module}.{ident}")

    trl_cfg: dict[str, Any] = {
        "beta": 0.0,
        "num_generations": num_generations,
        "max_completion_length": max_completion_length,
        "reward_funcs": funcs,
        "reward_weights": [float(w) for w in weights]
        if weights is not None
        else [1.0] * len(funcs),
        "log_completions": True,
    }
    vllm_cfg: dict[str, Any] | None = None
    if use_vllm:
        trl_cfg["use_vllm"] = True
        if server:
            trl_cfg.update(
                vllm_mode="server",
                vllm_server_host="0.0.0.0",
                vllm_server_port=vllm_port,
                vllm_server_timeout=300,
            )
            vllm_cfg = {
                "host": "0.0.0.0",
                "port": vllm_port,
                "tensor_parallel_size": n_vllm,
                "gpu_memory_utilization": 0.85,
                "dtype": "auto",
                "max_model_len": sequence_len + max_completion_length,
            }
        else:
            trl_cfg.update(vllm_mode="colocate", vllm_enable_sleep_mode=True)
            vllm_cfg = {
                "gpu_memory_utilization": 0.3,
                "tensor_parallel_size": 1,
                "max_model_len": sequence_len + max_completion_length,
            }
    ds: dict[str, Any] = {"path": dataset}
    if dataset_name:
        ds["name"] = dataset_name
    ds["split"] = split
    if transform:
        ds["type"] = f"{module}.prompt_transform"
    cfg: dict[str, Any] = {
        "base_model": base_model,
        "rl": "grpo",
        "chat_template": "tokenizer_default",
    }
    if vllm_cfg is not None:
        cfg["vllm"] = vllm_cfg
    if lora:
        cfg.update(adapter="lora", lora_r=32, lora_alpha=64, lora_target_linear=True)
    cfg["trl"] = trl_cfg
    cfg["datasets"] = [ds]
    cfg.update(
        skip_prepare_dataset=True,
        val_set_size=0.0,
        sequence_len=sequence_len,
        micro_batch_size=mbs,
        gradient_accumulation_steps=gradient_accumulation_steps,
        max_steps=max_steps,
        learning_rate=learning_rate,
        bf16=True,
        output_dir=output_dir,
    )

    name = path.name
    if server:
        # the seed's layout: vLLM on the first GPUs, training on the rest
        serve = _gpu_list(range(n_vllm))
        train = _gpu_list(range(n_vllm, gpus))
        procs = f" --num-processes {n_train}" if n_train > 1 else ""
        commands = [
            f"CUDA_VISIBLE_DEVICES={serve} axolotl vllm-serve {name}",
            f"CUDA_VISIBLE_DEVICES={train} axolotl train {name}{procs}",
        ]
    else:
        procs = f" --num-processes {gpus}" if gpus > 1 else ""
        commands = [f"axolotl train {name}{procs}"]

    module_path: Path | None = None
    if module_rewards or transform:
        module_path = path.with_name(f"{module}.py")
        module_path.write_text(
            _module_source(
                module_rewards,
                transform=PromptTransform(
                    question=question,
                    answer=answer,
                    system_prompt=system_prompt,
                    answer_after=answer_after,
                )
                if transform
                else None,
                timeout=timeout,
                on_error=on_error,
                on_timeout=on_timeout,
            ),
            encoding="utf-8",
        )
    header = [
        "# Axolotl GRPO config generated by `rewardkit axolotl-config`.",
        f"# Layout: {gpus} GPU(s)"
        + (f", vLLM server on {n_vllm}, training on {n_train}." if server else "."),
        "# Launch (from this directory):",
        *(f"#   {c}" for c in commands),
    ]
    if server:
        header.append("# Restart the vLLM server between runs.")
    path.write_text("\n".join(header + _yaml(cfg)) + "\n", encoding="utf-8")
    return AxolotlConfig(path, module_path, cfg, commands)


def _module_source(
    rewards: Mapping[str, str],
    *,
    transform: PromptTransform | None,
    timeout: float,
    on_error: Policy,
    on_timeout: Policy,
) -> str:
    lines = [
        '"""Rewards and dataset transform for an Axolotl GRPO run (`rewardkit axolotl-config`).',
        "",
        "Axolotl imports this file by name (`trl.reward_funcs`, dataset `type:`), so keep it",
        "top-level, beside the YAML, and launch Axolotl from this directory.",
        '"""',
        "",
        "try:",
        "    from rewardkit.trainers.axolotl import PromptTransform, for_axolotl",
        "except ModuleNotFoundError as exc:  # Axolotl would misread it as 'no such module'",
        "    raise ImportError(",
        "        f'{__name__}.py needs rewardkit, which this process cannot import ({exc}); '",
        "        'install rewardkit in the training environment'",
        "    ) from None",
        "",
    ]
    if rewards:
        mapping = ",\n".join(f"        {k!r}: {v!r}" for k, v in rewards.items())
        lines += [
            "_rewards = for_axolotl(",
            "    {",
            mapping + ",",
            "    },",
            f"    on_error={on_error!r},",
            f"    on_timeout={on_timeout!r},",
            f'    scorer={{"timeout": {float(timeout)!r}}},',
            ")",
        ]
        lines += [f"{k} = _rewards[{k!r}]" for k in rewards]
        lines.append("")
    if transform is not None:
        lines += [
            "prompt_transform = PromptTransform(",
            f"    question={transform.question!r},",
            f"    answer={transform.answer!r},",
            f"    system_prompt={transform.system_prompt!r},",
            f"    answer_after={transform.answer_after!r},",
            ")",
        ]
    return "\n".join(lines) + "\n"


# -- CLI -----------------------------------------------------------------------------------------
