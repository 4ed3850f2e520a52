"""verl adapter: ``compute_score`` for ``custom_reward_function``, routed by ``data_source``.

verl calls a custom reward once per sample (``NaiveRewardManager`` and the
reward loop) as ``compute_score(data_source, solution_str, ground_truth,
extra_info, **reward_kwargs)``, or once per batch (``BatchRewardManager``) with
plural lists, and expects a float or a dict holding ``"score"`` whose other keys
become ``reward_extra_info`` metrics. Point verl at this file and configure the
reward with ``reward_kwargs`` (or the environment)::

    custom_reward_function:
      path: <site-packages>/rewardkit/trainers/verl.py
      name: compute_score            # or compute_score_batch with reward_manager=batch
      reward_kwargs:
        reward: "0.2*xml_format + exact_match"          # one reward for every sample, or
        routes: {"openai/gsm8k": "math_equal", "hotpotqa": "f1"}
        default: "exact_match"                          # for data sources not in routes
        timeout: 10

(``REWARDKIT_VERL_REWARD``, ``REWARDKIT_VERL_ROUTES`` as JSON, and
``REWARDKIT_VERL_DEFAULT`` are read when the keyword is absent.) Routing is a
:func:`rewardkit.route` on the ``data_source`` column, so a source with no route
and no default is ``not_applicable`` instead of verl's ``NotImplementedError``.

A row is ``{"completion": solution_str, "data_source": ..., "answer":
ground_truth, **extra_info}`` (a dict ``ground_truth`` is merged in as columns).
verl has no "not applicable": a sample without a number (not applicable, and by
default timeout and error) scores ``missing_score`` (default ``0.0``), and the
result always carries one 0/1 flag per status, ``rk_ok`` ... ``rk_error``, so the
failure rates are logged as metrics. Every result has the same keys.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

# Absolute imports: verl loads this file by path (spec_from_file_location), outside the package.
from rewardkit.compose._compose import Composite, route
from rewardkit.contract._outcome import Outcome, Status
from rewardkit.contract._policy import OutcomePolicy, Policy
from rewardkit.trainers._lazy import LazyScorer
from rewardkit.trainers.trl import RewardInput, RewardLike, resolve

__all__ = ["VerlScorer", "compute_score", "compute_score_batch"]

_STATUSES = tuple(Status)
_lock = threading.Lock()
_cache: dict[str, VerlScorer] = {}


class VerlScorer(LazyScorer):
    """A configured verl scorer; :func:`compute_score` builds and caches these."""

    def __init__(
        self,
        reward: RewardInput | None = None,
        *,
        routes: Mapping[str, RewardInput] | None = None,
        default: RewardInput | None = None,
        answer_column: str = "answer",
        missing_score: float = 0.0,
        on_error: Policy = None,
        on_timeout: Policy = None,
        on_unparseable: Policy = "score",
        scorer: Mapping[str, Any] | None = None,
    ) -> None:
        if (reward is None) == (routes is None):
            raise ValueError(
                "give exactly one of reward= (one reward for every sample) or routes= "
                "({data_source: reward}); or set REWARDKIT_VERL_REWARD / REWARDKIT_VERL_ROUTES"
            )
        node: RewardLike
        if routes is not None:
            table = {str(k): resolve(v) for k, v in routes.items()}
            node = route(
                "data_source",
                table,
                default=None if default is None else resolve(default),
                name="verl_route",
            )
        else:
            assert reward is not None
            node = resolve(reward)
        self.reward = node
        self.answer_column = answer_column
        self.missing_score = float(missing_score)
        self.policy = OutcomePolicy(on_error, on_timeout, on_unparseable)
        self._init_scorer(scorer)

    def row(
        self, data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any
    ) -> dict[str, Any]:
        """The rewardkit row for one verl sample."""
        row: dict[str, Any] = {}
        if isinstance(extra_info, Mapping):
            row.update({str(k): v for k, v in extra_info.items()})
        if isinstance(ground_truth, Mapping):
            row.update({str(k): v for k, v in ground_truth.items()})
            row.setdefault(self.answer_column, ground_truth.get("answer", ground_truth))
        else:
            row[self.answer_column] = ground_truth
        row["data_source"] = data_source
        row["completion"] = solution_str
        return row

    def result(self, outcome: Outcome) -> dict[str, Any]:
        """verl's dict for one outcome: ``score`` plus ``rk_<status>`` flags."""
        value = self.policy.value(outcome, self.reward.range)
        out: dict[str, Any] = {"score": self.missing_score if value is None else float(value)}
        for status in _STATUSES:
            out[f"rk_{status.value}"] = 1.0 if outcome.status is status else 0.0
        return out

    def score_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        key = self.reward.key
        return [self.result(r[key]) for r in self.scorer.score(rows)]

    def __call__(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any = None,
        extra_info: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        return self.score_rows([self.row(data_source, solution_str, ground_truth, extra_info)])[0]


_KNOWN = (
    "reward",
    "routes",
    "default",
    "answer_column",
    "missing_score",
    "on_error",
    "on_timeout",
    "on_unparseable",
)


def _configured(kwargs: Mapping[str, Any]) -> VerlScorer:
    cfg: dict[str, Any] = {k: kwargs[k] for k in _KNOWN if kwargs.get(k) is not None}
    if "reward" not in cfg and "routes" not in cfg:
        env_reward = os.environ.get("REWARDKIT_VERL_REWARD")
        env_routes = os.environ.get("REWARDKIT_VERL_ROUTES")
        if env_routes:
            cfg["routes"] = json.loads(env_routes)
        elif env_reward:
            cfg["reward"] = env_reward
        if "default" not in cfg and os.environ.get("REWARDKIT_VERL_DEFAULT"):
            cfg["default"] = os.environ["REWARDKIT_VERL_DEFAULT"]
    scorer: dict[str, Any] = {}
    for k in ("timeout", "workers", "memory_mb", "isolation"):
        if kwargs.get(k) is not None:
            scorer[k] = kwargs[k]
    for k in ("routes",):
        if isinstance(cfg.get(k), Mapping):
            cfg[k] = {str(a): b for a, b in cfg[k].items()}
    if isinstance(cfg.get("reward"), Composite) or not all(
        isinstance(v, (str, int, float, dict)) for v in cfg.values()
    ):
        return VerlScorer(**cfg, scorer=scorer)  # objects: not cacheable by text
    spec = json.dumps([cfg, scorer], sort_keys=True, default=str)
    with _lock:
        hit = _cache.get(spec)
        if hit is None:
            hit = _cache[spec] = VerlScorer(**cfg, scorer=scorer)
        return hit


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """verl's per-sample reward: ``{"score": float, "rk_ok": 0/1, ..., "rk_error": 0/1}``.

    Keyword arguments (verl's ``reward_kwargs``): ``reward`` or ``routes`` (+ ``default``),
    ``answer_column``, ``missing_score``, ``on_error``/``on_timeout``/``on_unparseable``,
    and engine options ``timeout``, ``workers``, ``memory_mb``, ``isolation``.

    Example:
        >>> compute_score("demo", "<answer>Paris</answer>", "paris", reward="exact_match")["score"]
        1.0
    """
    scorer = _configured(kwargs)
    return scorer(data_source, solution_str, ground_truth, extra_info)


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """verl's ``BatchRewardManager`` form: one engine call for the whole batch."""
    scorer = _configured(kwargs)
    n = len(solution_strs)
    infos: Sequence[Any] = extra_infos if extra_infos is not None else [None] * n
    rows = [
        scorer.row(ds, s, gt, info)
        for ds, s, gt, info in zip(data_sources, solution_strs, ground_truths, infos, strict=True)
    ]
    return scorer.score_rows(rows)
