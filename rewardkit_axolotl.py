"""Axolotl reward paths that resolve on every Axolotl version: ``rewardkit_axolotl.<reward>``.

Axolotl turns ``trl.reward_funcs`` entries into functions by import. Current releases
import everything before the last dot (``rewardkit.trainers.axolotl_rewards.xml_format``
works); 0.8.x imports only the *second-to-last* component as a top-level module, so any
path deeper than ``module.function`` fails there. This top-level module makes the
two-part path ``rewardkit_axolotl.xml_format`` resolve under both rules; it delegates
every attribute to :mod:`rewardkit.trainers.axolotl_rewards` (registered rewards as
synchronous TRL-contract adapters, built on first access).
"""

from __future__ import annotations

from typing import Any

from rewardkit.trainers import axolotl_rewards as _rewards


def __getattr__(name: str) -> Any:
    return getattr(_rewards, name)


def __dir__() -> list[str]:
    return _rewards.__dir__()
