"""Turn a row's tests into sandbox steps plus parent-held checks (trusted, nothing executed).

The split is the core of the anti-reward-hacking design: literal expected values (the right-hand
side of ``assert f(x) == [1, 2]``, the ``expected`` of a call case, the expected stdout) stay in
the parent; the sandbox only evaluates the *other* operands and reports their values as plain
data; the parent applies the comparison. Statements that cannot be split (loops, helpers) run
in the sandbox with every comparison rewritten to the harness's plain-data ``safe_compare``.

Accepted shapes:

* ``["assert f(1) == 2", ...]`` or one string of test code: each statement is a step; each
  statement containing an ``assert`` is a test.
* ``{"inputs": [...], "outputs": [...]}``: stdin/stdout cases, one sandbox run per case.
* ``{"fn_name": "f", "cases": [[args, expected], ...]}`` or ``{"fn_name", "inputs",
  "outputs"}``: call cases, ``f(*args) == expected`` judged in the parent.
* ``{"test": "def check(candidate): ...", "entry_point": "f"}``: HumanEval style.
* A JSON string of one of the dicts above (APPS ``input_output``).
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _codec
from ._errors import TestFormatError

_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}  # fmt: skip
_MISSING = object()
_MAYBE_COMPARE = re.compile(r"[=<>]|\bin\b|\bis\b")


@dataclass(frozen=True)
class Check:
    """How the parent judges one step's record.

    kind: ``complete`` (the step ran without raising), ``compare`` (apply ``ops`` to
    ``operands``: ``("lit", value)`` held here or ``("obs", i)`` observed), ``truth``,
    ``call`` (observed return value == ``expected``), ``stdout``.
    """

    kind: str
    source: str
    ops: tuple[str, ...] = ()
    operands: tuple[tuple[str, Any], ...] = ()
    negate: bool = False
    expected: Any = None


@dataclass
class Plan:
    """Sandbox steps (JSON-able, no expected values) and the parent's checks, aligned."""

    mode: str  # "steps" or "stdio"
    steps: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check | None] = field(default_factory=list)  # None: setup step
    stdio: list[tuple[str, str]] = field(default_factory=list)
    prompt: str = ""  # trusted code the driver runs first (HumanEval helpers such as ``poly``)
    entry: str = ""  # the one name the candidate's code may redefine over the prompt's

    @property
    def total(self) -> int:
        if self.mode == "stdio":
            return len(self.stdio)
        return sum(check is not None for check in self.checks)


def plan_tests(tests: Any, max_tests: int | None = None) -> Plan:
    """Build the plan; raises TestFormatError naming what was received."""
    if isinstance(tests, str) and tests.lstrip().startswith("{"):
        try:
            tests = json.loads(tests)
        except ValueError:
            pass
    if isinstance(tests, dict):
        if "test" in tests:
            plan = _plan_check(str(tests["test"]), tests.get("entry_point"))
            plan.prompt, plan.entry = _prompt(tests.get("prompt")), str(tests["entry_point"])
        elif "fn_name" in tests and tests["fn_name"]:
            plan = _plan_calls(tests)
        elif "inputs" in tests and "outputs" in tests:
            plan = _plan_stdio(tests["inputs"], tests["outputs"])
        else:
            raise TestFormatError(
                f"tests dict has keys {sorted(tests)}; expected 'inputs'+'outputs', "
                "'fn_name'+'cases' or 'test'+'entry_point'"
            )
    elif isinstance(tests, str):
        plan = _plan_source([tests])
    elif isinstance(tests, Sequence) and all(isinstance(t, str) for t in tests):
        plan = _plan_source(list(tests))
    else:
        raise TestFormatError(
            f"tests must be a list of assert strings or a dict, got {type(tests).__name__}: "
            f"{str(tests)[:80]!r}"
        )
    if max_tests is not None:
        _cap(plan, max_tests)
    return plan


def _cap(plan: Plan, max_tests: int) -> None:
    if plan.mode == "stdio":
        del plan.stdio[max_tests:]
        return
    seen = 0
    for index, check in enumerate(plan.checks):
        if check is not None:
            seen += 1
            if seen == max_tests:
                del plan.steps[index + 1 :], plan.checks[index + 1 :]
                return


def _parse_joined(sources: list[str]) -> list[ast.stmt] | None:
    """Parse one-line sources together (one compile call instead of one each), with offsets
    made relative to each source's line; None when any source does not fit."""
    if not sources or any("\n" in s or "\r" in s or "\f" in s for s in sources):
        return None
    try:
        body = ast.parse("\n".join(sources)).body
    except SyntaxError:
        return None
    if len(body) != len(sources):
        return None
    for line, stmt in enumerate(body, start=1):
        if stmt.lineno != line or stmt.end_lineno != line:
            return None
    # Line numbers stay those of the joined text: every consumer of a one-line source reads
    # only column offsets (see _segment), so rewriting each node's lineno was wasted work.
    return body


def _parse(source: str) -> list[ast.stmt]:
    try:
        return ast.parse(source).body
    except SyntaxError as exc:
        raise TestFormatError(f"test code does not parse: {exc.msg} in {source[:80]!r}") from exc


def _plan_source(
    sources: list[str], prefix: list[ast.stmt] | None = None, prefix_source: str = ""
) -> Plan:
    plan = Plan("steps")
    for stmt in prefix or []:
        _add_statement(plan, stmt, prefix_source, setup=True)
    joined = _parse_joined(sources)
    if joined is not None:  # the common case: one-line asserts, parsed in one call
        for stmt, source in zip(joined, sources, strict=True):
            _add_statement(plan, stmt, source)
        return plan
    for source in sources:
        body = _parse(source)
        if len(body) == 1:
            _add_statement(plan, body[0], source)
            continue
        for stmt in body:  # several statements: only asserts count as tests
            _add_statement(plan, stmt, source, setup=not _has_assert(stmt))
    return plan


def _plan_check(source: str, entry_point: Any) -> Plan:
    body = _parse(source)
    checks = [s for s in body if isinstance(s, ast.FunctionDef) and s.name == "check"]
    if not checks:
        raise TestFormatError("HumanEval-style tests need a 'def check(candidate)' function")
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise TestFormatError(f"entry_point must be a function name, got {entry_point!r}")
    check = checks[0]
    arg = check.args.args[0].arg if check.args.args else "candidate"
    setup = [s for s in body if s is not check and not _calls_check(s)]
    plan = _plan_source([], prefix=setup, prefix_source=source)
    _add_statement(plan, _parse(f"{arg} = {entry_point}")[0], "", setup=True)
    for stmt in check.body:
        if isinstance(stmt, ast.Return):
            break
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        _add_statement(plan, stmt, source, setup=not _has_assert(stmt))
    return plan


def _prompt(prompt: Any) -> str:
    """A HumanEval ``prompt`` (helper functions the tests use, e.g. ``poly``, and the stub of
    the entry point); run by the driver so that the candidate cannot redefine the helpers."""
    if prompt is None:
        return ""
    if not isinstance(prompt, str):
        raise TestFormatError(f"'prompt' must be Python source, got {type(prompt).__name__}")
    text = prompt + "\n    pass\n" if prompt.rstrip().endswith(":") else prompt
    _parse(text)
    return text


def _calls_check(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "check"
    )


def _has_assert(stmt: ast.stmt) -> bool:
    return any(isinstance(node, ast.Assert) for node in ast.walk(stmt))


def _segment(source: str, node: ast.AST) -> str:
    """Original text of ``node`` (dedented), or its unparsed form when not available."""
    if source and "\n" not in source and getattr(node, "end_col_offset", None) is not None:
        raw = source.encode()[node.col_offset : node.end_col_offset]  # type: ignore[attr-defined]
        return raw.decode()
    text = ast.get_source_segment(source, node) if source else None
    if text is None:
        return ast.unparse(node)
    if "\n" in text:
        if isinstance(node, ast.expr):  # inside brackets, indentation does not matter
            return f"(\n{text}\n)"
        text = textwrap.dedent(" " * getattr(node, "col_offset", 0) + text)
    return text


def _safe_source(source: str, node: ast.AST) -> str:
    """Source of ``node`` with every comparison routed through ``__rk_cmp__``."""
    text = _segment(source, node)
    if not _MAYBE_COMPARE.search(text):
        return text
    if not any(isinstance(n, ast.Compare) for n in ast.walk(node)):
        return _segment(source, node)
    return ast.unparse(ast.fix_missing_locations(_SafeCompare().visit(node)))


def _add_statement(plan: Plan, stmt: ast.stmt, source: str, *, setup: bool = False) -> None:
    text = _segment(source, stmt)
    if isinstance(stmt, ast.Assert) and not setup:
        step, check = _plan_assert(stmt, text, source)
        plan.steps.append(step)
        plan.checks.append(check)
        return
    plan.steps.append({"k": "exec", "src": _safe_source(source, stmt)})
    plan.checks.append(None if setup else Check("complete", text))


def _plan_assert(stmt: ast.Assert, text: str, source: str) -> tuple[dict[str, Any], Check]:
    test = stmt.test
    negate = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        negate, test = not negate, test.operand
    observed: list[str] = []
    calls: list[list[str]] = []

    def operand(node: ast.expr) -> tuple[str, Any]:
        value = _literal(node)
        if value is not _MISSING:
            return ("lit", value)
        observed.append(_safe_source(source, node))
        call = _pure_call(node)
        if call is not None:
            calls.append(call)
        return ("obs", len(observed) - 1)

    if isinstance(test, ast.Compare) and _liftable(test):
        ops = tuple(_OPS[type(op)] for op in test.ops)
        operands = tuple(operand(node) for node in [test.left, *test.comparators])
        check = Check("compare", text, ops=ops, operands=operands, negate=negate)
    else:
        check = Check("truth", text, operands=(operand(test),), negate=negate)
    step: dict[str, Any] = {"k": "eval", "src": observed}
    if len(observed) == 1 and len(calls) == 1:
        step["call"] = calls[0]  # the driver may send it ahead, batched with its neighbours
    return step, check


def _pure_call(node: ast.expr) -> list[str] | None:
    """``[name, encoded args]`` for ``name(literal, ...)``: a call whose value depends on
    nothing but the candidate, so the driver can request it before its turn."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.keywords:
        return None
    args = []
    for arg in node.args:
        value = _literal(arg)
        if value is _MISSING or isinstance(arg, ast.Starred):
            return None
        args.append(value)
    return [node.func.id, _codec.encode(args)]


def _liftable(test: ast.Compare) -> bool:
    """``is`` only keeps its meaning across the boundary for None/True/False/Ellipsis."""
    nodes = [test.left, *test.comparators]
    for i, op in enumerate(test.ops):
        if isinstance(op, ast.Is | ast.IsNot):
            pair = (nodes[i], nodes[i + 1])
            if not any(
                isinstance(n, ast.Constant) and n.value in (None, True, False, ...) for n in pair
            ):
                return False
    return True


_NEVER_LITERAL = (ast.Name, ast.Attribute, ast.Subscript, ast.Lambda, ast.Compare, ast.BoolOp)


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):  # fast paths: exactly what literal_eval answers
        return node.value
    if isinstance(node, _NEVER_LITERAL) or (
        isinstance(node, ast.Call)
        and not (isinstance(node.func, ast.Name) and node.func.id == "set")
    ):
        return _MISSING
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING


class _SafeCompare(ast.NodeTransformer):
    """Rewrite ``a == b`` (any comparison chain) into ``__rk_cmp__(ops, (a, b))``."""

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        ops = ast.Tuple([ast.Constant(_OPS[type(op)]) for op in node.ops], ast.Load())
        values = ast.Tuple([node.left, *node.comparators], ast.Load())
        call = ast.Call(ast.Name("__rk_cmp__", ast.Load()), [ops, values], [])
        return ast.copy_location(call, node)


def _plan_calls(tests: dict[str, Any]) -> Plan:
    name = tests["fn_name"]
    if not isinstance(name, str) or not name.isidentifier():
        raise TestFormatError(f"fn_name must be an identifier, got {name!r}")
    if "cases" in tests:
        cases = [(case[0], case[1]) for case in tests["cases"]]
    else:
        cases = list(zip(tests["inputs"], tests["outputs"], strict=True))
    plan = Plan("steps")
    for args, expected in cases:
        args = list(args) if isinstance(args, list | tuple) else [args]
        plan.steps.append({"k": "call", "fn": name, "args": _codec.encode(args)})
        plan.checks.append(Check("call", f"{name}(*{str(args)[:60]})", expected=expected))
    return plan


def _plan_stdio(inputs: Any, outputs: Any) -> Plan:
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise TestFormatError("'inputs' and 'outputs' must be lists of strings")
    if len(inputs) != len(outputs):
        raise TestFormatError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    return Plan("stdio", stdio=[(_text(i), _text(o)) for i, o in zip(inputs, outputs, strict=True)])


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) + "\n"
    return str(value)


_CACHE: OrderedDict[str, Plan] = OrderedDict()
_CACHE_SIZE = 512
_cache_lock = threading.Lock()


def cached_plan(tests: Any, max_tests: int | None = None) -> Plan:
    """:func:`plan_tests` memoised on the tests' JSON: the completions of one GRPO group share
    their tests, and parsing a suite costs more than forking a job. Plans are never mutated
    after construction."""
    try:
        key = json.dumps([tests, max_tests], sort_keys=True)
    except (TypeError, ValueError):
        return plan_tests(tests, max_tests)
    with _cache_lock:
        plan = _CACHE.get(key)
        if plan is not None:
            _CACHE.move_to_end(key)
            return plan
    plan = plan_tests(tests, max_tests)
    with _cache_lock:
        _CACHE[key] = plan
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return plan
