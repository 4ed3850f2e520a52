"""Exceptions raised by rewardkit.

Every exception derives from :class:`RewardkitError` and also from the builtin it
resembles, so callers may catch either (``except KeyError`` still works for a
missing column). Each carries the facts in its message *and* as attributes, so a
program can react without parsing text.

Hierarchy::

    RewardkitError
    ├── RewardDefinitionError (TypeError)   bad @reward signature or options
    ├── MissingColumnError (KeyError)       a reward needs a column the data lacks
    ├── UnknownRewardError (LookupError)    name not in the registry
    ├── DuplicateRewardError (ValueError)   two providers register one name
    ├── RewardSpecError (ValueError)        bad ``name(key=value)`` reference
    └── FormulaError (ValueError)           formula rejected by the policy
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "DuplicateRewardError",
    "FormulaError",
    "MissingColumnError",
    "RewardDefinitionError",
    "RewardSpecError",
    "RewardkitError",
    "UnknownRewardError",
]


class RewardkitError(Exception):
    """Root of every error rewardkit raises on purpose.

    Subclasses take keyword arguments, which the default exception pickling
    cannot replay; :meth:`__reduce__` restores the attributes directly so the
    errors cross process boundaries (spawned workers) intact.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _restore_error(
    cls: type[RewardkitError], args: tuple[Any, ...], state: dict[str, Any]
) -> RewardkitError:
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class RewardDefinitionError(RewardkitError, TypeError):
    """A reward is defined wrongly (raised at decoration or configuration time)."""

    def __init__(self, message: str, *, reward: str | None = None) -> None:
        super().__init__(message)
        self.reward = reward


class MissingColumnError(RewardkitError, KeyError):
    """A reward needs dataset columns that the data does not have."""

    def __init__(
        self,
        *,
        reward: str,
        missing: Sequence[str],
        present: Iterable[str],
        where: str | None = None,
        defined_at: str | None = None,
    ) -> None:
        self.reward = reward
        self.missing = list(missing)
        self.present = sorted(present)
        self.where = where
        self.defined_at = defined_at
        self.field = self.missing[0] if self.missing else None
        prefix = f"{where}: " if where else ""
        origin = f" ({defined_at})" if defined_at else ""
        cols = ", ".join(repr(c) for c in self.missing)
        have = ", ".join(repr(c) for c in self.present) or "no columns"
        hint = self.missing[0]
        self.message = (
            f"{prefix}reward {reward!r}{origin} needs column {cols}; the data has {have}. "
            f"Map one with --map {hint}=<column> (or rename the column)."
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class UnknownRewardError(RewardkitError, LookupError):
    """No registered reward has this name."""

    def __init__(self, name: str, *, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        super().__init__(
            f"no reward named {name!r} is registered.{hint} Run `rewardkit list` to see them all."
        )


class DuplicateRewardError(RewardkitError, ValueError):
    """Two providers register the same reward name."""

    def __init__(self, name: str, first: str, second: str) -> None:
        self.name = name
        self.providers = (first, second)
        super().__init__(
            f"reward {name!r} is registered twice: by {first} and by {second}. "
            "Rename one of them (names are metric keys and must be unique)."
        )


class RewardSpecError(RewardkitError, ValueError):
    """A textual reward reference such as ``xml_format(mode='strict')`` is malformed."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"cannot read reward reference {text!r}: {reason}")


class FormulaError(RewardkitError, ValueError):
    """A reward formula was rejected or could not be evaluated."""

    def __init__(self, formula: str, reason: str) -> None:
        self.formula = formula
        self.reason = reason
        super().__init__(f"formula {formula!r} rejected: {reason}")
