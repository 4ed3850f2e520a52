"""A small import-graph checker: which module reaches which, and is that arrow allowed.

Used by ``test_architecture.py`` on the real package and on synthetic packages
(to prove the checker itself fails when an arrow is reversed).

What counts as an arrow ``A -> B`` (B a module of the checked package):

* ``import B`` / ``from B import x`` / relative imports, anywhere in A;
  ``from P import m`` counts as ``A -> P.m`` when ``P.m`` is a module;
* a string constant that is exactly a module name or ``module:attribute``
  (``importlib.import_module("B")``, ``"B:fn"`` handed to a loader,
  ``find_spec("B")``): a string import is still an import;
* ``import_module(f"{__name__}.{x}")``: an arrow to every direct submodule of
  the package (the checker cannot know ``x``, so it assumes the worst);
* an entry point ``name = "B:attr"`` in group ``G`` of ``pyproject.toml``: the
  plugin ``B`` plugs into whoever owns ``G`` (arrow ``B -> owner(G)``).

Each arrow remembers *when* it runs: ``top`` (at import time), ``lazy``
(inside a function or method) or ``typing`` (under ``if TYPE_CHECKING:``, never
executed). Layering counts every arrow, whenever it runs: a lazy import of a
face is still a dependency on it. Cycles count ``top`` and ``lazy`` arrows,
except lazy ones declared on purpose (see ``test_architecture.DEFERRED``).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None

_MODULE_STRING = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(:[A-Za-z_][\w.]*)?$")


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    when: str  # "top" | "lazy" | "typing"
    how: str  # "import" | "string" | "dynamic" | "entry-point"
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.how}, {self.when}, line {self.line})"


def discover(roots: Mapping[str, Path]) -> dict[str, Path]:
    """Module name -> file for every ``.py`` under each ``{package name: directory}``."""
    found: dict[str, Path] = {}
    for package, root in roots.items():
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                ids.add(id(body[0].value))
    return ids


def module_arrows(name: str, path: Path, modules: Iterable[str]) -> list[Arrow]:
    """Every arrow from module ``name`` (file ``path``) to one of ``modules``."""
    known = set(modules)
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    docstrings = _docstring_nodes(tree)
    arrows: list[Arrow] = []

    def add(target: str, when: str, how: str, line: int) -> None:
        if target in known and target != name:
            arrows.append(Arrow(name, target, when, how, line))

    def visit(node: ast.AST, when: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            when = "lazy" if when == "top" else when
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, "typing")
            for child in node.orelse:
                visit(child, when)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(_longest_known(alias.name, known), when, "import", node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                add(
                    sub if sub in known else _longest_known(mod, known), when, "import", node.lineno
                )
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.JoinedStr):
            # import_module(f"{__name__}.{x}"): any direct submodule of this package
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            parts = node.args[0].values
            if called in ("import_module", "__import__") and parts:
                head = parts[0]
                if (
                    isinstance(head, ast.FormattedValue)
                    and isinstance(head.value, ast.Name)
                    and head.value.id in ("__name__", "__package__")
                ):
                    pkg = name if head.value.id == "__name__" else ".".join(package)
                    for mod in sorted(known):
                        if mod.startswith(pkg + ".") and "." not in mod[len(pkg) + 1 :]:
                            add(mod, when, "dynamic", node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if id(node) not in docstrings and _MODULE_STRING.match(text):
                target = text.split(":", 1)[0]
                if target in known:
                    add(target, when, "string", node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, when)

    for stmt in tree.body:
        visit(stmt, "top")
    return arrows


def _longest_known(dotted: str, known: set[str]) -> str:
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return dotted


def entry_point_arrows(
    pyproject: Path, owners: Mapping[str, str], modules: Iterable[str]
) -> list[Arrow]:
    """Arrows ``plugin -> owner(group)`` for entry points whose group has an owner module."""
    if tomllib is None or not pyproject.is_file():  # pragma: no cover
        return []
    known = set(modules)
    data = tomllib.loads(pyproject.read_text())
    groups: dict[str, dict[str, str]] = data.get("project", {}).get("entry-points", {})
    arrows: list[Arrow] = []
    for group, entries in groups.items():
        owner = owners.get(group)
        if owner is None:
            continue
        for value in entries.values():
            target = _longest_known(value.split(":", 1)[0].strip(), known)
            if target in known and target != owner:
                arrows.append(Arrow(target, owner, "top", "entry-point", 0))
    return arrows


def forbidden(
    arrows: Iterable[Arrow], layer_of: Callable[[str], str], allowed: Mapping[str, set[str]]
) -> list[Arrow]:
    """Arrows whose target layer the source layer may not depend on."""
    return [a for a in arrows if layer_of(a.target) not in allowed[layer_of(a.source)]]


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                strong(v)
    finally:
        sys.setrecursionlimit(old)
    return out
