"""The ``rewardkit`` command line (typer). See ``rewardkit --help``.

Importing this package builds the typer app but not rich: commands import rich
when they run, so ``rewardkit list --json`` in a script stays cheap.
"""

from __future__ import annotations

from ._app import app, main

__all__ = ["app", "main"]
