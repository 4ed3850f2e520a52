"""Numeric parsing of hostile text, without ``eval``.

Model answers write one number in many ways: ``1,234``, ``$18.50``, ``45%``,
``3/4``, ``1 1/2``, ``\\frac{3}{4}``, ``1.5e3``, ``1.5 \\times 10^{3}``,
``-7 apples``. :func:`parse_number` reads all of them into an exact
:class:`fractions.Fraction` so ``0.5`` equals ``1/2`` without float noise.

Everything is bounded: the text is capped at :data:`MAX_NUMBER_CHARS`, a number
may have at most :data:`MAX_DIGITS` digits and a decimal exponent of at most
:data:`MAX_EXPONENT`, so ``1e999999999`` is refused instead of building a
billion-digit integer. Regexes are anchored and have no nested quantifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_NUMBER_CHARS",
    "ParsedNumber",
    "has_math_beyond_number",
    "numbers_equal",
    "parse_number",
    "parse_number_ex",
]

#: Longer text is not "a number" and is refused outright.
MAX_NUMBER_CHARS = 200
#: Digits allowed in one number (mantissa, numerator or denominator).
MAX_DIGITS = 100
#: Largest decimal exponent accepted in scientific notation.
MAX_EXPONENT = 400


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """A number read from text, with how it was written.

    Attributes:
        value: the exact value (a percent sign is *not* applied: ``45%`` has value 45).
        percent: the text carried ``%``, ``\\%``, "percent" or "pct".
        decimal: written with a decimal point or exponent (a rounded measurement,
            so tolerant comparison makes sense), as opposed to an integer or a fraction.
    """

    value: Fraction
    percent: bool = False
    decimal: bool = False

    def readings(self) -> tuple[Fraction, ...]:
        """The values the text can mean: ``45%`` is 45 or 0.45; ``45`` is only 45."""
        if self.percent:
            return (self.value, self.value / 100)
        return (self.value,)


# -- cleaning -----------------------------------------------------------------------

_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_SPACE_CMDS = re.compile(r"\\[,;:! ]|\\q?quad\b|~")
_TEXT_CMD = re.compile(
    r"\\(?:text|textrm|textnormal|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{([^{}]{0,80})\}"
)
_BOXED = re.compile(r"^\\(?:boxed|fbox)\s*\{(.*)\}$", re.DOTALL)
_PERCENT_TAIL = re.compile(
    r"(?:\\%|%|\s*\bper\s*cent(?:age)?\b|\s*\bpercent(?:age)?\b|\s*\bpct\b)\s*$"
)
_DEGREE_TAIL = re.compile(r"(?:\^\s*\{?\s*\\circ\s*\}?|\\degree|°)\s*$")
_CURRENCY = "$€£¥₹"
# A unit tail: words, currency, ², ³, "/", "." and ^2 / ^{3} -- but no other digit
# or operator (so "3 + 4" or "5 6" are not "3 with a unit").
_UNIT_TAIL = re.compile(
    r"^(?:\s|[^\W\d_]|[°²³/.'’]|\\\$|[$€£¥₹]|\^\s*\{?\s*[23]\s*\}?|\\circ|\{\s*\}){0,60}$"
)

_INT = r"\d+"
_GROUPED = r"\d{1,3}(?:,\d{3})+"
_SPACED = r"\d{1,3}(?: \d{3})+"
_DEC = r"(?:\d+\.\d*|\.\d+)"
_SCI_E = r"[eE][-+]?\d{1,6}"
_SCI_TIMES = r"\s*(?:\\times|\\cdot|\*|×|x)\s*10\s*\^\s*\{?\s*(?P<x>[-+−]?\d{1,6})\s*\}?"

_PLAIN_RE = re.compile(
    rf"(?P<m>{_GROUPED}(?:\.\d+)?|{_SPACED}(?!\.)|{_DEC}|{_INT})"
    rf"(?:(?P<e>{_SCI_E})|{_SCI_TIMES})?"
)
_NUMTOK = r"\d+(?:\.\d+)?"
_FRAC_RE = re.compile(
    rf"\\[dtc]?frac\s*(?:\{{\s*(?P<a>-?{_NUMTOK})\s*\}}|(?P<a1>\d))"
    rf"\s*(?:\{{\s*(?P<b>-?{_NUMTOK})\s*\}}|(?P<b1>\d))"
)
_SLASH_RE = re.compile(rf"(?P<a>{_NUMTOK})\s*/\s*(?P<b>{_NUMTOK})")
_MIXED_RE = re.compile(r"(?P<w>\d+)\s+(?P<a>\d+)\s*/\s*(?P<b>\d+)")
_MIXED_TEX_RE = re.compile(
    r"(?P<w>\d+)\s*\\[dtc]?frac\s*\{\s*(?P<a>\d+)\s*\}\s*\{\s*(?P<b>\d+)\s*\}"
)
_DECIMAL_COMMA_RE = re.compile(r"(?P<i>\d+),(?P<f>\d+)")

# -- what a plain number may contain ------------------------------------------------------

#: LaTeX commands that may appear in a plain number: fractions, ``\times``/``\cdot`` (for
#: ``1.5 \times 10^{3}``; any other use leaves text that does not parse), unit text,
#: spacing, delimiters, boxes, degrees. Any other command (``\sqrt``, ``\pi``, ``\log``,
#: ``\infty``, ...) makes the text a formula, not a number.
_PLAIN_COMMANDS = frozenset(
    {
        "frac",
        "dfrac",
        "tfrac",
        "cfrac",
        "times",
        "cdot",
        "text",
        "textrm",
        "textnormal",
        "textbf",
        "textit",
        "mbox",
        "mathrm",
        "mathbf",
        "operatorname",
        "boxed",
        "fbox",
        "quad",
        "qquad",
        "left",
        "right",
        "circ",
        "degree",
        "displaystyle",
    }
)
_COMMAND_RE = re.compile(r"\\([A-Za-z]+|.?)", re.DOTALL)
_PLAIN_SYMBOL_COMMANDS = frozenset("%$,!;: ()[]")
# Words and symbols of functions and constants: "100 pi" is not "100 of unit pi".
_FORMULA_WORD_RE = re.compile(
    r"[\u03c0\u221a\u221b\u221c\u221e]"  # π √ ∛ ∜ ∞
    r"|(?<![^\W\d_])(?:sqrt|cbrt|root|pi|infinity|inf|log|ln|exp|sin|cos|tan|arcsin|arccos|arctan)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)


def has_math_beyond_number(text: str) -> bool:
    """Whether ``text`` holds a LaTeX command, function or constant that no plain number has.

    ``\\sqrt{90}``, ``100\\pi``, ``100 pi``, ``√90`` and ``\\log 5`` do; ``\\frac{3}{4}``,
    ``1.5 \\times 10^{3}``, ``45\\%``, ``\\$5``, ``1{,}000`` and ``5\\text{ cm}`` do not.

    Example:
        >>> has_math_beyond_number(r"\\sqrt{90}"), has_math_beyond_number(r"\\dfrac{3}{4}")
        (True, False)
    """
    for m in _COMMAND_RE.finditer(text):
        name = m.group(1)
        if name not in (_PLAIN_COMMANDS if name[:1].isalpha() else _PLAIN_SYMBOL_COMMANDS):
            return True
    return _FORMULA_WORD_RE.search(text) is not None


def _clean(text: str, units: bool = True) -> tuple[str, bool]:
    """Strip wrappers, spacing commands, unit text and the percent sign."""
    s = text.strip()
    for _ in range(3):
        changed = False
        for left, right in _WRAPPERS:
            if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
                s = s[len(left) : -len(right)].strip()
                changed = True
        m = _BOXED.match(s)
        if m:
            s = m.group(1).strip()
            changed = True
        if not changed:
            break
    s = s.replace("{,}", "").replace("−", "-").replace("–", "-")
    s = _SPACE_CMDS.sub(" ", s)
    s = _TEXT_CMD.sub(r" \1 " if units else " ", s)
    s = s.replace("\\left", "").replace("\\right", "").replace("\\!", "")
    s = s.strip().rstrip(".").strip()
    percent = False
    m = _PERCENT_TAIL.search(s)
    if m:
        percent = True
        s = s[: m.start()].strip()
    s = _DEGREE_TAIL.sub("", s).strip()
    return s, percent


def _to_fraction(token: str) -> Fraction | None:
    digits = sum(ch.isdigit() for ch in token)
    if digits == 0 or digits > MAX_DIGITS:
        return None
    try:
        return Fraction(token)
    except (ValueError, ZeroDivisionError):
        return None


def _sign_and_currency(s: str) -> tuple[int, str]:
    """Consume a leading sign and currency symbol, in either order ("-$5", "$-5")."""
    sign = 1
    for _ in range(3):
        s = s.lstrip()
        if s.startswith("\\$"):
            s = s[2:]
        elif s[:1] and s[0] in _CURRENCY:
            s = s[1:]
        elif s[:1] == "-":
            sign, s = -sign, s[1:]
        elif s[:1] == "+":
            s = s[1:]
        else:
            break
    return sign, s.lstrip()


def _tail_ok(rest: str) -> bool:
    return _UNIT_TAIL.match(rest) is not None and "/" not in rest.strip()[:1]


_PLAIN_INT_RE = re.compile(r"\s*-?[0-9]{1,30}\s*\Z")


def parse_number_ex(text: str, *, units: bool = True) -> ParsedNumber | None:
    """Read one number from ``text`` and say how it was written, or ``None``.

    Trailing units are ignored ("18 dollars", "15 cm^2", "3 apples"), so is a
    currency sign in front or behind. Anything else left over (a second number,
    an operator) makes the text "not a number", and so does any LaTeX command,
    function or constant that a plain number does not use (``\\sqrt{90}``,
    ``100\\pi``, ``100 pi``: see :func:`has_math_beyond_number`). With ``units=False`` (formula
    context) only units inside ``\\text{}``/``\\mbox{}`` are dropped, any other
    trailing letter refuses the text (``3x`` is not "3 of unit x"), and a comma
    is never a decimal comma (``-2,1`` is a list of two roots, not -2.1).

    Example:
        >>> parse_number_ex("$1,234.50").value
        Fraction(2469, 2)
        >>> parse_number_ex("45%").readings()
        (Fraction(45, 1), Fraction(9, 20))
        >>> parse_number_ex("x + 1") is None
        True
    """
    if not isinstance(text, str) or len(text) > MAX_NUMBER_CHARS:
        return None
    if _PLAIN_INT_RE.match(text):  # fast path: "72", " -5 " (most GSM8K answers)
        return ParsedNumber(Fraction(int(text)))
    if has_math_beyond_number(text):
        return None
    s, percent = _clean(text, units)
    if not s or len(s) > MAX_NUMBER_CHARS:
        return None
    sign, s = _sign_and_currency(s)
    if not s:
        return None
    parsed = _parse_core(s, decimal_comma=units)
    if parsed is None:
        return None
    value, decimal, rest = parsed
    if rest.strip():
        rest_clean = rest.strip()
        m = _PERCENT_TAIL.search(rest_clean)
        if m and not rest_clean[: m.start()].strip():
            percent = True
        elif units:
            if not _tail_ok(rest_clean):
                return None
        elif rest_clean.replace("\\$", "").strip(_CURRENCY + " "):
            return None
    return ParsedNumber(sign * value, percent, decimal)


def _parse_core(s: str, decimal_comma: bool = True) -> tuple[Fraction, bool, str] | None:
    """The leading number of ``s`` (after sign/currency): (value, decimal?, rest)."""
    m = _MIXED_TEX_RE.match(s) or _MIXED_RE.match(s)
    if m:
        w, a, b = (_to_fraction(m.group(k)) for k in ("w", "a", "b"))
        if w is not None and a is not None and b:
            return w + a / b, False, s[m.end() :]
    m = _FRAC_RE.match(s)
    if m:
        a = _to_fraction(m.group("a") or m.group("a1"))
        b = _to_fraction(m.group("b") or m.group("b1"))
        if a is not None and b:
            dec = "." in (m.group("a") or "") + (m.group("b") or "")
            return a / b, dec, s[m.end() :]
        return None
    m = _SLASH_RE.match(s)
    if m:
        a, b = _to_fraction(m.group("a")), _to_fraction(m.group("b"))
        if a is not None and b:
            return a / b, "." in m.group(0), s[m.end() :]
        return None
    m = _DECIMAL_COMMA_RE.fullmatch(s) if decimal_comma else None
    if m and (len(m.group("f")) != 3 or m.group("i") == "0"):
        # European decimal comma ("1,5", "0,125"); "1,500" stays a thousands separator.
        v = _to_fraction(f"{m.group('i')}.{m.group('f')}")
        return (v, True, "") if v is not None else None
    m = _PLAIN_RE.match(s)
    if not m:
        return None
    mant = m.group("m").replace(",", "").replace(" ", "")
    v = _to_fraction(mant)
    if v is None:
        return None
    decimal = "." in mant
    exp_text = m.group("e")
    exp: int | None = None
    if exp_text:
        exp = int(exp_text[1:])
    elif m.group("x"):
        exp = int(m.group("x").replace("−", "-"))
    if exp is not None:
        if abs(exp) > MAX_EXPONENT:
            return None
        v = v * Fraction(10) ** exp
        decimal = True
    return v, decimal, s[m.end() :]


def parse_number(text: str) -> Fraction | None:
    """The exact value of a number written in ``text`` (percent sign ignored), or ``None``.

    Example:
        >>> parse_number("1 1/2"), parse_number("\\\\dfrac{3}{4}"), parse_number("1.5 \\\\times 10^{3}")
        (Fraction(3, 2), Fraction(3, 4), Fraction(1500, 1))
    """
    p = parse_number_ex(text)
    return p.value if p is not None else None


def numbers_equal(
    gold: ParsedNumber, pred: ParsedNumber, *, rel_tol: float = 1e-9, abs_tol: float = 0.0
) -> bool:
    """Whether two parsed numbers agree.

    Integers and fractions compare exactly: a tolerance on 1,000,000,001 vs
    1,000,000,000 would pay for a wrong answer. The tolerance applies only
    when one side was written as a decimal (a rounded value). A percent on
    either side allows both readings (``45%`` matches 45, 45% and 0.45).
    """
    for g in gold.readings():
        for p in pred.readings():
            if g == p:
                return True
            if (gold.decimal or pred.decimal or g.denominator != 1 or p.denominator != 1) and (
                rel_tol > 0 or abs_tol > 0
            ):
                diff = abs(g - p)
                if diff <= abs_tol or diff <= Fraction(rel_tol) * max(abs(g), abs(p)):
                    return True
    return False
