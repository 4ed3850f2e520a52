"""Bundled GRPO recipes: five reference trainings rebuilt on rewardkit rewards.

Each recipe is a folder ``<name_with_underscores>/`` holding ``recipe.yaml``
(config, named presets, hardware needs, requirements file), a pinned
``requirements.txt``, launcher files and ``train.py``. The folder ships inside
the wheel as ``rewardkit.recipes.<name>`` so ``rewardkit recipe`` finds it after
``pip install``; ``rewardkit recipe export`` copies one out as a standalone,
editable folder.

Nothing heavy is imported here: listing recipes must work without torch, trl or
any trainer installed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["RECIPES_DIR", "recipe_dir", "recipe_names"]

#: The directory holding the recipe folders (the package's own directory).
RECIPES_DIR = Path(__file__).resolve().parent


def recipe_names() -> list[str]:
    """Names of the bundled recipes (``gsm8k-trl-deepspeed-lora``, ...), sorted."""
    return sorted(
        p.name.replace("_", "-")
        for p in RECIPES_DIR.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "recipe.yaml").is_file()
    )


def recipe_dir(name: str) -> Path:
    """The folder of recipe ``name`` (dashes or underscores); raises ``KeyError`` if unknown."""
    path = RECIPES_DIR / name.replace("-", "_")
    if not (path / "recipe.yaml").is_file():
        raise KeyError(name)
    return path
