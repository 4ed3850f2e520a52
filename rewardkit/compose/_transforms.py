"""Score transforms: clip, scale, threshold, and the minimum/maximum of several rewards.

Each node here needs all of its children's leaves up front and only reshapes
their scores, so none of them changes *what* is evaluated on a row, only the
number that comes out. In clip, scale and threshold a child without a score
(``not_applicable``, an error, a timeout) passes through unchanged: a transform
never invents a score for a sample that has none. Minimum and maximum follow
the rules of a sum: a failed term fails the result, inapplicable terms are left
out. Declared ranges are propagated so the trainer lint can check weights
against them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..contract._outcome import Outcome, Status
from ._combine import FAILED
from ._composite import Composite, Lookup, RewardLike, _as_node, _eval, _number, _terms

__all__ = ["Clip", "Scale", "Threshold"]

_BAD = FAILED


class _Unary(Composite):
    def __init__(self, child: RewardLike, name: str) -> None:
        self.child = _as_node(child)
        self.children = (self.child,)
        self.name = name


class Clip(_Unary):
    def __init__(self, child: RewardLike, lo: float, hi: float, *, name: str | None = None) -> None:
        if lo > hi:
            raise ValueError(f"clip: low {lo} is above high {hi}")
        super().__init__(child, name or f"clip({_as_node(child).key}, {lo:g}, {hi:g})")
        self.lo, self.hi = float(lo), float(hi)

    @property
    def range(self) -> tuple[float | None, float | None]:
        """The clip bounds, narrowed by the child's own range where it is tighter."""
        clo, chi = self.child.range
        lo = self.lo if clo is None else min(self.hi, max(self.lo, clo))
        hi = self.hi if chi is None else max(self.lo, min(self.hi, chi))
        return (lo, hi)

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        o = _eval(self.child, row, lookup)
        if o.score is None:
            return o
        return Outcome(
            min(self.hi, max(self.lo, o.score)),
            o.status,
            o.reason,
            {"terms": _terms({self.child.key: o})},
        )


class Scale(_Unary):
    def __init__(
        self, child: RewardLike, factor: float, offset: float = 0.0, *, name: str | None = None
    ) -> None:
        super().__init__(child, name or f"scale({_as_node(child).key}, {factor:g}, {offset:g})")
        self.factor, self.offset = _number(factor), _number(offset)

    @property
    def range(self) -> tuple[float | None, float | None]:
        lo, hi = self.child.range
        ends = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
        if self.factor == 0:
            return (self.offset, self.offset)
        a, b = sorted((ends[0] * self.factor + self.offset, ends[1] * self.factor + self.offset))
        return (a if math.isfinite(a) else None, b if math.isfinite(b) else None)

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        o = _eval(self.child, row, lookup)
        if o.score is None:
            return o
        return Outcome(
            o.score * self.factor + self.offset,
            o.status,
            o.reason,
            {"terms": _terms({self.child.key: o})},
        )


class Threshold(_Unary):
    def __init__(
        self,
        child: RewardLike,
        at: float,
        above: float = 1.0,
        below: float = 0.0,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(child, name or f"threshold({_as_node(child).key}, {at:g})")
        self.at, self.above, self.below = float(at), float(above), float(below)

    @property
    def range(self) -> tuple[float | None, float | None]:
        return (min(self.above, self.below), max(self.above, self.below))

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        o = _eval(self.child, row, lookup)
        if o.score is None:
            return o
        v = self.above if o.score >= self.at else self.below
        return Outcome(v, o.status, o.reason, {"terms": _terms({self.child.key: o})})


class _Extreme(Composite):
    def __init__(
        self,
        children: Sequence[RewardLike],
        pick: Callable[..., float],
        label: str,
        name: str | None,
    ) -> None:
        if not children:
            raise ValueError(f"{label}() needs at least one reward")
        self.children = tuple(_as_node(c) for c in children)
        self.pick = pick
        self.name = name or f"{label}({', '.join(c.key for c in self.children)})"

    @property
    def range(self) -> tuple[float | None, float | None]:
        los = [c.range[0] for c in self.children]
        his = [c.range[1] for c in self.children]
        # None is -inf on the low side and +inf on the high side: max() of bounds drops
        # an unbounded low end when another term is bounded, min() keeps it
        lo_f = self.pick([-math.inf if x is None else x for x in los])
        hi_f = self.pick([math.inf if x is None else x for x in his])
        lo = lo_f if math.isfinite(lo_f) else None
        hi = hi_f if math.isfinite(hi_f) else None
        return (lo, hi)

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        outs = {c.key: _eval(c, row, lookup) for c in self.children}
        terms = _terms(outs)
        for k, o in outs.items():
            if o.status in _BAD:
                return Outcome(None, o.status, f"term {k!r}: {o.reason}", {"terms": terms})
        scores = [o.score for o in outs.values() if o.score is not None]
        if not scores:
            return Outcome(None, Status.NOT_APPLICABLE, "no term applies", {"terms": terms})
        return Outcome(self.pick(scores), Status.OK, "", {"terms": terms})
