"""Composition: build one reward out of others, keeping every term visible.

Composites are pure combinators over :class:`Outcome` values. The engine first
asks a composite which leaf rewards a row *needs* (a ``route`` needs only the
branch for that row), evaluates those leaves (isolated, cached, in parallel),
and asks again with the outcomes known so far until nothing more is needed (a
``gate`` needs its value only once its condition has passed); then it asks the
composite to *combine* them. Each combined outcome carries the score and status
of every leaf it evaluated in ``extras["terms"]`` so trainers can log them; a
term that was skipped (a gate's value when the condition failed) is absent.

Status rules, chosen to be honest rather than convenient:

* a term that is ``not_applicable`` is left out of a sum (TRL's NaN semantics);
  if every term is, the sum is ``not_applicable``;
* a term that timed out or errored makes the combined value ``timeout``/``error``
  — a total silently missing a term would mislead the optimiser.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Union

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._combine import FAILED, weighted_total

__all__ = [
    "Composite",
    "clip",
    "gate",
    "maximum",
    "minimum",
    "route",
    "scale",
    "threshold",
    "weighted",
    "when",
]

RewardLike = Union[Reward, "Composite"]
Lookup = Callable[[Reward], Outcome]

_BAD = FAILED


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


def _staged(node: RewardLike) -> bool:
    """Whether ``node`` may need more leaves once some outcomes are known (contains a gate
    or a composite with its own ``needed(row, known)``); others need everything up front."""
    if not isinstance(node, Composite):
        return False
    own = type(node).needed
    if own not in _UPFRONT and _takes_known(type(node)):
        return True
    return any(_staged(c) for c in node.children)


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


class Gate(Composite):
    """``value`` if ``condition`` scores at least ``at``, else ``otherwise``.

    The value is evaluated only on rows whose condition passed (not error/timeout and
    a score of at least ``at``); elsewhere it is never run and is absent from
    ``extras["terms"]``.
    """

    def __init__(
        self,
        condition: RewardLike,
        value: RewardLike,
        at: float = 1.0,
        otherwise: float = 0.0,
        *,
        name: str | None = None,
    ) -> None:
        self.condition, self.value = _as_node(condition), _as_node(value)
        self.children = (self.condition, self.value)
        self.at, self.otherwise = float(at), float(otherwise)
        self.name = name or f"gate({self.condition.key}, {self.value.key})"

    @property
    def range(self) -> tuple[float | None, float | None]:
        lo, hi = self.value.range
        return (
            None if lo is None else min(lo, self.otherwise),
            None if hi is None else max(hi, self.otherwise),
        )

    def _passed(self, c: Outcome) -> bool:
        return c.status not in _BAD and c.score is not None and c.score >= self.at

    def needed(
        self, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
    ) -> list[Reward]:
        """The condition's leaves first; the value's only once the condition has passed."""
        cond = _needed(self.condition, row, known)
        if cond:
            return cond
        have: Mapping[str, Outcome] = {} if known is None else known

        def lookup(leaf: Reward) -> Outcome:
            got = have.get(leaf.key)
            if got is None:
                raise KeyError(leaf.key)
            return got

        try:
            c = _eval(self.condition, row, lookup)
        except Exception:  # combine() meets the same failure and reports it
            return []
        return _needed(self.value, row, known) if self._passed(c) else []

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        # The value is evaluated only when the condition passes, so a skipped value is
        # absent from extras["terms"] (and was never run).
        c = _eval(self.condition, row, lookup)
        if c.status in _BAD:
            return Outcome(
                None,
                c.status,
                f"gate condition {self.condition.key!r}: {c.reason}",
                {"terms": _terms({self.condition.key: c})},
            )
        if not self._passed(c):
            return Outcome(
                self.otherwise,
                Status.OK,
                f"gate {self.condition.key!r} not passed",
                {"terms": _terms({self.condition.key: c})},
            )
        v = _eval(self.value, row, lookup)
        terms = _terms({self.condition.key: c, self.value.key: v})
        return Outcome(v.score, v.status, v.reason, {"terms": terms})


class Route(Composite):
    """Pick a reward per row by the value of a column (mixed-task datasets)."""

    def __init__(
        self,
        by: str,
        table: Mapping[Any, RewardLike],
        default: RewardLike | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.by = by
        self.table = {k: _as_node(v) for k, v in table.items()}
        self.default = None if default is None else _as_node(default)
        self.children = tuple(self.table.values()) + ((self.default,) if self.default else ())
        self.name = name or f"route_{by}"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return (self.by,) + tuple(c for c in super().required_columns if c != self.by)

    def bind(self, columns: Collection[str], *, where: str | None = None) -> None:
        from ..contract._errors import MissingColumnError

        if self.by not in columns:
            raise MissingColumnError(
                reward=self.name, missing=[self.by], present=columns, where=where
            )
        super().bind(columns, where=where)

    def _pick(self, row: Mapping[str, Any]) -> RewardLike | None:
        try:
            return self.table.get(row.get(self.by), self.default)
        except TypeError:  # an unhashable value (a list) matches no key
            return self.default

    def needed(
        self, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
    ) -> list[Reward]:
        node = self._pick(row)
        return [] if node is None else _needed(node, row, known)

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        node = self._pick(row)
        if node is None:
            return Outcome(
                None, Status.NOT_APPLICABLE, f"no reward routed for {self.by}={row.get(self.by)!r}"
            )
        o = _eval(node, row, lookup)
        return Outcome(
            o.score,
            o.status,
            o.reason,
            {**o.extras, "route": node.key, "terms": _terms({node.key: o})},
        )


class When(Composite):
    """Apply ``child`` only where ``predicate(row)`` is true; elsewhere not applicable."""

    def __init__(
        self,
        predicate: Callable[[Mapping[str, Any]], bool],
        child: RewardLike,
        *,
        name: str | None = None,
    ) -> None:
        self.predicate = predicate
        self.child = _as_node(child)
        self.children = (self.child,)
        self.name = name or f"when_{getattr(predicate, '__name__', 'predicate')}_{self.child.key}"

    @property
    def range(self) -> tuple[float | None, float | None]:
        return self.child.range

    def _applies(self, row: Mapping[str, Any]) -> bool | Exception:
        try:
            return bool(self.predicate(row))
        except Exception as exc:  # reported by combine(), never read as "false"
            return exc

    def needed(
        self, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
    ) -> list[Reward]:
        return _needed(self.child, row, known) if self._applies(row) is True else []

    def combine(self, row: Mapping[str, Any], lookup: Lookup) -> Outcome:
        applies = self._applies(row)
        name = getattr(self.predicate, "__name__", "predicate")
        if isinstance(applies, Exception):
            return Outcome(
                None,
                Status.ERROR,
                f"{self.name}: predicate {name} raised {type(applies).__name__}: {applies}",
                {"exception": type(applies).__name__},
            )
        if not applies:
            return Outcome(None, Status.NOT_APPLICABLE, f"{name} is false for this row")
        return _eval(self.child, row, lookup)


#: ``needed`` implementations that never depend on ``known`` beyond their children's.
_UPFRONT = (Composite.needed, Route.needed, When.needed)


# -- public constructors ------------------------------------------------------------------


def weighted(
    terms: Mapping[RewardLike, float] | Sequence[tuple[RewardLike, float]],
    *,
    name: str | None = None,
) -> WeightedSum:
    """Weighted sum of rewards. ``weighted([(think_format, 0.7), (unique_chars, 0.3)])``."""
    items = terms.items() if isinstance(terms, Mapping) else terms
    return WeightedSum([(_number(w), r) for r, w in items], name=name)


def gate(
    condition: RewardLike,
    value: RewardLike,
    *,
    at: float = 1.0,
    otherwise: float = 0.0,
    name: str | None = None,
) -> Gate:
    """Score ``value`` only when ``condition`` scores at least ``at`` (e.g. format before correctness).

    ``value`` is not evaluated at all on rows where the condition fails, so an
    expensive value (code tests in a sandbox) costs nothing for badly formatted
    completions; such rows score ``otherwise`` and their ``extras["terms"]`` lists
    only the condition's terms.
    """
    return Gate(condition, value, at, otherwise, name=name)


def clip(child: RewardLike, lo: float, hi: float, *, name: str | None = None) -> Clip:
    """Clamp a reward's score to ``[lo, hi]``."""
    return Clip(child, lo, hi, name=name)


def scale(
    child: RewardLike, factor: float, offset: float = 0.0, *, name: str | None = None
) -> Scale:
    """``factor * score + offset``."""
    return Scale(child, factor, offset, name=name)


def threshold(
    child: RewardLike, at: float, *, above: float = 1.0, below: float = 0.0, name: str | None = None
) -> Threshold:
    """Binarise: ``above`` when the score is at least ``at``, else ``below``."""
    return Threshold(child, at, above, below, name=name)


def minimum(*children: RewardLike, name: str | None = None) -> Composite:
    """The lowest score among the rewards."""
    return _Extreme(children, min, "min", name)


def maximum(*children: RewardLike, name: str | None = None) -> Composite:
    """The highest score among the rewards."""
    return _Extreme(children, max, "max", name)


def route(
    by: str,
    table: Mapping[Any, RewardLike],
    *,
    default: RewardLike | None = None,
    name: str | None = None,
) -> Route:
    """Choose the reward per row by ``row[by]`` (e.g. ``data_source``)."""
    return Route(by, table, default, name=name)


def when(
    predicate: Callable[[Mapping[str, Any]], bool], child: RewardLike, *, name: str | None = None
) -> When:
    """Apply ``child`` only to rows where ``predicate(row)`` holds."""
    return When(predicate, child, name=name)
