"""The callables TRL receives: :class:`TRLReward` (sync) and :class:`AsyncTRLReward`.

Each adapter is one reward's face towards TRL: a picklable object with its own
``__name__`` (TRL's metric key) that asks the shared group for the batch's
outcomes, turns each :class:`~rewardkit.Outcome` into a number through the
:class:`~rewardkit.OutcomePolicy` (an ``ok`` outcome is its score), and logs the
count of each status and each sample's reason through TRL's ``log_metric`` and
``log_extra``, so a broken verifier shows at step 1 instead of as a flat curve.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .._provenance import stamp
from ..contract._outcome import Outcome, Status
from ..contract._policy import OutcomePolicy
from ._trl_entries import RewardLike, _Entry
from ._trl_group import _Group, _ScorerLike

__all__ = ["AsyncTRLReward", "TRLReward"]

_STATUSES = tuple(Status)
_STATUS_TEXT = {s: s.value for s in Status}


def _describe(outcome: Outcome) -> str:
    status = _STATUS_TEXT[outcome.status]
    return f"{status}: {outcome.reason}" if outcome.reason else status


# -- the adapters ------------------------------------------------------------------------------


class _Adapter:
    """What sync and async adapters share: identity, policy, logging."""

    __name__: str

    def __init__(self, entry: _Entry, group: _Group) -> None:
        self.__name__ = entry.name
        self.__qualname__ = entry.name
        self.reward: RewardLike = entry.reward
        self.key: str = entry.reward.key
        self.weight: float = entry.weight
        self.group = group

    @property
    def policy(self) -> OutcomePolicy:
        return self.group.policy

    @property
    def scorer(self) -> _ScorerLike:
        """The engine :class:`~rewardkit.engine.Scorer` shared by this ``to_trl`` call."""
        return self.group.scorer

    def close(self) -> None:
        """Stop the shared scorer's worker processes (all adapters of the call)."""
        self.group.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__} ({self.key}) weight={self.weight:g}>"

    def _completions(self, completions: Sequence[Any] | None) -> Sequence[Any]:
        """``completions`` itself; a call without ``completions=`` is a TypeError."""
        if completions is None:
            raise TypeError(f"reward {self.__name__!r} was called without completions=")
        return completions

    def _finish(
        self, results: list[dict[str, Outcome]], seconds: float, kwargs: Mapping[str, Any]
    ) -> list[float | None]:
        key, rng = self.key, self.reward.range
        outcomes = [r[key] for r in results]
        value = self.group.policy.value
        ok = Status.OK
        values = [o.score if o.status is ok else value(o, rng) for o in outcomes]
        log_metric = kwargs.get("log_metric")
        prefix = f"{self.group.prefix}/{self.__name__}"
        if callable(log_metric):
            counts = Counter([o.status for o in outcomes])
            for status in _STATUSES:
                log_metric(f"{prefix}/{_STATUS_TEXT[status]}", float(counts[status]))
            log_metric(f"{self.group.prefix}/batch_seconds", float(seconds))
        log_extra = kwargs.get("log_extra")
        if callable(log_extra) and self.group.log_reasons:
            log_extra(prefix, [_describe(o) for o in outcomes])
            # which reward code produced these scores (see rewardkit._provenance)
            log_extra(f"{prefix}/provenance", [stamp(self.reward)] * len(outcomes))
        return values


class TRLReward(_Adapter):
    """A synchronous TRL reward function for one rewardkit reward (built by :func:`to_trl`)."""

    def __call__(
        self,
        prompts: Any = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Any = None,
        **kwargs: Any,
    ) -> list[float | None]:
        if len(completions := self._completions(completions)) == 0:
            return []
        results, seconds = self.group.outcomes(
            self.__name__, prompts, completions, completion_ids, kwargs
        )
        return self._finish(results, seconds, kwargs)


class AsyncTRLReward(_Adapter):
    """An asynchronous TRL reward function (TRL >= 1.9 awaits it on its reward event loop)."""

    async def __call__(
        self,
        prompts: Any = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Any = None,
        **kwargs: Any,
    ) -> list[float | None]:
        if len(completions := self._completions(completions)) == 0:
            return []
        results, seconds = await self.group.aoutcomes(
            self.__name__, prompts, completions, completion_ids, kwargs
        )
        return self._finish(results, seconds, kwargs)
