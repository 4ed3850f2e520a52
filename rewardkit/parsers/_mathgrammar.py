"""The recursive-descent grammar of final answers: lists, relations, unions, sums,
products with implicit multiplication, powers, postfix operators and primaries.

Precedence, loosest first: ``,``/``;`` lists, relations (``=``, ``<``, ``\\in``, chained),
``\\cup``, ``+``/``-``/``\\pm``, ``*``/``/``/juxtaposition, unary sign, ``^`` (right
associative), ``!``/``%``. Nesting is capped at :data:`MAX_DEPTH`.
"""

from __future__ import annotations

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
    Token,
)
from ._mathpieces import Pieces
from ._mathvalues import (
    MAX_FACTORIAL,
    IntervalValue,
    MathParseError,
    RelationValue,
    ScalarValue,
    SeqValue,
    UnionValue,
    flatten_alts,
)

__all__ = ["Parser"]

_RELOPS = frozenset({"=", "<", ">", "<=", ">=", "!=", "in"})


class Parser(Pieces):
    """Recursive descent over the token list. Grammar methods return ``Any``: either a
    :data:`MathValue` (tuples, sets, relations, ...) or a raw sympy expression (a scalar
    still being built); :func:`._mathvalues.wrap` turns the result into a :data:`MathValue`."""

    __slots__ = ()

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
            return t.text in ("frac", "sqrt", "binom", "boxed", "begin", "sum", "prod", "int")
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
            if x == "int":
                return self.integral()
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
                nxt = self.peek()
                if self.at(ID) and nxt.kind == OP and nxt.text in ("|", ":"):
                    self.pos += 2  # set-builder {x | x > 2}: the set its condition states
                    cond = self.relation()
                    self.expect(CLOSE, "\\}")
                    return cond
                inner = self.seq(stop=(CLOSE,))
                self.expect(CLOSE, "\\}")
                items = (
                    inner.items
                    if isinstance(inner, SeqValue) and inner.kind == "list"
                    else (inner,)
                )
                return SeqValue("set", flatten_alts(items))
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
