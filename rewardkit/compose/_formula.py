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

from ..contract._errors import FormulaError, RewardkitError, UnknownRewardError
from ..contract._reward import Reward
from ._compose import (
    clip,
    gate,
    maximum,
    minimum,
    route,
    scale,
    threshold,
)
from ._composite import Composite, RewardLike, _add, _mul, _neg, _number

__all__ = ["FORMULA_FUNCTIONS", "parse_formula"]

MAX_FORMULA_CHARS = 4000


class _Term:
    """A formula name bound to a reward: call it to configure, use it in arithmetic."""

    __slots__ = ("reward",)

    def __init__(self, rw: RewardLike) -> None:
        self.reward = rw

    def __call__(self, *args: Any, **options: Any) -> _Term:
        if not isinstance(self.reward, Reward):
            raise FormulaError("", f"{self.reward.key!r} takes no options")
        if args:
            raise FormulaError(
                "", f"options of {self.reward.name!r} must be given as key=value, not positionally"
            )
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


_FRIENDLY = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Pow: "the ** operator",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "an assignment expression",
    ast.Starred: "* unpacking",
    ast.JoinedStr: "an f-string",
    ast.Await: "await",
}
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_ALLOWED_HELP = (
    "a formula may use numbers, reward names, + - * / and calls of "
    + ", ".join(sorted(FORMULA_FUNCTIONS))
    + " or reward(option=value)"
)


def _refuse(text: str, node: ast.AST) -> NoReturn:
    what = _FRIENDLY.get(type(node), type(node).__name__)
    raise FormulaError(text, f"{what} is not allowed; {_ALLOWED_HELP}")


def _check_syntax(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        try:
            module = ast.parse(text, mode="exec")
        except SyntaxError:
            raise FormulaError(text, f"syntax error at column {exc.offset}: {exc.msg}") from None
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(module)):
            raise FormulaError(
                text, "imports are not allowed; a formula is one expression"
            ) from None
        raise FormulaError(
            text, "statements are not allowed; a formula is one expression"
        ) from None
    _check_expr(text, tree.body)
    return tree


def _check_name(text: str, name: str) -> None:
    if name.startswith("_"):
        raise FormulaError(text, f"name {name!r} is not allowed (leading underscore)")


def _check_expr(text: str, node: ast.expr) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(
                text,
                f"constant {node.value!r} is not allowed here (only numbers; strings "
                "and booleans may be option values)",
            )
        return
    if isinstance(node, ast.Name):
        _check_name(text, node.id)
        return
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _OPS):
            _refuse(text, node.op)
        _check_expr(text, node.left)
        _check_expr(text, node.right)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            _refuse(text, node.op)
        _check_expr(text, node.operand)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise FormulaError(text, "only named rewards and combinators can be called")
        _check_name(text, node.func.id)
        if node.args and node.func.id not in FORMULA_FUNCTIONS:
            raise FormulaError(
                text,
                f"{node.func.id!r} called with positional arguments: only "
                f"{', '.join(sorted(FORMULA_FUNCTIONS))} take arguments, and reward options "
                "must be given as key=value",
            )
        for arg in node.args:
            _check_expr(text, arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise FormulaError(text, "** is not allowed")
            _check_name(text, kw.arg)
            _check_option_value(text, kw.value)
        return
    _refuse(text, node)


def _check_option_value(text: str, node: ast.expr) -> None:
    """Keyword values: anything an expression may hold, plus strings, booleans and tuples."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool)):
        return
    if isinstance(node, (ast.Tuple, ast.List)):
        for elt in node.elts:
            if isinstance(elt, ast.Name):
                _check_name(text, elt.id)
            elif not (
                isinstance(elt, ast.Constant) and isinstance(elt.value, (str, int, float, bool))
            ):
                raise FormulaError(text, "tuple options may hold only literals and bare words")
        return
    _check_expr(text, node)


def _bare_words_to_strings(tree: ast.Expression) -> None:
    """``xml_format(mode=strict, tags=(think, answer))``: bare option words are strings.

    Keyword values of *reward* calls and ``route(by=...)`` are turned into strings;
    other combinator keywords (``route(math=math_equal)``, ``gate(..., at=0.5)``)
    keep their names, which resolve to rewards.
    """
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        combinator = node.func.id in FORMULA_FUNCTIONS
        for kw in node.keywords:
            if combinator and not (node.func.id == "route" and kw.arg == "by"):
                continue
            if isinstance(kw.value, ast.Name):
                kw.value = ast.Constant(kw.value.id)
            elif isinstance(kw.value, (ast.Tuple, ast.List)):
                kw.value = ast.Tuple(
                    [ast.Constant(e.id) if isinstance(e, ast.Name) else e for e in kw.value.elts],
                    ast.Load(),
                )


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
    _bare_words_to_strings(tree)
    source = ast.unparse(ast.fix_missing_locations(tree))
    result = compile_restricted_eval(source, "<formula>")
    if result.errors or result.code is None:
        raise FormulaError(text, "; ".join(result.errors) or "RestrictedPython refused it")

    from ..registry._registry import get

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
        except UnknownRewardError as exc:
            hint = (
                f" Did you mean {', '.join(map(repr, exc.suggestions))}?" if exc.suggestions else ""
            )
            raise FormulaError(
                text,
                f"unknown name {node.id!r}: not a registered reward nor one of the functions "
                f"{', '.join(sorted(FORMULA_FUNCTIONS))}.{hint} Run `rewardkit list` to see the "
                "rewards.",
            ) from exc
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
    except (RewardkitError, TypeError, ValueError, ArithmeticError) as exc:
        raise FormulaError(text, f"{type(exc).__name__}: {exc}") from exc
    value = _unwrap(value)
    if not isinstance(value, (Reward, Composite)):
        raise FormulaError(text, "the formula does not mention any reward")
    if name is not None:
        if isinstance(value, Reward):
            from ._composite import WeightedSum

            value = WeightedSum([(1.0, value)], name=name)
        else:
            value.name = name
    built: RewardLike = value
    return built
