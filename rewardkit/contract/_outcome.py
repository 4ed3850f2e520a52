"""The typed result of scoring one sample: :class:`Outcome` and :class:`Status`.

A bare float cannot say *why* a sample scored 0 — wrong answer, unparseable
output, a verifier that timed out, or a crashed reward all look alike, and a run
whose verifier is broken shows only a flat reward curve. Everything the engine
and the trainer adapters handle is therefore an ``Outcome``: a score (or
``None``), a status, a human-readable reason and free-form extras (sub-scores,
the extracted answer).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome", "Status"]


class Status(str, enum.Enum):
    """Why a sample got the score it got."""

    OK = "ok"
    """The reward ran and produced a score."""
    NOT_APPLICABLE = "not_applicable"
    """The reward does not apply to this sample (e.g. the gold answer is missing)."""
    UNPARSEABLE = "unparseable"
    """The completion could not be parsed (no final answer, malformed expression)."""
    TIMEOUT = "timeout"
    """The reward exceeded its time limit and was stopped from outside."""
    ERROR = "error"
    """The reward raised, crashed or returned an invalid value."""

    def __str__(self) -> str:
        return self.value


def exact_float(value: Any) -> float:
    """``value`` as a plain :class:`float`, never a subclass.

    A reward (or the policy it is trained against) can return an ``int`` or ``float``
    subclass whose ``__float__``, ``__lt__`` or ``__gt__`` lie; range checks and sums
    must see the underlying number. The base classes' own methods read it directly.
    """
    if type(value) is float:
        return value
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int):
        return float(int.__int__(value))
    result = float(value)
    return result if type(result) is float else float.__float__(result)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Immutable verdict for one (reward, sample) pair.

    Args:
        score: the numeric reward, or ``None`` when there is none (not applicable,
            timeout, error). An ``UNPARSEABLE`` outcome may carry a score (usually
            the reward's minimum) because "no answer" is a legitimate wrong answer.
        status: a :class:`Status`.
        reason: one line a human can read ("expected 42, got 41").
        extras: JSON-friendly details: sub-scores, extracted answers, timings.

    Example:
        >>> Outcome.ok(1.0, "matched 42").score
        1.0
        >>> Outcome.not_applicable("no gold answer").status
        <Status.NOT_APPLICABLE: 'not_applicable'>
    """

    score: float | None
    status: Status = Status.OK
    reason: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)

    # -- constructors that read well at call sites ---------------------------------
    @classmethod
    def ok(cls, score: float, reason: str = "", **extras: Any) -> Outcome:
        return cls(float(score), Status.OK, reason, extras)

    @classmethod
    def not_applicable(cls, reason: str = "", **extras: Any) -> Outcome:
        return cls(None, Status.NOT_APPLICABLE, reason, extras)

    @classmethod
    def unparseable(cls, reason: str = "", score: float | None = 0.0, **extras: Any) -> Outcome:
        return cls(score, Status.UNPARSEABLE, reason, extras)

    @classmethod
    def timeout(cls, reason: str = "", **extras: Any) -> Outcome:
        return cls(None, Status.TIMEOUT, reason, extras)

    @classmethod
    def error(cls, reason: str = "", **extras: Any) -> Outcome:
        return cls(None, Status.ERROR, reason, extras)

    # -- helpers ---------------------------------------------------------------
    @property
    def is_ok(self) -> bool:
        return self.status is Status.OK

    def with_extras(self, **extras: Any) -> Outcome:
        """Return a copy with ``extras`` merged in (the original is unchanged)."""
        return Outcome(self.score, self.status, self.reason, {**self.extras, **extras})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``extras`` omitted when empty)."""
        d: dict[str, Any] = {
            "score": self.score,
            "status": self.status.value,
            "reason": self.reason,
        }
        if self.extras:
            d["extras"] = dict(self.extras)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Outcome:
        score = d.get("score")
        return cls(
            None if score is None else float(score),
            Status(d.get("status", "ok")),
            str(d.get("reason", "")),
            dict(d.get("extras") or {}),
        )

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))
        if self.score is not None and type(self.score) is not float:
            # a float/int subclass could rig its comparisons and slip past range checks
            object.__setattr__(self, "score", exact_float(self.score))
        if self.score is not None and not math.isfinite(self.score):
            # A non-finite score is never a valid verdict; refuse to build one.
            raise ValueError(f"Outcome score must be finite, got {self.score!r}")
