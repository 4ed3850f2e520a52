"""Numbers written in English words: "five", "forty-two", "one hundred and five".

An answer of words only is read as a number when every word is a number word
(so "five or six" and "one of them" stay prose). At most :data:`MAX_WORDS` words,
scales up to a billion: no input can build a large integer.
"""

from __future__ import annotations

import re

__all__ = ["words_to_number"]

MAX_WORDS = 12

_SMALL = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * n
    for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_SPLIT_RE = re.compile(r"[\s-]+")
_WORDS_RE = re.compile(r"[A-Za-z][A-Za-z\s-]{0,120}")


def words_to_number(text: str) -> int | None:
    """``text`` as the integer its English number words name, or ``None``.

    Example:
        >>> words_to_number("forty-two"), words_to_number("one hundred and five")
        (42, 105)
        >>> words_to_number("five or six") is None
        True
    """
    body = text.strip().rstrip(".").strip()
    if not _WORDS_RE.fullmatch(body):
        return None
    words = [w for w in _SPLIT_RE.split(body.lower()) if w]
    sign = 1
    if words and words[0] in ("minus", "negative"):
        sign, words = -1, words[1:]
    if not words or len(words) > MAX_WORDS:
        return None
    total, current, last = 0, 0, ""
    for w in words:
        if w == "and":  # "one hundred and five", "two thousand and one"
            if last not in ("hundred", "scale"):
                return None
        elif w in _SMALL:  # after nothing, a scale, "hundred", or a tens word ("forty two")
            if last in ("small", "teen") or (
                last == "tens" and _SMALL[w] in (0,) + tuple(range(10, 20))
            ):
                return None
            current += _SMALL[w]
            w = "teen" if _SMALL[w] >= 10 else "small"
        elif w in _TENS:
            if last in ("small", "teen", "tens"):
                return None
            current += _TENS[w]
            w = "tens"
        elif w == "hundred":
            if last != "small" or not 1 <= current % 100 <= 9 or current >= 100:
                return None
            current *= 100
        elif w in _SCALES:
            if current == 0:
                return None
            total += current * _SCALES[w]
            current = 0
            w = "scale"
        else:
            return None
        last = w
    if last in ("", "and"):
        return None
    return sign * (total + current)
