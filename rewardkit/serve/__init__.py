"""Rewards as an HTTP service: ``rewardkit serve`` (needs ``pip install 'rewardkit[serve]'``).

Trainers past one machine call rewards over HTTP. The server speaks OpenRLHF's
remote reward-model protocol (``/get_reward``), a NeMo-Gym-style ``/verify`` and
a plain ``/score``, and every request goes through the engine (timeouts, crash
isolation, cache). Starlette and uvicorn load only when a server is built.
"""

from __future__ import annotations

from ._metrics import Metrics
from ._protocols import BadRequest
from ._service import RewardService, Scored

__all__ = [
    "BadRequest",
    "Metrics",
    "RewardService",
    "Scored",
    "ServeLimits",
    "build_app",
    "run_server",
]


def __getattr__(name: str) -> object:
    if name in ("ServeLimits", "build_app", "run_server"):
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'rewardkit.serve' has no attribute {name!r}")
