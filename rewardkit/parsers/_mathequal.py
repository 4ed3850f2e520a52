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
from ._mathshapes import (
    MAX_ITEMS,
    abs_set,
    as_interval,
    as_math_text,
    as_parts,
    chain_interval,
    constant,
    diff,
    distinct,
    evalc,
    function_label,
    half_line,
    in_rhs,
    is_scalar,
    label_like,
    left_key,
    norm_ineq,
    options,
    readings,
    relations_as_union,
    sample,
    text_of,
)
from ._numbers import numbers_equal

__all__ = ["math_equivalent", "parse_answer", "parse_gold_lenient"]

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
            go, po = options(g), options(p)
            return go is not None and po is not None and self.seq(go, po)
        # "x < 2" states (-oo, 2), when the other side is an interval
        gh, ph = half_line(g), half_line(p)
        if (gh is None) != (ph is None):
            q = as_interval(in_rhs(p if gh is not None else g))
            if q is not None:
                return self.interval(gh, q) if gh is not None else self.interval(q, ph)  # type: ignore[arg-type]
        # "1 \le |z| \le 2" states [-2, -1] \cup [1, 2]; "|x| < 3" states (-3, 3)
        ga, pa = abs_set(g), abs_set(p)
        if ga is not None or pa is not None:
            gs, ps = ga or as_parts(in_rhs(g)), pa or as_parts(in_rhs(p))
            return gs is not None and ps is not None and self.parts(gs, ps)
        # "0 < x < 1" states the interval (0, 1); "x \in [a, b]" states [a, b]
        gi, pi = chain_interval(g), chain_interval(p)
        if gi is not None or pi is not None:
            gi = gi or as_interval(in_rhs(g))
            pi = pi or as_interval(in_rhs(p))
            return gi is not None and pi is not None and self.interval(gi, pi)
        if isinstance(p, RelationValue) and not isinstance(g, RelationValue):
            # "x = 5" (or "x = 2 + 3 = 5") answers "5": compare the last side
            if all(op in ("=", "in") for op in p.ops):
                return self.eq(g, p.sides[-1])
            return False
        if isinstance(g, RelationValue):
            return self.relation(g, p)
        if is_scalar(g) and is_scalar(p):
            return self.scalar_values(g, p)
        if isinstance(g, TextValue) or isinstance(p, TextValue):
            if text_of(g) is not None and text_of(g) == text_of(p):
                return True
            gm, pm = as_math_text(g), as_math_text(p)  # "\text{e}" is the constant e
            return gm is not None and pm is not None and self.eq(gm, pm)
        if isinstance(g, SeqValue) and isinstance(p, SeqValue):
            return self.seq(g, p)
        if isinstance(g, IntervalValue | SeqValue) and isinstance(p, IntervalValue | SeqValue):
            gi, pi = as_interval(g), as_interval(p)
            return gi is not None and pi is not None and self.interval(gi, pi)
        if isinstance(g, UnionValue) and isinstance(p, UnionValue | SeqValue):
            pu = p if isinstance(p, UnionValue) else relations_as_union(p)
            return pu is not None and self.union(g, pu)
        if isinstance(g, MatrixValue) and isinstance(p, MatrixValue):
            return self.matrix(g, p)
        return False

    # -- scalars --
    def scalar_values(self, g: MathValue, p: MathValue) -> bool:
        for gv, g_dec in readings(g):
            for pv, p_dec in readings(p):
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
            return self.close(evalc(a), evalc(b), decimal)
        if len(syms) > 10:
            return False
        ordered = sorted(syms, key=lambda s: s.name)
        checked = 0
        for k in range(_N_POINTS + 2):
            point = {s: sp.Float(sample(s.name, k), 30) for s in ordered}
            va, vb = evalc(a, point), evalc(b, point)
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
            point = {s: sp.Float(sample(s.name, k), 30) for s in syms}
            v1, v2 = evalc(d1, point), evalc(d2, point)
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
            return not syms and self.close(evalc(d1), evalc(d2))
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
            named = g_lhs_sym or (label_like(g_lhs) and constant(g.sides[-1]))
            # a chain "a = b = c" of equal values answers its last side, as "x = 2 + 3 = 5"
            named = named or (len(g.sides) > 2 and constant(g.sides[-1]))
            # "f(x) = x^2" answered "x^2": the left side names a function of the right's variables
            named = named or (len(g.sides) == 2 and function_label(g_lhs, g.sides[-1]))
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
                d1, d2 = diff(g), diff(p)
                return d1 is not None and d2 is not None and self.ratio_const(d1, d2, False)
            return self.eq(g.sides[-1], p.sides[-1])
        if len(g.sides) == 2 and len(p.sides) == 2:
            gn, pn = norm_ineq(g), norm_ineq(p)
            if gn is None or pn is None or gn[1] != pn[1]:
                return False
            return self.ratio_const(gn[0], pn[0], gn[1] != "!=")
        if g.ops == p.ops and len(g.sides) == len(p.sides):
            return all(self.eq(a, b) for a, b in zip(g.sides, p.sides, strict=True))
        return False

    # -- containers --
    def seq(self, g: SeqValue, p: SeqValue) -> bool:
        if len(g.items) != len(p.items) and "tuple" not in (g.kind, p.kind):
            g, p = distinct(g), distinct(p)  # a set answer may repeat an element
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
        gs, ps = sorted(g, key=left_key), sorted(p, key=left_key)
        return all(self.interval(a, b) for a, b in zip(gs, ps, strict=True))

    def union(self, g: UnionValue, p: UnionValue) -> bool:
        if len(g.parts) != len(p.parts):
            return False
        if all(self.eq(a, b) for a, b in zip(g.parts, p.parts, strict=True)):
            return True
        gs, ps = sorted(g.parts, key=left_key), sorted(p.parts, key=left_key)
        return all(self.eq(a, b) for a, b in zip(gs, ps, strict=True))

    def matrix(self, g: MatrixValue, p: MatrixValue) -> bool:
        if len(g.rows) != len(p.rows) or len(g.rows[0]) != len(p.rows[0]):
            return False
        return all(
            self.scalar(a, b)
            for ra, rb in zip(g.rows, p.rows, strict=True)
            for a, b in zip(ra, rb, strict=True)
        )
