"""Built-in rewards, registered through the same pluggy hook as third-party ones.

Modules are imported when the registry first loads (not at ``import rewardkit``);
heavy dependencies (sympy) are imported inside the reward functions that need them.
"""

from __future__ import annotations

import importlib

from ..contract._reward import Reward, iter_rewards
from ..hookspecs import hookimpl

#: One module per family of rewards: the explicit list the registry collects from
#: (decorating a reward only marks it; being listed here makes it a built-in).
BUILTIN_MODULES = ("format", "text", "length", "math", "code", "judge")


@hookimpl
def rewardkit_rewards() -> list[Reward]:
    out: list[Reward] = []
    for name in BUILTIN_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        out.extend(iter_rewards([getattr(module, n) for n in module.__all__]))
    return out
