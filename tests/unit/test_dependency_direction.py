"""Import direction is part of the design: these tests fail when a module reaches the wrong way.

* ``rewardkit.sandbox`` imports nothing else of rewardkit (it can be audited, and reused, alone);
* nothing outside ``rewardkit.trainers`` imports the trainer adapters;
* no module imports a heavy ML library at module level (``import rewardkit`` must stay light).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "rewardkit"
HEAVY = {"torch", "trl", "transformers", "datasets", "vllm", "unsloth", "ray", "peft", "deepspeed"}


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _qualname(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool = False) -> list[str]:
    """Absolute names of every module imported by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _qualname(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.append(node.module)
    return names


@pytest.mark.parametrize(
    "path", [p for p in _modules() if "sandbox" in p.parts], ids=lambda p: p.name
)
def test_sandbox_imports_nothing_else_of_rewardkit(path: Path) -> None:
    bad = [
        n
        for n in _imports(path)
        if n.startswith("rewardkit") and not n.startswith("rewardkit.sandbox")
    ]
    assert not bad, f"{path.relative_to(PKG.parent)} imports {bad}"


@pytest.mark.parametrize(
    "path", [p for p in _modules() if "trainers" not in p.parts], ids=lambda p: p.name
)
def test_core_never_imports_trainers(path: Path) -> None:
    bad = [n for n in _imports(path) if n.startswith("rewardkit.trainers")]
    assert not bad, f"{path.relative_to(PKG.parent)} imports {bad}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _qualname(p))
def test_no_heavy_import_at_module_level(path: Path) -> None:
    bad = [n for n in _imports(path, top_level_only=True) if n.split(".")[0] in HEAVY]
    assert not bad, f"{path.relative_to(PKG.parent)} imports {bad} at module level"
