"""``rewardkit recipe``: list, show, run and export the bundled GRPO recipes.

``run`` is the same code path for every recipe: resolve ``recipe.yaml`` with a
preset and ``--set`` overrides, validate (rewards parse, trainer arguments exist,
batch shapes are legal) *before* anything heavy is imported, check the installed
packages and the GPUs, write the resolved config into the output directory and
start the recipe's launcher (``python``/``accelerate``/``deepspeed``/Axolotl) on
``train.py --config <resolved>``. When something is missing it prints the exact
install command instead of failing half-way through a model download.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from . import _runtime as rt
from . import recipe_dir, recipe_names

__all__ = ["app"]

app = typer.Typer(
    name="recipe",
    help="Reference GRPO trainings (TRL, Unsloth, Axolotl) built on rewardkit rewards.",
    no_args_is_help=True,
    add_completion=False,
)


@functools.lru_cache(maxsize=2)
def _console(stderr: bool = False) -> Any:
    """rich is imported on first output, so ``rewardkit --help`` stays cheap."""
    from rich.console import Console

    return Console(stderr=stderr)


def _locate(name: str) -> Path:
    """A bundled recipe by name, or a folder (e.g. an edited export) holding recipe.yaml."""
    path = Path(name)
    if (path / rt.RECIPE_FILE).is_file():
        return path.resolve()
    try:
        return recipe_dir(name)
    except KeyError:
        import difflib

        near = difflib.get_close_matches(name, recipe_names(), n=3)
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        _console(stderr=True).print(
            f"[red]no recipe {name!r}.{hint}[/] Recipes: {', '.join(recipe_names())}"
        )
        raise typer.Exit(2) from None


def _train_module(folder: Path) -> ModuleType:
    """Import a recipe's ``train.py`` (bundled: as a package module; exported: from its file)."""
    bundled = Path(__file__).resolve().parent
    if folder.parent == bundled:
        return importlib.import_module(f"{__package__}.{folder.name}.train")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(
        f"_recipe_train_{folder.name}", folder / "train.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _plan(spec: rt.RecipeSpec, cfg: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The recipe's resolved trainer config and a list of validation problems."""
    problems: list[str] = []
    module = _train_module(spec.dir)
    try:
        trainer_cfg = dict(module.trainer_config(cfg))
    except rt.ConfigError as exc:
        return {}, [str(exc)]
    validate = getattr(module, "validate", None)
    if validate is not None:
        problems.extend(validate(cfg, trainer_cfg))
    try:
        rt.build_reward_objects(cfg)
    except Exception as exc:  # a formula or reward name error, reported with the others
        problems.append(f"rewards: {exc}")
    return trainer_cfg, problems


@app.command("list")
def list_cmd() -> None:
    """List the bundled recipes."""
    from rich.table import Table

    table = Table(show_lines=False)
    table.add_column("recipe", no_wrap=True)
    for col in ("framework", "presets", "hardware", "summary"):
        table.add_column(col, overflow="fold")
    for name in recipe_names():
        spec = rt.load_spec(recipe_dir(name))
        hw = spec.hardware
        table.add_row(
            name,
            str(spec.data.get("framework", "")),
            ", ".join(spec.presets) or "-",
            f"{hw.get('gpus', '?')} GPU x {hw.get('gpu_memory_gb', '?')} GiB",
            spec.summary().splitlines()[0] if spec.summary() else "",
        )
    _console().print(table)


def _print_seed_diff(spec: rt.RecipeSpec) -> None:
    """The table of deliberate deviations from the seed document (``seed_diff.yaml``)."""
    from rich.table import Table

    try:
        rows = rt.load_seed_diff(spec)
    except rt.ConfigError as exc:
        _console(stderr=True).print(f"[red]{exc}[/]", markup=True, highlight=False)
        raise typer.Exit(2) from None
    seed = spec.data.get("seed") or "?"
    table = Table(title=f"{spec.name}: deliberate deviations from seed {seed}", show_lines=True)
    for col in ("what", "seed", "recipe", "why"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("what", "seed", "recipe", "why")))
    _console().print(table)
    _console().print(
        f"{len(rows)} deviation(s); data: {spec.dir / rt.SEED_DIFF_FILE}", markup=False
    )


@app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="recipe name or folder")],
    diff_from_seed: Annotated[
        bool,
        typer.Option(
            "--diff-from-seed",
            help="only the table of deliberate deviations from the seed document, and why",
        ),
    ] = False,
) -> None:
    """Show a recipe's config, presets, requirements, hardware needs and launchers."""
    import yaml

    spec = rt.load_spec(_locate(name))
    if diff_from_seed:
        _print_seed_diff(spec)
        return
    _console().rule(f"[bold]{spec.name}")
    _console().print(spec.summary())
    if spec.data.get("seed"):
        _console().print(f"seed: {spec.data['seed']}")
    _console().print(f"folder: {spec.dir}")
    _console().rule("config (defaults)")
    _console().print(yaml.safe_dump(spec.config, sort_keys=False).rstrip(), markup=False)
    _console().rule("presets")
    _console().print(yaml.safe_dump(spec.presets, sort_keys=False).rstrip() or "-", markup=False)
    _console().rule("hardware")
    _console().print(yaml.safe_dump(spec.hardware, sort_keys=False).rstrip(), markup=False)
    _console().rule(f"requirements ({spec.requirements_file.name})")
    if spec.requirements_file.is_file():
        _console().print(spec.requirements_file.read_text().rstrip(), markup=False)
    _console().print(f"install: {rt.install_command(spec)}", markup=False)
    _console().rule("launchers")
    for key, launcher in spec.launchers.items():
        _console().print(f"{key}: {launcher['command']}", markup=False)
    _console().rule("files")
    _console().print(
        "  ".join(sorted(p.name for p in spec.dir.iterdir() if not p.name.startswith(("_", "."))))
    )


def _seed_flag_sets(spec: rt.RecipeSpec, extra: list[str]) -> list[str]:
    """The seed's own flags after the recipe name, as ``--set`` items.

    A recipe that reproduces a document's command line (``--lora-alpha``, ``accelerate
    launch --num_processes 2 ... config.yaml``) declares those flags in its ``train.py``
    (``_seed_flags(parser)``) and maps them to overrides (``_seed_sets(args)``); here they
    go through the same path as ``--set``, so ``recipe run NAME --dry-run <seed flags>``
    validates exactly what the seed's command would run.
    """
    module = _train_module(spec.dir)
    add, to_sets = getattr(module, "_seed_flags", None), getattr(module, "_seed_sets", None)
    if add is None or to_sets is None:
        raise rt.ConfigError(f"recipe {spec.name} takes no extra arguments: {shlex.join(extra)}")
    import argparse

    parser = argparse.ArgumentParser(prog=f"rewardkit recipe run {spec.name}", add_help=False)
    add(parser)
    args, unknown = parser.parse_known_intermixed_args(extra)  # files may follow options
    if unknown:
        raise rt.ConfigError(f"recipe {spec.name}: unknown arguments {shlex.join(unknown)}")
    return list(to_sets(args))


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="recipe name or folder")],
    preset: Annotated[str | None, typer.Option("--preset", "-p", help="named preset")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="override KEY=VALUE (dotted keys reach sections)"),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="hub dataset id or local .jsonl/.json")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="hub model id or local model directory")
    ] = None,
    output_dir: Annotated[str | None, typer.Option("--output-dir", "-o")] = None,
    report_to: Annotated[
        str | None, typer.Option("--report-to", help="none, tensorboard, wandb")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate; print the trainer config and command")
    ] = False,
    skip_checks: Annotated[
        bool, typer.Option("--skip-checks", help="start even if packages or GPUs look wrong")
    ] = False,
) -> None:
    """Validate, check requirements and hardware, then launch a recipe.

    Arguments after the recipe's name that are not options of this command are the seed's
    own flags (e.g. ``--lora-alpha 32``, or ``multi_gpu_config.yaml --num_processes 2``),
    for recipes that declare them.
    """
    spec = rt.load_spec(_locate(name))
    try:
        extra = _seed_flag_sets(spec, list(ctx.args)) if ctx.args else []
        cfg = rt.resolve_config(
            spec, preset=preset, sets=[*extra, *(sets or [])], dataset=dataset, model=model
        )
    except rt.ConfigError as exc:
        _console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if output_dir:
        cfg["output_dir"] = output_dir
    if report_to:
        cfg["report_to"] = report_to
    out = Path(str(cfg.get("output_dir", "outputs"))).resolve()
    cfg["output_dir"] = str(out)
    config_path = out / "recipe_config.json"
    trainer_cfg, problems = _plan(spec, cfg)
    try:
        command = rt.launch_command(spec, cfg, config_path)
    except rt.ConfigError as exc:
        problems.append(str(exc))
        command = []
    missing = rt.check_requirements(spec, cfg)
    hardware = rt.check_hardware(spec, cfg)
    if dry_run:
        _console().print(
            rt.dump_plan(cfg, trainer_cfg, command), markup=False, highlight=False, soft_wrap=True
        )
        for p in missing + hardware:
            _console(stderr=True).print(f"[yellow]note:[/] {p}")
        if missing:
            _console(stderr=True).print(f"install with: {rt.install_command(spec)}", markup=False)
    if problems:
        for p in problems:
            _console(stderr=True).print(f"[red]invalid:[/] {p}")
        raise typer.Exit(2)
    if dry_run:
        _console().print("[green]dry run: config is valid[/]")
        return
    if missing and not skip_checks:
        for p in missing:
            _console(stderr=True).print(f"[red]missing:[/] {p}")
        _console(stderr=True).print("Install the recipe's tested stack with:")
        _console(stderr=True).print(f"  {rt.install_command(spec)}", markup=False)
        raise typer.Exit(3)
    if hardware and not skip_checks:
        for p in hardware:
            _console(stderr=True).print(f"[red]hardware:[/] {p}")
        _console(stderr=True).print(
            "Use a smaller preset (`rewardkit recipe show NAME`), `--set device=cpu` where the "
            "recipe supports it, or --skip-checks."
        )
        raise typer.Exit(4)
    out.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(cfg, indent=2, default=str))
    _console().print(f"[bold]launch:[/] {shlex.join(command)}", highlight=False)
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.run(command, env=env, check=False)
    if proc.returncode:
        _console(stderr=True).print(
            f"[red]recipe {spec.name} exited with status {proc.returncode}[/]"
        )
    raise typer.Exit(proc.returncode)


@app.command("export")
def export_cmd(
    name: Annotated[str, typer.Argument(help="recipe name")],
    dest: Annotated[Path, typer.Argument(help="new folder")],
    force: Annotated[bool, typer.Option("--force", help="write into a non-empty folder")] = False,
) -> None:
    """Copy a recipe into a standalone folder you can edit and run without this CLI.

    The folder gets the recipe's files plus ``_runtime.py`` and the ``_rt_*.py``
    modules it re-exports (the shared helpers),
    so ``python train.py --preset P`` and the launch scripts work there with only
    rewardkit and the recipe's requirements installed.
    """
    src = _locate(name)
    if dest.exists() and any(dest.iterdir()) and not force:
        _console(stderr=True).print(f"[red]{dest} is not empty[/] (use --force)")
        raise typer.Exit(2)
    shutil.copytree(
        src,
        dest,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "gpu"),
    )
    here = Path(rt.__file__).parent
    for module in rt.MODULES:
        shutil.copy2(here / f"{module}.py", dest / f"{module}.py")
    (dest / "__init__.py").unlink(missing_ok=True)
    _console().print(f"exported {src.name} to {dest}")
    _console().print(f"  cd {shlex.quote(str(dest))} && python train.py --dry-run")


def main() -> None:  # pragma: no cover - `python -m rewardkit.recipes._cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
