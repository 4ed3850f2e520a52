"""The state the adapters of one ``to_trl`` call share: one Scorer, one scoring pass per batch.

Why: TRL calls each reward function separately with the same batch, but the
rewards of one ``to_trl`` call should be scored *together* (one pass through the
engine, shared caching and worker processes). The first adapter called on a
batch scores every reward into a :class:`_Slot`; the others pick their column
from it. The synchronous path holds a lock; the asynchronous path shares one
future per batch on TRL's event loop. The group pickles without its Scorer,
which is rebuilt lazily on the other side.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..contract._outcome import Outcome
from ..contract._policy import OutcomePolicy
from . import _lint
from ._trl_entries import RewardLike, _Entry
from ._trl_rows import TRAINER_KWARGS, build_rows


class _ScorerLike(Protocol):
    def bind(self, columns: Collection[str], *, where: str | None = None) -> None: ...

    def score(
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]: ...

    async def ascore(
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class _Slot:
    """Results of one batch, shared by every adapter of the group."""

    prompts: Any
    completions: Any
    results: list[dict[str, Outcome]] | None = None
    future: asyncio.Future[list[dict[str, Outcome]]] | None = None
    consumed: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def matches(self, prompts: Any, completions: Any) -> bool:
        if completions is self.completions and prompts is self.prompts:
            return True
        try:
            return bool(completions == self.completions and prompts == self.prompts)
        except Exception:
            return False


class _Group:
    """State shared by the adapters of one ``to_trl`` call."""

    def __init__(
        self,
        entries: list[_Entry],
        *,
        policy: OutcomePolicy,
        scorer: Any,
        log_reasons: bool,
        prefix: str,
        lint: bool,
        columns: Mapping[str, str] | None = None,
    ) -> None:
        self.entries = entries
        self.columns = dict(columns or {})
        self.policy = policy
        self.log_reasons = log_reasons
        self.prefix = prefix
        self.lint = lint
        unique: dict[str, RewardLike] = {}
        for e in entries:
            unique.setdefault(e.reward.key, e.reward)
        self.rewards = list(unique.values())
        self._scorer_arg = scorer
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._scorer: _ScorerLike | None = None
        self._owns_scorer = False
        self._lock = threading.Lock()
        self._slot: _Slot | None = None
        self._checked_columns = False
        self._first_batch_linted = False
        self.lint_issues: list[_lint.LintIssue] = []

    # pickling: the scorer (processes, threads) is rebuilt lazily on the other side
    def __getstate__(self) -> dict[str, Any]:
        arg = self._scorer_arg
        return {
            "entries": self.entries,
            "policy": self.policy,
            "log_reasons": self.log_reasons,
            "prefix": self.prefix,
            "lint": self.lint,
            "columns": self.columns,
            "rewards": self.rewards,
            "_scorer_arg": arg if isinstance(arg, Mapping) or arg is None else None,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    # -- scorer ------------------------------------------------------------------------------
    @property
    def scorer(self) -> _ScorerLike:
        if self._scorer is None:
            arg = self._scorer_arg
            if arg is not None and not isinstance(arg, Mapping):
                self._scorer = arg
            else:
                from ..engine import Scorer

                built = Scorer(self.rewards, **dict(arg or {}))
                self._scorer = built
                self._owns_scorer = True
                weakref.finalize(self, built.close)
        return self._scorer

    def close(self) -> None:
        if self._scorer is not None and self._owns_scorer:
            self._scorer.close()
        self._scorer = None

    # -- rows --------------------------------------------------------------------------------
    def _check_columns(self, kwargs: Mapping[str, Any]) -> None:
        if self._checked_columns:
            return
        columns = {k for k in kwargs if k not in TRAINER_KWARGS}
        columns |= {"prompt", "completion", "completion_ids"}
        columns |= {field for field, col in self.columns.items() if col in columns}
        self.scorer.bind(columns, where="GRPO batch")
        self._checked_columns = True

    def _lint_first_batch(self, results: list[dict[str, Outcome]]) -> None:
        if self._first_batch_linted or not self.lint:
            return
        self._first_batch_linted = True
        issues = []
        for e in self.entries:
            found = _lint.check_constant(e.name, [r[e.reward.key] for r in results])
            if found is not None:
                issues.append(found)
        self.lint_issues.extend(_lint.emit(issues, stacklevel=4))

    def _need_new(self, name: str, prompts: Any, completions: Any) -> bool:
        slot = self._slot
        return slot is None or name in slot.consumed or not slot.matches(prompts, completions)

    def _take(self, slot: _Slot, name: str) -> None:
        slot.consumed.add(name)
        if len(slot.consumed) >= len(self.entries) and self._slot is slot:
            self._slot = None

    def outcomes(
        self,
        name: str,
        prompts: Any,
        completions: Sequence[Any],
        completion_ids: Any,
        kwargs: Mapping[str, Any],
    ) -> tuple[list[dict[str, Outcome]], float]:
        with self._lock:
            slot = self._slot
            if slot is None or self._need_new(name, prompts, completions):
                self._check_columns(kwargs)
                rows, state = build_rows(prompts, completions, completion_ids, kwargs, self.columns)
                t0 = time.perf_counter()
                results = self.scorer.score(rows, state=state)
                slot = _Slot(prompts, completions, results, seconds=time.perf_counter() - t0)
                self._slot = slot
                self._lint_first_batch(results)
            self._take(slot, name)
            assert slot.results is not None
            return slot.results, slot.seconds

    async def aoutcomes(
        self,
        name: str,
        prompts: Any,
        completions: Sequence[Any],
        completion_ids: Any,
        kwargs: Mapping[str, Any],
    ) -> tuple[list[dict[str, Outcome]], float]:
        if self._scorer is None:  # building it may start worker processes: off the loop
            await asyncio.to_thread(lambda: self.scorer)
        loop = asyncio.get_running_loop()
        with self._lock:
            slot = self._slot
            stale = (
                slot is None
                or self._need_new(name, prompts, completions)
                or (slot.future is not None and slot.future.get_loop() is not loop)
            )
            if stale:
                self._check_columns(kwargs)
                rows, state = build_rows(prompts, completions, completion_ids, kwargs, self.columns)
                slot = _Slot(prompts, completions)
                slot.future = asyncio.ensure_future(self._timed(slot, rows, state))
                self._slot = slot
            assert slot is not None
            self._take(slot, name)
            fut = slot.future
        if fut is None:  # a slot filled by the synchronous path
            assert slot.results is not None
            return slot.results, slot.seconds
        results = await asyncio.shield(fut)
        return results, slot.seconds

    async def _timed(
        self, slot: _Slot, rows: list[dict[str, Any]], state: dict[str, Any]
    ) -> list[dict[str, Outcome]]:
        t0 = time.perf_counter()
        results = await self.scorer.ascore(rows, state=state)
        slot.seconds = time.perf_counter() - t0
        slot.results = results
        self._lint_first_batch(results)
        return results
