"""Equivalence of two parsed answers (gold first: the relation is not symmetric).

No ``simplify``: its cost is unbounded on hostile input. Constants are compared
by exact rational arithmetic where both sides are rational and by 30-digit
``evalf`` otherwise; expressions with free symbols are compared by evaluating
both at a few deterministic sample points (a standard identity test: two
different expressions of bounded size agree at three generic points only by
accident). Relations compare their normalised difference ``lhs - rhs`` up to a
constant factor (positive for inequalities, so ``x < 1`` equals ``-x > -1`` but
not ``x > -1``).

Strictness, on purpose (these are reward-hacking routes): a list answer must
match element for element (a shotgun of candidates never matches a single
value), tuples are ordered, sets are unordered but must have the same size, and
an integer is never "close enough" to another integer.
"""

from __future__ import annotations

import functools
import math
import zlib
from fractions import Fraction
from typing import Any

from ._mathparse import (
    Alternatives,
    IntervalValue,
    MathValue,
    MatrixValue,
    NumberValue,
    RelationValue,
    ScalarValue,
    SeqValue,
    TextValue,
    UnionValue,
    parse_math,
)
from ._numbers import numbers_equal

__all__ = ["math_equivalent", "parse_answer", "parse_gold_lenient"]

MAX_ITEMS = 50
#: A value written as a decimal matches when it is right to six decimal places
#: (``1.414214`` for ``\\sqrt{2}``, ``0.333333`` for ``\\frac{1}{3}``; ``0.33`` is not).
_DECIMAL_TOL = Fraction(1, 2_000_000)
_N_POINTS = 3


@functools.lru_cache(maxsize=4096)
def parse_answer(text: str) -> MathValue | None:
    """:func:`~rewardkit.parsers._mathparse.parse_math`, cached: gold answers repeat across a
    GRPO group, and values are immutable."""
    return parse_math(text)


@functools.lru_cache(maxsize=1024)
def parse_gold_lenient(text: str) -> MathValue | None:
    """A gold answer with an undefined macro (``1 = \\zzz = x = 0``), the macro read as a
    variable; a last resort for golds only (completions get no such benefit)."""
    return parse_math(text, lenient=True)


def math_equivalent(
    gold: MathValue, pred: MathValue, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12
) -> bool:
    """Whether ``pred`` states the same answer as ``gold``.

    Example:
        >>> g, p = parse_answer(r"\\frac{1}{2}"), parse_answer("0.5")
        >>> math_equivalent(g, p)
        True
        >>> math_equivalent(parse_answer("5"), parse_answer("1, 2, 3, 4, 5"))
        False
    """
    try:
        return _Cmp(rel_tol, abs_tol).eq(gold, pred)
    except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError):
        return False


class _Cmp:
    __slots__ = ("abs_tol", "rel_tol")

    def __init__(self, rel_tol: float, abs_tol: float) -> None:
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol

    # -- dispatch --
    def eq(self, g: MathValue, p: MathValue) -> bool:
        if isinstance(g, NumberValue) and isinstance(p, NumberValue):
            if numbers_equal(g.number, p.number, rel_tol=self.rel_tol, abs_tol=self.abs_tol):
                return True
            if not (g.number.decimal or p.number.decimal):
                return False
            gr, pr = g.number.readings(), p.number.readings()
            return any(abs(a - b) <= _DECIMAL_TOL for a in gr for b in pr)
        if isinstance(g, Alternatives) or isinstance(p, Alternatives):
            # "\pm 2" is the set {-2, 2}: same options, or the same as a list/set answer
            go, po = _options(g), _options(p)
            return go is not None and po is not None and self.seq(go, po)
        # "x < 2" states (-oo, 2), when the other side is an interval
        gh, ph = _half_line(g), _half_line(p)
        if (gh is None) != (ph is None):
            q = _as_interval(_in_rhs(p if gh is not None else g))
            if q is not None:
                return self.interval(gh, q) if gh is not None else self.interval(q, ph)  # type: ignore[arg-type]
        # "1 \le |z| \le 2" states [-2, -1] \cup [1, 2]; "|x| < 3" states (-3, 3)
        ga, pa = _abs_set(g), _abs_set(p)
        if ga is not None or pa is not None:
            gs, ps = ga or _as_parts(_in_rhs(g)), pa or _as_parts(_in_rhs(p))
            return gs is not None and ps is not None and self.parts(gs, ps)
        # "0 < x < 1" states the interval (0, 1); "x \in [a, b]" states [a, b]
        gi, pi = _chain_interval(g), _chain_interval(p)
        if gi is not None or pi is not None:
            gi = gi or _as_interval(_in_rhs(g))
            pi = pi or _as_interval(_in_rhs(p))
            return gi is not None and pi is not None and self.interval(gi, pi)
        if isinstance(p, RelationValue) and not isinstance(g, RelationValue):
            # "x = 5" (or "x = 2 + 3 = 5") answers "5": compare the last side
            if all(op in ("=", "in") for op in p.ops):
                return self.eq(g, p.sides[-1])
            return False
        if isinstance(g, RelationValue):
            return self.relation(g, p)
        if _is_scalar(g) and _is_scalar(p):
            return self.scalar_values(g, p)
        if isinstance(g, TextValue) or isinstance(p, TextValue):
            if _text_of(g) is not None and _text_of(g) == _text_of(p):
                return True
            gm, pm = _as_math_text(g), _as_math_text(p)  # "\text{e}" is the constant e
            return gm is not None and pm is not None and self.eq(gm, pm)
        if isinstance(g, SeqValue) and isinstance(p, SeqValue):
            return self.seq(g, p)
        if isinstance(g, IntervalValue | SeqValue) and isinstance(p, IntervalValue | SeqValue):
            gi, pi = _as_interval(g), _as_interval(p)
            return gi is not None and pi is not None and self.interval(gi, pi)
        if isinstance(g, UnionValue) and isinstance(p, UnionValue | SeqValue):
            pu = p if isinstance(p, UnionValue) else _relations_as_union(p)
            return pu is not None and self.union(g, pu)
        if isinstance(g, MatrixValue) and isinstance(p, MatrixValue):
            return self.matrix(g, p)
        return False

    # -- scalars --
    def scalar_values(self, g: MathValue, p: MathValue) -> bool:
        for gv, g_dec in _readings(g):
            for pv, p_dec in _readings(p):
                if self.scalar(gv, pv, g_dec or p_dec):
                    return True
        return False

    def scalar(self, a: Any, b: Any, decimal: bool = False) -> bool:
        import sympy as sp

        if a == b:
            return True
        if a.is_Rational and b.is_Rational:
            fa, fb = Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))
            if fa == fb:
                return True
            if not decimal and fa.denominator == 1 and fb.denominator == 1:
                return False
            tol = max(Fraction(self.abs_tol), Fraction(self.rel_tol) * max(abs(fa), abs(fb)))
            return abs(fa - fb) <= (max(tol, _DECIMAL_TOL) if decimal else tol)
        syms = a.free_symbols | b.free_symbols
        if not syms:
            return self.close(_evalc(a), _evalc(b), decimal)
        if len(syms) > 10:
            return False
        ordered = sorted(syms, key=lambda s: s.name)
        checked = 0
        for k in range(_N_POINTS + 2):
            point = {s: sp.Float(_sample(s.name, k), 30) for s in ordered}
            va, vb = _evalc(a, point), _evalc(b, point)
            if va is None and vb is None:
                continue
            if va is None or vb is None or not self.close(va, vb):
                return False
            checked += 1
            if checked == _N_POINTS:
                return True
        return False

    def close(self, va: complex | None, vb: complex | None, decimal: bool = False) -> bool:
        if va is None or vb is None:
            return False
        scale = max(abs(va), abs(vb))
        tol = max(self.abs_tol, self.rel_tol * scale)
        return abs(va - vb) <= (max(tol, float(_DECIMAL_TOL)) if decimal else tol)

    def ratio_const(self, d1: Any, d2: Any, positive: bool) -> bool:
        """``d1 = c * d2`` for a constant ``c != 0`` (``c > 0`` when ``positive``)."""
        import sympy as sp

        if d1 == d2:
            return True
        syms = sorted(d1.free_symbols | d2.free_symbols, key=lambda s: s.name)
        if len(syms) > 10:
            return False
        ratios: list[complex] = []
        for k in range(_N_POINTS + 3):
            point = {s: sp.Float(_sample(s.name, k), 30) for s in syms}
            v1, v2 = _evalc(d1, point), _evalc(d2, point)
            if v1 is None or v2 is None:
                return False
            if abs(v2) < 1e-12:
                if abs(v1) < 1e-12:
                    continue
                return False
            ratios.append(v1 / v2)
            if len(ratios) == _N_POINTS:
                break
        if not ratios:
            return not syms and self.close(_evalc(d1), _evalc(d2))
        c = ratios[0]
        if abs(c) < 1e-12 or (positive and (c.real <= 0 or abs(c.imag) > 1e-9)):
            return False
        return all(self.close(r, c) for r in ratios[1:])

    # -- relations --
    def relation(self, g: RelationValue, p: MathValue) -> bool:
        import sympy as sp

        g_eq = all(op in ("=", "in") for op in g.ops)
        g_lhs = g.sides[0]
        g_lhs_sym = isinstance(g_lhs, ScalarValue) and isinstance(g_lhs.expr, sp.Symbol)
        if not isinstance(p, RelationValue):
            # gold "k = 1", answer "1": when the gold's left side is a bare variable, or
            # names a constant value ("f(x) = 1", "(p, q) = (3, 2)", "\frac{NO}{BO} = c")
            named = g_lhs_sym or (_label_like(g_lhs) and _constant(g.sides[-1]))
            # a chain "a = b = c" of equal values answers its last side, as "x = 2 + 3 = 5"
            named = named or (len(g.sides) > 2 and _constant(g.sides[-1]))
            return g_eq and len(g.sides) >= 2 and named and self.eq(g.sides[-1], p)
        p_eq = all(op in ("=", "in") for op in p.ops)
        if g_eq and p_eq:
            p_lhs = p.sides[0]
            p_lhs_sym = isinstance(p_lhs, ScalarValue) and isinstance(p_lhs.expr, sp.Symbol)
            if g_lhs_sym and p_lhs_sym:
                return self.eq(g_lhs, p_lhs) and self.eq(g.sides[-1], p.sides[-1])
            if g_lhs_sym and len(g.sides) > 2:
                return self.eq(g.sides[-1], p.sides[-1])
            if len(g.sides) == 2 and len(p.sides) == 2:
                d1, d2 = _diff(g), _diff(p)
                return d1 is not None and d2 is not None and self.ratio_const(d1, d2, False)
            return self.eq(g.sides[-1], p.sides[-1])
        if len(g.sides) == 2 and len(p.sides) == 2:
            gn, pn = _norm_ineq(g), _norm_ineq(p)
            if gn is None or pn is None or gn[1] != pn[1]:
                return False
            return self.ratio_const(gn[0], pn[0], gn[1] != "!=")
        if g.ops == p.ops and len(g.sides) == len(p.sides):
            return all(self.eq(a, b) for a, b in zip(g.sides, p.sides, strict=True))
        return False

    # -- containers --
    def seq(self, g: SeqValue, p: SeqValue) -> bool:
        if len(g.items) != len(p.items) and "tuple" not in (g.kind, p.kind):
            g, p = _distinct(g), _distinct(p)  # a set answer may repeat an element
        if len(g.items) != len(p.items) or len(g.items) > MAX_ITEMS:
            return False
        if g.kind == "tuple" or p.kind == "tuple":
            if g.kind == "set" or p.kind == "set":
                return False
            return all(self.eq(a, b) for a, b in zip(g.items, p.items, strict=True))
        used = [False] * len(p.items)
        for a in g.items:
            for j, b in enumerate(p.items):
                if not used[j] and self.eq(a, b):
                    used[j] = True
                    break
            else:
                return False
        return True

    def interval(self, g: IntervalValue, p: IntervalValue) -> bool:
        return (
            g.left_open == p.left_open
            and g.right_open == p.right_open
            and self.scalar(g.lo, p.lo)
            and self.scalar(g.hi, p.hi)
        )

    def parts(self, g: tuple[IntervalValue, ...], p: tuple[IntervalValue, ...]) -> bool:
        if len(g) != len(p):
            return False
        gs, ps = sorted(g, key=_left_key), sorted(p, key=_left_key)
        return all(self.interval(a, b) for a, b in zip(gs, ps, strict=True))

    def union(self, g: UnionValue, p: UnionValue) -> bool:
        if len(g.parts) != len(p.parts):
            return False
        if all(self.eq(a, b) for a, b in zip(g.parts, p.parts, strict=True)):
            return True
        gs, ps = sorted(g.parts, key=_left_key), sorted(p.parts, key=_left_key)
        return all(self.eq(a, b) for a, b in zip(gs, ps, strict=True))

    def matrix(self, g: MatrixValue, p: MatrixValue) -> bool:
        if len(g.rows) != len(p.rows) or len(g.rows[0]) != len(p.rows[0]):
            return False
        return all(
            self.scalar(a, b)
            for ra, rb in zip(g.rows, p.rows, strict=True)
            for a, b in zip(ra, rb, strict=True)
        )


# -- helpers -------------------------------------------------------------------------------


def _is_scalar(v: MathValue) -> bool:
    return isinstance(v, NumberValue | ScalarValue)


def _readings(v: MathValue) -> list[tuple[Any, bool]]:
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


def _evalc(x: Any, subs: dict[Any, Any] | None = None) -> complex | None:
    """``x`` (at ``subs``) as a complex number, or ``None``. An unevaluated sum or product
    (symbolic limits) is never evaluated: its numeric summation is unbounded."""
    if getattr(x, "has", None) is not None and _has_big_op(x):
        return None
    try:
        val = x.evalf(30, subs=subs) if subs else x.evalf(30)
        c = complex(val)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return None
    if not (math.isfinite(c.real) and math.isfinite(c.imag)):
        return None
    return c


def _sample(name: str, k: int) -> float:
    """A deterministic "generic" point per symbol and round, |value| in (0.5, 2.4).

    Round 1 is negative so ``|x|`` and ``x`` (or ``\\sqrt{x^2}`` and ``x``) differ;
    complex intermediate values are fine, both sides are compared as complex numbers.
    """
    h = zlib.crc32(f"{name}:{k}".encode())
    v = 0.5 + (h % 1_000_003) / 1_000_003 * 1.9 + 0.0001 * k
    return -v if k % 2 == 1 else v


def _text_of(v: MathValue) -> str | None:
    import sympy as sp

    if isinstance(v, TextValue):
        return "".join(ch for ch in v.text if ch.isalnum())
    if isinstance(v, ScalarValue) and isinstance(v.expr, sp.Symbol):
        return "".join(ch for ch in v.expr.name.lower() if ch.isalnum())
    return None


def _scalar_expr(v: MathValue) -> Any | None:
    import sympy as sp

    if isinstance(v, ScalarValue):
        return v.expr
    if isinstance(v, NumberValue):
        f = v.number.value
        return sp.Rational(f.numerator, f.denominator)
    return None


def _diff(r: RelationValue) -> Any | None:
    a, b = _scalar_expr(r.sides[0]), _scalar_expr(r.sides[-1])
    if a is None or b is None:
        return None
    return a - b


def _norm_ineq(r: RelationValue) -> tuple[Any, str] | None:
    """``lhs op rhs`` as ``(d, op')`` with ``d op' 0`` and ``op'`` in ``<``, ``<=``, ``!=``, ``=``."""
    d = _diff(r)
    if d is None:
        return None
    op = r.ops[0]
    if op in (">", ">="):
        return -d, "<" if op == ">" else "<="
    if op in ("<", "<=", "!=", "="):
        return d, op
    return None


def _label_like(v: MathValue) -> bool:
    """Whether a left side only names a quantity (``f(x)``, ``|AB|``, ``(p, q)``,
    ``\frac{NO}{BO}``, ``a^2``) rather than stating an equation (``2x + z``)."""
    if isinstance(v, SeqValue):
        return bool(v.items) and all(_label_like(i) for i in v.items)
    return isinstance(v, ScalarValue) and _label_expr(v.expr)


def _label_expr(e: Any) -> bool:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if isinstance(e, sp.Symbol | AppliedUndef):
        return True
    if isinstance(e, sp.Abs):
        return _label_expr(e.args[0])
    if isinstance(e, sp.Pow):
        return isinstance(e.base, sp.Symbol) and e.exp.is_Integer is True
    if isinstance(e, sp.Mul):
        return all(_label_expr(a) for a in e.args)
    return False


def _constant(v: MathValue) -> bool:
    if isinstance(v, NumberValue):
        return True
    if isinstance(v, ScalarValue):
        return not getattr(v.expr, "free_symbols", True)
    if isinstance(v, SeqValue):
        return all(_constant(i) for i in v.items)
    return False


def _distinct(v: SeqValue) -> SeqValue:
    """``v`` with repeated items dropped (structural equality), order kept."""
    try:
        items = tuple(dict.fromkeys(v.items))
    except TypeError:
        return v
    return SeqValue(v.kind, items, v.brackets)


def _as_math_text(v: MathValue) -> MathValue | None:
    """A one-token text (``\text{e}``, ``\text{13}``) read as math; other values as is."""
    if not isinstance(v, TextValue):
        return v
    if len(v.text) > 20 or " " in v.text.strip():
        return None
    m = parse_math(v.text)
    return None if m is None or isinstance(m, TextValue) else m


def _options(v: MathValue) -> SeqValue | None:
    """An ``Alternatives`` or an unordered list/set as a set of values, else ``None``."""
    if isinstance(v, Alternatives):
        items = tuple(o if isinstance(o, ScalarValue) else ScalarValue(o) for o in v.options)
        return SeqValue("set", items)
    if isinstance(v, SeqValue) and v.kind in ("list", "set"):
        return SeqValue("set", v.items)
    return None


def _in_rhs(v: MathValue) -> MathValue:
    """``x \\in S`` → ``S``; anything else unchanged."""
    if isinstance(v, RelationValue) and v.ops == ("in",) and len(v.sides) == 2:
        return v.sides[1]
    return v


def _chain_interval(v: MathValue) -> IntervalValue | None:
    """``a < x \\le b`` (or ``b > x \\ge a``) as the interval it describes, else ``None``."""
    if not isinstance(v, RelationValue) or len(v.sides) != 3:
        return None
    lo, mid, hi = (_scalar_expr(x) for x in v.sides)
    if lo is None or mid is None or hi is None or not getattr(mid, "free_symbols", None):
        return None
    if getattr(lo, "free_symbols", True) or getattr(hi, "free_symbols", True):
        return None
    if all(op in ("<", "<=") for op in v.ops):
        return IntervalValue(lo, hi, v.ops[0] == "<", v.ops[1] == "<")
    if all(op in (">", ">=") for op in v.ops):
        return IntervalValue(hi, lo, v.ops[1] == ">", v.ops[0] == ">")
    return None


def _relations_as_union(v: SeqValue) -> UnionValue | None:
    """``x < 2, x > 3`` (from "$x < 2$ or $x > 3$") as the union of what each states."""
    if v.kind == "tuple" or not 1 < len(v.items) <= MAX_ITEMS:
        return None
    parts: list[MathValue] = []
    for item in v.items:
        part = _half_line(item) or _chain_interval(item)
        if part is None:
            return None
        parts.append(part)
    return UnionValue(tuple(parts))


def _half_line(v: MathValue) -> IntervalValue | None:
    """``x < 2`` / ``x \\ge 3`` (a bare variable against a constant) as a half-line."""
    import sympy as sp

    if not isinstance(v, RelationValue) or len(v.sides) != 2:
        return None
    a, b = (_scalar_expr(x) for x in v.sides)
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


def _as_interval(v: MathValue) -> IntervalValue | None:
    if isinstance(v, IntervalValue):
        return v
    if isinstance(v, SeqValue) and v.kind == "tuple" and len(v.items) == 2:
        lo, hi = _scalar_expr(v.items[0]), _scalar_expr(v.items[1])
        if lo is None or hi is None:
            return None
        if v.brackets == "()":
            return IntervalValue(lo, hi, True, True)
        if v.brackets == "[]":
            return IntervalValue(lo, hi, False, False)
    return None


def _left_key(v: MathValue) -> float:
    if isinstance(v, IntervalValue):
        c = _evalc(v.lo)
        return c.real if c is not None else math.inf
    if isinstance(v, Alternatives):
        return math.inf
    return math.inf


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _abs_set(v: MathValue) -> tuple[IntervalValue, ...] | None:
    """``|x| < c``, ``|x| \\ge c`` and ``a \\le |x| \\le b`` (``x`` a variable, ``a``, ``b``,
    ``c`` constants) as the intervals whose union they state, else ``None``."""
    import sympy as sp

    if not isinstance(v, RelationValue) or not 2 <= len(v.sides) <= 3:
        return None
    exprs = [_scalar_expr(x) for x in v.sides]
    if any(e is None for e in exprs) or any(op not in _FLIP for op in v.ops):
        return None
    ops = list(v.ops)
    if len(exprs) == 2 and isinstance(exprs[1], sp.Abs):  # "3 > |x|" is "|x| < 3"
        exprs, ops = exprs[::-1], [_FLIP[ops[0]]]
    if len(exprs) == 3 and ops[0] in (">", ">="):  # "2 \ge |x| \ge 1" is "1 \le |x| \le 2"
        exprs, ops = exprs[::-1], [_FLIP[ops[1]], _FLIP[ops[0]]]
    mid = exprs[0] if len(exprs) == 2 else exprs[1]
    if not (isinstance(mid, sp.Abs) and isinstance(mid.args[0], sp.Symbol)):
        return None
    bounds: list[Any] = [e for e in exprs if e is not mid]
    vals = [_evalc(b) for b in bounds]
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


def _as_parts(v: MathValue) -> tuple[IntervalValue, ...] | None:
    """An interval, or a union of intervals, as its parts."""
    if isinstance(v, UnionValue):
        parts = [_as_interval(p) for p in v.parts]
        return None if any(p is None for p in parts) else tuple(p for p in parts if p)
    one = _as_interval(v)
    return (one,) if one is not None else None


def _has_big_op(x: Any) -> bool:
    import sympy as sp

    return bool(x.has(sp.Sum, sp.Product))
