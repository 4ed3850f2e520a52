"""The launch command, the train scripts' command line and the dry-run exit.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_launch`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__:
    from ._rt_config import (
        ConfigError,
        RecipeSpec,
        apply_override,
        load_spec,
        load_yaml,
        parse_set,
        resolve_config,
    )
    from ._rt_metrics import dump_plan
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_config import (
        ConfigError,
        RecipeSpec,
        apply_override,
        load_spec,
        load_yaml,
        parse_set,
        resolve_config,
    )
    from _rt_metrics import dump_plan


def launch_command(spec: RecipeSpec, cfg: Mapping[str, Any], config_path: str | Path) -> list[str]:
    """The command that runs the recipe's entry point with a resolved config file."""
    name = str(cfg.get("launcher", "python"))
    launchers = spec.launchers or {"python": {"command": "{python} {train} --config {config}"}}
    if name not in launchers:
        raise ConfigError(
            f"recipe {spec.name}: unknown launcher {name!r}; choose one of {', '.join(launchers)}"
        )
    template = str(launchers[name]["command"])
    values = {
        "python": sys.executable,
        "train": str(spec.entry),
        "config": str(config_path),
        "dir": str(spec.dir),
        "num_gpus": str(cfg.get("num_gpus", 1)),
        "output_dir": str(cfg.get("output_dir", "outputs")),
    }
    return [part.format(**values) for part in shlex.split(template)]


def plan_exit(
    args: argparse.Namespace,
    spec: RecipeSpec,
    cfg: Mapping[str, Any],
    trainer_config: Mapping[str, Any],
    problems: Sequence[str],
) -> int | None:
    """For ``--dry-run`` or a config with problems: print the plan and the problems.

    Returns the exit code ``main`` should return (2 with problems, else 0), or None
    when the run should go on.
    """
    if not (args.dry_run or problems):
        return None
    print(dump_plan(cfg, trainer_config, launch_command(spec, cfg, args.config or "<config>")))
    for p in problems:
        print(f"invalid: {p}", file=sys.stderr)
    return 2 if problems else 0


def parse_train_args(
    recipe_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    description: str = "",
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    to_sets: Callable[[argparse.Namespace], list[str]] | None = None,
) -> tuple[argparse.Namespace, dict[str, Any]]:
    """The command line every ``train.py`` accepts, resolved to a config dict.

    ``--config FILE`` (what ``rewardkit recipe run`` passes) loads a resolved
    config as-is; otherwise ``recipe.yaml`` beside the script is resolved with
    ``--preset``/``--set``/``--dataset``/``--model``. Recipes add their seed's
    own flags through ``add_arguments`` and map them to ``--set`` items with
    ``to_sets`` so there is one override path.
    """
    parser = argparse.ArgumentParser(description=description or None)
    parser.add_argument("--config", help="resolved config (JSON/YAML) from `rewardkit recipe run`")
    parser.add_argument("--preset", help="named preset from recipe.yaml")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--dataset", help="hub dataset id or local .jsonl/.json file")
    parser.add_argument("--model", help="hub model id or local model directory")
    parser.add_argument("--output-dir", help="where checkpoints, metrics and plots go")
    parser.add_argument("--report-to", help="none, tensorboard, wandb (comma-separated)")
    parser.add_argument("--dry-run", action="store_true", help="validate and print, do not train")
    parser.add_argument(
        "--local_rank", "--local-rank", type=int, default=-1, help=argparse.SUPPRESS
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_intermixed_args(argv)  # a seed's files may follow its options
    spec = load_spec(recipe_dir)
    if args.config:
        path = Path(args.config)
        cfg = json.loads(path.read_text()) if path.suffix == ".json" else load_yaml(path)
        extra = list(args.sets)
        for item in extra:
            key, value = parse_set(item)
            apply_override(cfg, key, value)
    else:
        sets = list(args.sets) + (to_sets(args) if to_sets is not None else [])
        cfg = resolve_config(
            spec, preset=args.preset, sets=sets, dataset=args.dataset, model=args.model
        )
    if args.output_dir:
        cfg["output_dir"] = args.output_dir
    if args.report_to:
        cfg["report_to"] = args.report_to
    return args, cfg
