"""The one place the CLI and the audit build a :class:`rewardkit.engine.Scorer`.

Configuration mistakes the engine rejects with ``ValueError`` (``--workers 0``,
a negative timeout) become :class:`~rewardkit.io.InputError`, so the CLI reports
them as one clean line instead of an internal error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._compose import Composite
from .._reward import Reward
from ..engine import Scorer
from ..io import InputError

__all__ = ["make_scorer"]


def make_scorer(rewards: Sequence[Reward | Composite | str], **kwargs: Any) -> Scorer:
    """``Scorer(rewards, **kwargs)`` with option errors turned into :class:`InputError`."""
    try:
        return Scorer(rewards, **kwargs)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
