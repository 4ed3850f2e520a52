"""Number strategies: numbers in every notation graders trip over, and equal pairs.

Why numbers get a module of their own: most answer checkers are number
checkers, and they fail on notation (``1,234``, ``$12.50``, ``50%``,
``3.0e2``, ``\\frac12``) more often than on arithmetic. Every generated
:class:`NumberText` carries its exact :class:`~fractions.Fraction` value, so a
property can say what the right score is without re-parsing the text.

Imported by :mod:`rewardkit.testing.strategies` after it has checked that
hypothesis is installed; import the strategies from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import strategies as st

__all__ = ["NOTATIONS", "NumberText", "answers", "equal_numbers", "numbers"]

SearchStrategy = st.SearchStrategy


#: Every notation :func:`numbers` can render.
NOTATIONS: tuple[str, ...] = (
    "int",
    "decimal",
    "comma",
    "currency",
    "percent",
    "scientific",
    "fraction",
    "latex_frac",
    "latex_dfrac",
)


@dataclass(frozen=True)
class NumberText:
    """A number and one way of writing it.

    Attributes:
        value: the exact value the text denotes. For ``percent`` this is ``p/100``
            (``"50%"`` has value 1/2); graders differ on whether ``50%`` also
            equals ``50``, so test that choice explicitly.
        text: the rendering, e.g. ``"1,234"``, ``"\\frac{3}{4}"``, ``"$12.50"``.
        notation: which of :data:`NOTATIONS` produced it.
    """

    value: Fraction
    text: str
    notation: str


def _decimal_text(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    assert scaled.denominator == 1
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@st.composite
def _number(draw: st.DrawFn, notation: str, lo: int, hi: int) -> NumberText:
    sign = draw(st.sampled_from([1, -1])) if lo < 0 else 1
    if notation == "int":
        n = draw(st.integers(lo, hi))
        return NumberText(Fraction(n), str(n), notation)
    if notation == "decimal":
        places = draw(st.integers(1, 4))
        n = draw(st.integers(lo * 10**places, hi * 10**places))
        value = Fraction(n, 10**places)
        return NumberText(value, _decimal_text(value, places), notation)
    if notation == "comma":
        n = draw(st.integers(1000, max(hi, 1000) * 1000)) * sign
        return NumberText(Fraction(n), f"{n:,}", notation)
    if notation == "currency":
        cents = draw(st.integers(0, max(hi, 1) * 100))
        value = Fraction(cents, 100)
        text = f"${cents // 100:,}" + (f".{cents % 100:02d}" if cents % 100 else "")
        return NumberText(value, text, notation)
    if notation == "percent":
        p = draw(st.integers(0, 1000)) * sign
        return NumberText(Fraction(p, 100), f"{p}%", notation)
    if notation == "scientific":
        whole, tenth = draw(st.integers(1, 9)), draw(st.integers(0, 9))
        exp = draw(st.integers(-6, 9))
        value = Fraction(10 * whole + tenth, 10) * Fraction(10) ** exp * sign
        mant = f"{whole}.{tenth}" if tenth else str(whole)
        return NumberText(value, f"{'-' if sign < 0 else ''}{mant}e{exp}", notation)
    num = draw(st.integers(1, 999))
    den = draw(st.integers(2, 999))
    value = Fraction(num, den) * sign
    minus = "-" if sign < 0 else ""
    if notation == "fraction":
        return NumberText(value, f"{minus}{num}/{den}", notation)
    command = "\\dfrac" if notation == "latex_dfrac" else "\\frac"
    if num < 10 and den < 10 and draw(st.booleans()):
        return NumberText(value, f"{minus}{command}{num}{den}", notation)  # \frac12 is valid
    return NumberText(value, f"{minus}{command}{{{num}}}{{{den}}}", notation)


def numbers(
    *,
    notations: tuple[str, ...] = NOTATIONS,
    min_value: int = -1_000_000,
    max_value: int = 1_000_000,
) -> SearchStrategy[NumberText]:
    """Numbers with their exact value and a rendering in one of ``notations``.

    Args:
        notations: any subset of :data:`NOTATIONS`.
        min_value: lower bound for integer parts (negative enables signs).
        max_value: upper bound for integer parts.
    """
    bad = [n for n in notations if n not in NOTATIONS]
    if bad or not notations:
        raise ValueError(
            f"{(bad or [''])[0]!r} is not a valid notation; valid ones are {', '.join(NOTATIONS)}"
        )
    if min_value > max_value:
        raise ValueError(f"numbers(): min_value {min_value} is above max_value {max_value}")
    return st.sampled_from(notations).flatmap(lambda n: _number(n, min_value, max_value))


def equal_numbers(
    *, notations: tuple[str, ...] = ("int", "decimal", "fraction", "latex_frac")
) -> SearchStrategy[tuple[NumberText, NumberText]]:
    """Two renderings of the *same* value (``"0.5"`` and ``"\\frac{1}{2}"``).

    For "equivalent answers score the same" properties. The default notations
    are unambiguous; add ``percent`` or ``currency`` only if your grader is
    meant to treat them as equal.
    """

    def render(value: Fraction, notation: str) -> NumberText | None:
        if notation == "int":
            if value.denominator != 1:
                return None
            return NumberText(value, str(value.numerator), notation)
        if notation == "decimal":
            d = value.denominator
            twos = fives = 0
            while d % 2 == 0:
                d //= 2
                twos += 1
            while d % 5 == 0:
                d //= 5
                fives += 1
            if d != 1:
                return None
            return NumberText(value, _decimal_text(value, max(twos, fives, 1)), notation)
        sign = "-" if value < 0 else ""
        num, den = abs(value.numerator), value.denominator
        if notation == "fraction":
            return NumberText(value, f"{sign}{num}/{den}", notation)
        if notation in ("latex_frac", "latex_dfrac"):
            cmd = "\\dfrac" if notation == "latex_dfrac" else "\\frac"
            return NumberText(value, f"{sign}{cmd}{{{num}}}{{{den}}}", notation)
        if notation == "percent":
            scaled = value * 100
            if (scaled * 10_000).denominator != 1:
                return None
            text = _decimal_text(scaled, 4).rstrip("0").rstrip(".")
            return NumberText(value, f"{text}%", notation)
        raise ValueError(f"equal_numbers() cannot render notation {notation!r}")

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[NumberText, NumberText]:
        den = draw(st.sampled_from([1, 2, 4, 5, 8, 10, 20, 25, 100]))
        value = Fraction(draw(st.integers(-10_000, 10_000)), den)
        options = [r for n in notations if (r := render(value, n)) is not None]
        if not options:
            options = [NumberText(value, f"{value.numerator}/{value.denominator}", "fraction")]
        first = draw(st.sampled_from(options))
        second = draw(st.sampled_from(options))
        return first, second

    for n in notations:
        if n not in ("int", "decimal", "fraction", "latex_frac", "latex_dfrac", "percent"):
            raise ValueError(f"equal_numbers() cannot render notation {n!r}")
    return pair()


def answers() -> SearchStrategy[str]:
    """Answer strings: numbers in any notation, short words, or small LaTeX expressions."""
    words = st.sampled_from(["yes", "no", "Paris", "x = 3", "A", "(B)", "\\sqrt{2}", "\\pi"])
    return st.one_of(numbers().map(lambda n: n.text), words)
