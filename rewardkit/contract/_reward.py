"""The ``@reward`` decorator and the :class:`Reward` object it returns.

A reward is written once as a plain function that names only what it needs::

    @reward(range=(0, 1))
    def exact(completion: str, answer: str, *, ignore_case: bool = True) -> float:
        ...

* Positional-or-keyword parameters are *inputs*, injected per sample:
  ``completion`` (a :class:`~rewardkit.Completion`), ``prompt``, ``state``
  (trainer state such as the step), ``row`` (the whole sample) or any dataset
  column. A parameter with a default is an optional column.
* Keyword-only parameters (after ``*``) are *options*: configuration fixed for a
  run, set with :meth:`Reward.configure` or the ``name(key=value)`` syntax.
* ``**kwargs`` receives every column, as in TRL's reward contract.

The decorator reads the signature once and rejects impossible definitions at
decoration time, so a mistake never surfaces on sample 1,000 of a training run.
Calling the returned object runs the plain function (handy in a REPL); scoring
goes through :meth:`Reward.score`, which injects inputs and validates outputs.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from ._call import (
    _PLAIN_RETURNS,
    CompletionViews,
    _completion_of,
    _exception_outcome,
    _missing_outcome,
    run_coroutine_blocking,
)
from ._completion import Completion
from ._definition import _check_option_type, _check_range, _defined_at, _first_line
from ._errors import MissingColumnError, RewardDefinitionError
from ._marks import _mark
from ._outcome import Outcome
from ._validate import validate_batch, validate_one

__all__ = ["Reward", "reward"]

#: Inputs that do not come from a dataset column.
SPECIAL_INPUTS = frozenset({"state", "row"})
#: Batched rewards may use TRL's plural names for the two standard inputs.
_PLURAL = {"completions": "completion", "prompts": "prompt"}

F = TypeVar("F", bound=Callable[..., Any])


class Reward:
    """A reward function plus its metadata; the unit the engine and adapters run.

    Build one with :func:`reward`. Instances are immutable in practice:
    :meth:`configure` returns a new object.
    """

    __slots__ = (
        "fn",
        "name",
        "version",
        "range",
        "description",
        "batched",
        "is_async",
        "cheap",
        "options",
        "inputs",
        "required_columns",
        "optional_columns",
        "takes_all_columns",
        "option_defaults",
        "option_types",
        "input_defaults",
        "provider",
        "defined_at",
        "_key_cache",
        "_plan",
        "__weakref__",
    )

    fn: Callable[..., Any]
    name: str
    version: str
    range: tuple[float | None, float | None]
    description: str
    batched: bool
    is_async: bool
    cheap: bool
    options: dict[str, Any]
    inputs: tuple[str, ...]
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    takes_all_columns: bool
    option_defaults: dict[str, Any]
    option_types: dict[str, Any]
    input_defaults: dict[str, Any]
    provider: str
    defined_at: str
    _key_cache: str | None
    #: per input, precomputed: (parameter name, kind, column, default) (see _read_signature)
    _plan: tuple[tuple[str, int, str, Any], ...]

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        version: str = "1",
        range: tuple[float | None, float | None] = (None, None),
        description: str | None = None,
        batched: bool = False,
        cheap: bool = False,
    ) -> None:
        if not callable(fn):
            raise RewardDefinitionError(f"@reward needs a function, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or type(fn).__name__
        if not self.name.isidentifier():
            raise RewardDefinitionError(
                f"reward name {self.name!r} must be a Python identifier (it is a metric key "
                "and a formula name)",
                reward=self.name,
            )
        self.version = str(version)
        self.range = _check_range(self.name, range)
        self.description = description if description is not None else _first_line(fn)
        self.batched = batched
        self.is_async = inspect.iscoroutinefunction(fn) or (
            not inspect.isroutine(fn) and inspect.iscoroutinefunction(type(fn).__call__)
        )
        self.cheap = cheap
        self.provider = "user"
        self.defined_at = _defined_at(fn)
        self._key_cache = None
        self._read_signature()
        self.options = dict(self.option_defaults)

    # -- definition ------------------------------------------------------------
    def _read_signature(self) -> None:
        try:
            sig = inspect.signature(self.fn)
        except (TypeError, ValueError) as exc:
            raise RewardDefinitionError(
                f"reward {self.name!r}: cannot read the signature: {exc}", reward=self.name
            ) from exc
        try:
            hints = typing.get_type_hints(self.fn)
        except Exception:
            hints = {}
        inputs: list[str] = []
        required: list[str] = []
        optional: list[str] = []
        defaults: dict[str, Any] = {}
        types: dict[str, Any] = {}
        input_defaults: dict[str, Any] = {}
        takes_all = False
        for p in sig.parameters.values():
            if p.kind is p.POSITIONAL_ONLY:
                raise RewardDefinitionError(
                    f"reward {self.name!r} ({self.defined_at}): parameter {p.name!r} is "
                    "positional-only; inputs are passed by name",
                    reward=self.name,
                )
            if p.kind is p.VAR_POSITIONAL:
                raise RewardDefinitionError(
                    f"reward {self.name!r} ({self.defined_at}): *{p.name} is not supported; "
                    "name the inputs you need",
                    reward=self.name,
                )
            if p.kind is p.VAR_KEYWORD:
                takes_all = True
                continue
            if p.kind is p.KEYWORD_ONLY:
                if p.default is p.empty:
                    raise RewardDefinitionError(
                        f"reward {self.name!r} ({self.defined_at}): option {p.name!r} needs a "
                        "default (keyword-only parameters are options)",
                        reward=self.name,
                    )
                defaults[p.name] = p.default
                types[p.name] = hints.get(p.name, Any)
                continue
            column = _PLURAL.get(p.name, p.name) if self.batched else p.name
            inputs.append(p.name)
            if column in SPECIAL_INPUTS:
                continue
            if p.default is p.empty:
                required.append(column)
            else:
                optional.append(column)
                input_defaults[column] = p.default
        self.inputs = tuple(inputs)
        plan: list[tuple[str, int, str, Any]] = []
        for name in inputs:
            column = _PLURAL.get(name, name) if self.batched else name
            if column == "state":
                plan.append((name, _K_STATE, column, None))
            elif column == "row":
                plan.append((name, _K_ROW, column, None))
            elif column == "completion":
                plan.append((name, _K_COMPLETION, column, None))
            else:
                plan.append((name, _K_COLUMN, column, input_defaults.get(column, _NO_DEFAULT)))
        self._plan = tuple(plan)
        self.required_columns = tuple(required)
        self.optional_columns = tuple(optional)
        self.takes_all_columns = takes_all
        self.option_defaults = defaults
        self.option_types = types
        self.input_defaults = input_defaults

    def configure(self, **options: Any) -> Reward:
        """Return a copy with some options changed; unknown or ill-typed options raise.

        Example:
            >>> from rewardkit import get
            >>> get("xml_format").configure(mode="strict").options["mode"]
            'strict'
        """
        checked: dict[str, Any] = {}
        for key, value in options.items():
            if key not in self.option_defaults:
                valid = ", ".join(sorted(self.option_defaults)) or "none"
                close = difflib.get_close_matches(key, list(self.option_defaults), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise RewardDefinitionError(
                    f"reward {self.name!r} has no option {key!r}; valid options: {valid}.{hint}",
                    reward=self.name,
                )
            checked[key] = _check_option_type(
                self.name, key, value, self.option_types.get(key, Any)
            )
        clone = object.__new__(Reward)
        for slot in Reward.__slots__:
            if slot != "__weakref__" and hasattr(self, slot):
                object.__setattr__(clone, slot, getattr(self, slot))
        clone.options = {**self.options, **checked}
        clone._key_cache = None
        return clone

    # -- identity ----------------------------------------------------------------
    @property
    def key(self) -> str:
        """Canonical reference, e.g. ``xml_format(mode='strict')``: the cache and metric identity."""
        cached: str | None = getattr(self, "_key_cache", None)
        if cached is not None:
            return cached
        changed = {k: v for k, v in self.options.items() if self.option_defaults.get(k) != v}
        key = self.name
        if changed:
            args = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items()))
            key = f"{self.name}({args})"
        self._key_cache = key  # options never change after construction: configure() copies
        return key

    @property
    def columns(self) -> tuple[str, ...]:
        """Dataset columns this reward reads (required first)."""
        return self.required_columns + self.optional_columns

    def leaves(self) -> list[Reward]:
        """The leaf rewards to evaluate (itself); composites override this."""
        return [self]

    def __repr__(self) -> str:
        return f"<Reward {self.key} v{self.version} from {self.provider}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the plain function with this reward's options filled in (no validation).

        A plain string passed as ``completion`` is wrapped in a :class:`Completion`
        first, so built-ins work the same in a REPL as under the engine.
        """
        call = {**self.options, **kwargs}
        if "completion" in self.inputs and not self.batched:
            at = self.inputs.index("completion")
            if len(args) > at:
                args = (
                    args[:at]
                    + (Completion.from_raw(args[at], prompt=call.get("prompt")),)
                    + args[at + 1 :]
                )
            elif "completion" in call:
                call["completion"] = Completion.from_raw(
                    call["completion"], prompt=call.get("prompt")
                )
        return self.fn(*args, **call)

    # -- arithmetic builds weighted sums (see rewardkit.compose) -----------------------
    def __add__(self, other: Any) -> Any:
        from ..compose._composite import _add

        return _add(self, other)

    def __radd__(self, other: Any) -> Any:
        from ..compose._composite import _add

        return _add(other, self)

    def __sub__(self, other: Any) -> Any:
        from ..compose._composite import _add, _neg

        return _add(self, _neg(other))

    def __rsub__(self, other: Any) -> Any:
        from ..compose._composite import _add, _neg

        return _add(other, _neg(self))

    def __mul__(self, k: Any) -> Any:
        from ..compose._composite import _mul

        return _mul(self, k)

    __rmul__ = __mul__

    def __truediv__(self, k: Any) -> Any:
        from ..compose._composite import _mul, _number

        return _mul(self, 1.0 / _number(k))

    def __neg__(self) -> Any:
        from ..compose._composite import _mul

        return _mul(self, -1.0)

    def __reduce__(self) -> tuple[Any, ...]:
        from ..references._refs import reduce_reward

        return reduce_reward(self)

    # -- binding -------------------------------------------------------------------
    def bind(self, columns: Collection[str], *, where: str | None = None) -> None:
        """Fail fast when the data lacks a column this reward needs.

        Raises:
            MissingColumnError: naming the reward, the missing columns and those present.
        """
        missing = [c for c in self.required_columns if c not in columns]
        if missing:
            raise MissingColumnError(
                reward=self.key,
                missing=missing,
                present=columns,
                where=where,
                defined_at=self.defined_at,
            )

    # -- scoring -----------------------------------------------------------------
    def _kwargs(
        self,
        row: Mapping[str, Any],
        state: Mapping[str, Any] | None,
        views: CompletionViews | None = None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = self.options.copy()
        if self.takes_all_columns:
            for k, v in row.items():
                kwargs.setdefault(k, v)
        for name, kind, column, default in self._plan:
            if kind == _K_COLUMN:
                if column in row:
                    kwargs[name] = row[column]
                elif default is not _NO_DEFAULT:
                    kwargs[name] = default
                else:
                    raise KeyError(column)
            elif kind == _K_COMPLETION:
                kwargs[name] = _completion_of(row, views)
            elif kind == _K_STATE:
                kwargs[name] = state if state is not None else {}
            else:
                kwargs[name] = row
        if self.takes_all_columns and "completion" in kwargs and "completion" not in self.inputs:
            kwargs["completion"] = Completion.from_raw(
                kwargs["completion"], prompt=row.get("prompt")
            )
        return kwargs

    def _input(self, name: str, row: Mapping[str, Any], state: Mapping[str, Any] | None) -> Any:
        if name == "state":
            return state if state is not None else {}
        if name == "row":
            return row
        if name == "completion":
            return Completion.from_raw(row["completion"], prompt=row.get("prompt"))
        if name in row:
            return row[name]
        if name in self.input_defaults:
            return self.input_defaults[name]
        raise KeyError(name)

    def score(
        self,
        row: Mapping[str, Any],
        *,
        state: Mapping[str, Any] | None = None,
        index: int | None = None,
    ) -> Outcome:
        """Score one sample; never raises for anything the reward does.

        Exceptions become ``Status.ERROR`` with the exception type and message;
        invalid return values become ``Status.ERROR`` naming the reward and row.
        """
        if self.batched:
            return self.score_batch([row], state=state, start=index or 0)[0]
        return self._score_one(row, state, index, None)

    def _score_one(
        self,
        row: Mapping[str, Any],
        state: Mapping[str, Any] | None,
        index: int | None,
        views: CompletionViews | None,
    ) -> Outcome:
        try:
            kwargs = self._kwargs(row, state, views)
        except KeyError as exc:
            return _missing_outcome(self, exc, row, index)
        try:
            raw = self.fn(**kwargs)
            if type(raw) not in _PLAIN_RETURNS and inspect.isawaitable(raw):
                raw = run_coroutine_blocking(raw)
        except Exception as exc:  # the contract: a raising reward costs one sample
            return _exception_outcome(self, exc, index)
        return validate_one(raw, self, index)

    def _score_rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        indices: Sequence[int],
        state: Mapping[str, Any] | None,
        views: CompletionViews | None,
    ) -> list[Outcome]:
        """:meth:`score_batch` for the engine's inline path: each row's completion view is
        taken from (or added to) ``views``, so the rewards of one batch build it once."""
        if self.batched:
            return self._score_batch(rows, state, indices[0] if indices else 0, views)
        one = self._score_one
        return [one(row, state, index, views) for row, index in zip(rows, indices, strict=True)]

    def score_batch(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        state: Mapping[str, Any] | None = None,
        start: int = 0,
    ) -> list[Outcome]:
        """Score many samples in order; a batched reward gets one call for all of them."""
        if not self.batched:
            return [self.score(r, state=state, index=start + i) for i, r in enumerate(rows)]
        return self._score_batch(rows, state, start, None)

    def _score_batch(
        self,
        rows: Sequence[Mapping[str, Any]],
        state: Mapping[str, Any] | None,
        start: int,
        views: CompletionViews | None,
    ) -> list[Outcome]:
        try:
            kwargs = self._batch_kwargs(rows, state, views)
        except KeyError as exc:
            return [_missing_outcome(self, exc, r, start + i) for i, r in enumerate(rows)]
        try:
            raw = self.fn(**kwargs)
            if inspect.isawaitable(raw):
                raw = run_coroutine_blocking(raw)
        except Exception as exc:
            err = _exception_outcome(self, exc, None)
            return [err] * len(rows)
        return validate_batch(raw, self, len(rows), start)

    async def ascore_batch(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        state: Mapping[str, Any] | None = None,
        start: int = 0,
    ) -> list[Outcome]:
        """Async variant: awaits async rewards; runs sync ones in a thread."""
        if not self.is_async:
            return await asyncio.to_thread(self.score_batch, rows, state=state, start=start)
        if self.batched:
            try:
                kwargs = self._batch_kwargs(rows, state)
            except KeyError as exc:
                return [_missing_outcome(self, exc, r, start + i) for i, r in enumerate(rows)]
            try:
                raw = await self.fn(**kwargs)
            except Exception as exc:
                return [_exception_outcome(self, exc, None)] * len(rows)
            return validate_batch(raw, self, len(rows), start)

        async def one(i: int, row: Mapping[str, Any]) -> Outcome:
            try:
                kwargs = self._kwargs(row, state)
            except KeyError as exc:
                return _missing_outcome(self, exc, row, start + i)
            try:
                raw = await self.fn(**kwargs)
            except Exception as exc:
                return _exception_outcome(self, exc, start + i)
            return validate_one(raw, self, start + i)

        return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(rows))))

    def _batch_kwargs(
        self,
        rows: Sequence[Mapping[str, Any]],
        state: Mapping[str, Any] | None,
        views: CompletionViews | None = None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = self.options.copy()
        for name, kind, column, default in self._plan:
            if kind == _K_COLUMN:
                if default is _NO_DEFAULT:
                    for r in rows:
                        if column not in r:
                            raise KeyError(column)
                    kwargs[name] = [r[column] for r in rows]
                else:
                    kwargs[name] = [r[column] if column in r else default for r in rows]
            elif kind == _K_COMPLETION:
                kwargs[name] = [_completion_of(r, views) for r in rows]
            elif kind == _K_STATE:
                kwargs[name] = state if state is not None else {}
            else:
                kwargs[name] = list(rows)
        return kwargs


#: Kinds of input in :attr:`Reward._plan`.
_K_COLUMN, _K_COMPLETION, _K_STATE, _K_ROW = 0, 1, 2, 3
#: Marks a column input without a default.
_NO_DEFAULT: Any = object()


@overload
def reward(fn: F, /) -> Reward: ...
@overload
def reward(
    fn: None = None,
    /,
    *,
    name: str | None = ...,
    version: str = ...,
    range: tuple[float | None, float | None] = ...,
    description: str | None = ...,
    batched: bool = ...,
    cheap: bool = ...,
) -> Callable[[Callable[..., Any]], Reward]: ...
def reward(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    version: str = "1",
    range: tuple[float | None, float | None] = (None, None),
    description: str | None = None,
    batched: bool = False,
    cheap: bool = False,
) -> Reward | Callable[[Callable[..., Any]], Reward]:
    """Turn a plain function into a :class:`Reward` (bare or with arguments).

    Args:
        name: registered name and metric key (default: the function name).
        version: bump it when the reward's behaviour changes; it keys the cache.
        range: declared ``(lo, hi)``; scores outside it become ``Status.ERROR``.
        description: one line for ``rewardkit list`` (default: the docstring's first line).
        batched: the function takes lists (one per input) and returns a list.
        cheap: the function is pure, bounded and fast, so the engine may run it
            inline without process isolation.

    Example:
        >>> @reward(range=(0, 1))
        ... def has_answer(completion: str) -> bool:
        ...     return "<answer>" in completion
        >>> has_answer.score({"completion": "<answer>4</answer>"}).score
        1.0
    """

    def wrap(f: Callable[..., Any]) -> Reward:
        rw = Reward(
            f,
            name=name,
            version=version,
            range=range,
            description=description,
            batched=batched,
            cheap=cheap,
        )
        _mark(rw)
        return rw

    if fn is not None:
        return wrap(fn)
    return wrap


def iter_rewards(namespace: Mapping[str, Any] | Iterable[Any]) -> list[Reward]:
    """Every :class:`Reward` among a module's attributes (or an iterable)."""
    values = namespace.values() if isinstance(namespace, Mapping) else namespace
    return [v for v in values if isinstance(v, Reward)]
