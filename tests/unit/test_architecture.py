"""The layering of rewardkit, written down and enforced (see ARCHITECTURE.md).

Layers, lowest first; an arrow may only point at the same layer or one listed
for it in ``ALLOWED``::

    sandbox   rewardkit.sandbox            imports nothing else of rewardkit
    core      everything else in rewardkit  (contract, registry, compose, parsers,
                                             rewards, engine, io, audit)
    faces     rewardkit.cli, rewardkit.trainers, rewardkit.testing,
              recipes (rewardkit.recipes + its entry shim rewardkit.recipes_cli)

Faces depend on the core, never on each other, with two declared exceptions:

* recipes -> trainers: a recipe *is* a training run through an adapter;
* trainers/recipes -> cli: they plug a sub-command (``axolotl-config``,
  ``recipe``) into the CLI through the ``rewardkit.cli`` entry-point group; the
  CLI itself never names them.

How lazy imports count: for layering, every import counts, however deferred
(module level, inside a function, string or entry point); only imports under
``if TYPE_CHECKING:`` count as nothing for cycles, since they never run. For
cycles inside the core, module-level and function-level imports both count,
except the few deferred arrows declared in ``DEFERRED`` with their reason: a new
lazy import that closes a loop fails here until someone writes down why.
"""

from __future__ import annotations

import functools
from pathlib import Path

import _archcheck as ac
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOTS = {"rewardkit": ROOT / "rewardkit", "rewardkit.recipes": ROOT / "recipes"}

#: which entry-point group is read by which module (an entry point plugs into it)
GROUP_OWNERS = {"rewardkit": "rewardkit.registry._registry", "rewardkit.cli": "rewardkit.cli"}

FACES = ("cli", "trainers", "testing", "recipes")

ALLOWED: dict[str, set[str]] = {
    "sandbox": {"sandbox"},
    "core": {"core", "sandbox"},
    "cli": {"cli", "core", "sandbox"},
    "trainers": {"trainers", "core", "sandbox", "cli"},
    "testing": {"testing", "core", "sandbox"},
    "recipes": {"recipes", "core", "sandbox", "trainers", "cli"},
}

#: Lazy arrows inside the core that would close a loop, each with its reason.
DEFERRED: dict[tuple[str, str], str] = {
    ("rewardkit.contract._reward", "rewardkit.compose._composite"): (
        "reward arithmetic (`a + 2*b`) returns a weighted sum; the operators are sugar "
        "over rewardkit.compose, resolved when first used"
    ),
    ("rewardkit.contract._reward", "rewardkit.references._refs"): (
        "pickling a reward by reference asks the registry whether its name is "
        "portable; only runs when a reward is sent to a worker"
    ),
    ("rewardkit.rewards.length", "rewardkit.registry._registry"): (
        "cosine_length looks its verifier reward up by name when it is called"
    ),
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module == "rewardkit.recipes_cli" or parts[:2] == ["rewardkit", "recipes"]:
        return "recipes"
    if len(parts) > 1 and parts[1] in ("sandbox", *FACES):
        return parts[1]
    return "core"


@functools.lru_cache(maxsize=1)
def _graph() -> tuple[dict[str, Path], list[ac.Arrow]]:
    modules = ac.discover(ROOTS)
    arrows = [a for name, path in modules.items() for a in ac.module_arrows(name, path, modules)]
    arrows += ac.entry_point_arrows(ROOT / "pyproject.toml", GROUP_OWNERS, modules)
    return modules, arrows


def _cycles(arrows: list[ac.Arrow], keep: str) -> list[list[str]]:
    edges = [
        (a.source, a.target)
        for a in arrows
        if a.when != "typing"
        and (a.source, a.target) not in DEFERRED
        and layer_of(a.source) == keep
        and layer_of(a.target) == keep
    ]
    return ac.cycles(edges)


def test_no_forbidden_arrow() -> None:
    _, arrows = _graph()
    bad = ac.forbidden(arrows, layer_of, ALLOWED)
    assert not bad, "forbidden dependencies:\n" + "\n".join(
        f"  [{layer_of(a.source)} -> {layer_of(a.target)}] {a}" for a in bad
    )


def test_no_import_cycle_inside_the_core() -> None:
    _, arrows = _graph()
    found = _cycles(arrows, "core")
    assert not found, "import cycles in the core:\n" + "\n".join(
        "  " + " <-> ".join(c) for c in found
    )


def test_the_contract_is_the_bottom_of_the_core() -> None:
    """rewardkit.contract imports only itself (and the sandbox never): everything builds on it."""
    _, arrows = _graph()
    bad = [
        a
        for a in arrows
        if a.source.startswith("rewardkit.contract")
        and not a.target.startswith("rewardkit.contract")
        and a.when != "typing"
        and (a.source, a.target) not in DEFERRED
    ]
    assert not bad, "\n".join(map(str, bad))


#: Reading reference or formula text is the resolver's job (rewardkit.resolve).
RESOLVER_INTERNALS = {"parse_formula", "parse_reference", "resolve_reference"}


def test_faces_resolve_references_only_through_the_resolver() -> None:
    """A face that parses reference text itself would grow its own rules and errors again."""
    import ast

    modules, _ = _graph()
    bad = []
    for name, path in modules.items():
        if layer_of(name) == "core" or layer_of(name) == "sandbox":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            used = set()
            if isinstance(node, ast.ImportFrom):
                used = {a.name for a in node.names}
            elif isinstance(node, ast.Attribute):
                used = {node.attr}
            for hit in used & RESOLVER_INTERNALS:
                # the CLI's `show` names exactly one reward: the resolver's one-reward form
                if (name, hit) != ("rewardkit.cli._app", "resolve_reference"):
                    bad.append(f"{name}:{node.lineno} uses {hit}")
    assert not bad, "\n".join(bad)


def test_declared_deferred_arrows_exist() -> None:
    """A stale DEFERRED entry would silently allow a future loop: keep the list exact."""
    _, arrows = _graph()
    present = {(a.source, a.target) for a in arrows if a.when == "lazy"}
    assert set(DEFERRED) <= present, set(DEFERRED) - present


def test_every_layer_is_populated() -> None:
    modules, _ = _graph()
    assert {layer_of(m) for m in modules} == set(ALLOWED)


#: A module has one job, and one job rarely needs more than this many lines (issue 16).
MAX_MODULE_LINES = 400

#: Modules still over the limit while they are being split, each a temporary entry:
#: delete an entry once its module is under the limit (the test below insists).
OVERSIZED_FOR_NOW: frozenset[str] = frozenset()


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _oversized(modules: dict[str, Path], limit: int) -> dict[str, int]:
    """Modules longer than ``limit`` lines, with their length."""
    sizes = {name: _line_count(path) for name, path in modules.items()}
    return {name: n for name, n in sorted(sizes.items()) if n > limit}


def test_modules_stay_small() -> None:
    """A module over the limit is doing more than one job: split it, named after each job."""
    modules, _ = _graph()
    over = _oversized(modules, MAX_MODULE_LINES)
    bad = {name: n for name, n in over.items() if name not in OVERSIZED_FOR_NOW}
    assert not bad, f"modules over {MAX_MODULE_LINES} lines (split them by job):\n" + "\n".join(
        f"  {name}: {n} lines" for name, n in bad.items()
    )


def test_oversized_allow_list_is_exact() -> None:
    """A stale entry would let its module grow back unnoticed: keep the list exact."""
    modules, _ = _graph()
    over = _oversized(modules, MAX_MODULE_LINES)
    stale = sorted(OVERSIZED_FOR_NOW - set(over))
    assert not stale, (
        f"now under {MAX_MODULE_LINES} lines (or gone): delete from OVERSIZED_FOR_NOW: {stale}"
    )


def test_line_limit_checker_fails_on_a_long_module(tmp_path: Path) -> None:
    mods = _write(
        tmp_path / "pkg",
        {"__init__.py": "", "short.py": "x = 1\n" * 5, "long.py": "x = 1\n" * 6},
    )
    assert _oversized(mods, 5) == {"pkg.long": 6}
    assert _oversized(mods, 6) == {}


# -- the checker checks: a synthetic package with each kind of wrong arrow ---------------


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ac.discover({"pkg": root})


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("low", "face") else "core"


SYNTH_ALLOWED = {"low": {"low"}, "core": {"core", "low"}, "face": {"face", "core", "low"}}


def _arrows(modules: dict[str, Path]) -> list[ac.Arrow]:
    return [a for n, p in modules.items() for a in ac.module_arrows(n, p, modules)]


def test_checker_accepts_the_right_direction(tmp_path: Path) -> None:
    mods = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "low/__init__.py": "X = 1\n",
            "core.py": "from .low import X\n",
            "face/__init__.py": "from .. import core\n",
        },
    )
    arrows = _arrows(mods)
    assert {(a.source, a.target) for a in arrows} == {
        ("pkg.core", "pkg.low"),
        ("pkg.face", "pkg.core"),
    }
    assert ac.forbidden(arrows, _layer, SYNTH_ALLOWED) == []


@pytest.mark.parametrize(
    ("low_source", "how", "when"),
    [
        ("from .. import core\n", "import", "top"),
        ("def f():\n    import pkg.core\n", "import", "lazy"),
        (
            "import importlib\ndef f():\n    return importlib.import_module('pkg.face')\n",
            "string",
            "lazy",
        ),
        ("TARGET = 'pkg.core:thing'\n", "string", "top"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.core\n",
            "import",
            "typing",
        ),
    ],
    ids=["import", "lazy-import", "import_module", "entry-string", "type-only"],
)
def test_checker_fails_on_a_reversed_arrow(
    tmp_path: Path, low_source: str, how: str, when: str
) -> None:
    mods = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "low/__init__.py": low_source,
            "core.py": "from .low import *\n",
            "face/__init__.py": "",
        },
    )
    bad = ac.forbidden(_arrows(mods), _layer, SYNTH_ALLOWED)
    assert len(bad) == 1 and bad[0].source == "pkg.low", bad
    assert (bad[0].how, bad[0].when) == (how, when)


def test_checker_reads_entry_points(tmp_path: Path) -> None:
    mods = _write(tmp_path / "pkg", {"__init__.py": "", "low/__init__.py": "", "core.py": ""})
    toml = tmp_path / "pyproject.toml"
    toml.write_text('[project.entry-points."pkg.core"]\nplug = "pkg.low:thing"\n')
    arrows = ac.entry_point_arrows(toml, {"pkg.core": "pkg.core"}, mods)
    assert [(a.source, a.target, a.how) for a in arrows] == [("pkg.low", "pkg.core", "entry-point")]
    assert ac.forbidden(arrows, _layer, SYNTH_ALLOWED) == arrows


def test_checker_sees_dynamic_submodule_imports(tmp_path: Path) -> None:
    mods = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "low/__init__.py": (
                "import importlib\n"
                "def load(x):\n    return importlib.import_module(f'{__name__}.{x}')\n"
            ),
            "low/a.py": "",
            "low/b/__init__.py": "",
            "low/b/c.py": "",
        },
    )
    assert {(a.target, a.how) for a in _arrows(mods)} == {
        ("pkg.low.a", "dynamic"),
        ("pkg.low.b", "dynamic"),
    }


def test_checker_finds_cycles_including_lazy_ones(tmp_path: Path) -> None:
    mods = _write(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "a.py": "from . import b\n",
            "b.py": "def f():\n    from . import c\n",
            "c.py": "from . import a\n",
            "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        },
    )
    arrows = [a for a in _arrows(mods) if a.when != "typing"]
    assert ac.cycles((a.source, a.target) for a in arrows) == [["pkg.a", "pkg.b", "pkg.c"]]
    no_lazy = [(a.source, a.target) for a in arrows if a.when == "top"]
    assert ac.cycles(no_lazy) == []
