"""TRL adapter: rewardkit rewards as ``trl.GRPOTrainer(reward_funcs=...)`` callables.

Example::

    from trl import GRPOConfig, GRPOTrainer
    from rewardkit.trainers.trl import reward_weights, to_trl

    funcs = to_trl(["xml_format(mode=strict)", "0.5*xml_count", "exact_match"])
    trainer = GRPOTrainer(
        model=..., reward_funcs=funcs, train_dataset=ds,
        args=GRPOConfig(..., reward_weights=reward_weights(funcs)),
    )

What each adapted reward does on every TRL call (the contract is TRL's own:
keyword-only ``prompts``, ``completions``, ``completion_ids``, every dataset
column, ``trainer_state``, ``log_extra``, ``log_metric``):

* builds one row per completion (standard ``str`` or conversational message
  lists alike) and scores it through the engine (:class:`rewardkit.engine.Scorer`:
  hard timeouts, process isolation for non-cheap rewards, result cache). All
  rewards of one ``to_trl`` call share one Scorer and are scored **together,
  once per batch**; each adapter then picks its own column;
* maps each :class:`~rewardkit.Outcome` to a number by a **documented policy**:

  ================== ========================= ==========================================
  status             default                   configurable with
  ================== ========================= ==========================================
  ``ok``             the score                 (fixed)
  ``not_applicable`` ``None`` (TRL: NaN, the   (fixed)
                     row is left out of this
                     reward's mean and sum)
  ``unparseable``    ``"score"``: the outcome's ``on_unparseable``
                     score (usually the
                     reward's minimum)
  ``timeout``        ``None``                  ``on_timeout``
  ``error``          ``None``                  ``on_error``
  ================== ========================= ==========================================

  A policy is a finite float (that value), ``None`` (not applicable: the sample
  costs only itself), ``"score"`` (the outcome's own score, ``None`` if it has
  none) or ``"min"`` (the reward's declared minimum, ``None`` if undeclared);
* logs, through TRL's ``log_metric``, the count of each status per reward and
  batch as ``rewardkit/<name>/<status>`` (all five keys every call, so ranks
  agree), and through ``log_extra`` each sample's ``"status: reason"`` as the
  completions-table column ``rewardkit/<name>``. A run whose verifier is broken
  shows it at step 1 instead of as a flat reward curve;
* returns exactly ``len(completions)`` Python floats or ``None``; it never raises
  for anything a reward does.

Each adapter is a picklable callable object with its own **unique** ``__name__``
(TRL's metric key ``rewards/<name>/mean``; TRL does not de-duplicate names).
With TRL >= 1.9 (which detects ``async def __call__`` on instances) the
adapters are asynchronous: TRL gathers them on its reward event loop and the
engine scores in a worker thread, so the loop is never blocked. With older TRL,
or ``asynchronous=False``, they are plain synchronous callables.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..contract._policy import (
    OutcomePolicy,
    Policy,
)  # the policy lives in the core; kept importable here
from . import _lint

# The adapter's parts live in modules of their own (one job each); what users and
# the other adapters import from here stays importable (``X as X``).
from ._trl_adapters import AsyncTRLReward as AsyncTRLReward
from ._trl_adapters import TRLReward as TRLReward
from ._trl_adapters import _Adapter as _Adapter
from ._trl_adapters import _describe as _describe
from ._trl_entries import RewardInput as RewardInput
from ._trl_entries import RewardLike as RewardLike
from ._trl_entries import _clean_name as _clean_name
from ._trl_entries import _entries as _entries
from ._trl_entries import _Entry as _Entry
from ._trl_entries import resolve as resolve
from ._trl_group import _Group as _Group
from ._trl_group import _ScorerLike as _ScorerLike
from ._trl_group import _Slot as _Slot
from ._trl_rows import TRAINER_KWARGS as TRAINER_KWARGS
from ._trl_rows import _state_of as _state_of
from ._trl_rows import build_rows as build_rows

if TYPE_CHECKING:
    from ..engine import Scorer

__all__ = [
    "AsyncTRLReward",
    "OutcomePolicy",
    "Policy",
    "TRLReward",
    "reward_weights",
    "to_trl",
    "trl_supports_async",
]

#: Metric and completions-table prefix.
DEFAULT_PREFIX = "rewardkit"
#: First TRL release that detects ``async def __call__`` on callable instances (trl#6313).
ASYNC_INSTANCE_TRL = (1, 9)


# -- TRL version -------------------------------------------------------------------------------


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def trl_supports_async() -> bool:
    """Whether the installed TRL awaits ``async def __call__`` reward objects (TRL >= 1.9)."""
    try:
        version = importlib.metadata.version("trl")
    except importlib.metadata.PackageNotFoundError:
        return False
    return _version_tuple(version) >= ASYNC_INSTANCE_TRL


# -- public API --------------------------------------------------------------------------------


def to_trl(
    rewards: RewardInput | Sequence[RewardInput] | Mapping[str, RewardInput],
    *,
    on_error: Policy = None,
    on_timeout: Policy = None,
    on_unparseable: Policy = "score",
    scorer: Scorer | Mapping[str, Any] | None = None,
    log_reasons: bool = True,
    split: bool = False,
    asynchronous: bool | None = None,
    dataset: Any = None,
    probe: Sequence[Mapping[str, Any]] | None = None,
    weights: Sequence[float] | None = None,
    lint: bool = True,
    metric_prefix: str = DEFAULT_PREFIX,
    columns: Mapping[str, str] | None = None,
) -> list[TRLReward | AsyncTRLReward]:
    """Adapt rewards to TRL's reward-function contract (see the module docstring).

    Args:
        rewards: one reward or several: :class:`~rewardkit.Reward` objects, composites,
            registered names with options (``"xml_format(mode=strict)"``), formulas
            (``"0.7*think_format + 0.3*unique_chars"``), references
            (``"my_pkg.rewards:fn"``), or plain functions (wrapped with ``@reward``).
            A mapping ``{name: reward}`` sets the TRL names explicitly.
        on_error / on_timeout / on_unparseable: the value policy for those statuses.
        scorer: engine options for the shared :class:`~rewardkit.engine.Scorer`
            (``{"timeout": 5, "workers": 8}``), or a Scorer built over the same rewards.
        log_reasons: log each sample's status and reason to the completions table.
        split: expand a top-level weighted sum (``"0.7*a + 0.3*b"``) into one
            adapter per term, each with its weight in ``.weight`` (use
            :func:`reward_weights`), so TRL logs every term. A term that fails
            then costs only that term, not the whole sum; a constant bias is
            dropped (it does not change group-normalised advantages).
        asynchronous: ``True`` for ``async def __call__`` adapters, ``False`` for
            sync ones; default: async when the installed TRL is >= 1.9.
        dataset: the training dataset (or its column names): checked up front for
            columns the rewards need (a :class:`~rewardkit.trainers._lint.RewardLintWarning`).
        probe: a few rows (``prompt``, ``completion`` and columns) scored at once to
            flag rewards that are constant or fail everywhere.
        weights: the ``reward_weights`` you will give TRL, for the range lint
            (default: each adapter's ``.weight``).
        lint: run the start-up lint (missing columns, mismatched ranges, constant
            rewards on the probe batch and on the first training batch).
        metric_prefix: prefix of the ``log_metric`` / ``log_extra`` keys.
        columns: ``{reward input: dataset column}`` for inputs whose column is named
            differently in the dataset (``{"answer": "solution"}``); the same mapping as
            ``rewardkit score --map answer=solution``.

    Plain TRL reward functions (``f(prompts, completions, **kwargs)``) are accepted
    unchanged and called as TRL calls them (see :func:`rewardkit.from_trl`).

    Returns:
        One callable per reward, in order, for ``GRPOTrainer(reward_funcs=...)``.

    Raises:
        ValueError: a bad policy value, or no reward given.
        rewardkit.FormulaError / rewardkit.UnknownRewardError: a reward that cannot be resolved.
        rewardkit.MissingColumnError: at the first training batch, when the data
            lacks a column a reward requires (every sample would error otherwise).
    """
    policy = OutcomePolicy(on_error, on_timeout, on_unparseable)
    entries = _entries(rewards, split=split)
    if scorer is not None and not isinstance(scorer, Mapping):
        for method in ("score", "ascore", "bind"):
            if not callable(getattr(scorer, method, None)):
                raise TypeError(
                    f"scorer must be a rewardkit.engine.Scorer or a dict of its options, got "
                    f"{type(scorer).__name__} (no .{method}())"
                )
    group = _Group(
        entries,
        policy=policy,
        scorer=scorer,
        log_reasons=log_reasons,
        prefix=metric_prefix,
        lint=lint,
        columns=columns,
    )
    use_async = trl_supports_async() if asynchronous is None else asynchronous
    cls: type[TRLReward] | type[AsyncTRLReward] = AsyncTRLReward if use_async else TRLReward
    adapters: list[TRLReward | AsyncTRLReward] = [cls(e, group) for e in entries]
    if lint:
        pairs = [(e.name, e.reward) for e in entries]
        issues = _lint.check_ranges(
            pairs, weights if weights is not None else [e.weight for e in entries]
        )
        cols = _lint.columns_of(dataset)
        if cols is not None:
            issues += _lint.check_columns(pairs, cols)
        if probe:
            rows = [dict(r) for r in probe]
            results = group.scorer.score(rows)
            for e in entries:
                found = _lint.check_constant(e.name, [r[e.reward.key] for r in results])
                if found is not None:
                    issues.append(found)
        group.lint_issues.extend(_lint.emit(issues))
    return adapters


def reward_weights(
    adapters: Sequence[Any], weights: Mapping[str, float] | None = None
) -> list[float]:
    """``GRPOConfig(reward_weights=...)`` for ``adapters``, in order.

    Each adapter's ``.weight`` (1.0, or its term's weight under ``to_trl(split=True)``),
    overridden by ``weights[name]`` where given. Other callables in the list
    (plain TRL functions, reward-model ids) get 1.0 or their ``weights`` entry.

    Example:
        >>> funcs = to_trl("0.7*xml_format + 0.3*unique_chars", split=True, asynchronous=False)
        >>> [f.__name__ for f in funcs], reward_weights(funcs)
        (['xml_format', 'unique_chars'], [0.7, 0.3])
    """
    given = dict(weights or {})
    out: list[float] = []
    for a in adapters:
        name = getattr(a, "__name__", None) or (a if isinstance(a, str) else type(a).__name__)
        if name in given:
            out.append(float(given.pop(name)))
        else:
            out.append(float(getattr(a, "weight", 1.0)))
    if given:
        raise KeyError(f"reward_weights: no adapter named {', '.join(map(repr, given))}")
    return out
