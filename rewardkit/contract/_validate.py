"""Output validation: turn whatever a reward returned into a valid :class:`Outcome`.

Always on. A NaN, an infinite score, a score outside the declared range, a
string, or a batched list of the wrong length becomes ``Status.ERROR`` with a
reason naming the reward and the row — never a silent 0 and never an exception
that takes the whole batch down (TRL broadcasts a wrong-length list silently:
trl#6533).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from ._outcome import Outcome, Status, exact_float

if TYPE_CHECKING:
    from ._reward import Reward

__all__ = ["validate_batch", "validate_one"]


def _where(index: int | None) -> str:
    return f"row {index}" if index is not None else "a row"


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__} with a broken repr>"
    return text if len(text) <= 60 else text[:57] + "..."


def validate_one(raw: Any, rw: Reward, index: int | None) -> Outcome:
    """Coerce one returned value (float, bool, None or Outcome) and check it.

    NumPy scalars and 0-d arrays/tensors (anything with ``ndim == 0`` and
    ``item()``) are unwrapped first, since reward code often returns them.
    """
    kind = type(raw)
    if kind is float:  # the common returns first, without abstract-class checks
        if raw - raw == 0.0:  # finite (inf - inf and nan - nan are nan)
            return _check_range(Outcome(raw), rw, index)
    elif kind is bool:
        return _check_range(Outcome(1.0 if raw else 0.0), rw, index)
    elif kind is Outcome and raw.status is Status.OK and raw.score is not None:
        out: Outcome = raw
        if out.extras or len(out.reason) > MAX_REASON_CHARS:
            out = _bounded(out, rw, index)
        return _check_range(out, rw, index)
    if isinstance(raw, Outcome):
        if raw.extras or len(raw.reason) > MAX_REASON_CHARS:
            raw = _bounded(raw, rw, index)
        if raw.status is Status.OK and raw.score is None:
            return Outcome(
                None,
                Status.ERROR,
                f"reward {rw.key!r} returned an Outcome with status ok but no score for "
                f"{_where(index)}; use Outcome.not_applicable() for 'no score'",
            )
        if raw.score is None or raw.status not in (Status.OK, Status.UNPARSEABLE):
            returned: Outcome = raw
            return returned
        return _check_range(raw, rw, index)
    if raw is None:
        return Outcome(None, Status.NOT_APPLICABLE, "")
    if not isinstance(raw, (bool, numbers.Real)) and getattr(raw, "ndim", None) == 0:
        try:
            raw = raw.item()
        except Exception:
            pass
    if isinstance(raw, bool):
        return _check_range(Outcome(1.0 if raw else 0.0), rw, index)
    if isinstance(raw, numbers.Real):
        try:
            value = exact_float(raw)
        except (OverflowError, ValueError):
            value = math.inf
        if not math.isfinite(value):
            return Outcome(
                None,
                Status.ERROR,
                f"reward {rw.key!r} returned a non-finite score {value!r} for {_where(index)}",
            )
        return _check_range(Outcome(value), rw, index)
    return Outcome(
        None,
        Status.ERROR,
        f"reward {rw.key!r} returned {type(raw).__name__} {_short(raw)} for {_where(index)}; "
        "expected a float, a bool, None or an Outcome",
    )


#: Longest reason kept; longer ones are cut with a marker (a reason is one line for a human).
MAX_REASON_CHARS = 2000
#: Largest extras kept, in bytes of text and numbers; larger extras are dropped (and the
#: reason says so): a reward returning megabytes per row would fill memory and output files.
MAX_EXTRAS_BYTES = 64 * 1024


def _bounded(out: Outcome, rw: Reward, index: int | None) -> Outcome:
    """``out`` with its reason cut to :data:`MAX_REASON_CHARS` and its extras checked."""
    reason = out.reason
    if len(reason) > MAX_REASON_CHARS:
        cut = len(reason) - MAX_REASON_CHARS
        reason = f"{reason[:MAX_REASON_CHARS]}... [{cut} more characters cut]"
    extras = out.extras
    if extras and _size_over(extras, MAX_EXTRAS_BYTES):
        # The verdict stands; only the detail is too big to carry (often the hostile
        # completion itself, echoed as "the extracted answer"). Say so, keep nothing.
        extras = {"extras_dropped": f"over {MAX_EXTRAS_BYTES // 1024} KiB"}
        note = f" [extras over {MAX_EXTRAS_BYTES // 1024} KiB dropped]"
        reason = (reason + note) if reason else note.strip()
    if reason is out.reason and extras is out.extras:
        return out
    return Outcome(out.score, out.status, reason, extras)


def _size_over(value: Any, limit: int) -> bool:
    """Whether ``value`` (nested containers of text and numbers) exceeds ``limit`` bytes.

    Walks without recursion and stops as soon as the budget is spent, so a huge or
    self-referencing structure costs at most ``limit`` steps.
    """
    budget = limit
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes, bytearray)):
            budget -= len(v) + 2
        elif isinstance(v, dict):
            budget -= 2 * len(v) + 2
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set, frozenset)):
            budget -= len(v) + 2
            stack.extend(v)
        else:
            budget -= 8
        if budget < 0:
            return True
    return False


def _check_range(out: Outcome, rw: Reward, index: int | None) -> Outcome:
    lo, hi = rw.range
    s = out.score
    assert s is not None
    if (lo is not None and s < lo) or (hi is not None and s > hi):
        return Outcome(
            None,
            Status.ERROR,
            f"reward {rw.key!r} returned {s!r} for {_where(index)}, outside its declared "
            f"range [{lo}, {hi}]",
            out.extras,
        )
    return out


def validate_batch(raw: Any, rw: Reward, expected: int, start: int) -> list[Outcome]:
    """Validate a batched reward's list: right length, then each element."""
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__"):
        err = Outcome(
            None,
            Status.ERROR,
            f"batched reward {rw.key!r} returned {type(raw).__name__}; expected a list of "
            f"{expected} scores",
        )
        return [err] * expected
    values = list(raw)
    if len(values) != expected:
        err = Outcome(
            None,
            Status.ERROR,
            f"batched reward {rw.key!r} returned {len(values)} scores for {expected} rows "
            f"(rows {start}..{start + expected - 1})",
        )
        return [err] * expected
    return [validate_one(v, rw, start + i) for i, v in enumerate(values)]
