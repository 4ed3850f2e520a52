"""Fixtures for the recipe tests: the CLI app and a tiny offline model + dataset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import rewardkit.recipes_cli  # noqa: F401  (binds rewardkit.recipes in a source checkout)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~10k-parameter Qwen2 and BPE tokenizer built locally (no downloads)."""
    pytest.importorskip("transformers")
    from rewardkit.recipes import _tiny

    return _tiny.build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def addition_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 two-digit addition rows in GSM8K's question/answer columns."""
    from rewardkit.recipes import _tiny

    return _tiny.write_jsonl(_tiny.addition_rows(24), tmp_path_factory.mktemp("data") / "a.jsonl")
