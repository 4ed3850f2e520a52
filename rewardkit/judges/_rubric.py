"""What the judge is asked for, and how its reply becomes a score in [0, 1].

A rubric is either a scale (``1..10``: one number, mapped linearly onto 0..1) or
weighted criteria (each judged 0..1 or true/false, combined by weight). The reply is
read strictly as JSON first; a tolerant reader then looks for the first JSON object
in the text, and last for ``score: N``. A reply none of them can read is
*unparseable* — a failure of the judge, which the reward reports as such, never a 0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Rubric", "parse_reply"]

#: Longest reply read; a judge rambling past this is cut before parsing.
MAX_REPLY_CHARS = 20_000
_SCORE_WORD = re.compile(r"\"?score\"?\s*[:=]\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class Rubric:
    """A 1..N scale, or weighted criteria; ``describe()`` is the instruction sent."""

    scale: tuple[float, float] = (1.0, 10.0)
    criteria: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(
        cls, scale: Sequence[float] | None = None, criteria: Mapping[str, float] | None = None
    ) -> Rubric:
        if criteria:
            items = tuple((str(k), float(w)) for k, w in criteria.items())
            if any(w < 0 or not math.isfinite(w) for _, w in items) or not sum(w for _, w in items):
                raise ValueError(f"criteria weights must be >= 0 with a positive sum: {criteria}")
            return cls(criteria=items)
        lo, hi = (1.0, 10.0) if scale is None else (float(scale[0]), float(scale[1]))
        if not hi > lo:
            raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}")
        return cls(scale=(lo, hi))

    def describe(self, group: int | None = None) -> str:
        lo, hi = self.scale
        if self.criteria:
            names = ", ".join(f'"{k}"' for k, _ in self.criteria)
            one = f"an object with keys {names}, each a number from 0 to 1 (or true/false)"
        else:
            one = (
                f'an object {{"score": N}} where N is a number from {lo:g} (worst) to {hi:g} (best)'
            )
        if group is None:
            return f'Reply with only {one}, with a short "reason" key added.'
        return (
            f'Reply with only a JSON object {{"scores": [...]}} holding {group} entries, one per '
            f"answer in the order given, each {one}. Judge the answers relative to each other; "
            'add a short "reason".'
        )

    def score(self, obj: Any) -> float:
        """Map one judged item onto [0, 1]; ``ValueError`` names what is wrong."""
        if self.criteria:
            if not isinstance(obj, Mapping):
                raise ValueError(f"expected an object with the criteria, got {_kind(obj)}")
            total = weight = 0.0
            for name, w in self.criteria:
                if name not in obj:
                    raise ValueError(f"criterion {name!r} missing from the reply")
                total += w * _unit(obj[name], name)
                weight += w
            return total / weight
        value = obj.get("score") if isinstance(obj, Mapping) else obj
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a numeric score, got {_kind(value)}")
        lo, hi = self.scale
        v = float(value)
        if not (lo <= v <= hi):
            raise ValueError(f"score {v:g} outside the scale {lo:g}..{hi:g}")
        return (v - lo) / (hi - lo)


def _unit(value: Any, name: str) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0:
        return float(value)
    raise ValueError(f"criterion {name!r} must be 0..1 or true/false, got {value!r}")


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {str(value)[:40]!r}"


def parse_reply(text: str) -> Any:
    """The JSON value in a judge's reply (strict, then tolerant); ``ValueError`` if none."""
    text = text[:MAX_REPLY_CHARS].strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start = text.find("{")
    while start != -1:
        end = _matching_brace(text, start)
        if end is not None:
            try:
                return json.loads(text[start : end + 1])
            except ValueError:
                pass
        start = text.find("{", start + 1)
    m = _SCORE_WORD.search(text)
    if m:
        return {"score": float(m.group(1))}
    raise ValueError(f"no JSON object or score in the judge's reply: {text[:120]!r}")


def _matching_brace(text: str, start: int) -> int | None:
    depth, in_str, esc = 0, False, False
    for i in range(start, len(text)):
        c = text[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return None
