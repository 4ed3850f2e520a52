"""Checking a reward's definition when it is decorated, not on sample 1,000.

The declared range, the type of every option value (``Literal`` choices, tuples,
numbers), and where the function was defined (for error messages). Used by
:class:`~rewardkit.Reward` at decoration and :meth:`~rewardkit.Reward.configure` time.
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Callable, Sequence
from typing import Any

from ._errors import RewardDefinitionError


def _first_line(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _defined_at(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__module__", None) or "<unknown>"
    return f"{code.co_filename}:{code.co_firstlineno}"


def _check_range(
    name: str, rng: tuple[float | None, float | None] | Sequence[float | None]
) -> tuple[float | None, float | None]:
    if rng is None:
        return (None, None)
    try:
        lo, hi = rng
    except (TypeError, ValueError):
        raise RewardDefinitionError(
            f"reward {name!r}: range must be (lo, hi), got {rng!r}", reward=name
        ) from None
    try:
        lo_f = None if lo is None else float(lo)
        hi_f = None if hi is None else float(hi)
    except (TypeError, ValueError):
        raise RewardDefinitionError(
            f"reward {name!r}: range bounds must be numbers or None, got {rng!r}", reward=name
        ) from None
    if any(b is not None and math.isnan(b) for b in (lo_f, hi_f)):
        raise RewardDefinitionError(f"reward {name!r}: range {rng!r} contains NaN", reward=name)
    if lo_f is not None and hi_f is not None and lo_f > hi_f:
        raise RewardDefinitionError(
            f"reward {name!r}: range low {lo_f} is above high {hi_f}", reward=name
        )
    return (lo_f, hi_f)


def _check_option_type(reward_name: str, key: str, value: Any, expected: Any) -> Any:
    """Check ``value`` against the option's annotation; return it (lists become tuples)."""
    origin = typing.get_origin(expected)
    if origin is typing.Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            raise RewardDefinitionError(
                f"reward {reward_name!r}: {value!r} is not a valid {key!r}; valid ones are "
                + ", ".join(map(repr, choices)),
                reward=reward_name,
            )
        return value
    if origin is tuple:
        args = typing.get_args(expected)
        if not isinstance(value, (list, tuple)):
            raise RewardDefinitionError(
                f"reward {reward_name!r}: option {key!r} expects a tuple, got "
                f"{type(value).__name__} {value!r} (write {key}=(a, b))",
                reward=reward_name,
            )
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if item is not None:
            for v in value:
                _check_option_type(reward_name, key, v, item)
        return tuple(value)
    simple: dict[Any, tuple[type, ...]] = {
        bool: (bool,),
        int: (int,),
        float: (int, float),
        str: (str,),
    }
    allowed = simple.get(expected)
    if allowed is None:
        return value
    if isinstance(value, bool) and expected is not bool:
        allowed = ()
    if not isinstance(value, allowed):
        raise RewardDefinitionError(
            f"reward {reward_name!r}: option {key!r} expects {expected.__name__}, got "
            f"{type(value).__name__} {value!r}",
            reward=reward_name,
        )
    if expected is float and isinstance(value, float) and not math.isfinite(value):
        raise RewardDefinitionError(
            f"reward {reward_name!r}: option {key!r} must be finite, got {value!r}",
            reward=reward_name,
        )
    return value
