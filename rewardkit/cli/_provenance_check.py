"""Provenance checks for ``rewardkit diff``: refuse to compare scores from different code.

A diff between two scored files is read as "what changed in the model" or
"what my fix changed". When the reward code differs and that was not the point,
the comparison silently mixes two verifiers; so ``diff`` refuses unless told
with ``--allow-code-change`` that it is intended, and then names the rewards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._provenance import stamps_of
from ..io import InputError

__all__ = ["ProvenanceMismatch", "changed_code", "collect_stamps", "describe_stamps"]


def collect_stamps(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Every distinct stamp per reward key over ``rows``, in first-seen order."""
    seen: dict[str, dict[str, None]] = {}
    for row in rows:
        for k, v in stamps_of(row).items():
            seen.setdefault(k, {})[v] = None
    return {k: list(v) for k, v in seen.items()}


def changed_code(a: Mapping[str, list[str]], b: Mapping[str, list[str]]) -> list[str]:
    """Reward keys stamped in both files whose stamps differ (or are mixed within a file)."""
    return [k for k in a if k in b and (a[k] != b[k] or len(a[k]) > 1)]


def describe_stamps(a: Mapping[str, list[str]], b: Mapping[str, list[str]]) -> list[str]:
    """One line per reward: its stamp in A and B (``-`` where a file has none)."""
    lines = []
    for k in dict.fromkeys([*a, *b]):
        sa = ", ".join(a.get(k, [])) or "-"
        sb = ", ".join(b.get(k, [])) or "-"
        mark = "same" if sa == sb else "DIFFERENT CODE"
        lines.append(f"{k}: A {sa}  B {sb}  ({mark})")
    return lines


class ProvenanceMismatch(InputError):
    """Two scored files were produced by different code for the same reward."""

    def __init__(self, a: str, b: str, result: Any) -> None:
        names = ", ".join(repr(k) for k in result.code_changed)
        detail = "; ".join(
            line
            for line in describe_stamps(result.stamps_a, result.stamps_b)
            if line.split(":", 1)[0] in result.code_changed
        )
        super().__init__(
            f"{a} and {b} were scored by different code for {names} ({detail}); the diff would "
            "mix two verifiers. Re-score one file, or pass --allow-code-change to compare anyway"
        )
        self.result = result
