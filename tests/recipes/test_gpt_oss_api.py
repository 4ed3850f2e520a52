"""Seed 000's Python API (``GPT20BGRPOConfig``, ``UnslothGRPODataset``, ``UnslothGRPOTrainer``),
in the package and in an exported folder, with the presets the document lists."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rewardkit.recipes.gpt_oss_20b_16gb.config_20b import GPT20BGRPOConfig
from rewardkit.recipes.gpt_oss_20b_16gb.grpo_unsloth_trainer import (
    UnslothGRPODataset,
    UnslothGRPOTrainer,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recipes" / "gpt_oss_20b_16gb" / "data" / "example.json"


@pytest.mark.parametrize(
    ("preset", "seq", "rank", "accum"),
    [("conservative", 512, 4, 32), ("standard", 1024, 8, 16), ("aggressive", 2048, 16, 8)],
)
def test_config_presets_are_the_documents(preset: str, seq: int, rank: int, accum: int) -> None:
    cfg = GPT20BGRPOConfig(preset=preset, overrides={"grpo.max_steps": 7})
    d = cfg.to_dict()
    assert (cfg.max_seq_length, cfg.lora_rank) == (seq, rank)
    assert d["grpo"]["gradient_accumulation_steps"] == accum
    assert d["grpo"]["per_device_train_batch_size"] == 1 and d["grpo"]["max_steps"] == 7
    assert d["unsloth_peft"]["lora_alpha"] == 2 * rank and d["grpo"]["beta"] == 0.04


def test_dataset_reads_the_documents_json_format() -> None:
    ds = UnslothGRPODataset(str(EXAMPLE))
    assert len(ds) == 2 and [r["answer"] for r in ds] == ["30", "30"]
    user = ds[0]["prompt"][-1]["content"]
    assert "Calculate the percentage" in user and "What is 15% of 200?" in user


@pytest.mark.skipif(
    importlib.util.find_spec("unsloth") is not None, reason="unsloth is installed here"
)
@pytest.mark.filterwarnings("ignore:trl, transformers, peft imported before unsloth")
def test_trainer_without_unsloth_says_what_is_missing() -> None:
    with pytest.raises(ImportError, match="unsloth"):
        UnslothGRPOTrainer(GPT20BGRPOConfig(preset="conservative"))


def test_the_documents_imports_work_in_an_exported_folder(tmp_path: Path) -> None:
    dest = tmp_path / "exported"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "rewardkit.recipes_cli", "export", "gpt-oss-20b-16gb", str(dest)],
        check=True, env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    code = (
        "from grpo_unsloth_trainer import UnslothGRPODataset\n"
        "from config_20b import GPT20BGRPOConfig\n"
        "config = GPT20BGRPOConfig(preset='aggressive')\n"
        "ds = UnslothGRPODataset('data/example.json', None, config)\n"
        "print(config.max_seq_length, len(ds))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=dest, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2048", "2"]
