"""A tiny Qwen2 policy and BPE tokenizer built from nothing, for offline GRPO runs on CPU.

No downloads: the tokenizer is trained on a few dozen strings with ``tokenizers``
and the model is a randomly initialised ~10k-parameter ``Qwen2ForCausalLM``
(anchors-trainers §5.2). Built once per session under a temporary directory.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CORPUS = [
    "What is 2 + 2? <reasoning>\nadd them\n</reasoning>\n<answer>\n4\n</answer>",
    "Solve 3 * 5. <think>multiply</think> The answer is 15.",
    "Name the capital of France. <answer>Paris</answer>",
    "system user assistant hello world numbers 0 1 2 3 4 5 6 7 8 9",
] * 8


def build_tiny(path: Path) -> Path:
    """Write a tiny Qwen2 model and its tokenizer to ``path`` and return it."""
    importlib.import_module("rewardkit.recipes_cli")  # binds rewardkit.recipes in a source tree
    from rewardkit.recipes._tiny import build_tiny_model

    return build_tiny_model(path, corpus=CORPUS, split_digits=False, max_position_embeddings=256)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    return build_tiny(tmp_path_factory.mktemp("tiny-qwen2"))
