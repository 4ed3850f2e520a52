"""Prometheus text metrics for ``rewardkit serve``, without a client library.

The exposition format is a few lines of text; a dependency for it would be one
more thing to install on every trainer node. Counters are guarded by one lock
(updates happen once per request and once per scored batch, not per row).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

__all__ = ["LATENCY_BUCKETS", "Metrics"]

#: Upper bounds (seconds) of the request-latency histogram buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Request counts, a latency histogram per endpoint, rows and outcome statuses per reward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.rows: Counter[str] = Counter()
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self.buckets: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = {}
        self.in_flight = 0

    def observe(self, endpoint: str, code: int, seconds: float) -> None:
        """Count one finished request and its latency."""
        with self._lock:
            self.requests[(endpoint, code)] += 1
            counts = self.buckets.setdefault(endpoint, [0] * (len(LATENCY_BUCKETS) + 1))
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self.latency_sum[endpoint] = self.latency_sum.get(endpoint, 0.0) + seconds

    def count_rows(self, endpoint: str, rows: int, statuses: Mapping[tuple[str, str], int]) -> None:
        """Count scored rows and the (reward key, status) pairs of their outcomes."""
        with self._lock:
            self.rows[endpoint] += rows
            self.outcomes.update(statuses)

    def render(self) -> str:
        """The metrics in the Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            out = [
                "# HELP rewardkit_requests_total HTTP requests by endpoint and status code.",
                "# TYPE rewardkit_requests_total counter",
            ]
            for (ep, code), n in sorted(self.requests.items()):
                out.append(f'rewardkit_requests_total{{endpoint="{_label(ep)}",code="{code}"}} {n}')
            out += [
                "# HELP rewardkit_request_seconds Request latency in seconds.",
                "# TYPE rewardkit_request_seconds histogram",
            ]
            for ep, counts in sorted(self.buckets.items()):
                e = _label(ep)
                for bound, n in zip(LATENCY_BUCKETS, counts, strict=False):
                    out.append(
                        f'rewardkit_request_seconds_bucket{{endpoint="{e}",le="{bound}"}} {n}'
                    )
                out.append(
                    f'rewardkit_request_seconds_bucket{{endpoint="{e}",le="+Inf"}} {counts[-1]}'
                )
                out.append(
                    f'rewardkit_request_seconds_sum{{endpoint="{e}"}} {self.latency_sum[ep]}'
                )
                out.append(f'rewardkit_request_seconds_count{{endpoint="{e}"}} {counts[-1]}')
            out += [
                "# HELP rewardkit_rows_total Rows scored by endpoint.",
                "# TYPE rewardkit_rows_total counter",
            ]
            for ep, n in sorted(self.rows.items()):
                out.append(f'rewardkit_rows_total{{endpoint="{_label(ep)}"}} {n}')
            out += [
                "# HELP rewardkit_outcomes_total Reward outcomes by reward and status.",
                "# TYPE rewardkit_outcomes_total counter",
            ]
            for (key, status), n in sorted(self.outcomes.items()):
                out.append(
                    f'rewardkit_outcomes_total{{reward="{_label(key)}",status="{_label(status)}"}} {n}'
                )
            out += [
                "# HELP rewardkit_in_flight_requests Requests being scored now.",
                "# TYPE rewardkit_in_flight_requests gauge",
                f"rewardkit_in_flight_requests {self.in_flight}",
            ]
        return "\n".join(out) + "\n"
