"""The :class:`Scorer`: score batches of rows with many rewards, safely and in order.

For each batch the scorer

1. asks every top-level reward which leaf rewards each row needs (a composite
   such as ``route`` needs only one branch per row);
2. projects each row to the columns a leaf reads, and reuses verdicts for inputs
   already seen (duplicates in the batch, then the LRU result cache);
3. sends what is left to the executor in chunks (isolated leaves) or runs it in
   the calling thread (cheap leaves), in parallel;
4. asks the composites that can need more once some outcomes are known (a
   ``gate`` needs its value only on rows whose condition passed) and repeats 2-3
   for what they add, until no row needs more;
5. combines composites in the calling process and returns one
   ``{reward key: Outcome}`` dict per row, in input order.

Outcomes never carry timings or worker ids, so the same rows and rewards give
the same output, byte for byte.
"""

from __future__ import annotations

import asyncio
import math
import os
import pickle
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from types import TracebackType
from typing import Any, Literal

from ..compose._compose import Composite, _needed, _staged
from ..contract._call import CompletionViews, locate
from ..contract._errors import RewardDefinitionError
from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ..references._resolve import resolve_reference
from ._backends import make_executor
from ._cache import ResultCache, fingerprint, project, reads, row_key
from ._executor import Executor, ExecutorConfig, Task, TaskResult
from ._inline import run_inline, run_inline_timed
from ._stats import RewardStats, StatsBook

__all__ = ["IsolationWarning", "Scorer", "score"]

RewardLike = Reward | Composite
Isolation = Literal["auto", "process", "inline"]

#: Result-cache size for ``cache=True``.
DEFAULT_CACHE_SIZE = 100_000
#: Upper bound on rows per chunk sent to one worker (see bench/engine.py for the tuning).
MAX_AUTO_CHUNK = 32
#: Chunks per worker that auto chunking aims for, so slow rows do not leave workers idle.
CHUNKS_PER_WORKER = 2
#: A cheap inline reward averaging less than this per call skips the result cache (a
#: key costs about as much as the call) and is timed per chunk rather than per call.
FAST_CALL_S = 20e-6
#: Most rounds of "evaluate what is needed, ask again" per batch (a round per nested
#: gate level); a composite still asking for new leaves after that gets an error.
MAX_PHASES = 64


class IsolationWarning(RuntimeWarning):
    """A reward that should be isolated cannot be sent to a worker, so it runs inline."""


@dataclass(slots=True)
class _Part:
    """One task of a batch: its leaf, where its rows go, and how it is being run."""

    leaf: Reward
    task: Task
    # per task row: every batch row with the same inputs; None: just task.indices
    groups: list[list[int]] | None
    keys: list[bytes | None] | None  # per task row: cache key or None; None: no caching
    future: Future[TaskResult] | None = None  # None: run inline at collection time


@dataclass(slots=True)
class _Batch:
    rows: list[Mapping[str, Any]]
    leaf_out: dict[str, dict[int, Outcome]] = field(default_factory=dict)
    parts: list[_Part] = field(default_factory=list)
    top_errors: dict[tuple[int, int], Outcome] = field(default_factory=dict)
    # Completion views of ``rows``, shared by the leaves that run inline
    views: CompletionViews = field(default_factory=dict)
    # (top index, row) of staged composites whose last needed() added leaves: asked again
    pending: list[tuple[int, int]] = field(default_factory=list)
    state: Mapping[str, Any] | None = None


class _Known(Mapping[str, Outcome]):
    """The leaf outcomes known so far for one row of a batch, as ``{leaf key: Outcome}``."""

    __slots__ = ("_i", "_out")

    def __init__(self, out: dict[str, dict[int, Outcome]], i: int) -> None:
        self._out, self._i = out, i

    def __getitem__(self, key: str) -> Outcome:
        return self._out[key][self._i]

    def __contains__(self, key: object) -> bool:
        got = self._out.get(key)  # type: ignore[call-overload]
        return got is not None and self._i in got

    def __iter__(self) -> Iterator[str]:
        return (k for k, v in self._out.items() if self._i in v)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _resolve(item: Any) -> RewardLike:
    if isinstance(item, str):
        return resolve_reference(item)
    if isinstance(item, (Reward, Composite)):
        return item
    raise TypeError(
        f"expected a Reward, a Composite or a reference string, got {type(item).__name__} "
        f"{item!r}; decorate plain functions with @rewardkit.reward"
    )


def _unsendable(rw: Reward) -> str | None:
    """Why ``rw`` cannot be rebuilt in a worker process, or ``None`` if it can."""
    try:
        pickle.dumps(rw)
    except Exception as exc:
        return str(exc)
    return None


class Scorer:
    """Score rows with rewards under hard timeouts, crash isolation and a result cache.

    Args:
        rewards: rewards, composites, or reference strings (``"xml_format"``,
            ``"pkg.mod:fn"``, ``"path/file.py:fn"``, with ``(key=value)`` options).
        workers: worker processes for isolated rewards (default ``min(4, cpu count)``).
        timeout: hard limit in seconds per reward call, enforced by killing the
            worker; ``None`` for no limit. A timed-out row gets ``Status.TIMEOUT``.
        memory_mb: address-space limit per worker (``RLIMIT_AS``); ``None`` for none.
        cache: ``True`` (100,000 entries), a size, or ``False`` to disable reuse.
        isolation: ``"auto"`` runs cheap rewards inline and the rest in workers;
            ``"process"`` isolates everything; ``"inline"`` runs everything in the
            calling thread (no timeouts, no crash isolation: for debugging).
        chunk_size: rows per message to a worker (default: picked per batch).
        backend: ``"local"`` (process pool) or ``"ray"``.
        ray_address: Ray cluster address for ``backend="ray"``.

    Example:
        >>> import rewardkit as rk
        >>> with rk.Scorer(["xml_format"]) as scorer:
        ...     out = scorer.score([{"completion": "<think>x</think><answer>4</answer>"}])
        >>> out[0]["xml_format"].status
        <Status.OK: 'ok'>

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        rewards: Sequence[Reward | Composite | str],
        *,
        workers: int | None = None,
        timeout: float | None = 10.0,
        memory_mb: int | None = 4096,
        cache: bool | int = True,
        isolation: Isolation = "auto",
        chunk_size: int | None = None,
        backend: Literal["local", "ray"] = "local",
        ray_address: str | None = None,
    ) -> None:
        if isinstance(rewards, (str, Reward, Composite)):
            rewards = [rewards]
        if isolation not in ("auto", "process", "inline"):
            raise ValueError(
                f"{isolation!r} is not a valid isolation; valid ones are 'auto', 'process', "
                "'inline'"
            )
        if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError(
                f"timeout must be a positive number of seconds or None, got {timeout!r}"
            )
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}")
        self.rewards: list[RewardLike] = [_resolve(r) for r in rewards]
        if not self.rewards:
            raise ValueError("Scorer needs at least one reward")
        seen: dict[str, RewardLike] = {}
        for r in self.rewards:
            if r.key in seen:
                raise ValueError(
                    f"two rewards have the key {r.key!r}; keys name the output columns, so "
                    "give one a different name (name=...)"
                )
            seen[r.key] = r
        self.workers = workers if workers is not None else min(4, os.cpu_count() or 1)
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        self.timeout = None if timeout is None else float(timeout)
        self.memory_mb = memory_mb
        self.isolation: Isolation = isolation
        self.chunk_size = chunk_size
        self.backend = backend
        size = DEFAULT_CACHE_SIZE if cache is True else int(cache)
        self._cache = ResultCache(size)
        self._stats = StatsBook()
        self._fingerprints: dict[int, tuple[Reward, bytes]] = {}
        self._isolated: dict[str, bool] = {}
        self._call_cost: dict[str, float] = {}  # recent mean seconds per call, inline leaves
        leaves: dict[str, Reward] = {}
        for r in self.rewards:
            for leaf in r.leaves():
                leaves.setdefault(leaf.key, leaf)
        for key, leaf in leaves.items():
            self._isolated[key] = self._decide_isolation(leaf)
        self._leaves = leaves
        # top-level composites that may need more leaves once some outcomes are known
        self._staged = frozenset(i for i, r in enumerate(self.rewards) if _staged(r))
        self._closed = False
        self._executor: Executor | None = None
        pooled = [leaf for k, leaf in leaves.items() if self._isolated[k]]
        if pooled:
            config = ExecutorConfig(
                workers=self.workers,
                timeout=self.timeout,
                memory_mb=memory_mb,
                warm=pooled,
                address=ray_address,
            )
            self._executor = make_executor(backend, config)

    def _decide_isolation(self, leaf: Reward) -> bool:
        if self.isolation == "inline" or (self.isolation == "auto" and leaf.cheap):
            return False
        why = _unsendable(leaf)
        if why is None:
            return True
        # Running it inline would silently drop the hard timeout and crash isolation
        # the caller relies on: refuse, and say how to get either behaviour.
        raise RewardDefinitionError(
            f"reward {leaf.key!r} ({leaf.defined_at}) cannot run in a worker process, so "
            f"its timeout and crash isolation cannot be enforced: {why}. Pass "
            "isolation='inline' (rewardkit score: --isolation inline) to run it in the "
            "calling process without a timeout.",
            reward=leaf.key,
        )

    # -- public API ------------------------------------------------------------------
    @property
    def stats(self) -> dict[str, RewardStats]:
        """Counters per reward key (top-level rewards and every leaf), as a snapshot."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters (e.g. once per training step)."""
        self._stats.reset()

    @property
    def inline_only(self) -> bool:
        """Whether every leaf known so far runs in the calling thread (no worker processes)."""
        return not any(self._isolated.values())

    def drain_stats(self) -> Any:
        """Take the raw counters and zero them, for :meth:`merge_stats` in another process."""
        return self._stats.drain()

    def merge_stats(self, drained: Any) -> None:
        """Add counters taken with :meth:`drain_stats` (e.g. in a forked process)."""
        self._stats.merge(drained)

    def bind(self, columns: Collection[str], *, where: str | None = None) -> None:
        """Check that the data has every column a reward needs, before any scoring.

        Raises:
            MissingColumnError: naming the reward, the missing column and those present.
        """
        for r in self.rewards:
            r.bind(columns, where=where)

    def score(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        state: Mapping[str, Any] | None = None,
        where: Sequence[str] | None = None,
    ) -> list[dict[str, Outcome]]:
        """Score ``rows``; one ``{reward key: Outcome}`` per row, in input order.

        Never raises for anything a reward does. Safe to call from any thread; in a
        running event loop prefer :meth:`ascore`, which does not block the loop.

        Args:
            where: optional name of each row's origin (``data.jsonl:17``); failure
                reasons then say where the row came from instead of its batch position.
        """
        results = self._collect(self._submit(rows, state))
        if where is not None:
            _locate_failures(results, where)
        return results

    async def ascore(
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]:
        """Like :meth:`score`, awaited: the work runs off the event loop's thread."""
        return await asyncio.to_thread(self.score, rows, state=state)

    def score_iter(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = 256,
        state: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Outcome]]:
        """Stream results in input order for an iterable of any length.

        The next batch is submitted before the current one is yielded, so workers
        stay busy while the caller writes output.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        it = iter(rows)
        pending: _Batch | None = None
        while True:
            chunk = list(islice(it, batch_size))
            nxt = self._submit(chunk, state) if chunk else None
            if pending is not None:
                yield from self._collect(pending)
            if nxt is None:
                return
            pending = nxt

    def close(self) -> None:
        """Stop the worker processes. Idempotent; later calls to score raise."""
        self._closed = True
        if self._executor is not None:
            self._executor.close()

    def __enter__(self) -> Scorer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        keys = ", ".join(r.key for r in self.rewards)
        return f"<Scorer [{keys}] workers={self.workers} timeout={self.timeout}>"

    # -- planning ----------------------------------------------------------------------
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

    # -- collection ----------------------------------------------------------------------
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


def _locate_failures(results: list[dict[str, Outcome]], where: Sequence[str]) -> None:
    """Name each failed outcome's row by its origin (see :func:`~rewardkit.contract._call.locate`)."""
    if len(where) != len(results):
        raise ValueError(f"where names {len(where)} rows, but {len(results)} were scored")
    for i, scored in enumerate(results):
        for key, outcome in scored.items():
            if outcome.status is not Status.OK:
                scored[key] = locate(outcome, i, where[i])


def score(
    rows: Sequence[Mapping[str, Any]],
    rewards: Sequence[Reward | Composite | str] | Reward | Composite | str,
    **scorer_kwargs: Any,
) -> list[dict[str, Outcome]]:
    """Score ``rows`` with ``rewards`` in one call (starts and stops a :class:`Scorer`).

    Example:
        >>> import rewardkit as rk
        >>> rk.score([{"completion": "<think>a</think><answer>4</answer>"}], ["xml_format"])[0][
        ...     "xml_format"
        ... ].score
        1.0

    .. versionadded:: 0.1
    """
    items: Sequence[Reward | Composite | str]
    items = [rewards] if isinstance(rewards, (str, Reward, Composite)) else rewards
    with Scorer(items, **scorer_kwargs) as scorer:
        return scorer.score(rows)
