"""Outcome policy: how a typed :class:`~rewardkit.Outcome` becomes the number a trainer sees.

Every trainer adapter (TRL, Unsloth, Axolotl, verl, OpenRLHF) applies the same
policy, so it lives in the core and the adapters only translate its result into
their trainer's conventions (``None`` -> NaN, a list, a tensor).

=================== ==================================== ====================
status              default                              configurable with
=================== ==================================== ====================
``ok``              the score                            (fixed)
``not_applicable``  ``None`` (left out of the mean)       (fixed)
``unparseable``     ``"score"`` (the outcome's own score) ``on_unparseable``
``timeout``         ``None``                             ``on_timeout``
``error``           ``None``                             ``on_error``
=================== ==================================== ====================

A policy is a finite float (that value), ``None`` (not applicable: the sample
costs only itself), ``"score"`` (the outcome's own score, ``None`` if it has
none) or ``"min"`` (the reward's declared minimum, ``None`` if undeclared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ._outcome import Outcome, Status

__all__ = ["OutcomePolicy", "Policy"]

#: What a non-``ok`` status maps to: a float, ``None``, the outcome's score, or the reward's minimum.
Policy: TypeAlias = float | None | Literal["score", "min"]


def _check_policy(option: str, value: Any) -> Policy:
    if value is None or value in ("score", "min"):
        return value  # type: ignore[no-any-return]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise ValueError(
        f"{value!r} is not a valid {option}; valid ones are a finite float, None, 'score' "
        "(the outcome's own score) or 'min' (the reward's declared minimum)"
    )


@dataclass(frozen=True, slots=True)
class OutcomePolicy:
    """How outcomes become the numbers a trainer sees (see the module docstring)."""

    on_error: Policy = None
    on_timeout: Policy = None
    on_unparseable: Policy = "score"

    def __post_init__(self) -> None:
        for option in ("on_error", "on_timeout", "on_unparseable"):
            object.__setattr__(self, option, _check_policy(option, getattr(self, option)))

    def value(self, outcome: Outcome, rng: tuple[float | None, float | None]) -> float | None:
        """The number for ``outcome`` (``rng``: the reward's declared range, for ``'min'``)."""
        status = outcome.status
        if status is Status.OK:
            return outcome.score
        if status is Status.NOT_APPLICABLE:
            return None
        if status is Status.UNPARSEABLE:
            rule = self.on_unparseable
        elif status is Status.TIMEOUT:
            rule = self.on_timeout
        else:
            rule = self.on_error
        if rule == "score":
            return outcome.score
        if rule == "min":
            return rng[0]
        return rule
