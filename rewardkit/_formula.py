"""Reward formulas for configs and the command line.

``"0.7*think_format + 0.3*unique_chars"`` or
``"gate(xml_format(mode=strict), number_match) + 0.1*xml_count"``.

A formula is configuration text, not model output, but it may come from a
shared YAML file, so it is still treated as untrusted: it is checked against an
allow-list of syntax (numbers, names, ``+ - * /``, calls of allowed names with
literal keyword options), then compiled with RestrictedPython and evaluated
with no builtins and guards that refuse attribute, item and iteration access.
Names resolve only to registered rewards (or ones passed in) and a handful of
combinators. RestrictedPython here is a *policy layer*, never a security
boundary for running untrusted code — that is the sandbox's job.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ._compose import (
    Composite,
    RewardLike,
    _add,
    _mul,
    _neg,
    _number,
    clip,
    gate,
    maximum,
    minimum,
    route,
    scale,
    threshold,
)
from ._errors import FormulaError, RewardkitError
from ._reward import Reward

__all__ = ["FORMULA_FUNCTIONS", "parse_formula"]

MAX_FORMULA_CHARS = 4000

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Call,
    ast.keyword,
)


class _Term:
    """A formula name bound to a reward: call it to configure, use it in arithmetic."""

    __slots__ = ("reward",)

    def __init__(self, rw: RewardLike) -> None:
        self.reward = rw

    def __call__(self, **options: Any) -> _Term:
        if not isinstance(self.reward, Reward):
            raise FormulaError("", f"{self.reward.key!r} takes no options")
        return _Term(self.reward.configure(**options))

    def __add__(self, o: Any) -> _Term:
        return _Term(_add(self.reward, _unwrap(o)))

    def __radd__(self, o: Any) -> _Term:
        return _Term(_add(_unwrap(o), self.reward))

    def __sub__(self, o: Any) -> _Term:
        return _Term(_add(self.reward, _neg(_unwrap(o))))

    def __rsub__(self, o: Any) -> _Term:
        return _Term(_add(_unwrap(o), _neg(self.reward)))

    def __mul__(self, k: Any) -> _Term:
        return _Term(_mul(self.reward, _unwrap_number(k)))

    __rmul__ = __mul__

    def __truediv__(self, k: Any) -> _Term:
        return _Term(_mul(self.reward, 1.0 / _unwrap_number(k)))

    def __neg__(self) -> _Term:
        return _Term(_mul(self.reward, -1.0))

    def __pos__(self) -> _Term:
        return self


def _unwrap(x: Any) -> Any:
    return x.reward if isinstance(x, _Term) else x


def _unwrap_number(k: Any) -> float:
    if isinstance(k, _Term):
        raise TypeError("two rewards cannot be multiplied; weights must be numbers")
    return _number(k)


def _wrap_fn(fn: Callable[..., Any]) -> Callable[..., _Term]:
    def call(*args: Any, **kwargs: Any) -> _Term:
        return _Term(fn(*(_unwrap(a) for a in args), **{k: _unwrap(v) for k, v in kwargs.items()}))

    call.__name__ = getattr(fn, "__name__", "fn")
    return call


def _route(by: str, default: Any = None, **table: Any) -> Composite:
    return route(by, {k: _unwrap(v) for k, v in table.items()}, default=_unwrap(default))


#: Combinators a formula may call, by name.
FORMULA_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": minimum,
    "max": maximum,
    "clip": clip,
    "gate": gate,
    "threshold": threshold,
    "scale": scale,
    "route": _route,
}


def _deny(*_a: Any, **_k: Any) -> NoReturn:
    raise FormulaError("", "attribute, item and iteration access are not allowed in formulas")


def _check_syntax(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(text, f"syntax error at column {exc.offset}: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(
                text,
                f"{type(node).__name__} is not allowed (only numbers, reward names, + - * / "
                f"and calls of {', '.join(sorted(FORMULA_FUNCTIONS))} or reward(option=value))",
            )
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise FormulaError(text, f"name {node.id!r} is not allowed (leading underscore)")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            raise FormulaError(text, "only named rewards and combinators can be called")
        if isinstance(node, ast.keyword) and node.arg is None:
            raise FormulaError(text, "** is not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
            raise FormulaError(text, f"constant {node.value!r} is not allowed")
    return tree


def parse_formula(
    text: str,
    rewards: Mapping[str, RewardLike] | None = None,
    *,
    name: str | None = None,
) -> RewardLike:
    """Build a composite reward from a formula string.

    Args:
        text: the formula.
        rewards: extra names (e.g. a user's module) consulted before the registry.
        name: metric name of the result (default: the normalised formula).

    Raises:
        FormulaError: with the reason (disallowed syntax, unknown name, bad option).

    Example:
        >>> parse_formula("0.7*think_format + 0.3*unique_chars").name
        '0.7*think_format+0.3*unique_chars'
    """
    from RestrictedPython import compile_restricted_eval  # type: ignore[attr-defined]

    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(text[:80] + "...", f"longer than {MAX_FORMULA_CHARS} characters")
    tree = _check_syntax(text)
    # A bare word as an option value is a string: xml_format(mode=strict).
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Name):
            node.value = ast.Constant(node.value.id)
    source = ast.unparse(tree)
    result = compile_restricted_eval(source, "<formula>")
    if result.errors or result.code is None:
        raise FormulaError(text, "; ".join(result.errors) or "RestrictedPython refused it")

    from ._registry import get

    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or node.id in names:
            continue
        if node.id in FORMULA_FUNCTIONS:
            fn = FORMULA_FUNCTIONS[node.id]
            names[node.id] = _route if node.id == "route" else _wrap_fn(fn)
            continue
        if rewards is not None and node.id in rewards:
            names[node.id] = _Term(rewards[node.id])
            continue
        try:
            names[node.id] = _Term(get(node.id))
        except RewardkitError as exc:
            raise FormulaError(text, str(exc)) from exc
    glb: dict[str, Any] = {
        "__builtins__": {},
        "_getattr_": _deny,
        "_getitem_": _deny,
        "_getiter_": _deny,
        "_write_": _deny,
        **names,
    }
    try:
        value = eval(result.code, glb, {})  # restricted bytecode over an allow-listed AST
    except FormulaError as exc:
        raise FormulaError(text, exc.reason) from exc
    except (RewardkitError, TypeError, ValueError) as exc:
        raise FormulaError(text, str(exc)) from exc
    value = _unwrap(value)
    if not isinstance(value, (Reward, Composite)):
        raise FormulaError(text, "the formula does not mention any reward")
    if name is not None:
        if isinstance(value, Reward):
            from ._compose import WeightedSum

            value = WeightedSum([(1.0, value)], name=name)
        else:
            value.name = name
    built: RewardLike = value
    return built
