"""Axolotl's two import rules re-implemented, so a config can be checked without Axolotl.

A reward function is ``any.dotted.module.attribute`` taking at least two
parameters; a dataset transform is exactly ``top_level_module.factory``. The errors
say which rule a path breaks, instead of Axolotl's "not found" (which also hides a
missing optional dependency raised while importing the reward's module).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .axolotl_rewards import RewardDependencyError

__all__ = ["AxolotlResolutionError", "check_config", "resolve_reward_func", "resolve_transform"]


class AxolotlResolutionError(ValueError):
    """A dotted path in an Axolotl config that Axolotl would not resolve (or would misread)."""


# -- rewards -------------------------------------------------------------------------------------


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
