"""OpenRLHF adapter: ``reward_func(queries, prompts, labels)`` for ``--remote_rm_url file.py``.

OpenRLHF loads a Python file by path and calls its ``reward_func(queries,
prompts, labels, **kwargs)`` (one sample per call, in a worker thread, in the
current single-turn executor), where ``queries`` are the decoded prompt +
response *with* special tokens and ``labels`` the dataset's label column. It
expects ``{"rewards": tensor, "scores": tensor, "extra_logs": {name: tensor}}``
(``scores`` in [0, 1] feed dynamic filtering). Two ways to use it:

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

__all__ = ["DEFAULT_STRIP", "OpenRLHFReward", "make_reward_func", "reward_func"]

#: End-of-turn tokens removed from the end of a decoded query.
DEFAULT_STRIP = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<|end|>", "<eos>")
_STATUSES = tuple(Status)


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
    ) -> None:
        self.reward = resolve(reward)
        self.__name__ = "reward_func"
        self.label_column = label_column
        self.strip = tuple(strip)
        self.missing_score = float(missing_score)
        self.policy = OutcomePolicy(on_error, on_timeout, on_unparseable)
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
        rewards = torch.tensor(values, dtype=torch.float32)
        logs = {
            f"rewardkit/{s.value}": torch.tensor(
                [1.0 if o.status is s else 0.0 for o in outcomes], dtype=torch.float32
            )
            for s in _STATUSES
        }
        return {"rewards": rewards, "scores": rewards.clone(), "extra_logs": logs}


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
            )
    return _default(queries, prompts, labels, **kwargs)
