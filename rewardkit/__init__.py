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

from ._completion import Completion
from ._compose import (
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
from ._errors import (
    DuplicateRewardError,
    FormulaError,
    MissingColumnError,
    RewardDefinitionError,
    RewardkitError,
    RewardSpecError,
    UnknownRewardError,
)
from ._formula import parse_formula
from ._outcome import Outcome, Status
from ._refs import resolve_reference
from ._registry import available, get, register
from ._reward import Reward, reward

__version__ = "0.1.0"

__all__ = [
    "Completion",
    "Composite",
    "DuplicateRewardError",
    "FormulaError",
    "MissingColumnError",
    "Outcome",
    "Reward",
    "RewardDefinitionError",
    "RewardSpecError",
    "RewardkitError",
    "Status",
    "UnknownRewardError",
    "available",
    "clip",
    "gate",
    "get",
    "maximum",
    "minimum",
    "parse_formula",
    "register",
    "resolve_reference",
    "reward",
    "route",
    "scale",
    "threshold",
    "weighted",
    "when",
]
