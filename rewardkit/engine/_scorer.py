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
from itertools import islice
from types import TracebackType
from typing import Any, Literal

from ..compose._compose import Composite, _staged
from ..contract._errors import RewardDefinitionError
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ..references._resolve import resolve_reference
from ._backends import make_executor
from ._batch import _Batch
from ._cache import ResultCache
from ._executor import Executor, ExecutorConfig
from ._gather import _Gatherer
from ._stats import RewardStats, StatsBook

__all__ = ["IsolationWarning", "Scorer", "score"]

RewardLike = Reward | Composite
Isolation = Literal["auto", "process", "inline"]

#: Result-cache size for ``cache=True``.
DEFAULT_CACHE_SIZE = 100_000


class IsolationWarning(RuntimeWarning):
    """A reward that should be isolated cannot be sent to a worker, so it runs inline."""


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


class Scorer(_Gatherer):
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
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]:
        """Score ``rows``; one ``{reward key: Outcome}`` per row, in input order.

        Never raises for anything a reward does. Safe to call from any thread; in a
        running event loop prefer :meth:`ascore`, which does not block the loop.
        """
        return self._collect(self._submit(rows, state))

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
