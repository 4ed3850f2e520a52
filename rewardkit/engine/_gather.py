"""Running a planned batch and combining it: steps 4-5 of the Scorer's loop.

Inline parts run in the calling thread while the workers chew on the rest; staged
composites (a ``gate``) are asked again once some verdicts are known, and the new
leaves they need are planned and gathered, until no row needs more. Then each row's
top-level verdicts are assembled in input order.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from ..compose._compose import Composite
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._batch import _Batch
from ._inline import run_inline, run_inline_timed
from ._plan import _Planner

#: Most rounds of "evaluate what is needed, ask again" per batch (a round per nested
#: gate level); a composite still asking for new leaves after that gets an error.
MAX_PHASES = 64


class _Gatherer(_Planner):
    """Collection half of the Scorer (a mixin over the planning half)."""

    def _collect(self, batch: _Batch) -> list[dict[str, Outcome]]:
        self._gather(batch)
        phases = 1
        while batch.pending:
            if phases >= MAX_PHASES:
                for ti, i in batch.pending:
                    batch.top_errors[(ti, i)] = Outcome.error(
                        f"composite {self.rewards[ti].key!r} still needed new terms on row "
                        f"{i} after {MAX_PHASES} rounds"
                    )
                batch.pending = []
                break
            if self._plan_more(batch):
                self._gather(batch)
            phases += 1
        return self._combine(batch)

    def _gather(self, batch: _Batch) -> None:
        """Run or wait for every planned part and file its outcomes in ``batch.leaf_out``."""
        # Inline parts run now, in this thread, while the workers chew on the rest.
        ordered = [p for p in batch.parts if p.future is None]
        ordered += [p for p in batch.parts if p.future is not None]
        batch.parts = []
        for part in ordered:
            out = batch.leaf_out[part.leaf.key]
            if part.groups is None and part.future is None:
                # Timed per chunk, not per row: the per-row average keeps p50/p99 honest
                # for rewards whose cost hardly varies, at a fraction of the overhead.
                outcomes, seconds = run_inline_timed(part.task, batch.views)
                out.update(zip(part.task.indices, outcomes, strict=True))
                self._stats.timed(part.leaf.key, len(outcomes), seconds)
                if outcomes:
                    self._call_cost[part.leaf.key] = seconds / len(outcomes)
                continue
            if part.future is None:
                result = run_inline(part.task, batch.views)
            else:
                result = part.future.result()
            if part.future is None and result.latencies:
                lat = [x for x in result.latencies if x is not None]
                self._call_cost[part.leaf.key] = sum(lat) / max(len(lat), 1)
            if part.groups is None:
                out.update(zip(part.task.indices, result.outcomes, strict=True))
            else:
                for pos, outcome in enumerate(result.outcomes):
                    for i in part.groups[pos]:
                        out[i] = outcome
            if part.keys is not None:
                for k, outcome in zip(part.keys, result.outcomes, strict=True):
                    if k is not None:
                        self._cache.put(k, outcome)
            self._stats.calls(part.leaf.key, result.latencies)

    def _combine(self, batch: _Batch) -> list[dict[str, Outcome]]:
        if not batch.top_errors and all(isinstance(r, Reward) for r in self.rewards):
            return self._combine_leaves(batch)
        results: list[dict[str, Outcome]] = []
        for i, row in enumerate(batch.rows):
            scored: dict[str, Outcome] = {}
            for ti, top in enumerate(self.rewards):
                if isinstance(top, Reward):
                    scored[top.key] = batch.leaf_out[top.key][i]
                elif (ti, i) in batch.top_errors:
                    scored[top.key] = batch.top_errors[(ti, i)]
                else:
                    scored[top.key] = self._combine_one(batch, top, row, i)
            results.append(scored)
        tops = {r.key for r in self.rewards}
        for r in self.rewards:
            self._stats.outcomes(r.key, (d[r.key].status for d in results))
        for key, outs in batch.leaf_out.items():
            if key not in tops:
                self._stats.outcomes(key, map(_status, outs.values()))
        return results

    def _combine_leaves(self, batch: _Batch) -> list[dict[str, Outcome]]:
        """:meth:`_combine` when every top-level reward is a leaf: columns zipped into rows."""
        n = len(batch.rows)
        keys = [r.key for r in self.rewards]
        columns = [list(map(batch.leaf_out[k].__getitem__, range(n))) for k in keys]
        for k, col in zip(keys, columns, strict=True):
            self._stats.outcomes(k, map(_status, col))
        return [dict(zip(keys, vals, strict=True)) for vals in zip(*columns, strict=True)]

    @staticmethod
    def _combine_one(batch: _Batch, top: Composite, row: Mapping[str, Any], i: int) -> Outcome:
        def lookup(leaf: Reward) -> Outcome:
            got = batch.leaf_out.get(leaf.key, {}).get(i)
            if got is None:
                return Outcome.error(
                    f"composite {top.key!r} asked for {leaf.key!r} on row {i}, which its "
                    "needed() did not list"
                )
            return got

        try:
            return top.combine(row, lookup)
        except Exception as exc:
            return Outcome.error(
                f"composite {top.key!r} raised {type(exc).__name__} on row {i}: {exc}"
            )


_status = attrgetter("status")
