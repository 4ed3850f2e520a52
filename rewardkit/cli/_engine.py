"""The CLI builds its scorer through the core's factory (kept here for the CLI's imports)."""

from __future__ import annotations

from ..engine._factory import make_scorer

__all__ = ["make_scorer"]
