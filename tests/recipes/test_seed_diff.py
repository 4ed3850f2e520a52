"""``rewardkit recipe show NAME --diff-from-seed``: every recipe lists its deliberate
deviations from its seed document, each entry's claimed value matches recipe.yaml, the CLI
prints them, and the READMEs point to the command. Also: the seeds' own flags after the recipe
name reach the config through ``recipe run`` (the real CLI, in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rewardkit.recipes import _runtime as rt
from rewardkit.recipes import recipe_dir, recipe_names

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "1000"}  # one table row per line
    return subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", "recipe", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(recipe_names()))
def test_seed_diff_entries_hold_against_recipe_yaml(name: str) -> None:
    spec = rt.load_spec(recipe_dir(name))
    rows = rt.load_seed_diff(spec)
    assert len(rows) >= 3, f"{name}: a seed_diff.yaml with the real deviations"
    assert (rt.load_yaml(spec.dir / rt.SEED_DIFF_FILE) or {}).get("seed") == spec.data["seed"]
    checked = 0
    for row in rows:
        if "key" not in row:
            continue
        cfg = rt.resolve_config(spec, preset=row.get("preset"))
        got = rt.lookup(cfg, str(row["key"]))
        want = row["value"]
        assert got == (pytest.approx(want) if isinstance(want, float) else want), (name, row)
        checked += 1
    assert checked >= 1, f"{name}: at least one entry names the config key it describes"


@pytest.mark.parametrize("name", sorted(recipe_names()))
def test_show_diff_from_seed_prints_the_table(name: str) -> None:
    proc = _cli("show", name, "--diff-from-seed")
    assert proc.returncode == 0, proc.stderr
    rows = rt.load_seed_diff(rt.load_spec(recipe_dir(name)))
    for row in rows:
        assert str(row["what"]) in proc.stdout, row["what"]
        assert str(row["why"])[:60] in proc.stdout
    assert f"{len(rows)} deviation(s)" in proc.stdout
    assert "config (defaults)" not in proc.stdout  # only the table
    readme = (recipe_dir(name) / "README.md").read_text()
    assert f"rewardkit recipe show {name} --diff-from-seed" in readme


def test_a_recipe_without_seed_diff_is_an_error(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    assert _cli("export", "musique-unsloth", str(dest)).returncode == 0
    (dest / rt.SEED_DIFF_FILE).unlink()
    proc = _cli("show", str(dest), "--diff-from-seed")
    assert proc.returncode == 2 and "no seed_diff.yaml" in proc.stderr


def test_seed_flags_after_the_recipe_name_reach_the_config(tmp_path: Path) -> None:
    """Seed 004's command line through `rewardkit recipe run` (not only train.py)."""
    proc = _cli(
        "run", "musique-unsloth", "--dry-run", "-o", str(tmp_path), "train",
        "--lora-rank", "16", "--lora-alpha", "24", "--no-bf16", "--max-steps", "7",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    tc = json.loads(out[out.index("# trainer config") + 16 : out.index("# launch command")])
    assert tc["FastLanguageModel.get_peft_model"]["lora_alpha"] == 48
    assert tc["GRPOConfig"]["bf16"] is False and tc["GRPOConfig"]["max_steps"] == 7
    bad = _cli("run", "gsm8k-trl-deepspeed-lora", "--dry-run", "--lora-alpha", "3")
    assert bad.returncode == 2 and "takes no extra arguments" in bad.stderr
