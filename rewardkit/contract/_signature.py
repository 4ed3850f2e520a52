"""Reading a reward function's signature: which parameters are inputs, options, columns.

Why a module of its own: the signature is read exactly once, when ``@reward``
wraps the function, and everything the engine does per row afterwards follows
from what is decided here. Each input gets a precomputed *plan* entry
``(parameter, kind, column, default)`` so that injecting a row's inputs
(:mod:`._inputs`) is a loop over tuples rather than a fresh look at the
signature per sample. Impossible definitions (positional-only inputs,
``*args``, options without defaults) fail here, at decoration time, never on
sample 1,000 of a training run.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, NamedTuple

from ._errors import RewardDefinitionError

__all__ = ["SPECIAL_INPUTS", "Signature", "read_signature"]

#: Inputs that do not come from a dataset column.
SPECIAL_INPUTS = frozenset({"state", "row"})
#: Batched rewards may use TRL's plural names for the two standard inputs.
_PLURAL = {"completions": "completion", "prompts": "prompt"}

#: Kinds of input in :attr:`Reward._plan`.
_K_COLUMN, _K_COMPLETION, _K_STATE, _K_ROW = 0, 1, 2, 3
#: Marks a column input without a default.
_NO_DEFAULT: Any = object()


class Signature(NamedTuple):
    """What :func:`read_signature` found; :class:`~rewardkit.Reward` keeps each field."""

    inputs: tuple[str, ...]
    #: per input: (parameter name, kind, column, default)
    plan: tuple[tuple[str, int, str, Any], ...]
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    takes_all_columns: bool
    option_defaults: dict[str, Any]
    option_types: dict[str, Any]
    input_defaults: dict[str, Any]


def read_signature(
    fn: Callable[..., Any], *, name: str, defined_at: str, batched: bool
) -> Signature:
    """Sort ``fn``'s parameters into inputs (columns) and options, and plan the inputs.

    Raises:
        RewardDefinitionError: the signature cannot be read, or a parameter can be
            neither an input nor an option (the message names the reward and
            where it is defined).
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise RewardDefinitionError(
            f"reward {name!r}: cannot read the signature: {exc}", reward=name
        ) from exc
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    inputs: list[str] = []
    required: list[str] = []
    optional: list[str] = []
    defaults: dict[str, Any] = {}
    types: dict[str, Any] = {}
    input_defaults: dict[str, Any] = {}
    takes_all = False
    for p in sig.parameters.values():
        if p.kind is p.POSITIONAL_ONLY:
            raise RewardDefinitionError(
                f"reward {name!r} ({defined_at}): parameter {p.name!r} is "
                "positional-only; inputs are passed by name",
                reward=name,
            )
        if p.kind is p.VAR_POSITIONAL:
            raise RewardDefinitionError(
                f"reward {name!r} ({defined_at}): *{p.name} is not supported; "
                "name the inputs you need",
                reward=name,
            )
        if p.kind is p.VAR_KEYWORD:
            takes_all = True
            continue
        if p.kind is p.KEYWORD_ONLY:
            if p.default is p.empty:
                raise RewardDefinitionError(
                    f"reward {name!r} ({defined_at}): option {p.name!r} needs a "
                    "default (keyword-only parameters are options)",
                    reward=name,
                )
            defaults[p.name] = p.default
            types[p.name] = hints.get(p.name, Any)
            continue
        column = _PLURAL.get(p.name, p.name) if batched else p.name
        inputs.append(p.name)
        if column in SPECIAL_INPUTS:
            continue
        if p.default is p.empty:
            required.append(column)
        else:
            optional.append(column)
            input_defaults[column] = p.default
    plan: list[tuple[str, int, str, Any]] = []
    for param in inputs:
        column = _PLURAL.get(param, param) if batched else param
        if column == "state":
            plan.append((param, _K_STATE, column, None))
        elif column == "row":
            plan.append((param, _K_ROW, column, None))
        elif column == "completion":
            plan.append((param, _K_COMPLETION, column, None))
        else:
            plan.append((param, _K_COLUMN, column, input_defaults.get(column, _NO_DEFAULT)))
    return Signature(
        inputs=tuple(inputs),
        plan=tuple(plan),
        required_columns=tuple(required),
        optional_columns=tuple(optional),
        takes_all_columns=takes_all,
        option_defaults=defaults,
        option_types=types,
        input_defaults=input_defaults,
    )
