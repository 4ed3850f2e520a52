"""Injecting a row's inputs: the keyword arguments a reward function is called with.

Why apart from :mod:`._call`: this is the per-row hot path of every score, and it
only follows the plan :mod:`._signature` made when the reward was defined (one
tuple per input: parameter, kind, column, default), so it can stay a flat loop.
A missing required column raises ``KeyError(column)``; the caller turns that
into an error :class:`~rewardkit.Outcome` naming the column (see
``_missing_outcome`` in :mod:`._call`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._call import CompletionViews, _completion_of
from ._completion import Completion
from ._signature import _K_COLUMN, _K_COMPLETION, _K_STATE, _NO_DEFAULT

if TYPE_CHECKING:
    from ._reward import Reward

__all__ = ["batch_kwargs", "input_value", "row_kwargs"]


def row_kwargs(
    rw: Reward,
    row: Mapping[str, Any],
    state: Mapping[str, Any] | None,
    views: CompletionViews | None = None,
) -> dict[str, Any]:
    """The keyword arguments for one row: options, then each planned input."""
    kwargs: dict[str, Any] = rw.options.copy()
    if rw.takes_all_columns:
        for k, v in row.items():
            kwargs.setdefault(k, v)
    for name, kind, column, default in rw._plan:
        if kind == _K_COLUMN:
            if column in row:
                kwargs[name] = row[column]
            elif default is not _NO_DEFAULT:
                kwargs[name] = default
            else:
                raise KeyError(column)
        elif kind == _K_COMPLETION:
            kwargs[name] = _completion_of(row, views)
        elif kind == _K_STATE:
            kwargs[name] = state if state is not None else {}
        else:
            kwargs[name] = row
    if rw.takes_all_columns and "completion" in kwargs and "completion" not in rw.inputs:
        kwargs["completion"] = Completion.from_raw(kwargs["completion"], prompt=row.get("prompt"))
    return kwargs


def input_value(
    rw: Reward, name: str, row: Mapping[str, Any], state: Mapping[str, Any] | None
) -> Any:
    """One input's value for ``row`` (by parameter name), or ``KeyError``."""
    if name == "state":
        return state if state is not None else {}
    if name == "row":
        return row
    if name == "completion":
        return Completion.from_raw(row["completion"], prompt=row.get("prompt"))
    if name in row:
        return row[name]
    if name in rw.input_defaults:
        return rw.input_defaults[name]
    raise KeyError(name)


def batch_kwargs(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    state: Mapping[str, Any] | None,
    views: CompletionViews | None = None,
) -> dict[str, Any]:
    """The keyword arguments of a batched reward: one list per column input."""
    kwargs: dict[str, Any] = rw.options.copy()
    for name, kind, column, default in rw._plan:
        if kind == _K_COLUMN:
            if default is _NO_DEFAULT:
                for r in rows:
                    if column not in r:
                        raise KeyError(column)
                kwargs[name] = [r[column] for r in rows]
            else:
                kwargs[name] = [r[column] if column in r else default for r in rows]
        elif kind == _K_COMPLETION:
            kwargs[name] = [_completion_of(r, views) for r in rows]
        elif kind == _K_STATE:
            kwargs[name] = state if state is not None else {}
        else:
            kwargs[name] = list(rows)
    return kwargs
