"""Golden-file snapshots of reward outcomes.

A reward's behaviour drifts silently: a parser tweak turns ``\\boxed{1,234}``
from 1.0 into ``unparseable``, and nobody notices until the reward curve looks
odd. A snapshot pins the outcomes of a fixed set of completions; when any
score, status or reason changes, the check fails with a per-row diff, and the
author either fixes the regression or accepts it by rewriting the file
(``pytest --rewardkit-update``) and committing the diff, which then shows up in
code review.

The file is JSON, ordered and indented so that ``git diff`` is readable. Inputs
are stored truncated, for humans; a hash of each full row detects a changed
dataset.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..contract._outcome import Outcome
from ._expect import Scorable, _as_scorable, _pick, truncate

__all__ = ["SnapshotMismatchError", "SnapshotResult", "score_rows", "snapshot"]

FORMAT = "rewardkit-snapshot/1"
#: Outcome fields compared by default; extras often hold timings, so they are opt-in.
DEFAULT_COMPARE: tuple[str, ...] = ("score", "status", "reason")
#: Differences listed before the rest are summarised as a count.
MAX_LISTED = 25
_PREVIEW_CHARS = 200

RewardArg = str | Scorable | Sequence[str | Scorable]


class SnapshotMismatchError(AssertionError):
    """The current outcomes differ from the stored snapshot (or it is missing in strict mode).

    Attributes:
        path: the snapshot file.
        differences: one line per difference, without the header and hint.
    """

    def __init__(self, message: str, *, path: Path, differences: Sequence[str]) -> None:
        super().__init__(message)
        self.path = path
        self.differences = list(differences)


@dataclass(frozen=True)
class SnapshotResult:
    """What :func:`snapshot` did: ``created``, ``updated`` or ``unchanged``."""

    path: Path
    action: Literal["created", "updated", "unchanged"]
    outcomes: list[dict[str, Outcome]] = field(repr=False)
    differences: list[str] = field(default_factory=list, repr=False)


def _rewards(rewards: RewardArg) -> list[Scorable]:
    items: Iterable[Any] = [rewards] if isinstance(rewards, str | Scorable) else rewards
    out = [_as_scorable(r, {}) for r in items]
    keys = [r.key for r in out]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"snapshot: reward keys must be unique, got {', '.join(dupes)} twice")
    if not out:
        raise ValueError("snapshot: give at least one reward")
    return out


def score_rows(
    rows: Sequence[Mapping[str, Any]],
    rewards: Sequence[Scorable],
    *,
    engine: Mapping[str, Any] | None = None,
    state: Any = None,
) -> list[dict[str, Outcome]]:
    """Score every row with every reward: inline by default, or via the real engine."""
    if engine is None:
        return [
            {rw.key: rw.score(row, state=state, index=i) for rw in rewards}
            for i, row in enumerate(rows)
        ]
    from ..engine import Scorer

    with Scorer(list(rewards), **engine) as scorer:  # type: ignore[arg-type]
        result = scorer.score(list(rows), state=state)
    return [{rw.key: _pick(res, rw.key) for rw in rewards} for res in result]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr, ensure_ascii=False))


def _preview(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) <= _PREVIEW_CHARS:
            return value
        return value[: _PREVIEW_CHARS - 60] + " ... " + value[-40:] + f" [{len(value)} chars]"
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return _jsonable(value) if len(text) <= _PREVIEW_CHARS else truncate(value, _PREVIEW_CHARS)


def _row_hash(row: Mapping[str, Any]) -> str:
    text = json.dumps(row, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _outcome_doc(out: Outcome, compare: Sequence[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"score": out.score, "status": out.status.value, "reason": out.reason}
    if "extras" in compare:
        doc["extras"] = _jsonable(dict(out.extras))
    return doc


def _build(
    rows: Sequence[Mapping[str, Any]],
    rewards: Sequence[Scorable],
    outcomes: Sequence[Mapping[str, Outcome]],
    compare: Sequence[str],
    id_column: str,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "compare": list(compare),
        "rewards": {rw.key: {"version": str(getattr(rw, "version", "?"))} for rw in rewards},
        "rows": [
            {
                "id": _jsonable(row.get(id_column, i)),
                "hash": _row_hash(row),
                "inputs": {k: _preview(v) for k, v in row.items() if k != id_column},
                "outcomes": {k: _outcome_doc(o, compare) for k, o in res.items()},
            }
            for i, (row, res) in enumerate(zip(rows, outcomes, strict=True))
        ],
    }


def _same(field_name: str, old: Any, new: Any, tol: float) -> bool:
    if field_name == "score" and isinstance(old, int | float) and isinstance(new, int | float):
        return math.isclose(old, new, rel_tol=0.0, abs_tol=tol)
    return bool(old == new)


def _fmt(value: Any) -> str:
    return truncate(value, 120)


def diff_docs(old: Mapping[str, Any], new: Mapping[str, Any], *, tol: float) -> list[str]:
    """Human-readable differences between two snapshot documents (empty when equal)."""
    out: list[str] = []
    compare = [c for c in new.get("compare", DEFAULT_COMPARE) if c in DEFAULT_COMPARE + ("extras",)]
    old_rw: Mapping[str, Any] = old.get("rewards", {})
    new_rw: Mapping[str, Any] = new.get("rewards", {})
    for key in new_rw:
        if key not in old_rw:
            out.append(f"reward {key!r} is new (not in the snapshot)")
        elif old_rw[key].get("version") != new_rw[key].get("version"):
            out.append(
                f"reward {key!r} version {old_rw[key].get('version')} -> "
                f"{new_rw[key].get('version')}"
            )
    out.extend(f"reward {key!r} was removed" for key in old_rw if key not in new_rw)
    old_rows: list[Mapping[str, Any]] = list(old.get("rows", []))
    new_rows: list[Mapping[str, Any]] = list(new.get("rows", []))
    if len(old_rows) != len(new_rows):
        out.append(f"the snapshot has {len(old_rows)} rows, the data now has {len(new_rows)}")
    by_id = {json.dumps(r.get("id")): r for r in old_rows}
    for i, row in enumerate(new_rows):
        before = by_id.get(json.dumps(row.get("id")))
        label = f"row {i} (id={row.get('id')!r})"
        if before is None:
            out.append(f"{label}: new row")
            continue
        notes: list[str] = []
        if before.get("hash") != row.get("hash"):
            notes.append("inputs changed")
        for key, now in row.get("outcomes", {}).items():
            was = before.get("outcomes", {}).get(key)
            if was is None:
                continue
            changes = [
                f"{f} {_fmt(was.get(f))} -> {_fmt(now.get(f))}"
                for f in compare
                if not _same(f, was.get(f), now.get(f), tol)
            ]
            if changes:
                notes.append(f"{key}: " + "; ".join(changes))
        if notes:
            shown = _completion_hint(row)
            out.append(f"{label}{shown}: " + " | ".join(notes))
    new_ids = {json.dumps(r.get("id")) for r in new_rows}
    out.extend(
        f"row id={r.get('id')!r} was removed"
        for r in old_rows
        if json.dumps(r.get("id")) not in new_ids
    )
    return out


def _completion_hint(row: Mapping[str, Any]) -> str:
    comp = row.get("inputs", {}).get("completion")
    return "" if comp is None else f" completion={truncate(comp, 80)}"


def _write(path: Path, doc: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def snapshot(
    rows: Sequence[Mapping[str, Any]],
    rewards: RewardArg,
    path: str | os.PathLike[str],
    *,
    update: bool = False,
    missing: Literal["create", "fail"] = "create",
    tol: float = 1e-9,
    compare: Sequence[str] = DEFAULT_COMPARE,
    id_column: str = "id",
    engine: Mapping[str, Any] | None = None,
    state: Any = None,
) -> SnapshotResult:
    """Score ``rows`` with ``rewards`` and compare with the snapshot stored at ``path``.

    Args:
        rows: the dataset (dicts with ``completion`` and whatever columns the rewards read).
        rewards: one reward or several (names, references, Reward objects, composites).
        path: the JSON snapshot file.
        update: rewrite the file when it differs instead of failing.
        missing: ``"create"`` writes a missing file and passes; ``"fail"`` (use in CI)
            raises, so a snapshot that was never committed cannot pass vacuously.
        tol: absolute tolerance for scores.
        compare: outcome fields that must match: any of ``score``, ``status``,
            ``reason``, ``extras``.
        id_column: a column that identifies rows (rows are matched by it, else by
            position).
        engine: options for :class:`rewardkit.engine.Scorer` to score through the real
            engine; ``None`` scores inline.

    Raises:
        SnapshotMismatchError: the outcomes differ (or the file is missing and
            ``missing="fail"``); the message lists each difference.
    """
    __tracebackhide__ = True
    bad = [c for c in compare if c not in DEFAULT_COMPARE + ("extras",)]
    if bad:
        raise ValueError(
            f"{bad[0]!r} is not a valid compare field; valid ones are score, status, reason, extras"
        )
    target = Path(path)
    scorables = _rewards(rewards)
    outcomes = score_rows(rows, scorables, engine=engine, state=state)
    doc = _build(rows, scorables, outcomes, compare, id_column)
    if not target.exists():
        if missing == "fail" and not update:
            raise SnapshotMismatchError(
                f"reward snapshot {target} does not exist. Run `pytest --rewardkit-update` "
                "locally and commit the file.",
                path=target,
                differences=["missing"],
            )
        _write(target, doc)
        return SnapshotResult(target, "created", outcomes)
    try:
        old = json.loads(target.read_text(encoding="utf-8"))
    except ValueError as exc:
        old = {"rewards": {}, "rows": [], "_error": str(exc)}
    differences = diff_docs(old, doc, tol=tol)
    if "_error" in old:
        differences.insert(0, f"the stored file is not valid JSON ({old['_error']})")
    if not differences:
        return SnapshotResult(target, "unchanged", outcomes, [])
    if update:
        _write(target, doc)
        return SnapshotResult(target, "updated", outcomes, differences)
    listed = differences[:MAX_LISTED]
    more = len(differences) - len(listed)
    lines = [f"reward snapshot {target} differs ({len(differences)} difference(s)):"]
    lines += [f"  {d}" for d in listed]
    if more:
        lines.append(f"  ... and {more} more")
    lines.append(
        "If the change is intended, rerun with `pytest --rewardkit-update` and commit the file."
    )
    raise SnapshotMismatchError("\n".join(lines), path=target, differences=differences)
