"""The scoring core behind every endpoint: rows in, scored rows (as ``score`` writes) out.

One :class:`RewardService` owns one :class:`~rewardkit.engine.Scorer` for the
life of the server, so timeouts, crash isolation and the result cache apply to
every request exactly as they do offline. Requests are scored off the event
loop (``asyncio.to_thread``), so several batches are in flight at once and the
loop keeps answering ``/health`` while a slow verifier runs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._provenance import PROVENANCE_KEY, provenance
from ..compose._compose import Composite
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._metrics import Metrics

__all__ = ["RewardService", "Scored"]

#: Batches up to this many rows of inline-only rewards are scored on the event loop.
INLINE_ROWS = 16


@dataclass
class Scored:
    """A scored batch: rows as ``rewardkit score`` writes them, and each total's status."""

    rows: list[dict[str, Any]]
    statuses: list[str]


class RewardService:
    """Score rows with fixed leaf rewards and a total, recording metrics.

    Args:
        scorer: a :class:`~rewardkit.engine.Scorer` over ``leaves`` (owned: closed by
            :meth:`close`).
        leaves: the rewards reported one by one (``rewards`` in a scored row).
        total: the reward or composite whose score is ``reward`` in a scored row.
        maps: ``{field: column}``: feed request column ``column`` as field ``field``.
    """

    def __init__(
        self,
        scorer: Any,
        leaves: Sequence[Reward],
        total: Reward | Composite,
        *,
        maps: Mapping[str, str] | None = None,
    ) -> None:
        self.scorer = scorer
        self.leaves = list(leaves)
        self.keys = [leaf.key for leaf in self.leaves]
        self.total = total
        self.maps = dict(maps or {})
        self.provenance = provenance(self.leaves, total)
        self.metrics = Metrics()

    def _total(self, row: Mapping[str, Any], outs: Mapping[str, Outcome]) -> tuple[Any, str]:
        if isinstance(self.total, Reward):
            o = outs[self.total.key]
        else:
            o = self.total.combine(row, lambda leaf: outs[leaf.key])
        return o.score, o.status.value

    def score_sync(self, rows: Sequence[dict[str, Any]], endpoint: str) -> Scored:
        """Score ``rows`` in the calling thread; each gets ``rewards``, ``reward``, stamps.

        The returned rows are the input rows plus the keys ``rewardkit score``
        writes; the totals' statuses (which a row does not carry) come alongside
        for the numeric protocols.
        """
        maps = self.maps
        srows = [_mapped(r, maps) for r in rows] if maps else list(rows)
        results = self.scorer.score(srows)
        statuses: Counter[tuple[str, str]] = Counter()
        out: list[dict[str, Any]] = []
        totals: list[str] = []
        for row, srow, outs in zip(rows, srows, results, strict=True):
            rd: dict[str, Any] = {}
            for k in self.keys:
                o = outs[k]
                rd[k] = {"score": o.score, "status": o.status.value, "reason": o.reason}
                statuses[(k, o.status.value)] += 1
            score, status = self._total(srow, outs)
            scored = dict(row)
            scored["rewards"] = rd
            scored["reward"] = score
            scored[PROVENANCE_KEY] = self.provenance
            out.append(scored)
            totals.append(status)
        self.metrics.count_rows(endpoint, len(rows), statuses)
        return Scored(out, totals)

    async def score(self, rows: Sequence[dict[str, Any]], endpoint: str) -> Scored:
        """:meth:`score_sync` off the event loop, except small batches of cheap rewards.

        OpenRLHF posts one sample per request; for rewards that run inline (a few
        microseconds a row) the hop to a worker thread costs more than the scoring,
        and the thread would hold the GIL the loop needs anyway.
        """
        if len(rows) <= INLINE_ROWS and getattr(self.scorer, "inline_only", False):
            return self.score_sync(rows, endpoint)
        return await asyncio.to_thread(self.score_sync, rows, endpoint)

    def close(self) -> None:
        close = getattr(self.scorer, "close", None)
        if close is not None:
            close()


def _mapped(row: dict[str, Any], maps: Mapping[str, str]) -> dict[str, Any]:
    out = dict(row)
    for fld, col in maps.items():
        if col in row:
            out[fld] = row[col]
    return out
