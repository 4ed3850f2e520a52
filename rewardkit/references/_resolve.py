"""Resolving: the one function that turns anything naming a reward into a reward.

Every face goes through :func:`resolve` (the CLI's ``-r``/``--formula``, the
trainer adapters, the testing kit, the recipes, the engine's string rewards), so
a reference means the same thing everywhere and fails with the same message::

    xml_format                      a registered name           (kind "name")
    xml_format(mode='strict')       ... with options            (kind "name")
    my_pkg.rewards:my_reward        a module attribute          (kind "module")
    path/to/rewards.py:my_reward    a file, nothing installed   (kind "file")
    0.7*xml_format + 0.3*answer     a formula                   (kind "formula")
    xml_format=0.5                  a weighted reference, with ``weighted=True`` (CLI ``-r``)
    a Reward / Composite / function                             ("reward", "composite", "callable")

Errors, one set for all faces:

* :class:`UnknownRewardError` -- a name nobody registered (with close-name suggestions);
* :class:`RewardSpecError` -- a malformed reference, a module or file that cannot be
  imported, a missing attribute (listing the rewards that are there), a non-reward;
* :class:`FormulaError` -- a formula that is not allowed or names an unknown reward;
* :class:`TypeError` -- something that is neither a reference, a reward nor a function.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ..compose._composite import Composite, WeightedSum
from ..compose._formula import FORMULA_FUNCTIONS, MAX_FORMULA_CHARS, parse_formula
from ..contract._errors import RewardSpecError
from ..contract._native import from_trl, looks_trl_native
from ..contract._reward import Reward
from ..registry._registry import get
from ._refs import load_file_module, parse_reference

__all__ = ["Reference", "ResolvedReward", "resolve", "resolve_reference", "split_weight"]

RewardLike: TypeAlias = Reward | Composite
#: Anything :func:`resolve` accepts.
Reference: TypeAlias = "str | Reward | Composite | Callable[..., Any] | ResolvedReward"
Kind = Literal["name", "module", "file", "formula", "reward", "composite", "callable"]


@dataclass(frozen=True)
class ResolvedReward:
    """A reward ready to score, with what the faces need to know about it.

    Attributes:
        reward: the :class:`Reward` or :class:`Composite` to score.
        weight: the weight given as ``NAME=W`` (1.0 otherwise).
        kind: which form the reference had (see the module docstring).
        source: the reference as given (text), or the object's key.
    """

    reward: RewardLike
    weight: float = 1.0
    kind: Kind = "reward"
    source: str = ""

    @property
    def key(self) -> str:
        """Metric key: name plus non-default options (``xml_format(mode='strict')``)."""
        return self.reward.key

    @property
    def range(self) -> tuple[float | None, float | None]:
        """Declared (or, for a composite, derived) score range; ``None`` ends are unbounded."""
        return self.reward.range

    @property
    def version(self) -> str | None:
        """The reward's declared version (``None`` for a composite: see its leaves)."""
        return self.reward.version if isinstance(self.reward, Reward) else None

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the reward's signature reads from a row (required and optional)."""
        return self.reward.columns

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns a row must have, or the reward fails with :class:`MissingColumnError`."""
        return self.reward.required_columns

    def leaves(self) -> list[Reward]:
        """The plain rewards that are actually called."""
        return self.reward.leaves()


_WEIGHT_RE = re.compile(r"^(?P<ref>.*[^=\s])\s*=\s*(?P<w>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$")


def split_weight(spec: str) -> tuple[str, float]:
    """Split ``NAME[=WEIGHT]``; an ``=`` inside ``name(opt=v)`` belongs to the options."""
    m = _WEIGHT_RE.match(spec.strip())
    if m and m.group("ref").count("(") == m.group("ref").count(")"):
        return m.group("ref"), float(m.group("w"))
    return spec.strip(), 1.0


def resolve(
    ref: Reference,
    *,
    rewards: Mapping[str, RewardLike] | None = None,
    weighted: bool = False,
    name: str | None = None,
) -> ResolvedReward:
    """Resolve any reward reference (see the module docstring) into a :class:`ResolvedReward`.

    Args:
        ref: a reference string, a formula, a Reward, a Composite or a plain function
            (wrapped as a Reward, not registered).
        rewards: extra names (e.g. from ``--import``) consulted before the registry.
        weighted: read a trailing ``=W`` as the weight (the CLI's ``-r NAME=W``).
        name: metric name of the result (as :func:`rewardkit.parse_formula`'s ``name``).

    Raises:
        UnknownRewardError, RewardSpecError, FormulaError, TypeError: see the module docstring.

    Example:
        >>> resolve("xml_format(mode=strict)=0.5", weighted=True).weight
        0.5
    """
    if isinstance(ref, ResolvedReward):
        return ref
    if isinstance(ref, Reward):
        return ResolvedReward(_named(ref, name), 1.0, "reward", ref.key)
    if isinstance(ref, Composite):
        return ResolvedReward(_named(ref, name), 1.0, "composite", ref.key)
    if isinstance(ref, str):
        text, weight = split_weight(ref) if weighted else (ref.strip(), 1.0)
        kind = _kind(text)
        if kind == "formula":
            return ResolvedReward(parse_formula(text, rewards, name=name), weight, kind, ref)
        return ResolvedReward(_named(_reference(text, rewards), name), weight, kind, ref)
    if callable(ref):
        return ResolvedReward(_named(_wrap_function(ref), name), 1.0, "callable", repr(ref))
    raise TypeError(
        f"expected a reward, a reward name, a reference such as 'pkg.mod:fn', a formula or a "
        f"function; got {type(ref).__name__} {ref!r}"
    )


def resolve_reference(text: str) -> Reward:
    """Resolve a reference *to one reward* (a name, ``pkg.mod:fn`` or ``file.py:fn``).

    Unlike :func:`resolve`, a formula is not accepted: its text is read as a name.
    """
    return _reference(text, None)


def _kind(text: str) -> Kind:
    """Which form a reference string has, without importing or looking anything up."""
    target = text.split("(", 1)[0].strip()
    if ":" in target:
        where = target.rpartition(":")[0]
        return "file" if _is_file(where) else "module"
    if len(text) > MAX_FORMULA_CHARS:
        return "formula"  # parse_formula rejects it with the length limit
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return "formula"  # parse_formula names what is wrong
    if isinstance(node, ast.Name):
        return "name"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id not in FORMULA_FUNCTIONS
        and not node.args
    ):
        return "name"
    return "formula"


def _is_file(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where


def _reference(text: str, rewards: Mapping[str, RewardLike] | None) -> Reward:
    if len(text) > MAX_FORMULA_CHARS:
        raise RewardSpecError(text[:80] + "...", f"longer than {MAX_FORMULA_CHARS} characters")
    target, options = parse_reference(text)
    if ":" not in target:
        extra = rewards.get(target) if rewards is not None else None
        if isinstance(extra, Reward):
            return extra.configure(**options) if options else extra
        return get(target, **options)
    where, _, attr = target.rpartition(":")
    if _is_file(where):
        module = load_file_module(where)
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise RewardSpecError(text, f"cannot import module {where!r}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n in vars(module) if isinstance(vars(module)[n], Reward))
            raise RewardSpecError(
                text,
                f"{where!r} has no attribute {attr!r}; rewards there: {', '.join(names) or 'none'}",
            )
        obj = getattr(obj, part)
    if not isinstance(obj, Reward):
        if not callable(obj):
            raise RewardSpecError(text, f"{attr!r} is {type(obj).__name__}, not a reward")
        obj = _wrap_function(obj)
    result: Reward = obj.configure(**options) if options else obj
    return result


def _wrap_function(fn: Any) -> Reward:
    """A plain function as a Reward: TRL's ``f(prompts, completions, **kwargs)`` contract
    when it takes ``completions``, rewardkit's per-sample injection otherwise."""
    if looks_trl_native(fn):
        return from_trl(fn)
    return Reward(fn)


def _named(value: RewardLike, name: str | None) -> RewardLike:
    """Give the result a metric name, as ``parse_formula(..., name=)`` does."""
    if name is None:
        return value
    if isinstance(value, Reward):
        return WeightedSum([(1.0, value)], name=name)
    value.name = name
    return value
