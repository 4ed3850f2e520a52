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

This module holds what a reward *is* (its definition, options and identity);
reading the signature is :mod:`._signature`, injecting a row's inputs is
:mod:`._inputs`, and calling is :mod:`._call`, whose functions are bound here
as the scoring methods, so each job can be read and changed on its own.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar, overload

from . import _call, _inputs
from ._completion import Completion
from ._definition import _check_option_type, _check_range, _defined_at, _first_line
from ._errors import MissingColumnError, RewardDefinitionError
from ._marks import _mark
from ._signature import read_signature

__all__ = ["Reward", "reward"]

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
    #: per input, precomputed: (parameter name, kind, column, default) (see _signature.py)
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
        sig = read_signature(fn, name=self.name, defined_at=self.defined_at, batched=batched)
        self.inputs = sig.inputs
        self._plan = sig.plan
        self.required_columns = sig.required_columns
        self.optional_columns = sig.optional_columns
        self.takes_all_columns = sig.takes_all_columns
        self.option_defaults = sig.option_defaults
        self.option_types = sig.option_types
        self.input_defaults = sig.input_defaults
        self.options = dict(self.option_defaults)

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

    # -- scoring: injecting a row's inputs (_inputs.py), calling (_call.py) ---------------
    _kwargs = _inputs.row_kwargs
    _batch_kwargs = _inputs.batch_kwargs
    _input = _inputs.input_value
    score = _call.score
    score_batch = _call.score_batch
    ascore_batch = _call.ascore_batch
    # the engine's inline path: rows with shared Completion views
    _score_one = _call.score_one
    _score_rows = _call.score_rows
    _score_batch = _call.score_batch_views


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
