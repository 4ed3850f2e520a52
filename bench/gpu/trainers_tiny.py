"""A tiny Qwen2 policy, tokenizer and GSM8K-style data built locally (the GPU machine is offline).

Shared by the trainer-adapter GPU scripts (``trainers_*.py``). The tokenizer is a
byte-level BPE trained on the notebook's format, so XML tags are a few tokens.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

SYSTEM = (
    "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>"
)
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
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
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    path = Path(path)
    corpus = [SYSTEM] + [
        f"{q['question']}\n<reasoning>\nadd\n</reasoning>\n<answer>\n{q['answer'][-3:]}\n</answer>"
        for q in questions(300)
    ]
    specials = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|pad|>"
    )
    fast.padding_side = "left"
    fast.chat_template = CHATML
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=hidden,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_hidden_layers=layers,
        intermediate_size=hidden * 2,
        max_position_embeddings=1024,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, do_sample=True
    )
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


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
