"""TRL-native reward functions, called exactly as TRL calls them.

TRL's reward contract is ``f(prompts, completions, completion_ids, **kwargs) -> list``:
one call per batch, the completions as TRL has them (strings, or lists of chat
messages for conversational data, so ``completions[i][0]["content"]`` works), every
other dataset column as a list in ``kwargs``, ``None`` for "not applicable". Users
already have such functions; rewardkit runs them unchanged (offline with
``rewardkit score --import``, under the engine's timeouts, and through
:func:`~rewardkit.trainers.to_trl`) rather than asking for a rewrite.

:func:`from_trl` wraps one; :func:`looks_trl_native` is how the resolver recognises one
(a parameter named ``completions``). ``columns`` maps the function's parameter names
to differently named data columns (``{"solution": "answer"}``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._definition import _defined_at, _first_line
from ._reward import Reward

__all__ = ["TRLNative", "from_trl", "looks_trl_native"]

#: Names TRL passes itself; never read from a data column.
_TRL_ARGS = frozenset({"prompts", "completions", "completion_ids"})
#: Keyword arguments TRL adds that offline scoring has no value for.
_TRAINER_ARGS = frozenset({"trainer_state", "log_extra", "log_metric"})
#: Row keys that are not dataset columns in TRL's sense.
_ROW_ONLY = frozenset({"prompt", "completion", "completion_ids"})


def looks_trl_native(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` follows TRL's contract: it takes ``completions`` (plural) by name."""
    if isinstance(fn, Reward):
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "completions" in params


class TRLNative:
    """Calls a TRL reward function with TRL's arguments built from a batch of rows.

    A module-level class (not a closure) so it pickles; the wrapped function travels by
    reference when importable, by value otherwise.
    """

    def __init__(self, fn: Callable[..., Any], columns: Mapping[str, str] | None = None) -> None:
        self.fn = fn
        self.columns = dict(columns or {})
        params = inspect.signature(fn).parameters
        self._takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
        self._named = frozenset(
            n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )
        #: data columns the function cannot do without (named, no default)
        self.required: tuple[str, ...] = tuple(
            self.columns.get(n, n)
            for n, p in params.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.default is p.empty
            and n not in _TRL_ARGS
            and n not in _TRAINER_ARGS
        )
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)

    def _wants(self, name: str) -> bool:
        return self._takes_all or name in self._named

    def __call__(self, row: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Any:
        if isinstance(row, Mapping):  # one sample at a time: call with lists of one
            result = self._call([row])
            if not isinstance(result, (list, tuple)) or len(result) != 1:
                raise TypeError(
                    f"{self.__name__} returned {type(result).__name__} for one completion; "
                    "a TRL reward function returns a list with one score per completion"
                )
            return result[0]
        return self._call(row)

    def _call(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        kwargs: dict[str, Any] = {}
        if self._wants("prompts"):
            kwargs["prompts"] = [r.get("prompt") for r in rows]
        kwargs["completions"] = [r["completion"] for r in rows]
        if self._wants("completion_ids"):
            kwargs["completion_ids"] = [r.get("completion_ids") for r in rows]
        keys: dict[str, None] = {}
        for r in rows:
            keys.update(dict.fromkeys(r))
        for key in keys:
            if key in _ROW_ONLY or key in kwargs:
                continue
            if self._wants(key):
                kwargs[key] = [r.get(key) for r in rows]
        for param, column in self.columns.items():
            if self._wants(param):
                kwargs[param] = [r.get(column) for r in rows]
        for name in _TRAINER_ARGS:
            if name in self._named:
                kwargs.setdefault(name, None)
        result = self.fn(**kwargs)
        if isinstance(result, tuple):
            result = list(result)
        return result

    def __repr__(self) -> str:
        return f"<TRL reward {self.__name__}>"


def from_trl(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    range: tuple[float | None, float | None] = (None, None),
    batch: bool = False,
    cheap: bool = False,
) -> Reward:
    """Wrap a TRL reward function ``f(prompts, completions, **kwargs)`` as a Reward.

    By default the function is called with lists of one completion, so a completion
    that makes it hang or crash costs that sample (and the timeout), never the batch;
    scores are identical for any function that scores each completion on its own, as
    TRL's and the seed notebooks' do. ``batch=True`` passes the whole batch in one call,
    for functions that compare completions with each other.

    Args:
        fn: the TRL-style function, unchanged.
        name: metric name (default: the function's ``__name__``).
        columns: ``{parameter: data column}`` for parameters whose column is named
            differently in the data.
        range: the scores' range, if known (used by validation and plots).
        batch: call once per batch instead of once per completion.
        cheap: the function is pure and fast (a regex, a string compare): the engine may
            run it inline, without a worker process.

    Example:
        >>> def is_short(completions, **kwargs):
        ...     return [1.0 if len(c) < 5 else 0.0 for c in completions]
        >>> from_trl(is_short).score_batch([{"completion": "ok"}, {"completion": "too long"}])[1].score
        0.0
    """
    wrapper = TRLNative(fn, columns)
    rw = Reward(
        wrapper,
        name=name or wrapper.__name__,
        batched=batch,
        cheap=cheap,
        range=range,
        description=_first_line(fn),
    )
    rw.defined_at = _defined_at(fn)
    rw.required_columns = tuple(dict.fromkeys((*rw.required_columns, *wrapper.required)))
    return rw
