"""pluggy hook specifications for reward providers.

A third-party package provides rewards by exposing a module with a
``rewardkit_rewards`` hook implementation and declaring it under the
``rewardkit`` entry-point group::

    # my_rewards/plugin.py
    from rewardkit import reward
    from rewardkit.hookspecs import hookimpl

    @reward(range=(0, 1))
    def myorg_judge(completion: str) -> float: ...

    @hookimpl
    def rewardkit_rewards():
        return [myorg_judge]

    # pyproject.toml
    [project.entry-points.rewardkit]
    my_rewards = "my_rewards.plugin"

Built-in rewards are registered through this very hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .contract._reward import Reward

__all__ = ["PROJECT", "hookimpl", "hookspec", "rewardkit_rewards"]

#: pluggy project name and entry-point group.
PROJECT = "rewardkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def rewardkit_rewards() -> list[Reward]:  # type: ignore[empty-body]
    """Return the :class:`~rewardkit.Reward` objects this plugin provides.

    Called once, lazily, the first time a reward is looked up by name.
    """
