"""Every registered rewardkit reward as a TRL-contract function, for Axolotl's ``trl.reward_funcs``.

Reference any reward by its registered name under this module::

    trl:
      reward_funcs:
        - rewardkit.trainers.axolotl_rewards.xml_format
        - rewardkit.trainers.axolotl_rewards.exact_match
      reward_weights: [0.5, 1.0]

Axolotl resolves ``pkg.mod.name`` with ``importlib.import_module("pkg.mod")``
and ``getattr(module, "name")``, then checks that the callable takes at least
two parameters. Attributes here are built on first access (PEP 562
``__getattr__``) from the registry, so built-ins, third-party plugins and
rewards registered by entry point all resolve, with default options and the
default outcome policy of :func:`rewardkit.trainers.trl.to_trl`. The adapters
are synchronous (Axolotl's context-parallel trainer calls reward functions
without awaiting them). For configured rewards or formulas, generate a module
with ``rewardkit axolotl-config`` or use :func:`rewardkit.trainers.axolotl.for_axolotl`.

Axolotl reads a ``ModuleNotFoundError`` from the import as "this is a reward
model id" and reports "Reward function ... not found". So nothing here raises
``ModuleNotFoundError``: a reward whose optional dependency is missing raises
:class:`RewardDependencyError` (an ``ImportError`` that names the package), and
an unknown name raises ``AttributeError`` with close-name suggestions.
"""

from __future__ import annotations

import difflib
import threading
from typing import Any

__all__ = ["RewardDependencyError", "names"]

_lock = threading.Lock()
_built: dict[str, Any] = {}


class RewardDependencyError(ImportError):
    """A reward needs an optional package that is not installed.

    Deliberately *not* a ``ModuleNotFoundError``: Axolotl would take that for
    "this dotted path is a reward model id" and hide the real cause.
    """


def names() -> list[str]:
    """Registered reward names available as attributes of this module."""
    from ..registry._registry import registry

    try:
        return registry.names()
    except ModuleNotFoundError as exc:
        raise RewardDependencyError(
            f"loading rewardkit's rewards failed: package {exc.name!r} is not installed "
            f"({exc}); install it (see `rewardkit list`)"
        ) from None


def _build(name: str) -> Any:
    from ..contract._errors import UnknownRewardError
    from ..registry._registry import get
    from .trl import to_trl

    try:
        rw = get(name)
    except UnknownRewardError:
        close = difflib.get_close_matches(name, names(), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise AttributeError(
            f"rewardkit has no reward named {name!r} (for "
            f"rewardkit.trainers.axolotl_rewards.{name}){hint} `rewardkit list` shows them all"
        ) from None
    except ModuleNotFoundError as exc:
        raise RewardDependencyError(
            f"reward {name!r} needs package {exc.name!r}, which is not installed ({exc})"
        ) from None
    (adapter,) = to_trl({name: rw}, asynchronous=False, lint=False)
    return adapter


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    with _lock:
        if name not in _built:
            _built[name] = _build(name)
        return _built[name]


def __dir__() -> list[str]:
    try:
        return sorted(set(globals()) | set(names()))
    except ImportError:
        return sorted(globals())
