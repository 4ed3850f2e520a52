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

from fractions import Fraction

from ._latex_lexer import CLOSE, CONST, END, ID, NUM, OP, TEXT, WORD, LexError, Token, tokenize
from ._mathgrammar import Parser
from ._mathvalues import (
    MAX_DEPTH,
    MAX_RESULT_DIGITS,
    Alternatives,
    IntervalValue,
    MathParseError,
    MathValue,
    MatrixValue,
    NumberValue,
    RelationValue,
    ScalarValue,
    SeqValue,
    TextValue,
    UnionValue,
    flatten_alts,
    wrap,
)
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


# -- entry point ---------------------------------------------------------------------------


_UNIT_POWER = {
    ("text", "^"): "caret",
    ("caret", "2"): "done",
    ("caret", "3"): "done",
    ("caret", "{"): "brace",
    ("brace", "2"): "digit",
    ("brace", "3"): "digit",
    ("digit", "}"): "done",
}


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
    unit = ""  # after a dropped unit: "^", then "2"/"3" or "{2}" belong to it ("cm^2")
    for i, t in enumerate(out):
        if t.kind == TEXT and i > 0 and out[i - 1].kind in (NUM, CLOSE, ID, CONST):
            unit = "text"
            continue
        step = _UNIT_POWER.get((unit, t.text))
        unit = step or ""
        if step is not None:
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
    p = Parser(toks)
    value = p.answer()
    if isinstance(value, Alternatives):
        return SeqValue("list", tuple(ScalarValue(o) for o in value.options))
    if isinstance(value, SeqValue) and value.kind == "list":
        return SeqValue("list", flatten_alts(value.items))
    return wrap(value)
