"""What ``rewardkit score`` runs: ``-r``/``--formula``/``--import`` resolved into a plan.

The plan separates the leaf rewards (each reported in the output row) from the total
(a weighted sum or a formula over those leaves), so every reward runs once and the
total is combined from the leaves' verdicts.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..compose._compose import RewardLike, WeightedSum
from ..contract._errors import RewardSpecError
from ..contract._native import from_trl, looks_trl_native
from ..contract._reward import Reward, iter_rewards
from ..io import InputError
from ..references._resolve import resolve

__all__ = ["RewardPlan", "import_rewards", "plan_rewards"]


def import_rewards(targets: Sequence[str]) -> dict[str, Reward]:
    """Import files or modules named by ``--import`` and return their rewards by name.

    Importing also makes ``@reward`` functions findable by plain name in ``-r``, and
    so are plain TRL reward functions (``f(prompts, completions, **kwargs)``) defined
    in the file, run exactly as TRL calls them.
    """
    import importlib

    from ..references._refs import load_file_module

    found: dict[str, Reward] = {}
    for target in targets:
        if target.endswith(".py") or os.sep in target or "/" in target:
            module = load_file_module(target)
        else:
            try:
                module = importlib.import_module(target)
            except ImportError as exc:
                raise RewardSpecError(target, f"cannot import module {target!r}: {exc}") from exc
        rewards = iter_rewards(vars(module))
        rewards += [
            from_trl(v)
            for v in vars(module).values()
            if inspect.isfunction(v) and v.__module__ == module.__name__ and looks_trl_native(v)
        ]
        if not rewards:
            raise RewardSpecError(
                target,
                "defines no @reward functions and no TRL reward functions "
                "(functions taking `completions`)",
            )
        for rw in rewards:
            found[rw.name] = rw
    return found


@dataclass
class RewardPlan:
    """What to run: the leaf rewards (reported one by one) and how to total them."""

    leaves: list[Reward]
    total: RewardLike

    @property
    def keys(self) -> list[str]:
        return [leaf.key for leaf in self.leaves]


def plan_rewards(
    specs: Sequence[str], formula: str | None = None, imports: Sequence[str] = ()
) -> RewardPlan:
    """Resolve ``-r`` specs, ``--formula`` and ``--import`` into a :class:`RewardPlan`.

    With a formula, the formula is the total; otherwise the weighted sum of the ``-r``
    rewards is.

    Raises:
        RewardSpecError, UnknownRewardError, FormulaError: naming the bad reference.
    """
    extra = import_rewards(imports)
    terms: list[tuple[float, Reward]] = []
    for spec in specs:
        ref = resolve(spec, rewards=extra, weighted=True)
        if not isinstance(ref.reward, Reward):  # -r names one reward, never a formula
            raise RewardSpecError(spec, "-r takes one reward; give a formula with --formula")
        terms.append((ref.weight, ref.reward))
    total: RewardLike | None = None
    if formula:
        total = resolve(formula, rewards=extra or None).reward
    elif terms:
        total = WeightedSum(terms)
    if total is None:
        raise RewardSpecError("", "name at least one reward with -r NAME or give --formula")
    leaves: dict[str, Reward] = {}
    for _, rw in terms:
        leaves.setdefault(rw.key, rw)
    for leaf in total.leaves():
        leaves.setdefault(leaf.key, leaf)
    return RewardPlan(list(leaves.values()), total)


def _check_columns(
    row: Mapping[str, Any], maps: Mapping[str, str], plan: RewardPlan, where: str, scorer: Any
) -> None:
    for fld, col in maps.items():
        if col not in row:
            have = ", ".join(repr(c) for c in row) or "no columns"
            raise InputError(
                f"{where}: --map {fld}={col}: the data has no column {col!r}; it has {have}"
            )
    columns = set(row) | set(maps)
    bind = getattr(scorer, "bind", None)
    if bind is not None:
        bind(columns, where=where)
    plan.total.bind(columns, where=where)
