"""The seed's configuration class, ``GPT20BGRPOConfig``: one of its three presets plus overrides.

The document's Python API (``from config_20b import GPT20BGRPOConfig``) works in an exported
recipe folder and as ``rewardkit.recipes.gpt_oss_20b_16gb.config_20b``; the values come from
this recipe's ``recipe.yaml`` (the presets the document lists), so the API and
``python train.py --preset P`` always train the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__:
    from .. import _runtime as rt
    from . import train
else:  # an exported folder: siblings are top-level modules
    import _runtime as rt  # type: ignore[no-redef]
    import train  # type: ignore[no-redef]

__all__ = ["GPT20BGRPOConfig"]

HERE = Path(__file__).resolve().parent


@dataclass
class GPT20BGRPOConfig:
    """``preset``: ``conservative``, ``standard`` (default) or ``aggressive``; ``overrides``:
    ``{"grpo.max_steps": 10, ...}`` as ``--set`` takes them."""

    preset: str = "standard"
    model: str | None = None
    dataset: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The resolved run configuration (LoRA alpha doubled as the seed does)."""
        spec = rt.load_spec(HERE)
        sets = [f"{k}={v}" for k, v in self.overrides.items()]
        if self.model:
            sets.append(f"model={self.model}")
        if self.dataset:
            sets.append(f"dataset={self.dataset}")
        return train._resolved(rt.resolve_config(spec, preset=self.preset, sets=sets))

    @property
    def max_seq_length(self) -> int:
        return int(self.to_dict()["unsloth_model"]["max_seq_length"])

    @property
    def lora_rank(self) -> int:
        return int(self.to_dict()["unsloth_peft"]["r"])
