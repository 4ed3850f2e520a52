"""The parser's cursor over tokens and the guarded construction of sympy values.

Every arithmetic step of :mod:`._mathgrammar` goes through :class:`Builder`, which
checks sizes *before* sympy evaluates: a power whose result would exceed
:data:`MAX_RESULT_DIGITS` digits, a huge symbolic exponent, a factorial past
:data:`MAX_FACTORIAL`, too many ``\\pm`` alternatives, a division by zero all raise
:class:`MathParseError`. Matrices and alternatives are combined element-wise here.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ._latex_lexer import END, Token
from ._mathvalues import (
    MAX_ALTERNATIVES,
    MAX_DEPTH,
    MAX_FACTORIAL,
    MAX_RESULT_DIGITS,
    MAX_SYMBOLIC_EXPONENT,
    Alternatives,
    MathParseError,
    MathValue,
    MatrixValue,
    ScalarValue,
)
from ._matrixops import matrix_arith

__all__ = ["Builder"]


def _sympy() -> Any:
    import sympy

    return sympy


class Builder:
    """Token cursor and guarded constructors; the grammar (:class:`._mathgrammar.Parser`)
    subclasses it. The grammar entry points the pieces call back into are declared here."""

    __slots__ = ("bound", "depth", "pos", "sp", "toks")

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0
        self.bound: set[str] = set()  # index names of the sums being parsed
        self.sp = _sympy()

    # -- token helpers --
    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Token:
        j = min(self.pos + k, len(self.toks) - 1)
        return self.toks[j]

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.toks[self.pos]
        return t.kind == kind and (text is None or t.text == text)

    def take(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != END:
            self.pos += 1
        return t

    def expect(self, kind: str, text: str | None = None) -> Token:
        if not self.at(kind, text):
            got = self.tok.text or self.tok.kind
            raise MathParseError(f"expected {text or kind}, got {got!r}")
        return self.take()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise MathParseError(f"nesting deeper than {MAX_DEPTH}")

    # -- grammar entry points, defined by the parser --
    def seq(self, stop: tuple[str, ...]) -> Any:
        raise NotImplementedError

    def sum(self) -> Any:
        raise NotImplementedError

    def term(self) -> Any:
        raise NotImplementedError

    def power(self) -> Any:
        raise NotImplementedError

    def exponent(self) -> Any:
        raise NotImplementedError

    def arg(self) -> Any:
        raise NotImplementedError

    # -- construction with guards --
    def number(self, text: str) -> Any:
        f = Fraction(text)
        return self.sp.Rational(f.numerator, f.denominator)

    def scalar(self, v: Any) -> Any:
        if isinstance(v, ScalarValue):
            return v.expr
        if isinstance(v, MathValue):
            raise MathParseError(f"{type(v).__name__} used as a number")
        return v

    def neg(self, v: Any) -> Any:
        if isinstance(v, Alternatives):
            return Alternatives(tuple(-o for o in v.options))
        if isinstance(v, MatrixValue):
            return MatrixValue(tuple(tuple(-x for x in r) for r in v.rows))
        return -self.scalar(v)

    def alt(self, left: Any, right: Any | None) -> Alternatives:
        if right is None:
            r = self.scalar(left)
            return Alternatives((r, -r))
        lo = left.options if isinstance(left, Alternatives) else (self.scalar(left),)
        r = self.scalar(right)
        opts = tuple(o for a in lo for o in (a + r, a - r))
        if len(opts) > MAX_ALTERNATIVES:
            raise MathParseError("too many \\pm alternatives")
        return Alternatives(opts)

    def arith(self, left: Any, right: Any, op: str) -> Any:
        if isinstance(left, MatrixValue) or isinstance(right, MatrixValue):
            lr = left.rows if isinstance(left, MatrixValue) else self.scalar(left)
            rr = right.rows if isinstance(right, MatrixValue) else self.scalar(right)
            rows = matrix_arith(lr, rr, op, self.check_size)
            if rows is None:
                raise MathParseError(f"matrix shapes do not fit for {op!r}")
            return MatrixValue(rows)
        if isinstance(left, Alternatives) or isinstance(right, Alternatives):
            lo = left.options if isinstance(left, Alternatives) else (self.scalar(left),)
            ro = right.options if isinstance(right, Alternatives) else (self.scalar(right),)
            opts = tuple(self.arith(a, b, op) for a in lo for b in ro)
            if len(opts) > MAX_ALTERNATIVES:
                raise MathParseError("too many \\pm alternatives")
            return Alternatives(opts)
        a, b = self.scalar(left), self.scalar(right)
        if op == "+":
            out = a + b
        elif op == "-":
            out = a - b
        elif op == "*":
            out = a * b
        else:
            if b == 0:
                raise MathParseError("division by zero")
            out = a / b
        self.check_size(out)
        return out

    def factorial(self, v: Any) -> Any:
        x = self.scalar(v)
        if not (x.is_Integer and 0 <= int(x) <= MAX_FACTORIAL):
            raise MathParseError("factorial of a non-integer or too large a number")
        return self.sp.factorial(x)

    def pow(self, base_v: Any, exp_v: Any) -> Any:
        sp = self.sp
        if isinstance(base_v, Alternatives):
            return Alternatives(tuple(self.pow(o, exp_v) for o in base_v.options))
        base, exp = self.scalar(base_v), self.scalar(exp_v)
        if exp.is_number and exp.free_symbols == set():
            try:
                e_abs = abs(complex(exp.evalf(15)))
            except (TypeError, ValueError, OverflowError) as exc:
                raise MathParseError("exponent not evaluable") from exc
            if not math.isfinite(e_abs):
                raise MathParseError("infinite exponent")
            if base.is_number:
                mag = _log10_abs(base)
                if mag is None:
                    raise MathParseError("base not evaluable")
                if e_abs * max(mag, 0.0) > MAX_RESULT_DIGITS or (
                    mag < 0 and e_abs * -mag > MAX_RESULT_DIGITS
                ):
                    raise MathParseError("power too large to evaluate")
            elif e_abs > MAX_SYMBOLIC_EXPONENT:
                raise MathParseError("symbolic power with a huge exponent")
        elif base.is_number and _log10_abs(base) not in (None, 0.0):
            pass  # 2^x: symbolic exponent, evaluated only at sample points later
        out = sp.Pow(base, exp)
        self.check_size(out)
        return out

    def check_size(self, v: Any) -> None:
        if v.is_Rational:
            p, q = abs(int(v.p)), int(v.q)
            if max(p, q).bit_length() > MAX_RESULT_DIGITS * 3.33:
                raise MathParseError("number too large")

    def check_exp(self, arg: Any) -> None:
        if arg.is_number:
            try:
                if abs(complex(arg.evalf(15))) > 10_000:
                    raise MathParseError("exponential too large")
            except (TypeError, ValueError, OverflowError) as exc:
                raise MathParseError("exponential not evaluable") from exc


def _log10_abs(x: Any) -> float | None:
    """log10 |x| without building huge floats, or ``None`` when it cannot be evaluated."""
    try:
        if x.is_Rational:
            p, q = abs(int(x.p)), int(x.q)
            if p == 0:
                return 0.0
            return (p.bit_length() - q.bit_length()) * math.log10(2)
        val = abs(complex(x.evalf(15)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(val):
        return None
    return math.log10(val) if val > 0 else 0.0
