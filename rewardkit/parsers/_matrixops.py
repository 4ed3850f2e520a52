"""Matrix arithmetic for the math parser: ``A + B``, ``A - B``, ``A B`` and ``c A``.

Answers such as "The sum is $\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix} + \\begin{pmatrix}
5&6\\\\7&8\\end{pmatrix}$" state a matrix; the parser evaluates them here, entry by entry,
with the caller's size check on every entry. Shapes that do not fit return ``None``
(the caller then refuses the expression), so nothing is broadcast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Rows", "matrix_arith"]

Rows = tuple[tuple[Any, ...], ...]

#: Most scalar products one matrix product may cost (a 16x16 times a 16x16 is 4096).
MAX_PRODUCT_TERMS = 4_096


def matrix_arith(
    left: Rows | Any, right: Rows | Any, op: str, check: Callable[[Any], None]
) -> Rows | None:
    """``left op right`` where a side is a matrix (its rows) or a scalar, else ``None``."""
    lm, rm = isinstance(left, tuple), isinstance(right, tuple)
    rows: Rows
    if lm and rm:
        if op in ("+", "-"):
            if len(left) != len(right) or any(
                len(x) != len(y) for x, y in zip(left, right, strict=True)
            ):
                return None
            sign = 1 if op == "+" else -1
            rows = tuple(
                tuple(x + sign * y for x, y in zip(ra, rb, strict=True))
                for ra, rb in zip(left, right, strict=True)
            )
        elif op == "*":
            if not left or not right or len(left[0]) != len(right):
                return None
            if len(left) * len(right) * len(right[0]) > MAX_PRODUCT_TERMS:
                return None  # bounded work on hostile input
            n = len(right)
            rows = tuple(
                tuple(sum((ra[k] * right[k][j] for k in range(n)), 0) for j in range(len(right[0])))
                for ra in left
            )
        else:
            return None
    elif op == "*" and (lm or rm):
        m, c = (left, right) if lm else (right, left)
        rows = tuple(tuple(c * x for x in r) for r in m)
    else:
        return None
    for r in rows:
        for x in r:
            check(x)
    return rows
