"""A small recursive-descent parser for final answers that builds sympy objects directly.

Why not sympy's own parsers: ``sympify``/``parse_expr`` run ``eval`` on their
input, and model output must never reach ``eval``; sympy's lark ``parse_latex``
costs ~40 ms a call and rejects ``2\\pi``, intervals and sets; the antlr-based
one pins a runtime that breaks installs beside Hydra/OmegaConf. The answer
language is small (numbers, arithmetic, fractions, roots, a few functions and
constants, tuples, sets, intervals, matrices, relations), so a hand-written
parser is short, fast and fully bounded.

Bounds: the lexer caps characters and tokens; the parser caps nesting depth;
every power is checked *before* sympy evaluates it (``9^9^9^9``, ``2^{10^{9}}``
and ``x^{100000}`` are refused because ``|exponent| * log10|base|`` or the
exponent itself is too large), factorials and binomials are capped, and integers
beyond :data:`MAX_RESULT_DIGITS` digits are refused. A refused or malformed
answer raises :class:`MathParseError`; :func:`parse_math` turns that into ``None``.

sympy is imported lazily, on the first answer that is not a plain number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ._latex_lexer import (
    CLOSE,
    CMD,
    CONST,
    END,
    FUNC,
    ID,
    NUM,
    OP,
    OPEN,
    TEXT,
    WORD,
    LexError,
    Token,
    tokenize,
)
from ._matrixops import matrix_arith
from ._numbers import ParsedNumber, parse_number_ex
from ._numwords import words_to_number

__all__ = [
    "MAX_DEPTH",
    "MAX_RESULT_DIGITS",
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
    "parse_math",
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

_RELOPS = frozenset({"=", "<", ">", "<=", ">=", "!=", "in"})
_MATRIX_ENVS = frozenset({"pmatrix", "bmatrix", "matrix", "smallmatrix", "Bmatrix", "array"})


def _sympy() -> Any:
    import sympy

    return sympy


# -- the parser ---------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list. Grammar methods return ``Any``: either a
    :data:`MathValue` (tuples, sets, relations, ...) or a raw sympy expression (a scalar
    still being built); :func:`_wrap` turns the final result into a :data:`MathValue`."""

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

    # -- grammar --
    def answer(self) -> Any:
        v = self.seq(stop=(END,))
        if not self.at(END):
            raise MathParseError(f"unexpected {self.tok.text!r}")
        return v

    def seq(self, stop: tuple[str, ...]) -> Any:
        items = [self.relation()]
        while self.at(OP, ",") or self.at(OP, ";"):
            self.take()
            if self.tok.kind in stop or self.tok.kind == CLOSE:
                break  # trailing comma
            items.append(self.relation())
        if len(items) == 1:
            return items[0]
        return SeqValue("list", tuple(items))

    def relation(self) -> Any:
        sides = [self.union()]
        ops: list[str] = []
        while self.tok.kind == OP and self.tok.text in _RELOPS:
            ops.append(self.take().text)
            sides.append(self.union())
        if not ops:
            return sides[0]
        return RelationValue(tuple(sides), tuple(ops))

    def union(self) -> Any:
        parts = [self.sum()]
        while self.at(OP, "cup"):
            self.take()
            parts.append(self.sum())
        if len(parts) == 1:
            return parts[0]
        return UnionValue(tuple(parts))

    def sum(self) -> Any:
        sign: str | None = None
        if self.tok.kind == OP and self.tok.text in ("+", "-", "pm", "mp"):
            sign = self.take().text
        left = self.term()
        if sign == "-":
            left = self.neg(left)
        elif sign in ("pm", "mp"):
            left = self.alt(left, None)
        while self.tok.kind == OP and self.tok.text in ("+", "-", "pm", "mp"):
            op = self.take().text
            right = self.term()
            if op == "+":
                left = self.arith(left, right, "+")
            elif op == "-":
                left = self.arith(left, right, "-")
            else:
                left = self.alt(left, right)
        return left

    def term(self) -> Any:
        left = self.factor()
        while True:
            t = self.tok
            if t.kind == OP and t.text in ("*", "/"):
                self.take()
                right = self.factor()
                left = self.arith(left, right, t.text)
            elif self.starts_implicit():
                right = self.factor()
                left = self.arith(left, right, "*")
            else:
                return left

    def starts_implicit(self) -> bool:
        t = self.tok
        if t.kind in (ID, CONST, FUNC):
            return True
        if t.kind == CMD:
            return t.text in ("frac", "sqrt", "binom", "boxed", "begin", "sum", "prod")
        if t.kind == OPEN:
            return t.text in ("(", "{", "lfloor", "lceil")
        return False

    def factor(self) -> Any:
        if self.tok.kind == OP and self.tok.text in ("-", "+"):
            op = self.take().text
            self.enter()
            v = self.factor()
            self.depth -= 1
            return self.neg(v) if op == "-" else v
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        if self.at(OP, "^"):
            self.take()
            self.enter()
            exp = self.exponent()
            self.depth -= 1
            return self.pow(base, exp)
        return base

    def exponent(self) -> Any:
        if self.tok.kind == OP and self.tok.text in ("-", "+"):
            op = self.take().text
            v = self.exponent()
            return self.neg(v) if op == "-" else v
        if self.at(NUM):
            # "2^10" (plain text) is 2^10; a tower "9^9^9" is right-associative.
            v = self.number(self.take().text)
            if self.at(OP, "^"):
                self.take()
                self.enter()
                v = self.pow(v, self.exponent())
                self.depth -= 1
            return v
        return self.power()

    def postfix(self) -> Any:
        v = self.primary()
        while self.tok.kind == OP and self.tok.text in ("!", "%", "'"):
            op = self.take().text
            if op == "!":
                v = self.factorial(v)
            elif op == "%":
                if self.at(END):  # a top-level percent keeps both readings
                    return ScalarValue(self.scalar(v), percent=True)
                v = self.arith(v, self.sp.Integer(100), "/")
            else:
                raise MathParseError("primes (derivatives) are not supported")
        return v

    def primary(self) -> Any:
        self.enter()
        try:
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Any:
        sp = self.sp
        t = self.take()
        k, x = t.kind, t.text
        if k == NUM:
            if self.at(CMD, "frac"):
                mixed = self.try_mixed(x)
                if mixed is not None:
                    return mixed
            if self.at(OP, "_"):
                return self.based_number(x)
            return self.number(x)
        if k == ID:
            name = x
            if self.at(OP, "_"):
                self.take()
                name += "_" + self.subscript_text()
            if name == "e":
                return sp.E
            if name == "i" and "i" not in self.bound:  # 3 + 4i, e^{i\pi}; not a sum's index
                return sp.I
            return sp.Symbol(name)
        if k == CONST:
            return sp.pi if x == "pi" else sp.oo
        if k == FUNC:
            return self.function(x)
        if k == CMD:
            if x == "frac":
                num = self.arg()
                den = self.arg()
                return self.arith(num, den, "/")
            if x == "sqrt":
                index: Any = None
                if self.at(OPEN, "["):
                    self.take()
                    index = self.sum()
                    self.expect(CLOSE, "]")
                radicand = self.arg()
                if index is None:
                    return sp.sqrt(self.scalar(radicand))
                return self.pow(radicand, self.arith(sp.Integer(1), index, "/"))
            if x == "binom":
                n, r = self.scalar(self.arg()), self.scalar(self.arg())
                for v in (n, r):
                    if v.is_number and abs(v) > MAX_FACTORIAL:
                        raise MathParseError("binomial too large")
                return sp.binomial(n, r)
            if x == "boxed":
                return self.group_value()
            if x == "begin":
                return self.matrix()
            if x in ("sum", "prod"):
                return self.big_operator(x)
            raise MathParseError(f"unexpected \\{x}")
        if k == OPEN:
            return self.bracketed(x)
        if k == OP and x == "|":
            inner = self.sum()
            self.expect(OP, "|")
            return sp.Abs(self.scalar(inner))
        if k == TEXT:
            raise MathParseError(f"text {x!r} inside a formula")
        if k == WORD:
            raise MathParseError(f"word {x!r} in a formula")
        raise MathParseError(f"unexpected {x or k!r}")

    # -- pieces --
    def arg(self) -> Any:
        """A macro argument: ``{...}``, or a single token (``\\frac12``, ``\\sqrt3``)."""
        if self.at(OPEN, "{"):
            return self.group_value()
        if self.at(NUM):
            text = self.tok.text
            if len(text) > 1 and "." not in text:
                # \frac12 reads 1 then 2: leave the rest of the digits for the next argument
                self.toks[self.pos] = Token(NUM, text[1:])
                return self.number(text[0])
            self.take()
            return self.number(text)
        return self.primary()

    def group_value(self) -> Any:
        self.expect(OPEN, "{")
        self.enter()
        inner = self.seq(stop=(CLOSE,))
        self.depth -= 1
        self.expect(CLOSE, "}")
        return inner

    def bracketed(self, opener: str) -> Any:
        self.enter()
        try:
            if opener == "{":
                inner = self.seq(stop=(CLOSE,))
                self.expect(CLOSE, "}")
                return inner
            if opener in ("lfloor", "lceil"):
                inner = self.scalar(self.sum())
                self.expect(CLOSE, "r" + opener[1:])
                return self.sp.floor(inner) if opener == "lfloor" else self.sp.ceiling(inner)
            if opener == "\\{":
                if self.at(CLOSE, "\\}"):
                    self.take()
                    return SeqValue("set", ())
                inner = self.seq(stop=(CLOSE,))
                self.expect(CLOSE, "\\}")
                items = (
                    inner.items
                    if isinstance(inner, SeqValue) and inner.kind == "list"
                    else (inner,)
                )
                return SeqValue("set", _flatten_alts(items))
            inner = self.seq(stop=(CLOSE,))
            if not self.at(CLOSE) or self.tok.text not in (")", "]"):
                raise MathParseError(f"unclosed {opener!r}")
            closer = self.take().text
            items = (
                inner.items if isinstance(inner, SeqValue) and inner.kind == "list" else (inner,)
            )
            if len(items) == 2 and opener + closer in ("(]", "[)"):
                return IntervalValue(
                    self.scalar(items[0]), self.scalar(items[1]), opener == "(", closer == ")"
                )
            if len(items) == 1:
                if opener + closer != opener + {"(": ")", "[": "]"}[opener]:
                    raise MathParseError("mismatched brackets")
                return items[0]
            return SeqValue("tuple", tuple(items), opener + closer)
        finally:
            self.depth -= 1

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

    def check_exp(self, arg: Any) -> None:
        if arg.is_number:
            try:
                if abs(complex(arg.evalf(15))) > 10_000:
                    raise MathParseError("exponential too large")
            except (TypeError, ValueError, OverflowError) as exc:
                raise MathParseError("exponential not evaluable") from exc

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


def _flatten_alts(items: tuple[Any, ...]) -> tuple[MathValue, ...]:
    out: list[Any] = []
    for it in items:
        if isinstance(it, Alternatives):
            out.extend(ScalarValue(o) for o in it.options)
        else:
            out.append(_wrap(it))
    return tuple(out)


def _wrap(v: Any) -> MathValue:
    """Raw sympy expressions become :class:`ScalarValue`; values pass through."""
    if isinstance(v, MathValue):
        if isinstance(v, SeqValue):
            return SeqValue(v.kind, tuple(_wrap(i) for i in v.items), v.brackets)
        if isinstance(v, RelationValue):
            return RelationValue(tuple(_wrap(i) for i in v.sides), v.ops)
        if isinstance(v, UnionValue):
            return UnionValue(tuple(_wrap(i) for i in v.parts))
        return v
    return ScalarValue(v)


# -- entry point ---------------------------------------------------------------------------


def _strip_tokens(toks: list[Token]) -> list[Token]:
    """Drop what carries no value: trailing units/words/punctuation, ``\\text{and}`` → comma."""
    body = [t for t in toks if t.kind != END]
    out: list[Token] = []
    for t in body:
        if t.kind == TEXT:
            low = t.text.strip().lower()
            if low in ("and", ",", ""):
                out.append(Token(OP, ","))
                continue
            if low == "or":
                out.append(Token(WORD, "or"))
                continue
        out.append(t)
    if out and all(t.kind in (TEXT, WORD) for t in out):
        return out + [Token(END, "")]
    while out and (
        out[-1].kind in (TEXT, WORD)
        and out[-1].text != "..."
        or (out[-1].kind == OP and out[-1].text in (".", ",", ";", ":"))
    ):
        out.pop()
    # drop unit text right after a number inside the answer ("12 \text{ cm}, 5")
    cleaned: list[Token] = []
    for i, t in enumerate(out):
        if t.kind == TEXT and i > 0 and out[i - 1].kind in (NUM, CLOSE, ID, CONST):
            continue
        cleaned.append(t)
    cleaned.append(Token(END, ""))
    return cleaned


def _norm_text(s: str) -> str:
    return " ".join(s.replace("\\", " ").replace("{", " ").replace("}", " ").lower().split())


def parse_math(text: str, *, lenient: bool = False) -> MathValue | None:
    """Parse a final answer into a :data:`MathValue`, or ``None`` if it is not one.

    Plain numbers (``42``, ``-3.5``, ``3/4``, ``\\frac{1}{2}``, ``45\\%``,
    ``$1,000``) are settled by :func:`~rewardkit.parsers._numbers.parse_number_ex`
    without importing sympy; everything else goes through the parser.

    Example:
        >>> parse_math("0.5")
        NumberValue(number=ParsedNumber(value=Fraction(1, 2), percent=False, decimal=True))
        >>> parse_math(r"\\frac{\\sqrt{2}}{2}")
        ScalarValue(expr=sqrt(2)/2, percent=False)
        >>> parse_math("9^9^9^9") is None
        True
    """
    try:
        return _parse(text, lenient)
    except (MathParseError, LexError, RecursionError):
        return None
    except (TypeError, ValueError, ArithmeticError, AttributeError, IndexError):
        # sympy raising on a construct we accepted: not a parse, never a crash
        return None


def _parse(text: str, lenient: bool = False) -> MathValue | None:
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s:
        return None
    num = parse_number_ex(s, units=False)
    if num is not None:
        return NumberValue(num)
    spelled = words_to_number(s) if s[:1].isalpha() else None
    if spelled is not None:  # "forty-two"
        return NumberValue(ParsedNumber(Fraction(spelled)))
    toks = _strip_tokens(tokenize(s, lenient=lenient))
    if len(toks) == 1:
        return None
    if all(t.kind in (TEXT, WORD, END) for t in toks):
        words = " ".join(t.text for t in toks if t.kind != END)
        return TextValue(_norm_text(words)) if words.strip() else None
    p = _Parser(toks)
    value = p.answer()
    if isinstance(value, Alternatives):
        return SeqValue("list", tuple(ScalarValue(o) for o in value.options))
    if isinstance(value, SeqValue) and value.kind == "list":
        return SeqValue("list", _flatten_alts(value.items))
    return _wrap(value)
