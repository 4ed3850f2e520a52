"""A ``Scorer`` built on first use, shared by the per-call adapters (verl, OpenRLHF)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any


class LazyScorer:
    """Base for adapters holding ``self.reward``: one ``Scorer`` over it, built on first use.

    Subclasses call :meth:`_init_scorer` with the engine options from their
    ``scorer=`` argument; :attr:`scorer` builds it under a lock, :meth:`close` shuts it.
    """

    reward: Any

    def _init_scorer(self, scorer: Mapping[str, Any] | None) -> None:
        self._scorer_kwargs = dict(scorer or {})
        self._scorer: Any = None
        self._lock = threading.Lock()

    @property
    def scorer(self) -> Any:
        with self._lock:
            if self._scorer is None:
                from rewardkit.engine import Scorer

                self._scorer = Scorer([self.reward], **self._scorer_kwargs)
            return self._scorer

    def close(self) -> None:
        with self._lock:
            if self._scorer is not None:
                self._scorer.close()
                self._scorer = None
