"""Loading rows (local files or hub datasets) and dropping overlong prompts.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_data`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__:
    from ._rt_config import ConfigError
    from ._rt_metrics import log
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_config import ConfigError
    from _rt_metrics import log


def is_local_data(source: str) -> bool:
    """True for a local ``.jsonl``/``.json`` file or a directory of them."""
    return os.path.exists(source) or source.endswith((".jsonl", ".json"))


def load_records(
    source: str,
    *,
    split: str = "train",
    name: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows from a local JSONL/JSON file (a list, or ``{"data": [...]}``) or a hub dataset.

    Local files are read with the standard library so a recipe's data step can
    be tested without ``datasets``; hub ids go through ``datasets.load_dataset``.
    """
    if is_local_data(source):
        path = Path(source)
        if not path.exists():
            raise ConfigError(f"dataset file {source} does not exist")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl" or (text.lstrip()[:1] == "{" and "\n{" in text):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            rows = data.get("data", data.get(split)) if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ConfigError(f"dataset file {source}: expected a list of JSON objects")
        return rows[:limit] if limit else rows
    from datasets import load_dataset

    ds = load_dataset(source, name, split=split)
    if limit:
        ds = ds.select(range(min(limit, len(ds))))
    return [dict(r) for r in ds]


def load_split(
    cfg: Mapping[str, Any],
    format_row: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any] | None],
    source: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(eval_rows, train_rows)``: ``cfg['dataset']`` (or ``source``) through ``format_row``.

    Rows ``format_row`` returns None for are dropped; the first ``eval_samples``
    formatted rows are held out for evaluation.
    """
    rows = load_records(
        str(cfg["dataset"]) if source is None else source,
        split=str(cfg.get("dataset_split", "train")),
        name=cfg.get("dataset_name"),
        limit=cfg.get("max_samples"),
    )
    data = [r for r in (format_row(x, cfg) for x in rows) if r is not None]
    n_eval = int(cfg.get("eval_samples") or 0)
    return data[:n_eval], data[n_eval:]


def to_dataset(rows: Sequence[Mapping[str, Any]]) -> Any:
    """A ``datasets.Dataset`` from rows (what ``GRPOTrainer`` takes)."""
    from datasets import Dataset

    return Dataset.from_list([dict(r) for r in rows])


def drop_long_prompts(
    rows: list[dict[str, Any]], tokenizer: Any, max_prompt_length: int | None
) -> list[dict[str, Any]]:
    """Drop rows whose prompt is longer than ``max_prompt_length`` tokens.

    This is what the seeds' ``max_prompt_length`` meant; TRL no longer accepts
    the argument, and truncating a math question silently would train on a
    different problem, so long prompts are dropped (and counted) instead.
    """
    if not max_prompt_length:
        return rows
    kept = []
    for row in rows:
        prompt = row["prompt"]
        if isinstance(prompt, list):
            ids = tokenizer.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True)
            if isinstance(ids, Mapping):
                ids = ids["input_ids"]
        else:
            ids = tokenizer(prompt)["input_ids"]
        if len(ids) <= max_prompt_length:
            kept.append(row)
    if len(kept) < len(rows):
        log(
            f"dropped {len(rows) - len(kept)} of {len(rows)} prompts over {max_prompt_length} tokens"
        )
    return kept
