"""What an Axolotl config imports from rewardkit: rewards as attributes, dataset transforms.

Axolotl finds ``trl.reward_funcs`` entries and dataset ``type:`` factories by import
path, so rewardkit rewards must be module attributes with identifier names
(:func:`for_axolotl`) and a transform a top-level factory (:class:`PromptTransform`).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .trl import Policy, RewardInput, TRLReward, _entries, to_trl

#: Two-part paths, importable by every Axolotl version (0.8 imports only the part before
#: the last dot as a top-level module): see the top-level module ``rewardkit_axolotl``.
BUILTIN_PATH = "rewardkit_axolotl"


def _identifier(name: str) -> str:
    ident = re.sub(r"\W+", "_", name).strip("_") or "reward"
    if ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"r_{ident}"
    return ident


def for_axolotl(
    rewards: RewardInput | Sequence[RewardInput] | Mapping[str, RewardInput],
    *,
    on_error: Policy = None,
    on_timeout: Policy = None,
    on_unparseable: Policy = "score",
    scorer: Mapping[str, Any] | None = None,
    split: bool = False,
) -> dict[str, TRLReward]:
    """Synchronous TRL-contract adapters keyed by identifier names, for a module's globals.

    Example (``my_rewards.py``, referenced as ``my_rewards.xml_format_mode_strict``)::

        from rewardkit.trainers.axolotl import for_axolotl
        globals().update(for_axolotl(["xml_format(mode=strict)", "exact_match"]))
    """
    entries = _entries(rewards, split=split)
    named = {_identifier(e.name): e.reward for e in entries}
    if len(named) != len(entries):
        raise ValueError("two rewards map to the same identifier; pass a {name: reward} mapping")
    adapters = to_trl(
        named,
        on_error=on_error,
        on_timeout=on_timeout,
        on_unparseable=on_unparseable,
        scorer=scorer,
        asynchronous=False,
        lint=False,
    )
    out: dict[str, TRLReward] = {}
    for a in adapters:
        assert isinstance(a, TRLReward)
        out[a.__name__] = a
    return out


# -- dataset transform ---------------------------------------------------------------------------


class _TransformFn:
    """The per-example function a :class:`PromptTransform` returns (picklable)."""

    def __init__(self, spec: PromptTransform) -> None:
        self.spec = spec

    def __call__(self, example: Mapping[str, Any], tokenizer: Any = None) -> dict[str, Any]:
        s = self.spec
        if s.question not in example:
            raise KeyError(
                f"dataset transform: column {s.question!r} not in the example; it has "
                f"{', '.join(map(repr, example))}"
            )
        text = s.template.format(**{k: v for k, v in example.items() if isinstance(k, str)})
        prompt: Any
        if s.conversational:
            prompt = [{"role": "user", "content": text}]
            if s.system_prompt:
                prompt.insert(0, {"role": "system", "content": s.system_prompt})
        else:
            prompt = f"{s.system_prompt}\n\n{text}" if s.system_prompt else text
        out: dict[str, Any] = {"prompt": prompt}
        if s.answer and s.answer in example:
            answer = example[s.answer]
            if s.answer_after and isinstance(answer, str):
                answer = answer.split(s.answer_after)[-1].strip().replace(",", "")
            out["answer"] = answer
        for col in s.keep:
            if col in example:
                out[col] = example[col]
        return out


@dataclass(frozen=True)
class PromptTransform:
    """An Axolotl dataset-transform factory: ``factory(cfg, *args, **kwargs) -> (fn, map_kwargs)``.

    Args:
        question: column holding the question.
        answer: column holding the gold answer, copied to ``answer`` (``""`` for none).
        template: format string over the example's columns (default ``"{question}"``
            style: the question column as is).
        system_prompt: prepended as a system message (or paragraph, for plain prompts).
        answer_after: keep only the text after this marker (GSM8K: ``"####"``).
        conversational: build a chat-message prompt (default) or a plain string.
        keep: further columns to keep for the rewards (e.g. ``"task"``).

    Example:
        >>> fn, kw = PromptTransform("question", answer_after="####")(cfg=None)
        >>> fn({"question": "1+1?", "answer": "so #### 2"})["answer"], kw
        ('2', {'remove_columns': '__all__'})
    """

    question: str = "question"
    answer: str = "answer"
    template: str = ""
    system_prompt: str | None = None
    answer_after: str | None = None
    conversational: bool = True
    keep: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.template:
            object.__setattr__(self, "template", "{" + self.question + "}")
        object.__setattr__(self, "keep", tuple(self.keep))

    def __call__(self, cfg: Any = None, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return _TransformFn(self), {"remove_columns": "__all__"}


# -- Axolotl's resolution rules, re-implemented ------------------------------------------------
