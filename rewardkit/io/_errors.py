"""Input/output errors, carrying the position in the data as attributes."""

from __future__ import annotations

from ..contract._errors import RewardkitError

__all__ = ["InputError", "ResumeError"]


class InputError(RewardkitError, ValueError):
    """The input cannot be read: a missing file, a malformed record under ``strict``.

    The message starts with ``FILE:LINE:`` when the position is known; ``.path``
    and ``.line`` carry the same facts for programs.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class ResumeError(RewardkitError, ValueError):
    """``--resume`` cannot continue: no partial run, or one made with other inputs/options."""
