"""What the user passed to ``to_trl``, as named entries: one per TRL reward function.

Why a module of its own: naming is part of TRL's contract. TRL keys its metrics
by each function's ``__name__`` and does not de-duplicate them, so every entry
gets a metric-safe, unique name here (``xml_format(mode='strict')`` becomes
``xml_format_mode_strict``; a second ``xml_format`` becomes ``xml_format_2``),
and ``split=True`` expands a top-level weighted sum into one entry per term.
Resolving goes through :func:`rewardkit.resolve`, the one resolver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from ..compose._composite import Composite, WeightedSum
from ..contract._reward import Reward
from ..references._resolve import resolve as _resolve

__all__ = ["RewardInput", "RewardLike", "resolve"]

RewardLike: TypeAlias = Reward | Composite
RewardInput: TypeAlias = Reward | Composite | str | Callable[..., Any]

_NAME_RE = re.compile(r"[^A-Za-z0-9_.\-]+")


def resolve(item: RewardInput) -> RewardLike:
    """Turn a name, reference, formula, function or reward into a Reward or Composite.

    A thin alias of :func:`rewardkit.resolve` (one resolver, one set of errors).
    """
    return _resolve(item).reward


def _clean_name(text: str) -> str:
    """A metric-safe, readable name: ``xml_format(mode='strict')`` -> ``xml_format_mode_strict``."""
    name = _NAME_RE.sub("_", text.replace("*", "_")).strip("_.-")
    return re.sub(r"_+", "_", name) or "reward"


@dataclass(slots=True)
class _Entry:
    """One TRL reward function to build: its unique metric name, the reward, its weight."""

    name: str
    reward: RewardLike
    weight: float = 1.0


def _entries(rewards: Any, *, split: bool) -> list[_Entry]:
    items: list[tuple[str | None, Any]]
    if isinstance(rewards, Mapping):
        items = [(str(k), v) for k, v in rewards.items()]
    elif isinstance(rewards, (str, Reward, Composite)) or callable(rewards):
        items = [(None, rewards)]
    else:
        items = [(None, r) for r in rewards]
    out: list[_Entry] = []
    for given, item in items:
        rw = resolve(item)
        if split and given is None and isinstance(rw, WeightedSum):
            out.extend(_Entry(_clean_name(t.key), t, w) for w, t in rw.terms)
            continue
        out.append(_Entry(_clean_name(given) if given else _clean_name(rw.key), rw))
    if not out:
        raise ValueError("to_trl() needs at least one reward")
    taken: dict[str, int] = {}
    for e in out:
        base = e.name
        if base in taken:
            taken[base] += 1
            e.name = f"{base}_{taken[base]}"
            while e.name in taken:
                taken[base] += 1
                e.name = f"{base}_{taken[base]}"
        taken.setdefault(e.name, 1)
    return out
