"""``llm_judge``: the registered LLM-as-judge reward (``-r "llm_judge(model=...)"``).

A thin registered face over :func:`rewardkit.judges.judge` so a judge can be named
from the command line, a formula or a recipe YAML like any other built-in. Endpoint
and key come from the options or ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``; the model
from ``model=`` or ``REWARDKIT_JUDGE_MODEL``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..judges._judge import DEFAULT_TEMPLATE, JudgeFn, judge

__all__ = ["judge_fn_for", "llm_judge"]


@functools.lru_cache(maxsize=32)
def _judge_fn(
    model: str,
    base_url: str,
    template: str,
    scale_low: float,
    scale_high: float,
    group: bool,
    concurrency: int,
    timeout: float,
    max_retries: int,
    cache_path: str,
) -> JudgeFn:
    built = judge(
        template,
        model=model,
        scale=(scale_low, scale_high),
        base_url=base_url or None,
        group=group,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache_path=cache_path or None,
    )
    fn = built.fn
    assert isinstance(fn, JudgeFn)
    return fn


@reward(range=(0, 1), batched=True, cheap=True, version="1")
async def llm_judge(
    row: Sequence[Mapping[str, Any]],
    *,
    model: str = "",
    base_url: str = "",
    template: str = DEFAULT_TEMPLATE,
    scale_low: float = 1.0,
    scale_high: float = 10.0,
    group: bool = False,
    concurrency: int = 32,
    timeout: float = 60.0,
    max_retries: int = 4,
    cache_path: str = "",
) -> list[Outcome]:
    """An LLM judge's 1..10 verdict on each completion, mapped onto 0..1 (typed failures)."""
    fn = _from_options(
        model=model, base_url=base_url, template=template, scale_low=scale_low,
        scale_high=scale_high, group=group, concurrency=concurrency, timeout=timeout,
        max_retries=max_retries, cache_path=cache_path,
    )  # fmt: skip
    if fn is None:
        return [Outcome.error(f"no judge model: {_NO_MODEL}")] * len(row)
    return await fn(row)


_NO_MODEL = "pass llm_judge(model=...) or set REWARDKIT_JUDGE_MODEL"


def _from_options(**o: Any) -> JudgeFn | None:
    """The judge function for ``llm_judge``'s options, or None when no model is named
    (neither ``model=`` nor ``REWARDKIT_JUDGE_MODEL``)."""
    model = o["model"] or os.environ.get("REWARDKIT_JUDGE_MODEL", "")
    if not model:
        return None
    return _judge_fn(
        model, o["base_url"], o["template"], float(o["scale_low"]), float(o["scale_high"]),
        bool(o["group"]), int(o["concurrency"]), float(o["timeout"]), int(o["max_retries"]),
        o["cache_path"],
    )  # fmt: skip


def judge_fn_for(rw: Any) -> JudgeFn | None:
    """The :class:`~rewardkit.judges.JudgeFn` behind a judge reward, or None if it is not one.

    A reward built by :func:`rewardkit.judges.judge` holds it directly; the registered
    ``llm_judge`` builds it from its options (model from ``REWARDKIT_JUDGE_MODEL`` when
    not given). Auditing a judge needs the function itself, to ask in other orders and
    with the cache off.

    Raises:
        ValueError: ``llm_judge`` with no model named anywhere.
    """
    fn = getattr(rw, "fn", None)
    if isinstance(fn, JudgeFn):
        return fn
    if fn is not getattr(llm_judge, "fn", None):
        return None
    built = _from_options(**rw.options)
    if built is None:
        raise ValueError(f"{rw.key}: no judge model: {_NO_MODEL}")
    return built
