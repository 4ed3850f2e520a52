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

import asyncio
import importlib.metadata
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from .._provenance import stamp
from ..compose._composite import Composite, WeightedSum
from ..contract._outcome import Outcome, Status
from ..contract._policy import (
    OutcomePolicy,
    Policy,
)  # the policy lives in the core; kept importable here
from ..contract._reward import Reward
from ..references._resolve import resolve as _resolve
from . import _lint

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

RewardLike: TypeAlias = Reward | Composite
RewardInput: TypeAlias = Reward | Composite | str | Callable[..., Any]

#: Keyword arguments TRL adds next to the dataset columns; never treated as columns.
TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments"})
#: Metric and completions-table prefix.
DEFAULT_PREFIX = "rewardkit"
#: First TRL release that detects ``async def __call__`` on callable instances (trl#6313).
ASYNC_INSTANCE_TRL = (1, 9)

_STATUSES = tuple(Status)
_STATUS_TEXT = {s: s.value for s in Status}
_NAME_RE = re.compile(r"[^A-Za-z0-9_.\-]+")


class _ScorerLike(Protocol):
    def bind(self, columns: Collection[str], *, where: str | None = None) -> None: ...

    def score(
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]: ...

    async def ascore(
        self, rows: Sequence[Mapping[str, Any]], *, state: Mapping[str, Any] | None = None
    ) -> list[dict[str, Outcome]]: ...

    def close(self) -> None: ...


# -- policy ---------------------------------------------------------------------------------


# -- resolving what the user passed ------------------------------------------------------------


def resolve(item: RewardInput) -> RewardLike:
    """Turn a name, reference, formula, function or reward into a Reward or Composite.

    A thin alias of :func:`rewardkit.resolve` (one resolver, one set of errors).
    """
    return _resolve(item).reward


def _clean_name(text: str) -> str:
    """A metric-safe, readable name: ``xml_format(mode='strict')`` -> ``xml_format_mode_strict``."""
    name = _NAME_RE.sub("_", text.replace("*", "_")).strip("_.-")
    return re.sub(r"_+", "_", name) or "reward"


@dataclass(slots=True)
class _Entry:
    name: str
    reward: RewardLike
    weight: float = 1.0


def _entries(rewards: Any, *, split: bool) -> list[_Entry]:
    items: list[tuple[str | None, Any]]
    if isinstance(rewards, Mapping):
        items = [(str(k), v) for k, v in rewards.items()]
    elif isinstance(rewards, (str, Reward, Composite)) or callable(rewards):
        items = [(None, rewards)]
    else:
        items = [(None, r) for r in rewards]
    out: list[_Entry] = []
    for given, item in items:
        rw = resolve(item)
        if split and given is None and isinstance(rw, WeightedSum):
            out.extend(_Entry(_clean_name(t.key), t, w) for w, t in rw.terms)
            continue
        out.append(_Entry(_clean_name(given) if given else _clean_name(rw.key), rw))
    if not out:
        raise ValueError("to_trl() needs at least one reward")
    taken: dict[str, int] = {}
    for e in out:
        base = e.name
        if base in taken:
            taken[base] += 1
            e.name = f"{base}_{taken[base]}"
            while e.name in taken:
                taken[base] += 1
                e.name = f"{base}_{taken[base]}"
        taken.setdefault(e.name, 1)
    return out


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


# -- the shared group: one Scorer, one scoring pass per batch ------------------------------------


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


def _state_of(trainer_state: Any) -> dict[str, Any]:
    if trainer_state is None:
        return {}
    if isinstance(trainer_state, Mapping):
        return dict(trainer_state)
    state: dict[str, Any] = {}
    for attr in ("global_step", "max_steps", "epoch", "num_train_epochs"):
        value = getattr(trainer_state, attr, None)
        if value is not None:
            state[attr] = value
    return state


def build_rows(
    prompts: Any,
    completions: Sequence[Any],
    completion_ids: Any,
    kwargs: Mapping[str, Any],
    columns: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per completion from TRL's keyword arguments, plus the trainer state mapping.

    ``columns`` maps a reward input to the dataset column that feeds it
    (``{"answer": "solution"}``): the row gets ``answer`` from ``solution``.
    """
    n = len(completions)
    per_column: list[tuple[str, Any, bool]] = []
    for key, value in kwargs.items():
        if key in TRAINER_KWARGS:
            continue
        per_row = isinstance(value, (list, tuple)) and len(value) == n
        per_column.append((key, value, per_row))
    rows: list[dict[str, Any]] = []
    has_prompts = prompts is not None and len(prompts) == n
    has_ids = completion_ids is not None and len(completion_ids) == n
    for i in range(n):
        row: dict[str, Any] = {"completion": completions[i]}
        if has_prompts:
            row["prompt"] = prompts[i]
        if has_ids:
            row["completion_ids"] = completion_ids[i]
        for key, value, per_row in per_column:
            row[key] = value[i] if per_row else value
        if columns:
            for field, col in columns.items():
                if col in row:
                    row[field] = row[col]
        rows.append(row)
    return rows, _state_of(kwargs.get("trainer_state"))


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
