"""recipe.yaml, presets and ``--set`` overrides: the resolved config of a run.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_config`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _apply_variants(spec: RecipeSpec, cfg: dict[str, Any]) -> bool:
    """Merge ``variants: {KEY: {VALUE: {...}}}`` for each KEY's chosen VALUE.

    A variant is a named group of settings chosen by one config key (e.g. ``reward_set:
    seed|improved``), so it combines with any preset, unlike a second preset would.
    """
    merged = False
    for key, choices in (spec.data.get("variants") or {}).items():
        value = cfg.get(key)
        if value is None:
            continue
        if str(value) not in (choices or {}):
            raise ConfigError(f"{key}={value!r}: choose one of {', '.join(map(str, choices))}")
        _deep_merge(cfg, choices[str(value)] or {})
        merged = True
    return merged


def resolve_config(
    spec: RecipeSpec,
    *,
    preset: str | None = None,
    sets: Iterable[str] = (),
    dataset: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Defaults ← preset ← variants ← ``--set`` ← ``--dataset``/``--model``; records what was
    chosen."""
    cfg = copy.deepcopy(spec.config)
    presets = spec.presets
    chosen = preset or spec.data.get("default_preset")
    if chosen:
        if chosen not in presets:
            raise ConfigError(
                f"recipe {spec.name}: no preset {chosen!r}; presets: {', '.join(presets) or 'none'}"
            )
        _deep_merge(cfg, presets[chosen])
    sets = list(sets)
    applied: dict[str, Any] = {}
    for item in sets:
        key, value = parse_set(item)
        applied[apply_override(cfg, key, value)] = value
    if _apply_variants(spec, cfg):  # a chosen variant's values, then the overrides again on top
        for item in sets:
            key, value = parse_set(item)
            apply_override(cfg, key, value)
    if dataset is not None:
        cfg["dataset"] = dataset
    if model is not None:
        cfg["model"] = model
    cfg["_recipe"] = {"name": spec.name, "preset": chosen, "overrides": applied}
    cfg["_recipe_dir"] = str(spec.dir)
    return cfg


SEED_DIFF_FILE = "seed_diff.yaml"
SEED_DIFF_FIELDS = ("what", "seed", "recipe", "why")


def load_seed_diff(spec: RecipeSpec) -> list[dict[str, Any]]:
    """The recipe's deliberate deviations from its seed document (``seed_diff.yaml``).

    Each entry says what differs, the seed's value, the recipe's value and why; an entry
    may name the recipe config ``key`` (dotted, list indices allowed) and ``value`` it
    claims, optionally under a ``preset``, so a test can hold the table to recipe.yaml.
    """
    path = spec.dir / SEED_DIFF_FILE
    if not path.is_file():
        raise ConfigError(f"recipe {spec.name} has no {SEED_DIFF_FILE}")
    data = load_yaml(path) or {}
    rows = data.get("deviations") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: expected 'deviations:' with a list of entries")
    for i, row in enumerate(rows):
        missing = [f for f in SEED_DIFF_FIELDS if not isinstance(row, dict) or row.get(f) is None]
        if missing:
            raise ConfigError(f"{path}: entry {i} lacks {', '.join(missing)}")
    return [dict(r) for r in rows]


def lookup(cfg: Any, dotted: str) -> Any:
    """``cfg['a']['b'][1]`` for ``"a.b.1"``; KeyError/IndexError when a part is absent."""
    node = cfg
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node
