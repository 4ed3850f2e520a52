"""Tokens for the answer subset of LaTeX and plain math.

The lexer is a single left-to-right pass with ``str`` methods and anchored,
backtracking-free regexes; its output is capped at :data:`MAX_TOKENS`. It
normalises spelling early (``\\dfrac`` → ``frac``, ``≤`` → ``<=``, ``\\left(`` →
``(``) so the parser deals with one form of each construct. Styling that
carries no value (``\\displaystyle``, ``\\,``, ``\\left.``, ``^\\circ``) is dropped
here, and ``\\text{...}`` becomes one ``TEXT`` token the parser can treat as a
unit or as a textual answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._latex_tables import (
    BIG_OPS,
    CLOSE,
    CMD,
    CONST,
    CONST_CMDS,
    ELLIPSIS,
    END,
    FUNC,
    FUNCTIONS,
    GREEK,
    ID,
    NUM,
    OP,
    OP_CMDS,
    OPEN,
    PLAIN_WORDS,
    SKIP_CMDS,
    TEXT,
    TEXT_CMDS,
    UNICODE,
    WORD,
    known_commands,
)

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
    "MAX_ANSWER_CHARS",
    "MAX_TOKENS",
    "LexError",
    "Token",
    "known_commands",
    "tokenize",
    "unescape_commands",
]

#: Longer answers are refused: real final answers are short.
MAX_ANSWER_CHARS = 1_000
#: Cap on tokens per answer; bounds every later stage.
MAX_TOKENS = 400


class LexError(ValueError):
    """The text is not in the supported answer language (or is too large)."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is one of the kind names (``NUM``, ``ID``, ... ``END``), ``text`` its normalised value."""

    kind: str
    text: str


_NUM_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d])(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+")
_PLAIN_NUM_RE = re.compile(r"\d+(?:\.\d*)?")


def _pair_in_brackets(s: str, start: int, end: int) -> bool:
    """Whether a comma-grouped number fills a bracket pair: ``(12,102)``, ``[1,000]``."""
    before = s[:start].rstrip()[-1:]
    after = s[end:].lstrip()[:1]
    return before in ("(", "[") and before != "" and after in (")", "]") and after != ""


_DEGREE_RE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\degree|\\circ")
_LETTERS_RE = re.compile(r"[A-Za-z]+")
_SHORT_UNITS = frozenset("cm mm km m kg g mg s ms h hr ft yd mi lb oz ml l".split())
_UNIT_END_RE = re.compile(r"\s*(?:\^\s*\{?\s*[23]\s*\}?)?\s*[.]?\s*$")
_CMD_RE = re.compile(r"\\([A-Za-z]+|.)")
_SUP_UNIT_RE = re.compile(r"(?<=\d)\s*(?:cm|mm|km|m|ft|in|yd|mi)[²³](?![A-Za-z])")


# A LaTeX command whose backslash and first letter were read as a string escape by a
# JSON or Python literal ("\\frac" became form feed + "rac", "\\text" a tab + "ext").
_ESCAPED = {"\a": "a", "\b": "b", "\v": "v", "\f": "f", "\t": "t", "\r": "r"}
_ESCAPED_RE = re.compile(r"\\?([\a\b\v\f\t\r])([A-Za-z]{1,20})")


def unescape_commands(text: str) -> str:
    """Form feed + ``rac`` back to ``\\frac`` (and tab + ``imes``, backspace + ``inom``, ...),
    only where the restored name is a command the lexer knows: a tab before prose stays."""
    if not any(c in text for c in _ESCAPED):
        return text

    def fix(m: re.Match[str]) -> str:
        name = _ESCAPED[m.group(1)] + m.group(2)
        return "\\" + name if name in known_commands() else m.group(0)

    return _ESCAPED_RE.sub(fix, text)


_REAL_LINE = (
    Token(OPEN, "("),
    Token(OP, "-"),
    Token(CONST, "oo"),
    Token(OP, ","),
    Token(CONST, "oo"),
    Token(CLOSE, ")"),
)
# A repeating decimal: 0.\overline{3}, 1.2\overline{45}, 0.(3) is not read (a product).
_REPEAT_RE = re.compile(r"(\d{1,20})\.(\d{0,20})\\overline\s*\{\s*(\d{1,20})\s*\}")


def _repeating(m: re.Match[str]) -> str:
    """``1.2\\overline{45}`` as the exact fraction it names, written ``\\frac{p}{q}``."""
    whole, fixed, rep = m.groups()
    k, r = len(fixed), len(rep)
    num = int(whole + fixed + rep) - int(whole + fixed or "0")
    den = (10**r - 1) * 10**k
    return f"\\frac{{{num}}}{{{den}}}"


def _prepare(text: str) -> str:
    if len(text) > MAX_ANSWER_CHARS:
        raise LexError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    text = unescape_commands(text)
    if "²" in text or "³" in text:  # "1,000.99m²": a unit glued to a number, not m squared
        text = _SUP_UNIT_RE.sub("", text)
    for k, v in UNICODE.items():
        if k in text:
            text = text.replace(k, v)
    text = text.replace("{,}", "").replace("\\!", "")
    text = _DEGREE_RE.sub("", text)
    if "\\overline" in text:
        text = _REPEAT_RE.sub(_repeating, text)
    return text


def _braced(text: str, i: int) -> tuple[str, int]:
    """Content of the ``{...}`` group starting at ``text[i] == '{'`` and the index after it."""
    depth = 0
    j = i
    n = len(text)
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
        j += 1
    raise LexError("unbalanced braces")


def tokenize(text: str, *, lenient: bool = False) -> list[Token]:
    """Split an answer into tokens (raises :class:`LexError` on anything unsupported).

    ``lenient`` reads an unknown command (``\\zzz``) as a variable of that name: for a
    gold answer, which is trusted, rather than a completion.

    Example:
        >>> [t.text for t in tokenize(r"\\dfrac{1}{2}\\pi")][:-1]  # the last token is END
        ['frac', '{', '1', '}', '{', '2', '}', 'pi']
    """
    s = _prepare(text)
    out: list[Token] = []
    i, n = 0, len(s)
    while i < n:
        if len(out) > MAX_TOKENS:
            raise LexError(f"more than {MAX_TOKENS} tokens")
        ch = s[i]
        if ch.isspace() or ch == "~" or ch == "$":
            i += 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and s[i + 1].isdigit()):
            m = _NUM_RE.match(s, i)
            if m is None:  # pragma: no cover - the guard above ensures a match
                raise LexError("bad number")
            if "," in m.group(0) and _pair_in_brackets(s, i, m.end()):
                m = _PLAIN_NUM_RE.match(s, i)  # "(12,102)" is a pair, not 12102
                assert m is not None
            tok = m.group(0).replace(",", "")
            if tok.endswith("."):
                tok = tok[:-1]
            if len(tok) > 100:
                raise LexError("number with more than 100 digits")
            out.append(Token(NUM, tok))
            i = m.end()
            continue
        if ch.isalpha():
            m = _LETTERS_RE.match(s, i)
            if m is None:  # non-ASCII letter
                raise LexError(f"unsupported character {ch!r}")
            word = m.group(0)
            i = m.end()
            low = word.lower()
            if low in FUNCTIONS:
                out.append(Token(FUNC, low))
            elif low in PLAIN_WORDS:
                kind, val = PLAIN_WORDS[low]
                out.append(Token(kind, val))
            elif (
                low in _SHORT_UNITS
                and out
                and out[-1].kind == NUM
                and s[m.start() - 1].isspace()
                and _UNIT_END_RE.match(s, i)
            ):
                i = n  # "15 cm", "3 m^2": a unit after the final number
            elif len(word) <= 2:
                out.extend(Token(ID, c) for c in word)
            else:
                out.append(Token(WORD, word))
            continue
        if ch == "\\":
            m = _CMD_RE.match(s, i)
            if m is None:
                raise LexError("dangling backslash")
            name = m.group(1)
            i = m.end()
            if name in (",", ";", ":", " ", "!", ">", "(", ")", "[", "]"):
                continue  # spacing, and the math-mode delimiters \( \) \[ \]
            if name == "\\":
                out.append(Token(OP, "\\\\"))
                continue
            if name in ("{", "}"):
                out.append(Token(OPEN if name == "{" else CLOSE, "\\" + name))
                continue
            if name == "$":
                continue
            if name in ("|", "vert", "lvert", "rvert", "mid"):
                out.append(Token(OP, "|"))
                continue
            if name in ("lfloor", "lceil"):
                out.append(Token(OPEN, name))
                continue
            if name in ("rfloor", "rceil"):
                out.append(Token(CLOSE, name))
                continue
            if name in ("emptyset", "varnothing"):
                out.extend((Token(OPEN, "\\{"), Token(CLOSE, "\\}")))
                continue
            if name == "mathbb" and s[i : i + 3] == "{R}":  # the real line
                out.extend(_REAL_LINE)
                i += 3
                continue
            if name == "lbrace":
                out.append(Token(OPEN, "\\{"))
                continue
            if name == "rbrace":
                out.append(Token(CLOSE, "\\}"))
                continue
            if name in ("langle", "rangle"):
                out.append(Token(OPEN, "(") if name == "langle" else Token(CLOSE, ")"))
                continue
            if name in SKIP_CMDS:
                if name in ("left", "right") and i < n and s[i] == ".":
                    i += 1
                continue
            if name in TEXT_CMDS:
                while i < n and s[i] == " ":
                    i += 1
                if i < n and s[i] == "{":
                    content, after = _braced(s, i)
                    if content.strip() in FUNCTIONS:  # \operatorname{lcm}
                        out.append(Token(FUNC, content.strip()))
                        i = after
                        continue
                    if name.startswith(("text", "mbox", "hbox", "emph")) or (
                        len(content.strip()) > 1 and content.strip().isalpha()
                    ):
                        out.append(Token(TEXT, content.strip()))
                        i = after
                    # else \mathrm{x}, \mathbf{v}: the braces stay, their content is math
                continue
            if name in ("frac", "dfrac", "tfrac", "cfrac"):
                out.append(Token(CMD, "frac"))
                continue
            if name in BIG_OPS:
                out.append(Token(CMD, name))
                continue
            if name in ("sqrt", "begin", "end", "binom", "dbinom", "tbinom", "boxed", "fbox"):
                out.append(Token(CMD, name.lstrip("dt") if "binom" in name else name))
                continue
            if name in FUNCTIONS:
                out.append(Token(FUNC, name))
                continue
            if name in OP_CMDS:
                out.append(Token(OP, OP_CMDS[name]))
                continue
            if name in CONST_CMDS:
                out.append(Token(CONST, CONST_CMDS[name]))
                continue
            if name in GREEK:
                out.append(Token(ID, name))
                continue
            if name in ELLIPSIS:
                out.append(Token(WORD, "..."))
                continue
            if lenient and name.isalpha() and not s[i : i + 40].lstrip().startswith("{"):
                # an undefined macro without arguments, in a gold: an opaque name (one
                # with an argument, \\hat{x}, transforms it in a way nobody can check)
                out.append(Token(ID, name))
                continue
            raise LexError(f"unsupported command \\{name}")
        if ch == "." and s.startswith("...", i):
            out.append(Token(WORD, "..."))
            i += 3
            continue
        two = s[i : i + 2]
        if two in ("<=", ">=", "!=", "**", "=<", "=>"):
            norm = {"**": "^", "=<": "<=", "=>": ">="}.get(two, two)
            out.append(Token(OP, norm))
            i += 2
            continue
        if ch in "([{":
            out.append(Token(OPEN, ch))
        elif ch in ")]}":
            out.append(Token(CLOSE, ch))
        elif ch in "+-*/^_=<>,!%|&'":
            out.append(Token(OP, ch))
        elif ch in ".;:?":
            out.append(Token(OP, ch))
        else:
            raise LexError(f"unsupported character {ch!r}")
        i += 1
    if len(out) > MAX_TOKENS:
        raise LexError(f"more than {MAX_TOKENS} tokens")
    out.append(Token(END, ""))
    return out
