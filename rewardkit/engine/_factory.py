"""The one place a :class:`~rewardkit.engine.Scorer` is built from user-given options.

Configuration mistakes the engine rejects with ``ValueError`` (``--workers 0``,
a negative timeout) become :class:`~rewardkit.io.InputError`, so the CLI and the
audit report them as one clean line instead of an internal error. It lives in
the core (not the CLI) because the audit, a core module, builds scorers too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compose._compose import Composite
from ..contract._reward import Reward
from ..io._errors import InputError
from ._scorer import Scorer

__all__ = ["make_scorer"]


def make_scorer(rewards: Sequence[Reward | Composite | str], **kwargs: Any) -> Scorer:
    """``Scorer(rewards, **kwargs)`` with option errors turned into :class:`InputError`."""
    try:
        return Scorer(rewards, **kwargs)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
