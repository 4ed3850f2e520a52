"""Planning a batch: which leaf runs on which rows, where, and what the cache already knows.

Steps 1-3 of the :class:`~rewardkit.engine.Scorer`'s loop: ask each top-level reward
which leaves a row needs, project rows to the columns a leaf reads and reuse
verdicts already seen, then send what is left to the executor in chunks (isolated
leaves) or queue it to run inline (cheap leaves). A mixin, so the scorer's state
stays in one object; :mod:`._gather` runs and combines what is planned here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..compose._compose import Composite, _needed
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._batch import _Batch, _Known, _Part
from ._cache import ResultCache, fingerprint, project, reads, row_key
from ._executor import Executor, Task
from ._stats import StatsBook

#: Upper bound on rows per chunk sent to one worker (see bench/engine.py for the tuning).
MAX_AUTO_CHUNK = 32
#: Chunks per worker that auto chunking aims for, so slow rows do not leave workers idle.
CHUNKS_PER_WORKER = 2
#: A cheap inline reward averaging less than this per call skips the result cache (a
#: key costs about as much as the call) and is timed per chunk rather than per call.
FAST_CALL_S = 20e-6


class _Planner:
    """Scorer state the planning reads (set by :class:`~rewardkit.engine.Scorer`)."""

    rewards: list[Reward | Composite]
    workers: int
    chunk_size: int | None
    _closed: bool
    _cache: ResultCache
    _stats: StatsBook
    _fingerprints: dict[int, tuple[Reward, bytes]]
    _isolated: dict[str, bool]
    _call_cost: dict[str, float]
    _executor: Executor | None
    _staged: frozenset[int]

    def _decide_isolation(self, leaf: Reward) -> bool:
        raise NotImplementedError

    def _fingerprint(self, leaf: Reward) -> bytes:
        hit = self._fingerprints.get(id(leaf))
        if hit is not None and hit[0] is leaf:
            return hit[1]
        fp = fingerprint(leaf)
        self._fingerprints[id(leaf)] = (leaf, fp)
        return fp

    def _chunk(self, m: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, min(MAX_AUTO_CHUNK, math.ceil(m / (self.workers * CHUNKS_PER_WORKER))))

    def _submit(self, rows: Sequence[Mapping[str, Any]], state: Mapping[str, Any] | None) -> _Batch:
        if self._closed:
            raise RuntimeError("this Scorer is closed")
        batch = _Batch(list(rows), state=state)
        n = len(batch.rows)
        wanted: dict[str, dict[int, None]] = {}
        leaf_of: dict[str, Reward] = {}
        for ti, top in enumerate(self.rewards):
            if isinstance(top, Reward):
                leaf_of.setdefault(top.key, top)
                wanted.setdefault(top.key, {}).update(dict.fromkeys(range(n)))
                continue
            for i in range(n):
                self._ask(batch, ti, i, False, wanted, leaf_of)
        for key, idxs in wanted.items():
            self._plan_leaf(batch, leaf_of[key], list(idxs), state)
        return batch

    def _ask(
        self,
        batch: _Batch,
        ti: int,
        i: int,
        given: bool,
        wanted: dict[str, dict[int, None]],
        leaf_of: dict[str, Reward],
    ) -> None:
        """Add to ``wanted`` the leaves composite ``ti`` still needs on row ``i``."""
        top = self.rewards[ti]
        row = batch.rows[i]
        known = _Known(batch.leaf_out, i) if given else None
        try:
            needed = _needed(top, row, known)
        except Exception as exc:
            batch.top_errors[(ti, i)] = Outcome.error(
                f"composite {top.key!r} raised {type(exc).__name__} on row {i} "
                f"while choosing its terms: {exc}"
            )
            return
        added = False
        for leaf in needed:
            if i in batch.leaf_out.get(leaf.key, ()):
                continue
            added = True
            leaf_of.setdefault(leaf.key, leaf)
            wanted.setdefault(leaf.key, {})[i] = None
        if added and ti in self._staged:
            batch.pending.append((ti, i))

    def _plan_more(self, batch: _Batch) -> bool:
        """Ask staged composites again given the outcomes known now; plan what they add."""
        asks, batch.pending = batch.pending, []
        wanted: dict[str, dict[int, None]] = {}
        leaf_of: dict[str, Reward] = {}
        for ti, i in asks:
            self._ask(batch, ti, i, True, wanted, leaf_of)
        for key, idxs in wanted.items():
            self._plan_leaf(batch, leaf_of[key], list(idxs), batch.state)
        return bool(wanted)

    def _plan_leaf(
        self,
        batch: _Batch,
        leaf: Reward,
        idxs: list[int],
        state: Mapping[str, Any] | None,
    ) -> None:
        key = leaf.key
        out = batch.leaf_out.setdefault(key, {})
        isolated = self._isolated.get(key)
        if isolated is None:  # a leaf a composite produced dynamically
            isolated = self._isolated[key] = self._decide_isolation(leaf)
        st = state if "state" in leaf.inputs else None
        cols = reads(leaf)
        if (
            not isolated
            and leaf.cheap
            and cols is not None
            and self._call_cost.get(key, 0.0) < FAST_CALL_S
        ):
            # A cheap inline leaf that takes microseconds per row costs about what a
            # cache key does, so it is simply run (a leaf not yet measured starts
            # here). It reads named columns only (never the row itself), so it can be
            # handed the batch rows without projecting them.
            src = batch.rows
            task = Task(leaf, [src[i] for i in idxs], idxs, st)
            batch.parts.append(_Part(leaf, task, None, None))
            return
        use_cache = self._cache.maxsize > 0
        fp = self._fingerprint(leaf) if use_cache else b""
        rows: list[Mapping[str, Any]] = []
        indices: list[int] = []
        groups: list[list[int]] = []
        keys: list[bytes | None] = []
        first: dict[bytes, int] = {}
        hits = 0
        for i in idxs:
            proj = project(batch.rows[i], cols)
            k: bytes | None = None
            if use_cache:
                try:
                    k = row_key(fp, proj, st)
                except Exception as exc:
                    if isolated:
                        out[i] = Outcome.error(
                            f"row {i} cannot be sent to a worker process for reward {key!r} "
                            f"({type(exc).__name__}: {exc})"
                        )
                        continue
                if k is not None:
                    hit = self._cache.get(k)
                    if hit is not None:
                        out[i] = hit
                        hits += 1
                        continue
                    at = first.get(k)
                    if at is not None:
                        groups[at].append(i)
                        hits += 1
                        continue
                    first[k] = len(rows)
            rows.append(proj)
            indices.append(i)
            groups.append([i])
            keys.append(k)
        self._stats.calls(key, (), cache_hits=hits)
        if not rows:
            return
        if not isolated or self._executor is None:
            task = Task(leaf, rows, indices, st)
            batch.parts.append(_Part(leaf, task, groups, keys))
            return
        size = self._chunk(len(rows))
        for s in range(0, len(rows), size):
            task = Task(leaf, rows[s : s + size], indices[s : s + size], st)
            part = _Part(leaf, task, groups[s : s + size], keys[s : s + size])
            part.future = self._executor.submit(task)
            batch.parts.append(part)
