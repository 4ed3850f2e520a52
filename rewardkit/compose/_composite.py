"""The :class:`Composite` node, and weighted sums: what every combined reward shares.

Why the node and the weighted sum live together: arithmetic on any node
(``a + 2*b``, ``-c``, ``x / 2``) builds a :class:`WeightedSum`, and a weighted
sum is itself a node, so the two definitions refer to each other. Everything
else in :mod:`rewardkit.compose` (transforms, gates, routes) builds on this
module, never the reverse.

How the engine evaluates a node (see :meth:`Composite.needed`): it asks which
leaf rewards a row *needs*, evaluates those, asks again with the outcomes known
so far until nothing more is needed, then calls :meth:`Composite.combine`.
Each combined outcome lists the score and status of every leaf it evaluated in
``extras["terms"]`` (built by :func:`_terms`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Union

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._combine import weighted_total

__all__ = ["Composite", "Lookup", "RewardLike", "WeightedSum"]

RewardLike = Union[Reward, "Composite"]
Lookup = Callable[[Reward], Outcome]


def _as_node(x: Any) -> RewardLike:
    if isinstance(x, (Reward, Composite)):
        return x
    raise TypeError(f"expected a reward, got {type(x).__name__} {x!r}")


class Composite:
    """Base class of combined rewards. Subclasses implement :meth:`needed` and :meth:`combine`."""

    name: str
    version: str = "1"
    description: str = ""
    cheap: bool = False
    children: tuple[RewardLike, ...] = ()

    # -- structure -------------------------------------------------------------------
    def leaves(self) -> list[Reward]:
        out: list[Reward] = []
        seen: set[str] = set()
        for child in self.children:
            for leaf in child.leaves():
                if leaf.key not in seen:
                    seen.add(leaf.key)
                    out.append(leaf)
        return out

    @property
    def key(self) -> str:
        return self.name

    @property
    def required_columns(self) -> tuple[str, ...]:
        cols: dict[str, None] = {}
        for leaf in self.leaves():
            cols.update(dict.fromkeys(leaf.required_columns))
        return tuple(cols)

    @property
    def columns(self) -> tuple[str, ...]:
        cols: dict[str, None] = dict.fromkeys(self.required_columns)
        for leaf in self.leaves():
            cols.update(dict.fromkeys(leaf.optional_columns))
        return tuple(cols)

    @property
    def range(self) -> tuple[float | None, float | None]:
        return (None, None)

    @property
    def is_async(self) -> bool:
        return False

    def bind(self, columns: Collection[str], *, where: str | None = None) -> None:
        for leaf in self.leaves():
            leaf.bind(columns, where=where)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- evaluation --------------------------------------------------------------------
    def needed(
        self, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
    ) -> list[Reward]:
        """The leaves still needed on this row, given the outcomes ``known`` so far.

        ``known`` maps leaf keys to outcomes already evaluated for this row (``None``:
        nothing yet). The engine evaluates what this returns and asks again with the
        larger ``known`` until it returns no leaf that is not known, then calls
        :meth:`combine`, which may ask only for leaves listed along the way. This
        default needs every child's leaves up front; ``gate`` asks for its value only
        once its condition is known to have passed.
        """
        out: list[Reward] = []
        for child in self.children:
            out.extend(_needed(child, row, known))
        return out

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        raise NotImplementedError

    def score(
        self,
        row: Mapping[str, Any],
        *,
        state: Mapping[str, Any] | None = None,
        index: int | None = None,
    ) -> Outcome:
        """Evaluate in-process (no isolation); the engine uses needed/combine instead."""
        cache: dict[str, Outcome] = {}

        def lookup(leaf: Reward) -> Outcome:
            if leaf.key not in cache:
                cache[leaf.key] = leaf.score(row, state=state, index=index)
            return cache[leaf.key]

        return self.combine(row, lookup)

    def score_batch(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        state: Mapping[str, Any] | None = None,
        start: int = 0,
    ) -> list[Outcome]:
        return [self.score(r, state=state, index=start + i) for i, r in enumerate(rows)]

    # -- arithmetic builds weighted sums ---------------------------------------------------
    def __add__(self, other: Any) -> Composite:
        return _add(self, other)

    def __radd__(self, other: Any) -> Composite:
        return _add(other, self)

    def __sub__(self, other: Any) -> Composite:
        return _add(self, _neg(other))

    def __rsub__(self, other: Any) -> Composite:
        return _add(other, _neg(self))

    def __mul__(self, k: Any) -> Composite:
        return _mul(self, k)

    def __rmul__(self, k: Any) -> Composite:
        return _mul(self, k)

    def __truediv__(self, k: Any) -> Composite:
        return _mul(self, 1.0 / _number(k))

    def __neg__(self) -> Composite:
        return _mul(self, -1.0)


_TAKES_KNOWN: dict[type[Composite], bool] = {}


def _takes_known(cls: type[Composite]) -> bool:
    """Whether ``cls.needed`` accepts ``known`` (subclasses written before it did not)."""
    hit = _TAKES_KNOWN.get(cls)
    if hit is None:
        try:
            params = list(inspect.signature(cls.needed).parameters.values())
        except (TypeError, ValueError):
            params = []
        hit = _TAKES_KNOWN[cls] = (
            not params
            or len(params) >= 3
            or "known" in (p.name for p in params)
            or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
        )
    return hit


def _needed(
    node: RewardLike, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
) -> list[Reward]:
    """The leaves of ``node`` still needed on ``row`` given the outcomes ``known``."""
    if not isinstance(node, Composite):
        return [node] if known is None or node.key not in known else []
    if known is None:
        return node.needed(row)
    if _takes_known(type(node)):
        return node.needed(row, known)
    return [leaf for leaf in node.needed(row) if leaf.key not in known]


def _eval(node: RewardLike, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
    return node.combine(row, lookup) if isinstance(node, Composite) else lookup(node)


def _terms(outcomes: Mapping[str, Outcome]) -> dict[str, Any]:
    terms: dict[str, Any] = {}
    for key, out in outcomes.items():
        sub = out.extras.get("terms") if isinstance(out.extras, Mapping) else None
        if isinstance(sub, Mapping):
            terms.update(sub)
        else:
            terms[key] = {"score": out.score, "status": out.status.value}
    return terms


def _number(k: Any) -> float:
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise TypeError(f"rewards can only be scaled by numbers, got {type(k).__name__}")
    if not math.isfinite(float(k)):
        raise ValueError(f"weight must be finite, got {k!r}")
    return float(k)


class WeightedSum(Composite):
    """``sum(w_i * r_i) + bias``; built by ``+``/``*`` on rewards or :func:`weighted`."""

    def __init__(
        self,
        terms: Sequence[tuple[float, RewardLike]],
        bias: float = 0.0,
        *,
        name: str | None = None,
    ) -> None:
        self.terms = tuple((float(w), _as_node(r)) for w, r in terms)
        self.bias = float(bias)
        self.children = tuple(r for _, r in self.terms)
        self.name = name or _sum_name(self.terms, self.bias)

    @property
    def range(self) -> tuple[float | None, float | None]:
        """Each bound on its own: an unbounded side of one term (``None``) leaves only
        that side of the sum unbounded, so ``0.5*xml_count`` keeps its upper bound 0.5."""
        lo = hi = self.bias
        for w, r in self.terms:
            if w == 0:
                continue
            rlo, rhi = r.range
            ends = (
                -math.inf if rlo is None else rlo,
                math.inf if rhi is None else rhi,
            )
            a, b = sorted((w * ends[0], w * ends[1]))
            lo += a
            hi += b
        return (lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None)

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        outs = {r.key: _eval(r, row, lookup) for _, r in self.terms}
        terms = _terms(outs)
        total, status, failed = weighted_total([(w, outs[r.key]) for w, r in self.terms], self.bias)
        if failed >= 0:
            key = self.terms[failed][1].key
            return Outcome(None, status, f"term {key!r}: {outs[key].reason}", {"terms": terms})
        if total is None:
            return Outcome(None, Status.NOT_APPLICABLE, "no term applies", {"terms": terms})
        return Outcome(total, Status.OK, "", {"terms": terms})


def _sum_name(terms: Sequence[tuple[float, RewardLike]], bias: float) -> str:
    parts = []
    for w, r in terms:
        parts.append(r.key if w == 1.0 else f"{w:g}*{r.key}")
    if bias:
        parts.append(f"{bias:g}")
    return "+".join(parts).replace("+-", "-")


def _flatten(x: Any) -> tuple[list[tuple[float, RewardLike]], float]:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return [], float(x)
    if isinstance(x, WeightedSum) and x.name == _sum_name(x.terms, x.bias):
        return list(x.terms), x.bias
    return [(1.0, _as_node(x))], 0.0


def _add(a: Any, b: Any) -> WeightedSum:
    ta, ba = _flatten(a)
    tb, bb = _flatten(b)
    return WeightedSum(ta + tb, ba + bb)


def _mul(node: Any, k: Any) -> WeightedSum:
    f = _number(k)
    terms, bias = _flatten(node)
    return WeightedSum([(w * f, r) for w, r in terms], bias * f)


def _neg(x: Any) -> Any:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return -x
    return _mul(x, -1.0)
