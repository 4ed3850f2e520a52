"""Entry point for ``rewardkit recipe``: the recipes' typer sub-app, mounted lazily by the CLI.

In a wheel, ``rewardkit.recipes`` is the top-level ``recipes/`` folder mapped by
setuptools (``package_dir``). In a source checkout used through ``PYTHONPATH``
nothing maps it, so the folder beside this package is bound under that name
first; an installed package always wins.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _bind_source_recipes() -> None:
    if "rewardkit.recipes" in sys.modules or importlib.util.find_spec("rewardkit.recipes"):
        return
    init = Path(__file__).resolve().parent.parent / "recipes" / "__init__.py"
    if not init.is_file():
        return
    spec = importlib.util.spec_from_file_location(
        "rewardkit.recipes", init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["rewardkit.recipes"] = module
    spec.loader.exec_module(module)


_bind_source_recipes()

from rewardkit.recipes._cli import app  # type: ignore[import-not-found]  # noqa: E402

__all__ = ["app"]

if __name__ == "__main__":  # python -m rewardkit.recipes_cli run NAME ...
    app()
