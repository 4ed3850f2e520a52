"""TRL's keyword arguments as rewardkit rows: one row per completion.

TRL calls a reward function with ``prompts``, ``completions``,
``completion_ids``, every dataset column (one value per completion, or one for
the batch) and a few trainer arguments (:data:`TRAINER_KWARGS`). The engine
scores rows, so this module turns one call into ``len(completions)`` rows plus
the trainer state (step, epoch) that rewards may read as ``state``; the
``columns`` mapping (``{"answer": "solution"}``) renames dataset columns into
the inputs rewards ask for, as ``rewardkit score --map`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TRAINER_KWARGS", "build_rows"]

#: Keyword arguments TRL adds next to the dataset columns; never treated as columns.
TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments"})


def _state_of(trainer_state: Any) -> dict[str, Any]:
    if trainer_state is None:
        return {}
    if isinstance(trainer_state, Mapping):
        return dict(trainer_state)
    state: dict[str, Any] = {}
    for attr in ("global_step", "max_steps", "epoch", "num_train_epochs"):
        value = getattr(trainer_state, attr, None)
        if value is not None:
            state[attr] = value
    return state


def build_rows(
    prompts: Any,
    completions: Sequence[Any],
    completion_ids: Any,
    kwargs: Mapping[str, Any],
    columns: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per completion from TRL's keyword arguments, plus the trainer state mapping.

    ``columns`` maps a reward input to the dataset column that feeds it
    (``{"answer": "solution"}``): the row gets ``answer`` from ``solution``.
    """
    n = len(completions)
    per_column: list[tuple[str, Any, bool]] = []
    for key, value in kwargs.items():
        if key in TRAINER_KWARGS:
            continue
        per_row = isinstance(value, (list, tuple)) and len(value) == n
        per_column.append((key, value, per_row))
    rows: list[dict[str, Any]] = []
    has_prompts = prompts is not None and len(prompts) == n
    has_ids = completion_ids is not None and len(completion_ids) == n
    for i in range(n):
        row: dict[str, Any] = {"completion": completions[i]}
        if has_prompts:
            row["prompt"] = prompts[i]
        if has_ids:
            row["completion_ids"] = completion_ids[i]
        for key, value, per_row in per_column:
            row[key] = value[i] if per_row else value
        if columns:
            for field, col in columns.items():
                if col in row:
                    row[field] = row[col]
        rows.append(row)
    return rows, _state_of(kwargs.get("trainer_state"))
