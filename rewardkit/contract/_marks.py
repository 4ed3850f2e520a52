"""Marks: ``@reward`` records the rewards it decorates; the registry collects them.

Decorating never registers anything. The registry
(:mod:`rewardkit.registry._registry`) reads these marks when it looks a name up,
so that user rewards are found by name while the contract never imports the
registry.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._reward import Reward

_marks: dict[tuple[str, str], Reward] = {}
_marks_lock = threading.Lock()
_marks_version = 0


def _mark(rw: Reward) -> None:
    """Record a decorated reward so the registry can find it by name (latest definition wins).

    Decorating never registers anything: the registry reads these marks when it
    looks a name up, so the contract layer never imports the registry.
    """
    global _marks_version
    ident = f"{getattr(rw.fn, '__module__', '?')}.{getattr(rw.fn, '__qualname__', '?')}"
    with _marks_lock:
        _marks[(rw.name, ident)] = rw
        _marks_version += 1


def marked_rewards(since: int = -1) -> tuple[int, list[Reward]]:
    """``(version, rewards)``: every reward marked by ``@reward``; empty when nothing changed."""
    with _marks_lock:
        if since == _marks_version:
            return _marks_version, []
        return _marks_version, list(_marks.values())
