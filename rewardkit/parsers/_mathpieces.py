"""The larger constructs of the answer grammar: functions, sums and products, matrices,
subscripts, numbers in a base, mixed numbers. Each is bounded like the rest of the
parser (:mod:`._mathbuild`): sums expand at most :data:`MAX_BIG_OP_TERMS` terms.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ._latex_lexer import (
    CLOSE,
    CMD,
    END,
    ID,
    NUM,
    OP,
    OPEN,
    Token,
)
from ._mathbuild import Builder
from ._mathvalues import (
    MAX_BIG_OP_TERMS,
    MAX_SYMBOLIC_EXPONENT,
    MathParseError,
    MatrixValue,
)

_MULTI_ARG = frozenset({"gcd", "lcm", "max", "min"})
#: Most tokens an integrand may span before its differential.
MAX_INTEGRAND_TOKENS = 200

__all__ = ["Pieces"]

_MATRIX_ENVS = frozenset({"pmatrix", "bmatrix", "matrix", "smallmatrix", "Bmatrix", "array"})


class Pieces(Builder):
    """Constructs with their own sub-grammar, called from :meth:`Parser._primary`."""

    __slots__ = ()

    def function(self, name: str) -> Any:
        sp = self.sp
        power: Any = None
        base: Any = None
        for _ in range(2):
            if self.at(OP, "^"):
                self.take()
                power = self.exponent()
            elif self.at(OP, "_"):
                self.take()
                base = self.arg()
        if name in _MULTI_ARG:
            return self.multi_arg(name)
        if self.at(OPEN, "(") or self.at(OPEN, "{"):
            opener = self.take().text
            self.enter()
            inner = self.sum()
            self.depth -= 1
            self.expect(CLOSE, ")" if opener == "(" else "}")
            arg = self.scalar(inner)
        else:
            arg = self.scalar(self.power())
        fns = {
            "sin": sp.sin,
            "cos": sp.cos,
            "tan": sp.tan,
            "sec": sp.sec,
            "csc": sp.csc,
            "cot": sp.cot,
            "arcsin": sp.asin,
            "arccos": sp.acos,
            "arctan": sp.atan,
            "sinh": sp.sinh,
            "cosh": sp.cosh,
            "tanh": sp.tanh,
            "exp": sp.exp,
            "ln": sp.log,
        }
        if name == "exp":
            self.check_exp(arg)
        if name in ("log", "lg"):
            b = (
                self.scalar(base)
                if base is not None
                else (sp.Integer(10) if name == "lg" else None)
            )
            value = sp.log(arg, b) if b is not None else sp.log(arg)
        else:
            value = fns[name](arg)
        if power is not None:
            if self.scalar(power) == -1 and name in ("sin", "cos", "tan"):
                value = {"sin": sp.asin, "cos": sp.acos, "tan": sp.atan}[name](arg)
            else:
                value = self.pow(value, power)
        return value

    def big_operator(self, name: str) -> Any:
        """``\\sum_{k=a}^{b} body`` / ``\\prod``: the body is the following product term. With
        integer limits at most :data:`MAX_BIG_OP_TERMS` apart the terms are added (multiplied)
        out; otherwise the sum stays unevaluated, with its index renamed so that
        ``\\sum_k`` and ``\\sum_j`` of the same terms are the same object."""
        sp = self.sp
        index: Any = None
        lo: Any = None
        hi: Any = None
        for _ in range(2):
            if self.at(OP, "_") and index is None:
                self.take()
                self.expect(OPEN, "{")
                tok = self.expect(ID)
                index = sp.Symbol(tok.text)
                self.expect(OP, "=")
                lo = self.scalar(self.sum())
                self.expect(CLOSE, "}")
            elif self.at(OP, "^") and hi is None:
                self.take()
                hi = self.scalar(self.arg())
        if index is None or hi is None:
            raise MathParseError(f"\\{name} without its index range")
        self.enter()
        fresh = index.name not in self.bound
        self.bound.add(index.name)
        body = self.scalar(self.term())
        if fresh:
            self.bound.discard(index.name)
        self.depth -= 1
        if lo.is_Integer and hi.is_Integer and 0 <= int(hi) - int(lo) < MAX_BIG_OP_TERMS:
            terms = [body.subs(index, k) for k in range(int(lo), int(hi) + 1)]
            out = sp.Add(*terms) if name == "sum" else sp.Mul(*terms)
            self.check_size(out)
            return out
        inner = sum(1 for a in body.atoms(sp.Symbol) if a.name.startswith("_"))
        dummy = sp.Symbol(f"_{name}{inner}")  # named by what it encloses, not where it sits
        body = body.subs(index, dummy)
        op = sp.Sum if name == "sum" else sp.Product
        return op(body, (dummy, lo, hi))

    def multi_arg(self, name: str) -> Any:
        """``\\gcd(12, 18)``, ``\\operatorname{lcm}(4, 6)``, ``\\max(a, b)``: several arguments."""
        sp = self.sp
        opener = self.expect(OPEN).text
        if opener not in ("(", "{"):
            raise MathParseError(f"\\{name} needs its arguments in brackets")
        self.enter()
        args = [self.scalar(self.sum())]
        while self.at(OP, ",") and len(args) < 20:
            self.take()
            args.append(self.scalar(self.sum()))
        self.depth -= 1
        self.expect(CLOSE, ")" if opener == "(" else "}")
        if name in ("max", "min"):
            return (sp.Max if name == "max" else sp.Min)(*args)
        if not all(a.is_Integer for a in args):
            raise MathParseError(f"\\{name} of non-integers")
        fn = sp.gcd if name == "gcd" else sp.lcm
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        self.check_size(out)
        return out

    def integral(self) -> Any:
        """``\\int_a^b f(x)\\,dx``: the integrand runs up to the differential ``d<var>``. A
        polynomial integrand of degree at most :data:`MAX_SYMBOLIC_EXPONENT` is integrated
        exactly (cheap); any other integral stays unevaluated and compares by structure
        (sympy's general ``integrate`` has no bound on its work)."""
        sp = self.sp
        lo: Any = None
        hi: Any = None
        for _ in range(2):
            if self.at(OP, "_") and lo is None:
                self.take()
                lo = self.scalar(self.arg())
            elif self.at(OP, "^") and hi is None:
                self.take()
                hi = self.scalar(self.arg())
        if (lo is None) != (hi is None):
            raise MathParseError("an integral needs both limits or none")
        end = self.differential_at()
        if end == self.pos:  # "\\int_1^3 dx": the integrand is 1
            self.toks = [*self.toks[:end], Token(NUM, "1"), *self.toks[end:]]
            end += 1
        toks, self.toks = self.toks, [*self.toks[:end], Token(END, "")]
        try:
            self.enter()
            body = self.scalar(self.sum())
            self.depth -= 1
            if self.pos != end:
                raise MathParseError("unexpected tokens before the differential")
        finally:
            self.toks = toks
        var = sp.Symbol(self.toks[end + 1].text)
        self.pos = end + 2
        dummy = sp.Symbol("_int")
        body = body.subs(var, dummy)
        if lo is not None and body.is_polynomial(dummy):
            poly = sp.Poly(body, dummy)
            if poly.degree() <= MAX_SYMBOLIC_EXPONENT:
                anti = poly.integrate().as_expr()
                out = anti.subs(dummy, hi) - anti.subs(dummy, lo)
                self.check_size(out)
                return out
        return sp.Integral(body, (dummy, lo, hi)) if lo is not None else sp.Integral(body, dummy)

    def differential_at(self) -> int:
        """Index of the ``d`` of the integral's ``dx`` (an ``ID`` ``d`` then a variable, outside
        any bracket), searching at most :data:`MAX_INTEGRAND_TOKENS` tokens ahead."""
        depth = 0
        stop = min(len(self.toks) - 1, self.pos + MAX_INTEGRAND_TOKENS)
        for j in range(self.pos, stop):
            t = self.toks[j]
            if t.kind == OPEN:
                depth += 1
            elif t.kind == CLOSE:
                depth -= 1
            elif depth == 0 and t.kind == ID and t.text == "d" and self.toks[j + 1].kind == ID:
                return j
        raise MathParseError("an integral without its differential (dx)")

    def matrix(self) -> MatrixValue:
        env = self.env_name()
        if env not in _MATRIX_ENVS:
            raise MathParseError(f"unsupported environment {env!r}")
        if env == "array" and self.at(OPEN, "{"):  # column spec {cc}
            while not self.at(CLOSE, "}") and not self.at(END):
                self.take()
            self.expect(CLOSE, "}")
        rows: list[tuple[Any, ...]] = []
        row: list[Any] = []
        while True:
            if self.at(CMD, "end"):
                self.take()
                self.env_name()
                break
            if self.at(END):
                raise MathParseError("unterminated matrix")
            row.append(self.scalar(self.sum()))
            if self.at(OP, "&"):
                self.take()
            elif self.at(OP, "\\\\"):
                self.take()
                rows.append(tuple(row))
                row = []
        if row:
            rows.append(tuple(row))
        if not rows or len({len(r) for r in rows}) != 1:
            raise MathParseError("ragged or empty matrix")
        return MatrixValue(tuple(rows))

    def env_name(self) -> str:
        self.expect(OPEN, "{")
        parts: list[str] = []
        while not self.at(CLOSE, "}") and not self.at(END):
            parts.append(self.take().text)
        self.expect(CLOSE, "}")
        return "".join(parts)

    def subscript_text(self) -> str:
        if self.at(OPEN, "{"):
            self.take()
            parts: list[str] = []
            depth = 1
            while not self.at(END):
                t = self.take()
                if t.kind == OPEN:
                    depth += 1
                elif t.kind == CLOSE:
                    depth -= 1
                    if depth == 0:
                        return "".join(parts)
                parts.append(t.text)
            raise MathParseError("unclosed subscript")
        t = self.take()
        if t.kind not in (NUM, ID):
            raise MathParseError("bad subscript")
        return t.text

    def based_number(self, digits: str) -> Any:
        self.take()  # "_"
        base_text = self.subscript_text()
        try:
            base = int(base_text)
            if not 2 <= base <= 36 or "." in digits:
                raise ValueError
            return self.sp.Integer(int(digits, base))
        except ValueError as exc:
            raise MathParseError(f"bad base-{base_text} number {digits!r}") from exc

    def try_mixed(self, whole: str) -> Any | None:
        """``2\\frac{1}{2}`` is the mixed number 5/2, as in MATH answers."""
        save = self.pos
        toks = self.toks
        if (
            "." not in whole
            and toks[save + 1 : save + 8] != []
            and [t.text for t in toks[save + 1 : save + 2]] == ["{"]
            and toks[save + 2].kind == NUM
            and toks[save + 3].text == "}"
            and toks[save + 4].text == "{"
            and toks[save + 5].kind == NUM
            and toks[save + 6].text == "}"
            and toks[save + 7].kind in (END, OP, CLOSE)
            and toks[save + 7].text not in ("^", "_")
        ):
            a, b = Fraction(toks[save + 2].text), Fraction(toks[save + 5].text)
            if b == 0 or a.denominator != 1 or b.denominator != 1:
                return None
            self.pos = save + 7
            return self.number(whole) + self.sp.Rational(int(a), int(b))
        return None
