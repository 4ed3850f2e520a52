"""A tiny Qwen2 policy, tokenizer and GSM8K-style data built locally (the GPU machine is offline).

Shared by the trainer-adapter GPU scripts (``trainers_*.py``). The tokenizer is a
byte-level BPE trained on the notebook's format, so XML tags are a few tokens.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

try:  # an installed wheel maps the repo's recipes/ folder to rewardkit.recipes
    from rewardkit.recipes._tiny import build_tiny_model
except ImportError:  # the source tree: the repo root is on PYTHONPATH
    from recipes._tiny import build_tiny_model

SYSTEM = (
    "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>"
)


def questions(n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        out.append(
            {"question": f"What is {a} + {b}?", "answer": f"{a} + {b} = {a + b}\n#### {a + b}"}
        )
    return out


def build_tiny(path: str | Path, *, hidden: int = 256, layers: int = 4) -> Path:
    """Save a randomly initialised Qwen2 (``hidden`` x ``layers``) and its tokenizer to ``path``."""
    corpus = [SYSTEM] + [
        f"{q['question']}\n<reasoning>\nadd\n</reasoning>\n<answer>\n{q['answer'][-3:]}\n</answer>"
        for q in questions(300)
    ]
    return build_tiny_model(
        path,
        hidden_size=hidden,
        layers=layers,
        intermediate_size=hidden * 2,
        corpus=corpus,
        vocab_size=1024,
        split_digits=False,
        max_position_embeddings=1024,
        generation={"do_sample": True},
    )


def conversational_dataset(n: int = 256) -> Any:
    from datasets import Dataset

    rows = questions(n)
    return Dataset.from_dict(
        {
            "prompt": [
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": r["question"]}]
                for r in rows
            ],
            "answer": [r["answer"].split("####")[-1].strip() for r in rows],
        }
    )


def write_jsonl(path: str | Path, n: int = 64) -> Path:
    path = Path(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in questions(n)))
    return path
