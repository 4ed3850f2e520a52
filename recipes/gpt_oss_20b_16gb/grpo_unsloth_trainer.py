"""The seed's trainer and dataset classes: ``UnslothGRPOTrainer(config)`` and
``UnslothGRPODataset(path, tokenizer)``, as its "Example Usage" writes them.

Thin classes over the same runtime ``train.py`` uses: the trainer loads the 4-bit model
with LoRA through Unsloth (imported first, as Unsloth requires) and ``train(dataset)``
runs the recipe's GRPO loop with rewardkit rewards (LoRA saved, reloaded, evaluated).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

if __package__:
    from .. import _runtime as rt
    from . import train
    from .config_20b import GPT20BGRPOConfig
else:  # an exported folder: siblings are top-level modules
    import _runtime as rt  # type: ignore[no-redef]
    import train  # type: ignore[no-redef]
    from config_20b import GPT20BGRPOConfig  # type: ignore[no-redef]

__all__ = ["UnslothGRPODataset", "UnslothGRPOTrainer"]


class UnslothGRPODataset:
    """Rows of the seed's JSON format (``prompt``/``answer``/``instruction``/``input``) as
    chat prompts; with a tokenizer, prompts over ``max_prompt_length`` tokens are dropped."""

    def __init__(
        self,
        path: str,
        tokenizer: Any = None,
        config: GPT20BGRPOConfig | None = None,
    ) -> None:
        cfg = (config or GPT20BGRPOConfig()).to_dict()
        rows = [train.format_row(r, cfg) for r in rt.load_records(path)]
        kept = [r for r in rows if r is not None]
        if tokenizer is not None:
            limit = (cfg.get("grpo") or {}).get("max_prompt_length")
            kept = rt.drop_long_prompts(kept, tokenizer, limit)
        self.rows: list[dict[str, Any]] = kept

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)


class UnslothGRPOTrainer:
    """Loads the model on construction (``.model``, ``.tokenizer``); ``train(dataset)`` runs GRPO."""

    def __init__(self, config: GPT20BGRPOConfig | None = None) -> None:
        self.config = config or GPT20BGRPOConfig()
        self.cfg = self.config.to_dict()
        rt.import_unsloth_first()
        self.model, self.tokenizer = rt.unsloth_model(self.cfg)

    def train(
        self, dataset: UnslothGRPODataset, eval_dataset: UnslothGRPODataset | None = None
    ) -> dict[str, Any]:
        """Train on ``dataset``; accuracy before/after on ``eval_dataset`` when given."""
        return rt.run_unsloth_grpo(
            self.cfg,
            list(dataset.rows),
            list(eval_dataset.rows) if eval_dataset is not None else [],
            loaded=(self.model, self.tokenizer),
        )
