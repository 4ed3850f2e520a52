"""Axolotl GRPO: reward functions by dotted path, dataset transforms, and a config generator.

Axolotl resolves the YAML's ``trl.reward_funcs`` entries and each dataset's
``type:`` by import path, with two different rules (anchors-trainers §3.2/§3.3):

* a reward function is ``any.dotted.module.attribute`` (``import_module`` of
  everything but the last part, then ``getattr``), and must take at least two
  parameters. A ``ModuleNotFoundError`` raised *while importing* it is taken to
  mean "this is a reward model id", which turns a missing optional dependency
  into a misleading "Reward function ... not found";
* a dataset transform must be exactly ``top_level_module.factory``: a nested
  path silently fails ("Failed to load dataset transform function").

This module provides:

* :func:`for_axolotl`: rewardkit rewards as module attributes with identifier
  names (``globals().update(for_axolotl([...]))`` in your own module);
  built-ins need nothing at all: ``rewardkit.trainers.axolotl_rewards.<name>``;
* :class:`PromptTransform`: a dataset-transform factory (question/answer
  columns, optional system prompt, GSM8K-style ``####`` answers);
* :func:`write_axolotl_config`: writes a GRPO YAML (vLLM layouts for 1, 2 and
  N GPUs) plus, when needed, a small top-level module beside it holding the
  configured rewards and the transform, and returns the launch commands;
* :func:`resolve_reward_func`, :func:`resolve_transform`, :func:`check_config`:
  Axolotl's two resolution rules re-implemented, with precise errors, so a
  config can be checked without installing Axolotl;
* :func:`axolotl_config_command`: the ``rewardkit axolotl-config`` command.
"""

from __future__ import annotations

import importlib
import inspect
import json
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from .axolotl_rewards import RewardDependencyError
from .trl import Policy, RewardInput, TRLReward, _entries, to_trl

__all__ = [
    "AxolotlConfig",
    "AxolotlResolutionError",
    "PromptTransform",
    "RewardDependencyError",
    "axolotl_config_command",
    "check_config",
    "for_axolotl",
    "resolve_reward_func",
    "resolve_transform",
    "write_axolotl_config",
]

#: Two-part paths, importable by every Axolotl version (0.8 imports only the part before
#: the last dot as a top-level module): see the top-level module ``rewardkit_axolotl``.
BUILTIN_PATH = "rewardkit_axolotl"


class AxolotlResolutionError(ValueError):
    """A dotted path in an Axolotl config that Axolotl would not resolve (or would misread)."""


# -- rewards -------------------------------------------------------------------------------------


def _identifier(name: str) -> str:
    ident = re.sub(r"\W+", "_", name).strip("_") or "reward"
    if ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"r_{ident}"
    return ident


def for_axolotl(
    rewards: RewardInput | Sequence[RewardInput] | Mapping[str, RewardInput],
    *,
    on_error: Policy = None,
    on_timeout: Policy = None,
    on_unparseable: Policy = "score",
    scorer: Mapping[str, Any] | None = None,
    split: bool = False,
) -> dict[str, TRLReward]:
    """Synchronous TRL-contract adapters keyed by identifier names, for a module's globals.

    Example (``my_rewards.py``, referenced as ``my_rewards.xml_format_mode_strict``)::

        from rewardkit.trainers.axolotl import for_axolotl
        globals().update(for_axolotl(["xml_format(mode=strict)", "exact_match"]))
    """
    entries = _entries(rewards, split=split)
    named = {_identifier(e.name): e.reward for e in entries}
    if len(named) != len(entries):
        raise ValueError("two rewards map to the same identifier; pass a {name: reward} mapping")
    adapters = to_trl(
        named,
        on_error=on_error,
        on_timeout=on_timeout,
        on_unparseable=on_unparseable,
        scorer=scorer,
        asynchronous=False,
        lint=False,
    )
    out: dict[str, TRLReward] = {}
    for a in adapters:
        assert isinstance(a, TRLReward)
        out[a.__name__] = a
    return out


# -- dataset transform ---------------------------------------------------------------------------


class _TransformFn:
    """The per-example function a :class:`PromptTransform` returns (picklable)."""

    def __init__(self, spec: PromptTransform) -> None:
        self.spec = spec

    def __call__(self, example: Mapping[str, Any], tokenizer: Any = None) -> dict[str, Any]:
        s = self.spec
        if s.question not in example:
            raise KeyError(
                f"dataset transform: column {s.question!r} not in the example; it has "
                f"{', '.join(map(repr, example))}"
            )
        text = s.template.format(**{k: v for k, v in example.items() if isinstance(k, str)})
        prompt: Any
        if s.conversational:
            prompt = [{"role": "user", "content": text}]
            if s.system_prompt:
                prompt.insert(0, {"role": "system", "content": s.system_prompt})
        else:
            prompt = f"{s.system_prompt}\n\n{text}" if s.system_prompt else text
        out: dict[str, Any] = {"prompt": prompt}
        if s.answer and s.answer in example:
            answer = example[s.answer]
            if s.answer_after and isinstance(answer, str):
                answer = answer.split(s.answer_after)[-1].strip().replace(",", "")
            out["answer"] = answer
        for col in s.keep:
            if col in example:
                out[col] = example[col]
        return out


@dataclass(frozen=True)
class PromptTransform:
    """An Axolotl dataset-transform factory: ``factory(cfg, *args, **kwargs) -> (fn, map_kwargs)``.

    Args:
        question: column holding the question.
        answer: column holding the gold answer, copied to ``answer`` (``""`` for none).
        template: format string over the example's columns (default ``"{question}"``
            style: the question column as is).
        system_prompt: prepended as a system message (or paragraph, for plain prompts).
        answer_after: keep only the text after this marker (GSM8K: ``"####"``).
        conversational: build a chat-message prompt (default) or a plain string.
        keep: further columns to keep for the rewards (e.g. ``"task"``).

    Example:
        >>> fn, kw = PromptTransform("question", answer_after="####")(cfg=None)
        >>> fn({"question": "1+1?", "answer": "so #### 2"})["answer"], kw
        ('2', {'remove_columns': '__all__'})
    """

    question: str = "question"
    answer: str = "answer"
    template: str = ""
    system_prompt: str | None = None
    answer_after: str | None = None
    conversational: bool = True
    keep: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.template:
            object.__setattr__(self, "template", "{" + self.question + "}")
        object.__setattr__(self, "keep", tuple(self.keep))

    def __call__(self, cfg: Any = None, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return _TransformFn(self), {"remove_columns": "__all__"}


# -- Axolotl's resolution rules, re-implemented ------------------------------------------------


def _import(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and module != missing and not module.startswith(missing + "."):
            raise RewardDependencyError(
                f"{what}: importing {module!r} failed because it imports {missing!r}, which "
                f"is not installed. Axolotl would report this as 'not found' (it reads a "
                f"ModuleNotFoundError as a reward-model id); install {missing!r}."
            ) from exc
        raise AxolotlResolutionError(
            f"{what}: no module {module!r} (is it installed, or on sys.path? Axolotl's "
            "'--launcher python' does not add the working directory)"
        ) from exc


def resolve_reward_func(fqn: str) -> Callable[..., Any]:
    """Resolve ``trl.reward_funcs`` entry ``fqn`` as Axolotl 0.21 does, with precise errors.

    Raises:
        RewardDependencyError: the module exists but imports a missing package
            (Axolotl would misreport it as "Reward function ... not found").
        AxolotlResolutionError: no such module or attribute, or fewer than two parameters.
    """
    module_name, _, attr = fqn.rpartition(".")
    if not module_name:
        raise AxolotlResolutionError(
            f"reward function {fqn!r} needs a module path: 'module.function'"
        )
    module = _import(module_name, f"reward function {fqn!r}")
    try:
        fn = getattr(module, attr)
    except AttributeError as exc:
        raise AxolotlResolutionError(f"reward function {fqn!r}: {exc}") from exc
    if not callable(fn):
        raise AxolotlResolutionError(f"reward function {fqn!r} is {type(fn).__name__}")
    if len(inspect.signature(fn).parameters) < 2:
        raise AxolotlResolutionError(
            f"reward function {fqn!r} must accept at least two arguments (prompts, completions)"
        )
    return fn  # type: ignore[no-any-return]


def resolve_transform(type_: str, cfg: Any = None, **kwargs: Any) -> Any:
    """Resolve a dataset ``type:`` as Axolotl's GRPO loader does and call the factory.

    Axolotl (``prompt_strategies/base.py::load`` under the DPO loader) imports the
    second-to-last component *as a top-level module*; only ``module.factory``
    works. Returns what the factory returns (``fn`` or ``(fn, map_kwargs)``).
    """
    parts = type_.split(".")
    if len(parts) != 2 or not all(parts):
        raise AxolotlResolutionError(
            f"dataset type {type_!r}: Axolotl resolves only 'top_level_module.factory' "
            f"(2 parts, got {len(parts)}); re-export the factory from a top-level module"
        )
    module = _import(parts[0], f"dataset type {type_!r}")
    try:
        factory = getattr(module, parts[1])
    except AttributeError as exc:
        raise AxolotlResolutionError(f"dataset type {type_!r}: {exc}") from exc
    return factory(cfg, **kwargs)


def check_config(config: Mapping[str, Any] | str | Path) -> list[str]:
    """Problems Axolotl would hit with a GRPO config's reward paths and dataset types."""
    if not isinstance(config, Mapping):
        yaml = importlib.import_module("yaml")  # PyYAML: Axolotl's own dependency
        config = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
        assert isinstance(config, Mapping)
    problems: list[str] = []
    trl_cfg = config.get("trl") or {}
    funcs = list(trl_cfg.get("reward_funcs") or [])
    weights = trl_cfg.get("reward_weights")
    if config.get("rl") in ("grpo", "gdpo") and not funcs:
        problems.append("trl.reward_funcs is empty")
    if weights is not None and len(weights) != len(funcs):
        problems.append(
            f"trl.reward_weights has {len(weights)} entries for {len(funcs)} reward_funcs"
        )
    for fqn in funcs:
        try:
            resolve_reward_func(str(fqn))
        except (AxolotlResolutionError, RewardDependencyError) as exc:
            problems.append(str(exc))
    for i, ds in enumerate(config.get("datasets") or []):
        type_ = ds.get("type") if isinstance(ds, Mapping) else None
        if type_:
            try:
                resolve_transform(str(type_), config, dataset_idx=i)
            except (AxolotlResolutionError, RewardDependencyError) as exc:
                problems.append(str(exc))
    ng = trl_cfg.get("num_generations")
    if ng is not None:
        if ng < 2:
            problems.append(f"trl.num_generations must be at least 2, got {ng}")
        batch = int(config.get("micro_batch_size") or 1) * int(
            config.get("gradient_accumulation_steps") or 1
        )
        if batch % ng:
            problems.append(
                f"micro_batch_size * gradient_accumulation_steps = {batch} is not divisible "
                f"by trl.num_generations = {ng} (per training process)"
            )
    return problems


# -- config generator ----------------------------------------------------------------------------


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
    * 2 GPUs: ``axolotl vllm-serve`` on GPU 1, ``axolotl train`` on GPU 0;
    * N GPUs: vLLM on the last ``vllm_gpus`` GPUs (tensor parallel; default
      ``max(1, N // 4)``), ``axolotl train --num-processes`` on the others.

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
        serve = _gpu_list(range(n_train, gpus))
        train = _gpu_list(range(n_train))
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


def axolotl_config_command(
    base_model: Annotated[str, typer.Option("--model", "-m", help="Base model id or path.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset id or path.")],
    reward: Annotated[
        list[str],
        typer.Option(
            "--reward", "-r", help="Reward name, reference or formula (repeat for several)."
        ),
    ],
    weight: Annotated[
        list[float] | None,
        typer.Option("--weight", "-w", help="Weight per --reward, in order (default 1.0)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="YAML file to write.")] = Path(
        "grpo.yaml"
    ),
    gpus: Annotated[int, typer.Option(help="GPUs on the machine (vLLM + training).")] = 1,
    vllm_gpus: Annotated[
        int | None, typer.Option(help="GPUs for the vLLM server (default max(1, gpus // 4)).")
    ] = None,
    no_vllm: Annotated[bool, typer.Option("--no-vllm", help="Generate without vLLM.")] = False,
    dataset_name: Annotated[str | None, typer.Option(help="Dataset config name.")] = None,
    split: Annotated[str, typer.Option(help="Dataset split.")] = "train",
    question: Annotated[str, typer.Option(help="Question column.")] = "question",
    answer: Annotated[str, typer.Option(help="Gold-answer column.")] = "answer",
    answer_after: Annotated[
        str | None, typer.Option(help="Keep the answer after this marker (GSM8K: '####').")
    ] = None,
    system_prompt: Annotated[str | None, typer.Option(help="System prompt.")] = None,
    module: Annotated[str, typer.Option(help="Name of the generated module.")] = "rk_grpo",
    num_generations: Annotated[int, typer.Option(help="Completions per prompt.")] = 8,
    max_completion_length: Annotated[int, typer.Option(help="Max completion tokens.")] = 512,
    max_steps: Annotated[int, typer.Option(help="Training steps.")] = 200,
    no_lora: Annotated[bool, typer.Option("--no-lora", help="Full fine-tuning.")] = False,
) -> None:
    """Write an Axolotl GRPO config using rewardkit rewards, and print how to launch it."""
    written = write_axolotl_config(
        out,
        base_model=base_model,
        rewards=reward,
        weights=weight or None,
        dataset=dataset,
        dataset_name=dataset_name,
        split=split,
        question=question,
        answer=answer,
        answer_after=answer_after,
        system_prompt=system_prompt,
        gpus=gpus,
        vllm_gpus=vllm_gpus,
        use_vllm=not no_vllm,
        module=module,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        max_steps=max_steps,
        lora=not no_lora,
    )
    typer.echo(f"wrote {written.config_path}")
    if written.module_path is not None:
        typer.echo(f"wrote {written.module_path}")
    typer.echo("launch:")
    for c in written.commands:
        typer.echo(f"  {c}")


if __name__ == "__main__":  # pragma: no cover
    typer.run(axolotl_config_command)
