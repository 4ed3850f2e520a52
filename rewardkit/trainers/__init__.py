"""Adapters that hand rewardkit rewards to training frameworks.

One reward contract, many trainers. Each submodule converts rewards (registered
names, ``@reward`` functions, composites, formulas) into the shape one trainer
calls, and imports that trainer lazily, inside functions:

* :mod:`rewardkit.trainers.trl`: ``to_trl(...)`` for ``trl.GRPOTrainer(reward_funcs=...)``
  (also what Unsloth and Axolotl call under the hood);
* :mod:`rewardkit.trainers.unsloth`: load a model with Unsloth and find its patched
  GRPO trainer, warning on the wrong import order;
* :mod:`rewardkit.trainers.axolotl` and :mod:`rewardkit.trainers.axolotl_rewards`:
  dotted paths for an Axolotl YAML and a config generator;
* :mod:`rewardkit.trainers.verl`: ``compute_score`` for verl;
* :mod:`rewardkit.trainers.openrlhf`: ``reward_func`` for OpenRLHF.

Importing this package imports none of them (nor trl, torch or transformers).
"""

from __future__ import annotations

__all__: list[str] = []
