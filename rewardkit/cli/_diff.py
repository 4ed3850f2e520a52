"""``rewardkit diff`` and ``rewardkit plot``: read scored files back.

A scored row carries ``rewards: {KEY: {score, status, reason}}``. Diffing two
runs (two versions of a reward, two models) by row shows *which samples* a
change affected, which an aggregate mean hides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..io import InputError, RecordSource
from ._provenance_check import ProvenanceMismatch, changed_code, collect_stamps

__all__ = ["DiffResult", "diff_files", "plot_histograms"]


@dataclass
class DiffResult:
    """Changes between two scored files.

    Attributes:
        rows: rows matched in both files.
        unmatched: rows found in only one of them.
        changes: one dict per (row, reward) whose score or status changed.
        per_reward: counts per reward key: changed, up, down, status, only_a, only_b.
    """

    rows: int = 0
    unmatched: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    per_reward: dict[str, dict[str, int]] = field(default_factory=dict)
    stamps_a: dict[str, list[str]] = field(default_factory=dict)
    stamps_b: dict[str, list[str]] = field(default_factory=dict)
    code_changed: list[str] = field(default_factory=list)


def _scored(path: str) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    src = RecordSource(path, strict=True)
    for rec in src:
        rewards = rec.row.get("rewards")
        if not isinstance(rewards, Mapping):
            raise InputError(
                f"{src.where(rec.line)}: no 'rewards' field; is this a file written by "
                "`rewardkit score`?",
                path=path,
                line=rec.line,
            )
        yield src.where(rec.line), rec.line, rec.row


def diff_files(
    a: str,
    b: str,
    *,
    key: str | None = None,
    tolerance: float = 1e-9,
    allow_code_change: bool = False,
) -> DiffResult:
    """Compare two scored files row by row (by position, or by the ``key`` field).

    Raises:
        ProvenanceMismatch: when a reward in both files was scored by different
            code (see :mod:`rewardkit._provenance`), unless ``allow_code_change``.
    """
    result = DiffResult()
    rows_a = list(_scored(a))
    rows_b = list(_scored(b))
    result.stamps_a = collect_stamps(r for _, _, r in rows_a)
    result.stamps_b = collect_stamps(r for _, _, r in rows_b)
    result.code_changed = changed_code(result.stamps_a, result.stamps_b)
    if result.code_changed and not allow_code_change:
        raise ProvenanceMismatch(a, b, result)
    if key is None:
        pairs = list(zip(rows_a, rows_b, strict=False))
        result.unmatched = abs(len(rows_a) - len(rows_b))
        ids = [str(i) for i in range(1, len(pairs) + 1)]
    else:
        index_b: dict[Any, tuple[str, int, Mapping[str, Any]]] = {}
        for item in rows_b:
            if key not in item[2]:
                raise InputError(f"{item[0]}: no field {key!r} to match rows by (--key)")
            index_b[_hashable(item[2][key])] = item
        pairs = []
        ids = []
        for item in rows_a:
            if key not in item[2]:
                raise InputError(f"{item[0]}: no field {key!r} to match rows by (--key)")
            k = _hashable(item[2][key])
            other = index_b.pop(k, None)
            if other is None:
                result.unmatched += 1
                continue
            pairs.append((item, other))
            ids.append(str(item[2][key]))
        result.unmatched += len(index_b)
    result.rows = len(pairs)
    for rid, ((_, _, ra), (_, _, rb)) in zip(ids, pairs, strict=True):
        ka, kb = ra["rewards"], rb["rewards"]
        for name in list(dict.fromkeys([*ka, *kb])):
            counts = result.per_reward.setdefault(
                name, {"changed": 0, "up": 0, "down": 0, "status": 0, "only_a": 0, "only_b": 0}
            )
            va, vb = ka.get(name), kb.get(name)
            if va is None or vb is None:
                counts["only_a" if vb is None else "only_b"] += 1
                continue
            sa, sb = va.get("score"), vb.get("score")
            sta, stb = va.get("status"), vb.get("status")
            moved = (sa is None) != (sb is None) or (
                sa is not None and sb is not None and abs(float(sa) - float(sb)) > tolerance
            )
            if not moved and sta == stb:
                continue
            counts["changed"] += 1
            if sta != stb:
                counts["status"] += 1
            if sa is not None and sb is not None and moved:
                counts["up" if sb > sa else "down"] += 1
            result.changes.append(
                {
                    "row": rid,
                    "reward": name,
                    "a_score": sa,
                    "a_status": sta,
                    "b_score": sb,
                    "b_status": stb,
                    "a_reason": va.get("reason", ""),
                    "b_reason": vb.get("reason", ""),
                }
            )
    return result


def _hashable(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)


def plot_histograms(scored: str, output: str, *, bins: int = 20) -> int:
    """Write one histogram per reward (plus the total) to ``output``; return the count.

    Raises:
        InputError: when matplotlib is missing or the file has no scores.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(
            "plotting needs matplotlib: pip install 'rewardkit[plot]' (or pip install matplotlib)"
        ) from None
    scores: dict[str, list[float]] = {}
    for _, _, row in _scored(scored):
        for name, v in row["rewards"].items():
            s = v.get("score") if isinstance(v, Mapping) else None
            if s is not None:
                scores.setdefault(name, []).append(float(s))
        if row.get("reward") is not None and len(row["rewards"]) > 1:
            scores.setdefault("total", []).append(float(row["reward"]))
    if not scores:
        raise InputError(f"{scored}: no scores to plot")
    n = len(scores)
    cols = min(3, n)
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows), squeeze=False)
    for ax, (name, vals) in zip(axes.flat, scores.items(), strict=False):
        ax.hist(vals, bins=bins)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)
    return n
