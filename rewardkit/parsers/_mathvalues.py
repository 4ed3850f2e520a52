"""The values a parsed answer becomes, and the parser's bounds.

A final answer is one of a few shapes (a number, a sympy expression, ``\\pm``
alternatives, a tuple/list/set, an interval, a union, a matrix, a relation, or
words); :mod:`._mathequal` compares them shape by shape. All are frozen, so a
parsed gold can be cached and shared across a GRPO group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._numbers import ParsedNumber

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_BIG_OP_TERMS",
    "MAX_DEPTH",
    "MAX_FACTORIAL",
    "MAX_RESULT_DIGITS",
    "MAX_SYMBOLIC_EXPONENT",
    "Alternatives",
    "IntervalValue",
    "MathParseError",
    "MathValue",
    "MatrixValue",
    "NumberValue",
    "RelationValue",
    "ScalarValue",
    "SeqValue",
    "TextValue",
    "UnionValue",
    "flatten_alts",
    "wrap",
]

#: Deepest nesting of groups/fractions/powers accepted.
MAX_DEPTH = 40
#: Largest integer (in decimal digits) any intermediate result may have.
MAX_RESULT_DIGITS = 2_000
#: Largest integer exponent on a non-numeric base (x^64 expands fine; x^100000 does not).
MAX_SYMBOLIC_EXPONENT = 64
MAX_FACTORIAL = 500
MAX_ALTERNATIVES = 8
#: Most terms a ``\\sum``/``\\prod`` with integer limits is expanded into.
MAX_BIG_OP_TERMS = 200


class MathParseError(ValueError):
    """The answer is malformed, outside the supported language, or too large to evaluate."""


# -- values -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A plain number settled without sympy (the fast path)."""

    number: ParsedNumber


@dataclass(frozen=True, slots=True)
class ScalarValue:
    """One sympy expression; ``percent`` when written as ``N\\%`` at the top level."""

    expr: Any
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Alternatives:
    """``a \\pm b``: the values it stands for."""

    options: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SeqValue:
    """Several values: ``kind`` is ``tuple`` (ordered, in brackets), ``list`` (bare commas,
    unordered) or ``set`` (``\\{...\\}``, unordered). ``brackets`` keeps the delimiters so a
    two-element ``(a, b)`` can also be read as an open interval."""

    kind: str
    items: tuple[MathValue, ...]
    brackets: str = ""


@dataclass(frozen=True, slots=True)
class IntervalValue:
    lo: Any
    hi: Any
    left_open: bool
    right_open: bool


@dataclass(frozen=True, slots=True)
class UnionValue:
    parts: tuple[MathValue, ...]


@dataclass(frozen=True, slots=True)
class MatrixValue:
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class RelationValue:
    """``a = b``, ``x \\leq 3``, ``x = 5+5+1 = 11``, ``x \\in [0, 1)``: sides and operators."""

    sides: tuple[MathValue, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextValue:
    """A textual answer (``\\text{Evelyn}``), compared after normalisation."""

    text: str


MathValue = (
    NumberValue
    | ScalarValue
    | Alternatives
    | SeqValue
    | IntervalValue
    | UnionValue
    | MatrixValue
    | RelationValue
    | TextValue
)


def flatten_alts(items: tuple[Any, ...]) -> tuple[MathValue, ...]:
    out: list[Any] = []
    for it in items:
        if isinstance(it, Alternatives):
            out.extend(ScalarValue(o) for o in it.options)
        else:
            out.append(wrap(it))
    return tuple(out)


def wrap(v: Any) -> MathValue:
    """Raw sympy expressions become :class:`ScalarValue`; values pass through."""
    if isinstance(v, MathValue):
        if isinstance(v, SeqValue):
            return SeqValue(v.kind, tuple(wrap(i) for i in v.items), v.brackets)
        if isinstance(v, RelationValue):
            return RelationValue(tuple(wrap(i) for i in v.sides), v.ops)
        if isinstance(v, UnionValue):
            return UnionValue(tuple(wrap(i) for i in v.parts))
        return v
    return ScalarValue(v)
