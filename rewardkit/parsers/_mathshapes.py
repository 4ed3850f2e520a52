"""Reading parsed answers as shapes the comparison understands, and evaluating them.

:mod:`._mathequal` compares values; this module supplies the readings it needs:
``x < 2`` as a half-line, ``0 < x \\le 1`` as an interval, ``1 \\le |z| \\le 2`` as a
union, ``x \\in S`` as ``S``, a percent's two readings, a relation's normalised
difference, and bounded numeric evaluation at deterministic sample points
(an unevaluated ``\\sum`` is never evaluated numerically).
"""

from __future__ import annotations

import math
import zlib
from typing import Any

from ._mathparse import (
    Alternatives,
    IntervalValue,
    MathValue,
    NumberValue,
    RelationValue,
    ScalarValue,
    SeqValue,
    TextValue,
    UnionValue,
    parse_math,
)

__all__ = [
    "function_label",
    "MAX_ITEMS",
    "abs_set",
    "as_interval",
    "as_math_text",
    "as_parts",
    "chain_interval",
    "constant",
    "diff",
    "distinct",
    "evalc",
    "half_line",
    "has_big_op",
    "in_rhs",
    "is_scalar",
    "label_expr",
    "label_like",
    "left_key",
    "norm_ineq",
    "options",
    "readings",
    "relations_as_union",
    "sample",
    "scalar_expr",
    "text_of",
]

#: Most items a list, set or union is compared over.
MAX_ITEMS = 50


def is_scalar(v: MathValue) -> bool:
    return isinstance(v, NumberValue | ScalarValue)


def readings(v: MathValue) -> list[tuple[Any, bool]]:
    """(sympy value, written-as-decimal?) pairs: a percent has two readings."""
    import sympy as sp

    if isinstance(v, NumberValue):
        n = v.number
        return [(sp.Rational(r.numerator, r.denominator), n.decimal) for r in n.readings()]
    assert isinstance(v, ScalarValue)
    decimal = any(getattr(a, "is_Float", False) for a in sp.preorder_traversal(v.expr))
    if v.percent:
        return [(v.expr, decimal), (v.expr / 100, decimal)]
    return [(v.expr, decimal)]


def evalc(x: Any, subs: dict[Any, Any] | None = None) -> complex | None:
    """``x`` (at ``subs``) as a complex number, or ``None``. An unevaluated sum or product
    (symbolic limits) is never evaluated: its numeric summation is unbounded."""
    if getattr(x, "has", None) is not None and has_big_op(x):
        return None
    try:
        val = x.evalf(30, subs=subs) if subs else x.evalf(30)
        c = complex(val)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return None
    if not (math.isfinite(c.real) and math.isfinite(c.imag)):
        return None
    return c


def sample(name: str, k: int) -> float:
    """A deterministic "generic" point per symbol and round, |value| in (0.5, 2.4).

    Round 1 is negative so ``|x|`` and ``x`` (or ``\\sqrt{x^2}`` and ``x``) differ;
    complex intermediate values are fine, both sides are compared as complex numbers.
    """
    h = zlib.crc32(f"{name}:{k}".encode())
    v = 0.5 + (h % 1_000_003) / 1_000_003 * 1.9 + 0.0001 * k
    return -v if k % 2 == 1 else v


def text_of(v: MathValue) -> str | None:
    import sympy as sp

    if isinstance(v, TextValue):
        return "".join(ch for ch in v.text if ch.isalnum())
    if isinstance(v, ScalarValue) and isinstance(v.expr, sp.Symbol):
        return "".join(ch for ch in v.expr.name.lower() if ch.isalnum())
    return None


def scalar_expr(v: MathValue) -> Any | None:
    import sympy as sp

    if isinstance(v, ScalarValue):
        return v.expr
    if isinstance(v, NumberValue):
        f = v.number.value
        return sp.Rational(f.numerator, f.denominator)
    return None


def diff(r: RelationValue) -> Any | None:
    a, b = scalar_expr(r.sides[0]), scalar_expr(r.sides[-1])
    if a is None or b is None:
        return None
    return a - b


def norm_ineq(r: RelationValue) -> tuple[Any, str] | None:
    """``lhs op rhs`` as ``(d, op')`` with ``d op' 0`` and ``op'`` in ``<``, ``<=``, ``!=``, ``=``."""
    d = diff(r)
    if d is None:
        return None
    op = r.ops[0]
    if op in (">", ">="):
        return -d, "<" if op == ">" else "<="
    if op in ("<", "<=", "!=", "="):
        return d, op
    return None


def label_like(v: MathValue) -> bool:
    """Whether a left side only names a quantity (``f(x)``, ``|AB|``, ``(p, q)``,
    ``\frac{NO}{BO}``, ``a^2``) rather than stating an equation (``2x + z``)."""
    if isinstance(v, SeqValue):
        return bool(v.items) and all(label_like(i) for i in v.items)
    return isinstance(v, ScalarValue) and label_expr(v.expr)


def label_expr(e: Any) -> bool:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if isinstance(e, sp.Symbol | AppliedUndef):
        return True
    if isinstance(e, sp.Abs):
        return label_expr(e.args[0])
    if isinstance(e, sp.Pow):
        return isinstance(e.base, sp.Symbol) and e.exp.is_Integer is True
    if isinstance(e, sp.Mul):
        return all(label_expr(a) for a in e.args)
    return False


def constant(v: MathValue) -> bool:
    if isinstance(v, NumberValue):
        return True
    if isinstance(v, ScalarValue):
        return not getattr(v.expr, "free_symbols", True)
    if isinstance(v, SeqValue):
        return all(constant(i) for i in v.items)
    return False


def distinct(v: SeqValue) -> SeqValue:
    """``v`` with repeated items dropped (structural equality), order kept."""
    try:
        items = tuple(dict.fromkeys(v.items))
    except TypeError:
        return v
    return SeqValue(v.kind, items, v.brackets)


def as_math_text(v: MathValue) -> MathValue | None:
    """A one-token text (``\text{e}``, ``\text{13}``) read as math; other values as is."""
    if not isinstance(v, TextValue):
        return v
    if len(v.text) > 20 or " " in v.text.strip():
        return None
    m = parse_math(v.text)
    return None if m is None or isinstance(m, TextValue) else m


def options(v: MathValue) -> SeqValue | None:
    """An ``Alternatives`` or an unordered list/set as a set of values, else ``None``."""
    if isinstance(v, Alternatives):
        items = tuple(o if isinstance(o, ScalarValue) else ScalarValue(o) for o in v.options)
        return SeqValue("set", items)
    if isinstance(v, SeqValue) and v.kind in ("list", "set"):
        return SeqValue("set", v.items)
    return None


def in_rhs(v: MathValue) -> MathValue:
    """``x \\in S`` → ``S``; anything else unchanged."""
    if isinstance(v, RelationValue) and v.ops == ("in",) and len(v.sides) == 2:
        return v.sides[1]
    return v


def chain_interval(v: MathValue) -> IntervalValue | None:
    """``a < x \\le b`` (or ``b > x \\ge a``) as the interval it describes, else ``None``."""
    if not isinstance(v, RelationValue) or len(v.sides) != 3:
        return None
    lo, mid, hi = (scalar_expr(x) for x in v.sides)
    if lo is None or mid is None or hi is None or not getattr(mid, "free_symbols", None):
        return None
    if getattr(lo, "free_symbols", True) or getattr(hi, "free_symbols", True):
        return None
    if all(op in ("<", "<=") for op in v.ops):
        return IntervalValue(lo, hi, v.ops[0] == "<", v.ops[1] == "<")
    if all(op in (">", ">=") for op in v.ops):
        return IntervalValue(hi, lo, v.ops[1] == ">", v.ops[0] == ">")
    return None


def relations_as_union(v: SeqValue) -> UnionValue | None:
    """``x < 2, x > 3`` (from "$x < 2$ or $x > 3$") as the union of what each states."""
    if v.kind == "tuple" or not 1 < len(v.items) <= MAX_ITEMS:
        return None
    parts: list[MathValue] = []
    for item in v.items:
        part = half_line(item) or chain_interval(item)
        if part is None:
            return None
        parts.append(part)
    return UnionValue(tuple(parts))


def half_line(v: MathValue) -> IntervalValue | None:
    """``x < 2`` / ``x \\ge 3`` (a bare variable against a constant) as a half-line."""
    import sympy as sp

    if not isinstance(v, RelationValue) or len(v.sides) != 2:
        return None
    a, b = (scalar_expr(x) for x in v.sides)
    op = v.ops[0]
    if a is None or b is None or op not in ("<", "<=", ">", ">="):
        return None
    if isinstance(b, sp.Symbol) and not getattr(a, "free_symbols", True):
        a, b = b, a
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    if not isinstance(a, sp.Symbol) or getattr(b, "free_symbols", True):
        return None
    if op in ("<", "<="):
        return IntervalValue(-sp.oo, b, True, op == "<")
    return IntervalValue(b, sp.oo, op == ">", True)


def as_interval(v: MathValue) -> IntervalValue | None:
    if isinstance(v, IntervalValue):
        return v
    if isinstance(v, SeqValue) and v.kind == "tuple" and len(v.items) == 2:
        lo, hi = scalar_expr(v.items[0]), scalar_expr(v.items[1])
        if lo is None or hi is None:
            return None
        if v.brackets == "()":
            return IntervalValue(lo, hi, True, True)
        if v.brackets == "[]":
            return IntervalValue(lo, hi, False, False)
    return None


def left_key(v: MathValue) -> float:
    if isinstance(v, IntervalValue):
        c = evalc(v.lo)
        return c.real if c is not None else math.inf
    if isinstance(v, Alternatives):
        return math.inf
    return math.inf


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def abs_set(v: MathValue) -> tuple[IntervalValue, ...] | None:
    """``|x| < c``, ``|x| \\ge c`` and ``a \\le |x| \\le b`` (``x`` a variable, ``a``, ``b``,
    ``c`` constants) as the intervals whose union they state, else ``None``."""
    import sympy as sp

    if not isinstance(v, RelationValue) or not 2 <= len(v.sides) <= 3:
        return None
    exprs = [scalar_expr(x) for x in v.sides]
    if any(e is None for e in exprs) or any(op not in FLIP for op in v.ops):
        return None
    ops = list(v.ops)
    if len(exprs) == 2 and isinstance(exprs[1], sp.Abs):  # "3 > |x|" is "|x| < 3"
        exprs, ops = exprs[::-1], [FLIP[ops[0]]]
    if len(exprs) == 3 and ops[0] in (">", ">="):  # "2 \ge |x| \ge 1" is "1 \le |x| \le 2"
        exprs, ops = exprs[::-1], [FLIP[ops[1]], FLIP[ops[0]]]
    mid = exprs[0] if len(exprs) == 2 else exprs[1]
    if not (isinstance(mid, sp.Abs) and isinstance(mid.args[0], sp.Symbol)):
        return None
    bounds: list[Any] = [e for e in exprs if e is not mid]
    vals = [evalc(b) for b in bounds]
    if any(c is None or abs(c.imag) > 1e-12 or c.real < 0 for c in vals):
        return None
    if len(exprs) == 2:
        c, op = bounds[0], ops[0]
        if op in ("<", "<="):
            return (IntervalValue(-c, c, op == "<", op == "<"),)
        return (
            IntervalValue(-sp.oo, -c, True, op == ">"),
            IntervalValue(c, sp.oo, op == ">", True),
        )
    if ops[0] not in ("<", "<=") or ops[1] not in ("<", "<="):
        return None
    (lo, hi), (lo_open, hi_open) = bounds, (ops[0] == "<", ops[1] == "<")
    if vals[0] is not None and vals[0].real == 0 and not lo_open:
        return (IntervalValue(-hi, hi, hi_open, hi_open),)
    return (IntervalValue(-hi, -lo, hi_open, lo_open), IntervalValue(lo, hi, lo_open, hi_open))


def as_parts(v: MathValue) -> tuple[IntervalValue, ...] | None:
    """An interval, or a union of intervals, as its parts."""
    if isinstance(v, UnionValue):
        parts = [as_interval(p) for p in v.parts]
        return None if any(p is None for p in parts) else tuple(p for p in parts if p)
    one = as_interval(v)
    return (one,) if one is not None else None


def has_big_op(x: Any) -> bool:
    import sympy as sp

    return bool(x.has(sp.Sum, sp.Product, sp.Integral))


def function_label(lhs: MathValue, rhs: MathValue) -> bool:
    """Whether ``lhs = rhs`` defines a function: ``f(x) = x^2`` (read ``f*x``) names one
    letter absent from the right side, applied to variables that all appear there."""
    import sympy as sp

    a, b = scalar_expr(lhs), scalar_expr(rhs)
    if not isinstance(a, sp.Mul) or b is None:
        return False
    names = [f for f in a.args if isinstance(f, sp.Symbol)]
    if len(names) != len(a.args):
        return False
    free = b.free_symbols
    outside = [f for f in names if f not in free]
    return len(outside) == 1 and len(outside[0].name) == 1 and len(names) > 1
