"""Per-reward counters: how many samples, with which status, how fast, how many reused.

A flat reward curve says nothing; "37% of math_equal calls timed out" says
everything (verl#5635 ran with every MATH score silently 0). Adapters log these
per step and the CLI prints them in its summary table.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from ..contract._outcome import Status

__all__ = ["RewardStats", "StatsBook"]

#: Latencies kept per reward for percentiles (most recent calls).
_WINDOW = 10_000


@dataclass(frozen=True, slots=True)
class RewardStats:
    """A snapshot of one reward's counters.

    Args:
        key: the reward key (``Reward.key`` or the composite's name).
        n: outcomes produced (cache hits included).
        counts: outcomes per :class:`~rewardkit.Status` (every status present).
        cache_hits: outcomes reused instead of computed (duplicates within a
            batch and hits in the result cache).
        calls: reward calls actually executed.
        latency_p50_ms / latency_p99_ms: per-call latency over the last
            10,000 calls, measured where the reward ran; ``None`` before any call.
    """

    key: str
    n: int = 0
    counts: Mapping[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    cache_hits: int = 0
    calls: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (status names as keys)."""
        return {
            "key": self.key,
            "n": self.n,
            "counts": {s.value: c for s, c in self.counts.items()},
            "cache_hits": self.cache_hits,
            "calls": self.calls,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
        }


def _percentile(sorted_values: list[float], q: float) -> float:
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


class _Counter:
    __slots__ = ("n", "counts", "cache_hits", "calls", "latencies")

    def __init__(self) -> None:
        self.n = 0
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.cache_hits = 0
        self.calls = 0
        self.latencies: deque[float] = deque(maxlen=_WINDOW)


class StatsBook:
    """Thread-safe accumulator behind :attr:`Scorer.stats <rewardkit.engine.Scorer.stats>`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, _Counter] = {}

    def _get(self, key: str) -> _Counter:
        c = self._by_key.get(key)
        if c is None:
            c = self._by_key[key] = _Counter()
        return c

    def outcomes(self, key: str, statuses: Iterable[Status]) -> None:
        """Count produced outcomes by status (pass ``o.status`` for each outcome ``o``)."""
        tally = Counter(statuses)  # counted in C, outside the lock
        with self._lock:
            c = self._get(key)
            counts = c.counts
            for status, k in tally.items():
                c.n += k
                counts[status] += k

    def calls(self, key: str, latencies: Iterable[float | None], cache_hits: int = 0) -> None:
        with self._lock:
            c = self._get(key)
            c.cache_hits += cache_hits
            for lat in latencies:
                if lat is not None:
                    c.calls += 1
                    c.latencies.append(lat)

    def timed(self, key: str, calls: int, seconds: float, cache_hits: int = 0) -> None:
        """Record ``calls`` calls timed together in ``seconds`` (each gets the average).

        For cheap rewards run inline, one clock read per chunk instead of two per
        call; a per-call average still gives meaningful p50/p99 for rewards whose
        cost varies little, which is what cheap rewards are.
        """
        if calls <= 0:
            with self._lock:
                self._get(key).cache_hits += cache_hits
            return
        per = seconds / calls
        with self._lock:
            c = self._get(key)
            c.cache_hits += cache_hits
            c.calls += calls
            c.latencies.extend(repeat(per, min(calls, _WINDOW)))

    def drain(self) -> dict[str, tuple[int, dict[Status, int], int, int, list[float]]]:
        """Take the raw counters and zero them (to :meth:`merge` into another book)."""
        with self._lock:
            out = {
                key: (c.n, c.counts, c.cache_hits, c.calls, list(c.latencies))
                for key, c in self._by_key.items()
            }
            self._by_key.clear()
            return out

    def merge(
        self, drained: Mapping[str, tuple[int, dict[Status, int], int, int, list[float]]]
    ) -> None:
        """Add counters taken from another book with :meth:`drain`."""
        with self._lock:
            for key, (n, counts, cache_hits, calls, latencies) in drained.items():
                c = self._get(key)
                c.n += n
                for status, k in counts.items():
                    c.counts[status] += k
                c.cache_hits += cache_hits
                c.calls += calls
                c.latencies.extend(latencies)

    def snapshot(self) -> dict[str, RewardStats]:
        with self._lock:
            out: dict[str, RewardStats] = {}
            for key, c in self._by_key.items():
                lat = sorted(c.latencies)
                out[key] = RewardStats(
                    key=key,
                    n=c.n,
                    counts=dict(c.counts),
                    cache_hits=c.cache_hits,
                    calls=c.calls,
                    latency_p50_ms=_percentile(lat, 0.50) * 1000 if lat else None,
                    latency_p99_ms=_percentile(lat, 0.99) * 1000 if lat else None,
                )
            return out

    def reset(self) -> None:
        with self._lock:
            self._by_key.clear()
