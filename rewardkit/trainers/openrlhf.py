"""OpenRLHF adapter: ``reward_func(queries, prompts, labels)`` for ``--remote_rm_url file.py``.

OpenRLHF loads a Python file by path and calls its ``reward_func(queries,
prompts, labels, **kwargs)`` (one sample per call, in a worker thread, in the
current single-turn executor), where ``queries`` are the decoded prompt +
response *with* special tokens and ``labels`` the dataset's label column. It
expects ``{"rewards": tensor, "scores": tensor, "extra_logs": {name: tensor}}``
(see "Ranges" below). Two ways to use it:

* point ``--remote_rm_url`` at this very file and choose the reward with the
  environment: ``REWARDKIT_OPENRLHF_REWARD="0.2*xml_format + exact_match"``
  (optional: ``REWARDKIT_OPENRLHF_LABEL`` = the column the label fills, default
  ``answer``; ``REWARDKIT_OPENRLHF_TIMEOUT`` in seconds);
* or write a two-line file::

      from rewardkit.trainers.openrlhf import make_reward_func
      reward_func = make_reward_func("exact_match", label_column="answer")

The response is the query after the prompt, with trailing end-of-turn tokens
removed. A label that is a JSON object is merged in as several columns (OpenRLHF
has one label field). Samples without a number (not applicable; by default
timeouts and errors) get ``missing_score`` (0.0), and ``extra_logs`` carries one
0/1 tensor per status (``rewardkit/ok`` ... ``rewardkit/error``).

Ranges, as OpenRLHF's trainer uses the two tensors (checked against OpenRLHF's source,
``compute_reward`` and the samples generator, 2026-08):

* ``rewards`` feed the advantage. The trainer clamps them to ``--reward.clip_range``
  (default ``(-10, 10)``) before adding the KL term; the adapter clips to the same
  ``clip_range`` (default ``(-10.0, 10.0)``, ``None`` to keep raw values) so the numbers it
  returns and logs are the ones trained on;
* ``scores`` only feed dynamic filtering (``--algo.dynamic_filtering_enable``): a prompt's
  samples are kept when ``lo < mean(scores) < hi`` for ``--algo.dynamic_filtering_range``,
  default ``(0, 1)`` — so scores are expected in [0, 1], where 0 means wrong and 1 right, and
  an all-wrong or all-right group is dropped. The adapter maps the reward's declared range
  onto [0, 1] (``(value - low) / (high - low)``, clipped), so a ``0.2*xml_format +
  exact_match`` (range 0..1.2) or a reward in ``[-0.25, 0.5]`` still filters as intended;
  a reward without two finite bounds is clipped to [0, 1]. ``score_range=(low, high)``
  overrides the bounds used. A reward already in [0, 1] gives ``scores == rewards``.

With the file itself as ``--remote_rm_url``, ``REWARDKIT_OPENRLHF_CLIP`` sets ``clip_range``
(``"-5,5"``, or ``"none"``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

# Absolute imports: OpenRLHF loads this file by path (spec_from_file_location).
from rewardkit.contract._outcome import Status
from rewardkit.contract._policy import OutcomePolicy, Policy
from rewardkit.trainers._lazy import LazyScorer
from rewardkit.trainers.trl import RewardInput, resolve

__all__ = [
    "DEFAULT_CLIP",
    "DEFAULT_STRIP",
    "OpenRLHFReward",
    "make_reward_func",
    "openrlhf_values",
    "reward_func",
]

#: End-of-turn tokens removed from the end of a decoded query.
DEFAULT_STRIP = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<|end|>", "<eos>")
_STATUSES = tuple(Status)
#: OpenRLHF's default ``--reward.clip_range``.
DEFAULT_CLIP = (-10.0, 10.0)


def _finite(x: float | None) -> bool:
    return x is not None and x == x and abs(x) != float("inf")


def openrlhf_values(
    values: Sequence[float],
    reward_range: tuple[float | None, float | None],
    *,
    clip_range: tuple[float, float] | None = DEFAULT_CLIP,
    score_range: tuple[float, float] | None = None,
) -> tuple[list[float], list[float]]:
    """``(rewards, scores)`` as OpenRLHF uses them (see the module docstring, "Ranges").

    ``rewards``: ``values`` clipped to ``clip_range``. ``scores``: the unclipped values mapped
    from ``score_range`` (default: the reward's declared range when both ends are finite) onto
    [0, 1] and clipped there; without usable bounds, the values clipped to [0, 1].
    """
    if clip_range is not None and not clip_range[0] < clip_range[1]:
        raise ValueError(f"clip_range must be (low, high) with low < high, got {clip_range}")
    rewards = [
        min(clip_range[1], max(clip_range[0], v)) if clip_range is not None else v for v in values
    ]
    low, high = score_range if score_range is not None else reward_range
    if _finite(low) and _finite(high) and low is not None and high is not None and low < high:
        span = high - low
        scores = [min(1.0, max(0.0, (v - low) / span)) for v in values]
    else:
        scores = [min(1.0, max(0.0, v)) for v in values]
    return rewards, scores


class OpenRLHFReward(LazyScorer):
    """A configured OpenRLHF ``reward_func`` (build with :func:`make_reward_func`)."""

    def __init__(
        self,
        reward: RewardInput,
        *,
        label_column: str = "answer",
        strip: Sequence[str] = DEFAULT_STRIP,
        missing_score: float = 0.0,
        on_error: Policy = None,
        on_timeout: Policy = None,
        on_unparseable: Policy = "score",
        scorer: Mapping[str, Any] | None = None,
        clip_range: tuple[float, float] | None = DEFAULT_CLIP,
        score_range: tuple[float, float] | None = None,
    ) -> None:
        self.reward = resolve(reward)
        self.__name__ = "reward_func"
        self.label_column = label_column
        self.strip = tuple(strip)
        self.missing_score = float(missing_score)
        self.policy = OutcomePolicy(on_error, on_timeout, on_unparseable)
        self.clip_range = (
            None if clip_range is None else (float(clip_range[0]), float(clip_range[1]))
        )
        self.score_range = score_range
        openrlhf_values([], self.reward.range, clip_range=self.clip_range)  # fail early
        self._init_scorer(scorer)

    def response(self, query: str, prompt: Any) -> str:
        """The model's response inside a decoded ``query`` (prompt + response)."""
        text = query
        if isinstance(prompt, str) and prompt:
            if query.startswith(prompt):
                text = query[len(prompt) :]
            else:
                at = query.rfind(prompt)
                if at >= 0:
                    text = query[at + len(prompt) :]
        while True:
            stripped = text.rstrip()
            for tok in self.strip:
                if tok and stripped.endswith(tok):
                    text = stripped[: -len(tok)]
                    break
            else:
                return text

    def row(self, query: str, prompt: Any, label: Any) -> dict[str, Any]:
        row: dict[str, Any] = {}
        parsed: Any = label
        if isinstance(label, str) and label.lstrip().startswith("{"):
            try:
                parsed = json.loads(label)
            except ValueError:
                parsed = label
        if isinstance(parsed, Mapping):
            row.update({str(k): v for k, v in parsed.items()})
            row.setdefault(self.label_column, parsed.get(self.label_column))
        else:
            row[self.label_column] = label
        row["prompt"] = prompt
        row["completion"] = self.response(query, prompt)
        return row

    def __call__(
        self, queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **_: Any
    ) -> dict[str, Any]:
        import torch

        labels = list(labels) if labels is not None else [None] * len(queries)
        rows = [self.row(q, p, lab) for q, p, lab in zip(queries, prompts, labels, strict=True)]
        key = self.reward.key
        outcomes = [r[key] for r in self.scorer.score(rows)]
        values = []
        for o in outcomes:
            v = self.policy.value(o, self.reward.range)
            values.append(self.missing_score if v is None else float(v))
        clipped, scores = openrlhf_values(
            values, self.reward.range, clip_range=self.clip_range, score_range=self.score_range
        )
        rewards = torch.tensor(clipped, dtype=torch.float32)
        logs = {
            f"rewardkit/{s.value}": torch.tensor(
                [1.0 if o.status is s else 0.0 for o in outcomes], dtype=torch.float32
            )
            for s in _STATUSES
        }
        return {
            "rewards": rewards,
            "scores": torch.tensor(scores, dtype=torch.float32),
            "extra_logs": logs,
        }


def make_reward_func(reward: RewardInput, **options: Any) -> OpenRLHFReward:
    """An OpenRLHF ``reward_func`` for ``reward`` (options as :class:`OpenRLHFReward`)."""
    return OpenRLHFReward(reward, **options)


_default: OpenRLHFReward | None = None
_default_lock = threading.Lock()


def reward_func(
    queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any
) -> dict[str, Any]:
    """The reward named by ``REWARDKIT_OPENRLHF_REWARD``, as OpenRLHF's ``reward_func``."""
    global _default
    with _default_lock:
        if _default is None:
            spec = os.environ.get("REWARDKIT_OPENRLHF_REWARD")
            if not spec:
                raise RuntimeError(
                    "set REWARDKIT_OPENRLHF_REWARD to a reward name or formula (e.g. "
                    "'exact_match') to use rewardkit/trainers/openrlhf.py as --remote_rm_url, "
                    "or write your own file with make_reward_func(...)"
                )
            scorer: dict[str, Any] = {}
            if os.environ.get("REWARDKIT_OPENRLHF_TIMEOUT"):
                scorer["timeout"] = float(os.environ["REWARDKIT_OPENRLHF_TIMEOUT"])
            _default = OpenRLHFReward(
                spec,
                label_column=os.environ.get("REWARDKIT_OPENRLHF_LABEL", "answer"),
                scorer=scorer,
                clip_range=_clip_from_env(os.environ.get("REWARDKIT_OPENRLHF_CLIP")),
            )
    return _default(queries, prompts, labels, **kwargs)


def _clip_from_env(text: str | None) -> tuple[float, float] | None:
    """``REWARDKIT_OPENRLHF_CLIP``: ``"low,high"``, ``"none"``, or unset (OpenRLHF's default)."""
    if text is None or not text.strip():
        return DEFAULT_CLIP
    if text.strip().lower() == "none":
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"REWARDKIT_OPENRLHF_CLIP={text!r}: expected 'low,high' or 'none'")
    return float(parts[0]), float(parts[1])
