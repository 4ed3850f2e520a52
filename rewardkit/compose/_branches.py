"""Conditional nodes: gate, route and when, whose needed leaves depend on the row.

Why these are apart from the other composites: they decide *what is evaluated*,
not just how scores combine. A ``gate`` runs its value only once its condition
has passed (so an expensive check costs nothing on badly formatted
completions), a ``route`` runs only the branch named by a column, and ``when``
runs its child only where a predicate holds. The engine asks :func:`_staged`
whether a node may need more leaves once some outcomes are known, and then
evaluates it in phases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._combine import FAILED
from ._composite import (
    Composite,
    Lookup,
    RewardLike,
    _as_node,
    _eval,
    _needed,
    _takes_known,
    _terms,
)

__all__ = ["Gate", "Route", "When"]

_BAD = FAILED


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


def _staged(node: RewardLike) -> bool:
    """Whether ``node`` may need more leaves once some outcomes are known (contains a gate
    or a composite with its own ``needed(row, known)``); others need everything up front."""
    if not isinstance(node, Composite):
        return False
    own = type(node).needed
    if own not in _UPFRONT and _takes_known(type(node)):
        return True
    return any(_staged(c) for c in node.children)
