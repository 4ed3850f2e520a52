"""Composition: build one reward out of others, keeping every term visible.

This module is the public face of :mod:`rewardkit.compose`: the constructors
(``weighted``, ``gate``, ``clip``, ...) that users call, over node classes that
live in modules of their own:

* :mod:`._composite`: the :class:`Composite` node and :class:`WeightedSum`
  (what ``a + 2*b`` builds);
* :mod:`._transforms`: ``clip``, ``scale``, ``threshold``, ``minimum``, ``maximum``;
* :mod:`._branches`: ``gate``, ``route``, ``when``, whose needed leaves depend on the row.

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

The node classes and the helpers other modules use (``_needed``, ``_staged``,
``_add``, ...) stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

# The node classes live in modules of their own; they and the helpers the engine, the
# formula parser and reward arithmetic use stay importable from here (``X as X``
# marks a deliberate re-export).
from ._branches import Gate as Gate
from ._branches import Route as Route
from ._branches import When as When
from ._branches import _staged as _staged
from ._composite import Composite as Composite
from ._composite import Lookup as Lookup
from ._composite import RewardLike as RewardLike
from ._composite import WeightedSum as WeightedSum
from ._composite import _add as _add
from ._composite import _as_node as _as_node
from ._composite import _eval as _eval
from ._composite import _flatten as _flatten
from ._composite import _mul as _mul
from ._composite import _needed as _needed
from ._composite import _neg as _neg
from ._composite import _number as _number
from ._composite import _sum_name as _sum_name
from ._composite import _takes_known as _takes_known
from ._composite import _terms as _terms
from ._transforms import Clip as Clip
from ._transforms import Scale as Scale
from ._transforms import Threshold as Threshold
from ._transforms import _Extreme as _Extreme
from ._transforms import _Unary as _Unary

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
