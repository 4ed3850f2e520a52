"""The config's rewards as TRL reward functions, and timing the reward step.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_rewards`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from typing import Any

if __package__:
    from ._rt_config import ConfigError
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_config import ConfigError


def build_reward_objects(cfg: Mapping[str, Any]) -> list[tuple[str, Any, float]]:
    """``(name, rewardkit reward, weight)`` for each entry of ``cfg['rewards']``.

    Every entry is a formula over rewardkit built-ins (``"0.5*xml_format(mode=strict)"``)
    named so TRL logs it as ``rewards/<name>/mean``.
    """
    import rewardkit as rk

    if any(
        "rewardkit.recipes" in str(item.get("formula", "")) for item in cfg.get("rewards") or []
    ):
        # a recipe's own rewards (compat sets): importable in a source checkout too
        importlib.import_module("rewardkit.recipes_cli")

    out = []
    for item in cfg.get("rewards") or []:
        name, formula = str(item["name"]), str(item["formula"])
        out.append((name, rk.resolve(formula, name=name).reward, float(item.get("weight", 1.0))))
    if not out:
        raise ConfigError("the config lists no rewards")
    return out


def build_trl_rewards(cfg: Mapping[str, Any], dataset: Any = None) -> tuple[list[Any], list[float]]:
    """Reward callables for ``GRPOTrainer(reward_funcs=...)`` and their ``reward_weights``.

    Goes through :func:`rewardkit.trainers.trl.to_trl` with ``{name: reward}`` so TRL
    logs each under the recipe's name; ``cfg['reward_policy']`` is passed on (status
    policy, engine options). ``dataset`` lets the adapter check the columns up front.
    """
    from rewardkit.trainers.trl import to_trl

    built = build_reward_objects(cfg)
    policy = dict(cfg.get("reward_policy") or {})
    funcs = list(to_trl({name: rw for name, rw, _ in built}, dataset=dataset, **policy))
    return funcs, [w for _, _, w in built]


class RewardClock:
    """Seconds spent in reward computation, accumulated between log events."""

    def __init__(self) -> None:
        self.total = 0.0
        self.since_log = 0.0

    def add(self, seconds: float) -> None:
        self.total += seconds
        self.since_log += seconds

    def take(self) -> float:
        value, self.since_log = self.since_log, 0.0
        return value


def instrument_reward_time(trainer: Any, clock: RewardClock) -> bool:
    """Time the trainer's reward step (``GRPOTrainer._calculate_rewards``, TRL 1.14–1.16).

    Wrapping that one method (rather than each reward) measures exactly what the
    trainer waits for, async rewards included, without touching reward names.
    Returns False when the method is absent (then no reward share is reported).
    """
    original = getattr(trainer, "_calculate_rewards", None)
    if original is None:
        return False

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            clock.add(time.perf_counter() - start)

    trainer._calculate_rewards = timed
    return True
