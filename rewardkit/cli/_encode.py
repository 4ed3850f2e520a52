"""Score a batch of input rows and serialise the scored rows, in one pass.

Shared by the one-process path and the forked block scorers, so both write the same
bytes. Weighted totals of plain rewards take a fast path (:func:`_linear_total`);
anything else is combined by the total's own ``combine``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .._provenance import PROVENANCE_KEY, provenance
from ..compose._combine import weighted_total
from ..compose._compose import Composite, RewardLike, WeightedSum
from ..contract._call import locate
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ..io import dumps_row
from ._health import INFRA_STATUS
from ._plan import RewardPlan
from ._stats import StatsAccumulator, _count_usage


class _Encoded:
    """One scored batch: its JSONL bytes and what the summary needs from it."""

    __slots__ = ("chunk", "rows", "stats", "usage")

    def __init__(
        self,
        chunk: bytes,
        rows: int,
        stats: Sequence[tuple[list[float], Mapping[str, int]]],
        usage: Sequence[Mapping[str, int]] = (),
    ) -> None:
        self.chunk = chunk
        self.rows = rows
        self.stats = stats  # per reward key, then the total: (non-None scores, status counts)
        self.usage = usage  # per reward key: model usage counts (judges), may be empty

    def merge_into(self, accs: Mapping[str, StatsAccumulator], total: StatsAccumulator) -> None:
        for acc, (scores, statuses) in zip([*accs.values(), total], self.stats, strict=True):
            acc.extend(scores, statuses)
        for acc, usage in zip(accs.values(), self.usage, strict=False):
            if usage:
                acc.usage.update(usage)


class _Encoder:
    """Scores a batch of input rows and serialises the scored rows, in one pass."""

    def __init__(self, plan: RewardPlan, maps: Mapping[str, str]) -> None:
        self.plan = plan
        self.maps = maps
        self.keys = plan.keys
        self.total = plan.total
        self.direct = _direct_key(plan.total)
        self.linear = _linear_terms(plan.total)
        self.bias = plan.total.bias if isinstance(plan.total, WeightedSum) else 0.0
        self.provenance = provenance(plan.leaves, plan.total)

    def encode(
        self, scorer: Any, rows: list[dict[str, Any]], where: Sequence[str] | None = None
    ) -> _Encoded:
        """Score and serialise ``rows``; ``where`` names each row's ``FILE:LINE`` in
        failure reasons."""
        maps = self.maps
        srows = rows if not maps else [_mapped(r, maps) for r in rows]
        results = scorer.score(srows)
        keys = self.keys
        direct, linear, bias, total = self.direct, self.linear, self.bias, self.total
        scores: list[list[float | None]] = [[] for _ in keys]
        statuses: list[list[str]] = [[] for _ in keys]
        tot_scores: list[float | None] = []
        tot_statuses: list[str] = []
        usage: list[Counter[str]] = [Counter() for _ in keys]
        parts: list[bytes] = []
        dumps = dumps_row
        for i, (row, srow, outs) in enumerate(zip(rows, srows, results, strict=True)):
            rd: dict[str, Any] = {}
            for j, k in enumerate(keys):
                o = outs[k]
                status = o.status._value_
                if status != "ok" and where is not None:
                    o = outs[k] = locate(o, i, where[i])  # FILE:LINE, not the batch position
                rd[k] = {"score": o.score, "status": status, "reason": o.reason}
                scores[j].append(o.score)
                if o.extras and _count_usage(usage[j], o.extras):
                    # per-row usage stays in the output, so a resumed run's totals are whole
                    ex = o.extras
                    rd[k].update({f: ex[f] for f in ("usage", "cached") if f in ex})
                if status == "error" and o.extras and o.extras.get("infra_error"):
                    statuses[j].append(INFRA_STATUS)  # counted apart in the summary
                else:
                    statuses[j].append(status)
            if direct is not None:
                tot = outs[direct]
                tot_score, tot_status = tot.score, tot.status._value_
            elif linear is not None:
                tot_score, tot_status = _linear_total(linear, bias, outs)
            else:
                assert isinstance(total, Composite)
                tot = total.combine(srow, lambda leaf, _o=outs: _o[leaf.key])  # type: ignore[misc]
                tot_score, tot_status = tot.score, tot.status._value_
            row["rewards"] = rd
            row["reward"] = tot_score
            row[PROVENANCE_KEY] = self.provenance
            tot_scores.append(tot_score)
            tot_statuses.append("ok" if tot_score is not None else tot_status)
            parts.append(dumps(row))
        stats = [
            ([x for x in sc if x is not None], Counter(st))
            for sc, st in zip([*scores, tot_scores], [*statuses, tot_statuses], strict=True)
        ]
        return _Encoded(b"".join(parts), len(rows), stats, usage)


def _direct_key(total: RewardLike) -> str | None:
    """The leaf key whose outcome *is* the total (a lone reward of weight 1), else None."""
    if isinstance(total, Reward):
        return total.key
    if isinstance(total, WeightedSum) and len(total.terms) == 1 and not total.bias:
        weight, node = total.terms[0]
        if weight == 1.0 and isinstance(node, Reward):
            return node.key
    return None


def _linear_terms(total: RewardLike) -> list[tuple[float, str]] | None:
    """(weight, leaf key) pairs when ``total`` is a weighted sum of plain rewards."""
    if isinstance(total, WeightedSum) and all(isinstance(n, Reward) for _, n in total.terms):
        return [(w, n.key) for w, n in total.terms]
    return None


def _linear_total(
    terms: list[tuple[float, str]], bias: float, outs: Mapping[str, Outcome]
) -> tuple[float | None, str]:
    """:func:`rewardkit.compose._combine.weighted_total` for plain-reward terms, without term dicts.

    Same rules and the same float summation order: a timed-out or errored term
    makes the total that status; not-applicable terms are left out; no term at
    all gives not_applicable. Scoring 100,000 rows spends more time in the
    generic combine than in cheap format rewards, hence this path.
    """
    total, status, _ = weighted_total([(w, outs[key]) for w, key in terms], bias)
    return total, status.value


def _mapped(row: dict[str, Any], maps: Mapping[str, str]) -> dict[str, Any]:
    out = dict(row)
    for fld, col in maps.items():
        if col in row:
            out[fld] = row[col]
    return out
