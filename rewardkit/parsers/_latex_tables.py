"""The command and symbol tables of the answer lexer (:mod:`._latex_lexer`).

One place lists every LaTeX command the parser reads and how it is normalised
(``\\dfrac`` → ``frac``, ``\\leq`` → ``<=``, ``≤`` → ``<=``), so the lexer and
the escape repair (:func:`._latex_lexer.unescape_commands`) agree on what a
command is.
"""

from __future__ import annotations

__all__ = [
    "CLOSE",
    "CMD",
    "CONST",
    "END",
    "FUNC",
    "ID",
    "NUM",
    "OP",
    "OPEN",
    "TEXT",
    "WORD",
    "BIG_OPS",
    "CONST_CMDS",
    "ELLIPSIS",
    "FUNCTIONS",
    "GREEK",
    "OP_CMDS",
    "PLAIN_WORDS",
    "SKIP_CMDS",
    "TEXT_CMDS",
    "UNICODE",
    "known_commands",
]

#: Token kinds.
NUM, ID, FUNC, CONST, OP, OPEN, CLOSE, CMD, TEXT, WORD, END = (
    "NUM",
    "ID",
    "FUNC",
    "CONST",
    "OP",
    "OPEN",
    "CLOSE",
    "CMD",
    "TEXT",
    "WORD",
    "END",
)

FUNCTIONS = frozenset(
    {
        "sin",
        "cos",
        "tan",
        "sec",
        "csc",
        "cot",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "log",
        "ln",
        "exp",
        "lg",
        "gcd",
        "lcm",
        "max",
        "min",
    }
)
GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi "
    "Psi Omega".split()
)
SKIP_CMDS = frozenset(
    "displaystyle textstyle left right big Big bigg Bigg bigl bigr Bigl Bigr quad qquad "
    "limits nolimits mathstrut strut".split()
)
TEXT_CMDS = frozenset(
    "text textrm textnormal textbf textit textsf texttt mbox mathrm mathbf mathit mathsf "
    "operatorname hbox emph".split()
)
OP_CMDS = {
    "cdot": "*",
    "times": "*",
    "ast": "*",
    "div": "/",
    "pm": "pm",
    "mp": "mp",
    "le": "<=",
    "leq": "<=",
    "leqslant": "<=",
    "ge": ">=",
    "geq": ">=",
    "geqslant": ">=",
    "lt": "<",
    "gt": ">",
    "ne": "!=",
    "neq": "!=",
    "approx": "=",
    "cup": "cup",
    "in": "in",
    "%": "%",
}
BIG_OPS = frozenset({"sum", "prod", "int"})
CONST_CMDS = {"pi": "pi", "infty": "oo", "infinity": "oo", "varpi": "pi"}
ELLIPSIS = frozenset({"dots", "ldots", "cdots", "vdots", "ddots"})
PLAIN_WORDS = {
    "pi": (CONST, "pi"),
    "inf": (CONST, "oo"),
    "infinity": (CONST, "oo"),
    "oo": (CONST, "oo"),
    "sqrt": (CMD, "sqrt"),
    "and": (OP, ","),
    "or": (WORD, "or"),
}
UNICODE = {
    "−": "-",
    "–": "-",
    "×": "*",
    "·": "*",
    "÷": "/",
    "π": "\\pi ",
    "∞": "\\infty ",
    "√": "\\sqrt ",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "≈": "=",
    "±": "\\pm ",
    "∪": "\\cup ",
    "°": "",
    "²": "^2",
    "³": "^3",
    "∈": "\\in ",
    "⌊": "\\lfloor ",
    "⌋": "\\rfloor ",
    "⌈": "\\lceil ",
    "⌉": "\\rceil ",
}

OTHER_CMDS = frozenset(
    "frac dfrac tfrac cfrac sqrt begin end binom dbinom tbinom boxed fbox lbrace rbrace "
    "langle rangle vert lvert rvert mid lfloor rfloor lceil rceil emptyset varnothing "
    "mathbb overline".split()
)


def known_commands() -> frozenset[str]:
    """Every command name the lexer reads (without the backslash)."""
    return KNOWN


KNOWN = (
    FUNCTIONS
    | GREEK
    | SKIP_CMDS
    | TEXT_CMDS
    | frozenset(OP_CMDS)
    | frozenset(CONST_CMDS)
    | ELLIPSIS
    | OTHER_CMDS
    | BIG_OPS
)
