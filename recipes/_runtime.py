"""What every recipe's ``train.py`` shares: config resolution, checks, data, rewards, metrics.

This module is deliberately self-contained (standard library at import time;
``yaml``, ``transformers``, ``trl``, ``torch`` and ``matplotlib`` only inside the
functions that need them) because it has two lives:

* inside the wheel as ``rewardkit.recipes._runtime``, used by ``rewardkit recipe``
  and by ``python -m rewardkit.recipes.<name>.train``;
* copied next to ``train.py`` by ``rewardkit recipe export``, so an exported folder
  runs as ``python train.py`` (or under ``deepspeed``/``accelerate launch``, which
  take a script path) with rewardkit installed but without its CLI.

Config model: ``recipe.yaml`` holds ``config`` (the defaults, mirroring the seed
system), ``presets`` (named partial overrides, deep-merged), and metadata
(hardware, requirements, launchers). ``--set key=value`` edits the result;
values are parsed as YAML scalars so ``--set max_steps=2`` is an int.
"""

from __future__ import annotations

import argparse
import copy
import csv
import importlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "MetricsHistory",
    "RecipeSpec",
    "apply_override",
    "build_trl_rewards",
    "check_hardware",
    "check_requirements",
    "accuracy",
    "generate_texts",
    "unsloth_model",
    "grpo_kwargs",
    "install_command",
    "launch_command",
    "load_records",
    "load_spec",
    "metrics_callback",
    "parse_train_args",
    "resolve_config",
]

RECIPE_FILE = "recipe.yaml"

#: GRPOConfig keys that the seed systems use but plain TRL >= 0.28 rejects (TypeError).
#: Unsloth filters them silently; the recipes translate them explicitly instead, so the
#: same config behaves the same under TRL, Unsloth and Axolotl.
REMOVED_GRPO_KEYS = {
    "max_prompt_length": "removed in TRL 0.28; the recipe drops longer prompts in its data step",
    "warmup_ratio": "removed in transformers 5; passed as warmup_steps (a float < 1 is a ratio)",
}


class ConfigError(ValueError):
    """A recipe config, preset or override is invalid; the message says which key and why."""


# --------------------------------------------------------------------------------------
# recipe.yaml
# --------------------------------------------------------------------------------------
def load_yaml(path: str | os.PathLike[str]) -> Any:
    """Parse a YAML file; PyYAML is needed (it ships with transformers and the recipe stacks)."""
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - yaml is everywhere the recipes run
        raise ConfigError(
            f"reading {path} needs PyYAML: {sys.executable} -m pip install pyyaml"
        ) from exc
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass
class RecipeSpec:
    """A recipe folder's ``recipe.yaml``, with accessors for the parts the tools read."""

    dir: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.dir.name.replace("_", "-"))

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.data.get("config") or {})

    @property
    def presets(self) -> dict[str, dict[str, Any]]:
        return {str(k): dict(v or {}) for k, v in (self.data.get("presets") or {}).items()}

    @property
    def hardware(self) -> dict[str, Any]:
        return dict(self.data.get("hardware") or {})

    @property
    def requirements_file(self) -> Path:
        return self.dir / str(self.data.get("requirements", "requirements.txt"))

    @property
    def entry(self) -> Path:
        return self.dir / str(self.data.get("entry", "train.py"))

    @property
    def launchers(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, value in (self.data.get("launchers") or {}).items():
            out[str(key)] = {"command": value} if isinstance(value, str) else dict(value)
        return out

    def summary(self) -> str:
        return str(self.data.get("summary", "")).strip()


def load_spec(recipe_dir: str | os.PathLike[str]) -> RecipeSpec:
    """Read ``recipe.yaml`` from a recipe folder (bundled or exported)."""
    path = Path(recipe_dir).resolve()
    data = load_yaml(path / RECIPE_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ConfigError(f"{path / RECIPE_FILE}: expected a mapping with a 'config:' section")
    return RecipeSpec(path, data)


# --------------------------------------------------------------------------------------
# presets and --set overrides
# --------------------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """``"2"`` → 2, ``"true"`` → True, ``"[a, b]"`` → list, ``"null"`` → None, else the string."""
    try:
        import yaml

        value = yaml.safe_load(text) if text.strip() else ""
    except Exception:
        value = text
    if isinstance(value, str):  # YAML 1.1 reads "1e-5" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_set(item: str) -> tuple[str, Any]:
    """Split one ``--set key=value``; the key may be dotted (``grpo.learning_rate``)."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set max_steps=2")
    return key.strip(), parse_value(value)


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _find_key(cfg: Mapping[str, Any], key: str, prefix: str = "") -> list[str]:
    hits: list[str] = []
    for k, v in cfg.items():
        path = f"{prefix}{k}"
        if k == key:
            hits.append(path)
        if isinstance(v, Mapping):
            hits.extend(_find_key(v, key, path + "."))
    return hits


def apply_override(cfg: dict[str, Any], key: str, value: Any) -> str:
    """Set ``key`` in ``cfg`` and return the dotted path that was set.

    A dotted key is set as given (intermediate sections must exist, so a typo in
    a section name is an error). A bare key is looked up: top level first, then a
    *unique* match in a nested section (``max_steps`` → ``grpo.max_steps``). An
    unknown bare key is an error listing near matches — silently adding a key
    no code reads would make ``--set`` lie.
    """
    if "." in key:
        parts = key.split(".")
        node: Any = cfg
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node.get(part), dict):
                where = ".".join(parts[: i + 1])
                raise ConfigError(f"--set {key}: no section {where!r} in the config")
            node = node[part]
        node[parts[-1]] = value
        return key
    if key in cfg:
        cfg[key] = value
        return key
    hits = _find_key(cfg, key)
    if len(hits) == 1:
        return apply_override(cfg, hits[0], value)
    if len(hits) > 1:
        raise ConfigError(f"--set {key}: ambiguous, use one of {', '.join(hits)}")
    import difflib

    keys = sorted({p for k in cfg for p in [k, *_all_paths(cfg)]})
    near = difflib.get_close_matches(key, keys, n=4)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise ConfigError(
        f"--set {key}: unknown key{hint}; use a dotted key such as grpo.{key}=... to add "
        "a trainer argument the recipe does not list"
    )


def _all_paths(cfg: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for k, v in cfg.items():
        out.append(prefix + k)
        if isinstance(v, Mapping):
            out.extend(_all_paths(v, prefix + k + "."))
    return out


def resolve_config(
    spec: RecipeSpec,
    *,
    preset: str | None = None,
    sets: Iterable[str] = (),
    dataset: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Defaults ← preset ← ``--set`` ← ``--dataset``/``--model``; records what was chosen."""
    cfg = copy.deepcopy(spec.config)
    presets = spec.presets
    chosen = preset or spec.data.get("default_preset")
    if chosen:
        if chosen not in presets:
            raise ConfigError(
                f"recipe {spec.name}: no preset {chosen!r}; presets: {', '.join(presets) or 'none'}"
            )
        _deep_merge(cfg, presets[chosen])
    applied: dict[str, Any] = {}
    for item in sets:
        key, value = parse_set(item)
        applied[apply_override(cfg, key, value)] = value
    if dataset is not None:
        cfg["dataset"] = dataset
    if model is not None:
        cfg["model"] = model
    cfg["_recipe"] = {"name": spec.name, "preset": chosen, "overrides": applied}
    cfg["_recipe_dir"] = str(spec.dir)
    return cfg


# --------------------------------------------------------------------------------------
# requirements and hardware
# --------------------------------------------------------------------------------------
def _requirement_parser() -> Any:
    for mod in ("packaging.requirements", "pip._vendor.packaging.requirements"):
        try:
            return importlib.import_module(mod).Requirement
        except ImportError:
            continue
    return None


def check_requirements(spec: RecipeSpec, cfg: Mapping[str, Any]) -> list[str]:
    """Problems with the installed packages, for the recipe's ``check`` list and its launcher.

    ``check`` holds compatibility *ranges* (what the code works with); the
    requirements file pins the tested stack. Only a missing package or one
    outside its range blocks a run: a user on a newer patch release should not
    be forced to reinstall.
    """
    from importlib import metadata

    wanted = list(spec.data.get("check") or [])
    launcher = spec.launchers.get(str(cfg.get("launcher", "")), {})
    wanted += list(launcher.get("requires") or [])
    wanted += list(cfg.get("extra_requires") or [])
    req_cls = _requirement_parser()
    problems: list[str] = []
    for text in wanted:
        if req_cls is not None:
            req = req_cls(text)
            name, spec_set = req.name, req.specifier
            if req.marker is not None and not req.marker.evaluate():
                continue
        else:  # pragma: no cover - packaging is vendored by pip everywhere
            name, spec_set = text.split(";")[0].strip().split("=")[0].strip("<>!~ "), None
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed (needs {text})")
            continue
        if spec_set is not None and not spec_set.contains(version, prereleases=True):
            problems.append(f"{name} {version} is installed; the recipe needs {text}")
    return problems


def install_command(spec: RecipeSpec) -> str:
    """The exact command that installs the recipe's pinned stack into this interpreter."""
    return f"{shlex.quote(sys.executable)} -m pip install -r {shlex.quote(str(spec.requirements_file))}"


def gpu_inventory() -> list[float]:
    """Memory (GiB) of each visible NVIDIA GPU, via ``nvidia-smi`` (no torch import needed)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    sizes = [float(line) / 1024 for line in out.split() if line.strip().replace(".", "").isdigit()]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() != "":
        ids = [int(v) for v in visible.split(",") if v.strip().isdigit()]
        sizes = [sizes[i] for i in ids if i < len(sizes)]
    return sizes


def check_hardware(spec: RecipeSpec, cfg: Mapping[str, Any]) -> list[str]:
    """Problems with the visible GPUs for this config (none when ``device: cpu``)."""
    if str(cfg.get("device", "cuda")) == "cpu":
        return []
    hw = {**spec.hardware, **dict(cfg.get("hardware") or {})}
    need_gpus = int(cfg.get("num_gpus") or hw.get("gpus", 1) or 0)
    need_mem = float(hw.get("gpu_memory_gb", 0) or 0)
    gpus = gpu_inventory()
    problems: list[str] = []
    if need_gpus and len(gpus) < need_gpus:
        problems.append(
            f"needs {need_gpus} NVIDIA GPU(s), found {len(gpus)}"
            + (f" ({hw['notes']})" if hw.get("notes") else "")
        )
    small = [
        f"GPU {i}: {g:.0f} GiB" for i, g in enumerate(gpus[: need_gpus or None]) if g < need_mem
    ]
    if need_mem and small:
        problems.append(f"needs {need_mem:g} GiB per GPU; " + ", ".join(small))
    return problems


# --------------------------------------------------------------------------------------
# launching
# --------------------------------------------------------------------------------------
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
    args = parser.parse_args(argv)
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


# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------
def is_local_data(source: str) -> bool:
    """True for a local ``.jsonl``/``.json`` file or a directory of them."""
    return os.path.exists(source) or source.endswith((".jsonl", ".json"))


def load_records(
    source: str,
    *,
    split: str = "train",
    name: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows from a local JSONL/JSON file (a list, or ``{"data": [...]}``) or a hub dataset.

    Local files are read with the standard library so a recipe's data step can
    be tested without ``datasets``; hub ids go through ``datasets.load_dataset``.
    """
    if is_local_data(source):
        path = Path(source)
        if not path.exists():
            raise ConfigError(f"dataset file {source} does not exist")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl" or (text.lstrip()[:1] == "{" and "\n{" in text):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            rows = data.get("data", data.get(split)) if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ConfigError(f"dataset file {source}: expected a list of JSON objects")
        return rows[:limit] if limit else rows
    from datasets import load_dataset

    ds = load_dataset(source, name, split=split)
    if limit:
        ds = ds.select(range(min(limit, len(ds))))
    return [dict(r) for r in ds]


def load_split(
    cfg: Mapping[str, Any],
    format_row: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any] | None],
    source: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(eval_rows, train_rows)``: ``cfg['dataset']`` (or ``source``) through ``format_row``.

    Rows ``format_row`` returns None for are dropped; the first ``eval_samples``
    formatted rows are held out for evaluation.
    """
    rows = load_records(
        str(cfg["dataset"]) if source is None else source,
        split=str(cfg.get("dataset_split", "train")),
        name=cfg.get("dataset_name"),
        limit=cfg.get("max_samples"),
    )
    data = [r for r in (format_row(x, cfg) for x in rows) if r is not None]
    n_eval = int(cfg.get("eval_samples") or 0)
    return data[:n_eval], data[n_eval:]


def to_dataset(rows: Sequence[Mapping[str, Any]]) -> Any:
    """A ``datasets.Dataset`` from rows (what ``GRPOTrainer`` takes)."""
    from datasets import Dataset

    return Dataset.from_list([dict(r) for r in rows])


def drop_long_prompts(
    rows: list[dict[str, Any]], tokenizer: Any, max_prompt_length: int | None
) -> list[dict[str, Any]]:
    """Drop rows whose prompt is longer than ``max_prompt_length`` tokens.

    This is what the seeds' ``max_prompt_length`` meant; TRL no longer accepts
    the argument, and truncating a math question silently would train on a
    different problem, so long prompts are dropped (and counted) instead.
    """
    if not max_prompt_length:
        return rows
    kept = []
    for row in rows:
        prompt = row["prompt"]
        if isinstance(prompt, list):
            ids = tokenizer.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True)
            if isinstance(ids, Mapping):
                ids = ids["input_ids"]
        else:
            ids = tokenizer(prompt)["input_ids"]
        if len(ids) <= max_prompt_length:
            kept.append(row)
    if len(kept) < len(rows):
        log(
            f"dropped {len(rows) - len(kept)} of {len(rows)} prompts over {max_prompt_length} tokens"
        )
    return kept


# --------------------------------------------------------------------------------------
# rewards
# --------------------------------------------------------------------------------------
def build_reward_objects(cfg: Mapping[str, Any]) -> list[tuple[str, Any, float]]:
    """``(name, rewardkit reward, weight)`` for each entry of ``cfg['rewards']``.

    Every entry is a formula over rewardkit built-ins (``"0.5*xml_format(mode=strict)"``)
    named so TRL logs it as ``rewards/<name>/mean``.
    """
    import rewardkit as rk

    out = []
    for item in cfg.get("rewards") or []:
        name, formula = str(item["name"]), str(item["formula"])
        out.append((name, rk.resolve(formula, name=name).reward, float(item.get("weight", 1.0))))
    if not out:
        raise ConfigError("the config lists no rewards")
    return out


def build_trl_rewards(cfg: Mapping[str, Any], dataset: Any = None) -> tuple[list[Any], list[float]]:
    """Reward callables for ``GRPOTrainer(reward_funcs=...)`` and their ``reward_weights``.

    Goes through :func:`rewardkit.trainers.trl.to_trl` with ``{name: reward}`` so TRL
    logs each under the recipe's name; ``cfg['reward_policy']`` is passed on (status
    policy, engine options). ``dataset`` lets the adapter check the columns up front.
    """
    from rewardkit.trainers.trl import to_trl

    built = build_reward_objects(cfg)
    policy = dict(cfg.get("reward_policy") or {})
    funcs = list(to_trl({name: rw for name, rw, _ in built}, dataset=dataset, **policy))
    return funcs, [w for _, _, w in built]


class RewardClock:
    """Seconds spent in reward computation, accumulated between log events."""

    def __init__(self) -> None:
        self.total = 0.0
        self.since_log = 0.0

    def add(self, seconds: float) -> None:
        self.total += seconds
        self.since_log += seconds

    def take(self) -> float:
        value, self.since_log = self.since_log, 0.0
        return value


def instrument_reward_time(trainer: Any, clock: RewardClock) -> bool:
    """Time the trainer's reward step (``GRPOTrainer._calculate_rewards``, TRL 1.14–1.16).

    Wrapping that one method (rather than each reward) measures exactly what the
    trainer waits for, async rewards included, without touching reward names.
    Returns False when the method is absent (then no reward share is reported).
    """
    original = getattr(trainer, "_calculate_rewards", None)
    if original is None:
        return False

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            clock.add(time.perf_counter() - start)

    trainer._calculate_rewards = timed
    return True


# --------------------------------------------------------------------------------------
# trainer config
# --------------------------------------------------------------------------------------
def grpo_kwargs(
    cfg: Mapping[str, Any], *, known_fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """``GRPOConfig`` keyword arguments from ``cfg['grpo']`` plus the recipe-wide switches.

    Applies ``output_dir``, ``report_to``, ``device: cpu`` (``use_cpu``, no fp16/bf16),
    ``precision: fp16|bf16|fp32``; translates the removed keys in
    :data:`REMOVED_GRPO_KEYS`; and, given ``known_fields``, rejects keys
    ``GRPOConfig`` does not have *before* a model is loaded.
    """
    kw = dict(cfg.get("grpo") or {})
    kw.setdefault("output_dir", str(cfg.get("output_dir", "outputs")))
    kw["output_dir"] = str(cfg.get("output_dir", kw["output_dir"]))
    if cfg.get("report_to") is not None:
        rep = cfg["report_to"]
        kw["report_to"] = rep.split(",") if isinstance(rep, str) and "," in rep else rep
    precision = str(cfg.get("precision", "auto"))
    if precision == "fp16":
        kw.update(fp16=True, bf16=False)
    elif precision == "bf16":
        kw.update(fp16=False, bf16=True)
    elif precision == "fp32":
        kw.update(fp16=False, bf16=False)
    if str(cfg.get("device", "cuda")) == "cpu":
        kw.update(use_cpu=True, fp16=False, bf16=False)
        kw.pop("deepspeed", None)
    if "warmup_ratio" in kw:
        ratio = kw.pop("warmup_ratio")
        kw.setdefault("warmup_steps", float(ratio) if ratio else 0)
    kw.pop("max_prompt_length", None)
    if kw.get("deepspeed") and not os.path.isabs(str(kw["deepspeed"])):
        kw["deepspeed"] = str(Path(str(cfg.get("_recipe_dir", "."))) / str(kw["deepspeed"]))
    if known_fields is not None:
        known = set(known_fields)
        unknown = sorted(k for k in kw if k not in known)
        if unknown:
            import difflib

            hints = [
                f"{k} (did you mean {', '.join(difflib.get_close_matches(k, known, n=2))}?)"
                if difflib.get_close_matches(k, known, n=2)
                else k
                for k in unknown
            ]
            raise ConfigError("GRPOConfig has no field(s): " + "; ".join(hints))
    return kw


def grpo_with_weights(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`grpo_kwargs` plus ``reward_weights`` from each ``cfg['rewards']`` entry."""
    grpo = grpo_kwargs(cfg)
    grpo["reward_weights"] = [float(r.get("weight", 1.0)) for r in cfg.get("rewards") or []]
    return grpo


def grpo_field_problems(cfg: Mapping[str, Any], extra: Iterable[str] = ()) -> list[str]:
    """The unknown-``GRPOConfig``-field problem, if any (none when TRL is not installed).

    ``extra`` names keys the recipe adds itself (``reward_weights``) that count as known.
    """
    fields = grpo_fields()
    if fields is None:
        return []
    try:
        grpo_kwargs(cfg, known_fields=[*fields, *extra])
    except ConfigError as exc:
        return [str(exc)]
    return []


def grpo_fields() -> list[str] | None:
    """Field names of the installed ``trl.GRPOConfig`` (None when TRL is not installed)."""
    import dataclasses

    try:
        from trl import GRPOConfig
    except Exception:
        return None
    return [f.name for f in dataclasses.fields(GRPOConfig)]


def validate_grpo(kw: Mapping[str, Any]) -> list[str]:
    """Cheap GRPO consistency checks TRL would otherwise raise after loading the model."""
    problems = []
    gens = int(kw.get("num_generations", 8))
    if gens < 2:
        problems.append(
            f"num_generations={gens}: GRPO needs >= 2 completions per prompt (the advantage is "
            "reward minus the group mean, always 0 for a group of one)"
        )
    steps = int(kw.get("steps_per_generation") or kw.get("gradient_accumulation_steps", 1))
    batch = int(kw.get("generation_batch_size") or kw.get("per_device_train_batch_size", 8) * steps)
    if gens >= 2 and batch % gens:
        problems.append(
            f"generation batch {batch} (per_device_train_batch_size x gradient_accumulation_steps "
            f"x GPUs) is not divisible by num_generations={gens}"
        )
    return problems


# --------------------------------------------------------------------------------------
# logging, metrics history, plots
# --------------------------------------------------------------------------------------
def log(message: str) -> None:
    """One console line, prefixed so recipe output stands out from library chatter."""
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")) or 0) == 0:
        print(f"[recipe] {message}", flush=True)


@dataclass
class MetricsHistory:
    """Every logged step's metrics; written as JSONL + CSV and plotted at the end."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: Mapping[str, Any]) -> None:
        self.records.append(dict(record))

    def write(self, out_dir: str | Path) -> dict[str, str]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"jsonl": str(out / "metrics.jsonl"), "csv": str(out / "metrics.csv")}
        with open(paths["jsonl"], "w", encoding="utf-8") as fh:
            for rec in self.records:
                fh.write(json.dumps(rec, default=str) + "\n")
        keys: list[str] = []
        for rec in self.records:
            keys.extend(k for k in rec if k not in keys)
        with open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.records)
        png = plot_rewards(self.records, out / "reward_curve.png")
        if png:
            paths["png"] = png
        return paths


def plot_rewards(records: Sequence[Mapping[str, Any]], path: str | Path) -> str | None:
    """Reward (and each reward term) against step as a PNG; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no reward_curve.png (pip install matplotlib)")
        return None
    rows = [r for r in records if "reward" in r and "step" in r]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["reward"] for r in rows], label="reward (weighted sum)", linewidth=2)
    terms = sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    for key in terms:
        pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if pts:
            ax.plot(*zip(*pts, strict=True), label=key[len("rewards/") : -len("/mean")], alpha=0.7)
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def metrics_callback(history: MetricsHistory, clock: RewardClock | None = None) -> Any:
    """A ``transformers.TrainerCallback`` that prints progress and records every log.

    Console line per log event: step/max_steps, reward, each reward term, loss,
    steps/s and the share of wall time spent computing rewards since the last
    log. Runs next to (not instead of) ``report_to`` integrations.
    """
    from transformers import TrainerCallback

    class RecipeMetrics(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.start = time.perf_counter()
            self.last_time = self.start
            self.last_step = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.start = self.last_time = time.perf_counter()

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if not logs or not state.is_world_process_zero:
                return
            now = time.perf_counter()
            rec: dict[str, Any] = {
                "step": state.global_step,
                "elapsed_s": round(now - self.start, 3),
            }
            rec.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str))})
            span, steps = now - self.last_time, state.global_step - self.last_step
            if steps > 0 and span > 0:
                rec["steps_per_s"] = round(steps / span, 4)
            if clock is not None and span > 0 and steps > 0:
                rec["reward_time_share"] = round(clock.take() / span, 6)
            self.last_time, self.last_step = now, state.global_step
            history.add(rec)
            if "reward" not in rec and "loss" not in rec:
                return
            terms = " ".join(
                f"{k[8:-5]}={v:.3f}"
                for k, v in rec.items()
                if k.startswith("rewards/") and k.endswith("/mean") and isinstance(v, float)
            )
            parts = [f"step {state.global_step}/{state.max_steps}"]
            for key in ("reward", "loss"):
                if isinstance(rec.get(key), (int, float)) and not math.isnan(rec[key]):
                    parts.append(f"{key}={rec[key]:.4f}")
            if terms:
                parts.append(f"[{terms}]")
            if "steps_per_s" in rec:
                parts.append(f"{rec['steps_per_s']:.2f} steps/s")
            if "reward_time_share" in rec:
                parts.append(f"rewards {100 * rec['reward_time_share']:.2f}% of time")
            log(" ".join(parts))

    return RecipeMetrics()


def peak_gpu_memory() -> dict[str, float]:
    """Peak allocated/reserved CUDA memory in MiB (empty without CUDA)."""
    try:
        import torch
    except ImportError:
        return {}
    if not torch.cuda.is_available():
        return {}
    return {
        "peak_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
        "peak_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1),
    }


def finish(
    cfg: Mapping[str, Any],
    history: MetricsHistory,
    clock: RewardClock | None,
    train_metrics: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write metrics history, the reward plot and ``summary.json``; return the summary."""
    out = Path(str(cfg.get("output_dir", "outputs")))
    if int(os.environ.get("RANK", "0") or 0) != 0:
        return {}
    files = history.write(out)
    summary: dict[str, Any] = {
        "recipe": cfg.get("_recipe"),
        "model": cfg.get("model"),
        "dataset": cfg.get("dataset"),
        "files": files,
        **peak_gpu_memory(),
    }
    if train_metrics:
        summary["train"] = {k: v for k, v in train_metrics.items() if isinstance(v, (int, float))}
        runtime = float(train_metrics.get("train_runtime") or 0)
        if clock is not None and runtime > 0:
            summary["reward_seconds"] = round(clock.total, 3)
            summary["reward_time_share"] = round(clock.total / runtime, 6)
    rewards = [r["reward"] for r in history.records if isinstance(r.get("reward"), (int, float))]
    if rewards:
        k = max(1, len(rewards) // 5)
        summary["reward_first"] = round(sum(rewards[:k]) / k, 4)
        summary["reward_last"] = round(sum(rewards[-k:]) / k, 4)
    if extra:
        summary.update(extra)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    log("summary: " + json.dumps({k: v for k, v in summary.items() if k != "files"}, default=str))
    log(f"metrics: {files.get('csv')}  plot: {files.get('png', 'n/a')}")
    return summary


def dump_plan(
    cfg: Mapping[str, Any], trainer_config: Mapping[str, Any], command: Sequence[str]
) -> str:
    """The text ``--dry-run`` prints: resolved recipe config, trainer config, launch command."""
    public = {k: v for k, v in cfg.items() if not k.startswith("_")}
    return "\n".join(
        [
            "# resolved recipe config",
            json.dumps(public, indent=2, default=str),
            "# trainer config",
            json.dumps(dict(trainer_config), indent=2, default=str),
            "# launch command",
            shlex.join(command),
        ]
    )


# --------------------------------------------------------------------------------------
# Unsloth
# --------------------------------------------------------------------------------------
def import_unsloth_first() -> None:
    """``import unsloth`` before anything imports trl/transformers/peft (anchors §2.1).

    Unsloth patches those libraries at import; validating a config reads
    ``trl.GRPOConfig``'s fields, so Unsloth recipes call this before validating
    (a dry run skips it: it costs ~30 s and needs a GPU stack).
    """
    from rewardkit.trainers.unsloth import import_unsloth

    import_unsloth()  # warns (UnslothImportOrderWarning) if trl/transformers/peft came first


def unsloth_model(cfg: Mapping[str, Any]) -> tuple[Any, Any]:
    """Load ``cfg['model']`` with Unsloth and apply its LoRA; returns ``(model, tokenizer)``.

    ``import unsloth`` happens here, first: Unsloth patches ``trl``,
    ``transformers`` and ``peft`` at import and must precede them (anchors §2.1),
    so recipe ``train.py`` files import nothing heavy before calling this.
    """
    import_unsloth_first()
    from unsloth import FastLanguageModel

    load = dict(cfg.get("unsloth_model") or {})
    if not load.get("fast_inference"):
        for key in ("gpu_memory_utilization", "max_lora_rank"):
            load.pop(key, None)
    model, tokenizer = FastLanguageModel.from_pretrained(model_name=str(cfg["model"]), **load)
    peft = dict(cfg.get("unsloth_peft") or {})
    model = FastLanguageModel.get_peft_model(model, **peft)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def generate_texts(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    *,
    max_new_tokens: int = 256,
    lora_request: Any = None,
) -> list[str]:
    """Greedy completions; through Unsloth's colocated vLLM when the model has one.

    ``fast_generate`` (vLLM) is what the seed notebook uses before/after training;
    without it (no vLLM, or a CPU/HF model) ``model.generate`` gives the same
    greedy answer more slowly.
    """
    texts = [
        tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
        if isinstance(p, list)
        else str(p)
        for p in prompts
    ]
    if getattr(model, "vllm_engine", None) is not None and hasattr(model, "fast_generate"):
        from vllm import SamplingParams

        params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
        outs = model.fast_generate(texts, sampling_params=params, lora_request=lora_request)
        return [o.outputs[0].text for o in outs]
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
    with torch.no_grad():
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    tokenizer.padding_side = side
    return list(
        tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    )


def accuracy(
    model: Any,
    tokenizer: Any,
    rows: Sequence[Mapping[str, Any]],
    scorer: Any,
    *,
    max_new_tokens: int = 256,
    batch_size: int = 64,
    lora_request: Any = None,
) -> dict[str, Any]:
    """Greedy accuracy of ``scorer`` over ``rows`` (vLLM or HF generation, see generate_texts).

    Each score is divided by the top of the reward's declared range, so a weighted
    correctness reward such as ``2*number_match`` still yields a fraction in [0, 1] (and
    ``f1`` its mean); a reward without a declared positive top contributes its raw score.
    """
    top = (getattr(scorer, "range", None) or (None, None))[1]
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    scores: list[float] = []
    examples: list[dict[str, Any]] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        outs = generate_texts(
            model,
            tokenizer,
            [r["prompt"] for r in chunk],
            max_new_tokens=max_new_tokens,
            lora_request=lora_request,
        )
        for row, completion in zip(chunk, outs, strict=True):
            outcome = scorer.score({**row, "completion": completion})
            score = float(outcome.score or 0.0)
            scores.append(min(1.0, max(0.0, score / top)) if top and top > 0 else score)
            if len(examples) < 3:
                examples.append(
                    {"prompt": str(row["prompt"])[-160:], "completion": completion[:240]}
                )
    if was_training:
        model.train()
    n = len(scores)
    return {"n": n, "accuracy": round(sum(scores) / n, 4) if n else None, "examples": examples}


def run_unsloth_grpo(
    cfg: Mapping[str, Any],
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    *,
    samples: Sequence[Any] = (),
    tokenizer_filter: bool = True,
) -> dict[str, Any]:
    """The Unsloth GRPO loop shared by the Unsloth recipes.

    Load with Unsloth (LoRA applied there, so ``peft_config=None`` goes to the
    trainer), build rewardkit rewards for TRL, train with the (Unsloth-patched)
    ``trl.GRPOTrainer`` looked up *after* ``import unsloth``, save the LoRA,
    reload it from disk and evaluate the reloaded adapter — so "after" measures
    what was saved, not what happens to be in memory.
    """
    model, tokenizer = unsloth_model(cfg)
    from rewardkit.trainers.unsloth import grpo_config_class, grpo_trainer_class

    grpo = grpo_with_weights(cfg)
    if tokenizer_filter:
        train_rows = drop_long_prompts(
            train_rows, tokenizer, (cfg.get("grpo") or {}).get("max_prompt_length")
        )
    train_ds = to_dataset(train_rows)
    reward_funcs, _ = build_trl_rewards(cfg, dataset=train_ds)
    scorers = {name: rw for name, rw, _ in build_reward_objects(cfg)}
    scorer = scorers.get(str(cfg.get("eval_reward", "correctness")))
    eval_kw = {"max_new_tokens": int(cfg.get("eval_max_new_tokens", 256))}
    before = (
        accuracy(model, tokenizer, eval_rows, scorer, **eval_kw) if eval_rows and scorer else None
    )
    if before:
        log(f"before training: accuracy {before['accuracy']} on {before['n']} held-out prompts")
    gen_kw = {"max_new_tokens": int(cfg.get("sample_max_new_tokens", 256))}
    samples_before = generate_texts(model, tokenizer, samples, **gen_kw) if samples else []
    for text in samples_before:
        log(f"sample before training: {text[:300]!r}")

    history, clock = MetricsHistory(), RewardClock()
    trainer = grpo_trainer_class()(
        model=model,
        processing_class=tokenizer,
        reward_funcs=reward_funcs,
        args=grpo_config_class()(**grpo),
        train_dataset=train_ds,
        peft_config=None,
        callbacks=[metrics_callback(history, clock)],
    )
    instrument_reward_time(trainer, clock)
    result = trainer.train()
    out = Path(str(cfg.get("output_dir", "outputs")))
    lora_dir = out / str(cfg.get("lora_dir", "grpo_saved_lora"))
    if hasattr(model, "save_lora"):
        model.save_lora(str(lora_dir))
    else:
        model.save_pretrained(str(lora_dir))
    tokenizer.save_pretrained(str(lora_dir))
    log(f"saved LoRA to {lora_dir}")

    after, samples_after = None, []
    if (eval_rows and scorer) or samples:
        lora_request = None
        if getattr(model, "vllm_engine", None) is not None and hasattr(model, "load_lora"):
            lora_request = model.load_lora(str(lora_dir))
        else:  # reload the adapter from disk into the PEFT model and evaluate that copy
            model.load_adapter(str(lora_dir), adapter_name="reloaded")
            model.set_adapter("reloaded")
        if samples:
            samples_after = generate_texts(
                model, tokenizer, samples, lora_request=lora_request, **gen_kw
            )
            for text in samples_after:
                log(f"sample after training (reloaded LoRA): {text[:300]!r}")
        if eval_rows and scorer:
            after = accuracy(
                model, tokenizer, eval_rows, scorer, lora_request=lora_request, **eval_kw
            )
            log(f"after training (LoRA reloaded from disk): accuracy {after['accuracy']}")
    return finish(
        cfg,
        history,
        clock,
        result.metrics,
        extra={
            "eval_before": before,
            "eval_after": after,
            "samples_before": samples_before,
            "samples_after": samples_after,
            "lora_dir": str(lora_dir),
        },
    )
