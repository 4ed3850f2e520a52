"""rewardkit: reward functions and verifiers for GRPO / RL with verifiable rewards.

Write a reward once as plain Python, score files offline, audit it against gold
and degenerate answers, and hand it to TRL, Unsloth or Axolotl.

Example:
    >>> import rewardkit as rk
    >>> @rk.reward(range=(0, 1))
    ... def says_four(completion: str) -> bool:
    ...     return "4" in completion
    >>> says_four.score({"completion": "2 + 2 = 4"}).score
    1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .compose._compose import (
    Composite,
    clip,
    gate,
    maximum,
    minimum,
    route,
    scale,
    threshold,
    weighted,
    when,
)
from .compose._formula import parse_formula
from .contract._completion import Completion
from .contract._errors import (
    DuplicateRewardError,
    FormulaError,
    MissingColumnError,
    RewardDefinitionError,
    RewardkitError,
    RewardSpecError,
    UnknownRewardError,
)
from .contract._native import from_trl
from .contract._outcome import Outcome, Status
from .contract._policy import OutcomePolicy
from .contract._reward import Reward, reward
from .references._resolve import ResolvedReward, resolve, resolve_reference
from .registry._registry import available, get, register

if TYPE_CHECKING:
    from ._passk import pass_at_k
    from ._provenance import provenance, stamp
    from .audit import audit
    from .engine import RewardStats, Scorer, score
    from .judges import judge, reward_model

from ._version import __version__ as __version__

# The engine and the audit pull in multiprocessing machinery; load them on first use
# so that ``import rewardkit`` stays cheap.
_LAZY = {
    "Scorer": "rewardkit.engine",
    "RewardStats": "rewardkit.engine",
    "score": "rewardkit.engine",
    "audit": "rewardkit.audit",
    "pass_at_k": "rewardkit._passk",
    "provenance": "rewardkit._provenance",
    "stamp": "rewardkit._provenance",
    "judge": "rewardkit.judges",
    "reward_model": "rewardkit.judges",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Completion",
    "Composite",
    "DuplicateRewardError",
    "FormulaError",
    "MissingColumnError",
    "Outcome",
    "OutcomePolicy",
    "Reward",
    "ResolvedReward",
    "RewardDefinitionError",
    "RewardStats",
    "RewardSpecError",
    "RewardkitError",
    "Scorer",
    "Status",
    "UnknownRewardError",
    "audit",
    "available",
    "clip",
    "from_trl",
    "gate",
    "judge",
    "get",
    "maximum",
    "minimum",
    "parse_formula",
    "pass_at_k",
    "provenance",
    "register",
    "resolve",
    "resolve_reference",
    "reward",
    "reward_model",
    "route",
    "scale",
    "score",
    "stamp",
    "threshold",
    "weighted",
    "when",
]
