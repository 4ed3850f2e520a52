"""A tiny Qwen2 + tokenizer built offline, and a 2-digit addition task, for smoke tests.

Neither CI nor the lent GPU machine can download a model, and a real model
would make a smoke test slow. These helpers build one from nothing (a
``tokenizers`` BPE with one token per digit, and a randomly initialised
``Qwen2ForCausalLM``), write addition data in each recipe's own input format,
and optionally pre-train ("SFT") it briefly so GRPO starts from a policy that
is partly right: the regime where the reward curve can visibly rise.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["addition_rows", "build_tiny_model", "sft", "write_jsonl"]

SPECIALS = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS_EXTRA = [
    "Question: What is 12 + 34?\n<think>12+34</think>\nAnswer: 46",
    "<reasoning>\n12+34\n</reasoning>\n<answer>\n46\n</answer>\n",
    "Respond in the following format: reasoning answer think",
    "system user assistant",
]


def addition_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` 2-digit addition problems as ``{"question", "answer", "a", "b"}`` rows."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        rows.append({"question": f"What is {a} + {b}?", "answer": str(a + b), "a": a, "b": b})
    return rows


def write_jsonl(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write rows as JSON Lines (the local data format every recipe accepts)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return p


def build_tiny_model(
    out_dir: str | Path,
    *,
    hidden_size: int = 16,
    layers: int = 2,
    intermediate_size: int = 32,
    heads: int = 4,
    kv_heads: int = 2,
    extra_text: Sequence[str] = (),
    corpus: Sequence[str] | None = None,
    vocab_size: int = 400,
    split_digits: bool = True,
    max_position_embeddings: int = 512,
    generation: Mapping[str, Any] | None = None,
) -> Path:
    """Save a random tiny ``Qwen2ForCausalLM`` and its tokenizer (with a ChatML template).

    The tokenizer is a byte-level BPE of ``vocab_size`` trained on ``corpus`` as
    given (default: addition questions, the recipes' formats and ``extra_text``,
    three times); ``split_digits`` makes every digit its own token.
    ``generation`` adds keyword arguments to the model's ``GenerationConfig``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.pre_tokenizer = (
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
        if split_digits
        else byte_level
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    if corpus is None:
        text = [r["question"] for r in addition_rows(200)] + _CORPUS_EXTRA + list(extra_text)
        corpus = text * 3
    tok.train_from_iterator(list(corpus), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|pad|>", bos_token=None
    )
    fast.padding_side = "left"
    fast.chat_template = CHATML
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=hidden_size,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        num_hidden_layers=layers,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, **dict(generation or {})
    )
    out = Path(out_dir)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out


def sft(
    model_dir: str | Path,
    pairs: Sequence[tuple[Any, str]],
    *,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 1e-3,
    device: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Briefly train on (prompt, completion) pairs, loss on completion tokens only; save in place.

    Prompts may be strings or chat message lists (rendered with the chat
    template, exactly as GRPO will render them).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(dev)
    encoded = []
    for prompt, completion in pairs:
        text = (
            tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            if isinstance(prompt, list)
            else prompt
        )
        p_ids = tok(text, add_special_tokens=False)["input_ids"]
        c_ids = tok(completion, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        encoded.append((p_ids, c_ids))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    rng = random.Random(0)
    model.train()
    for step in range(steps):
        batch = rng.sample(encoded, min(batch_size, len(encoded)))
        width = max(len(p) + len(c) for p, c in batch)
        ids = torch.full((len(batch), width), tok.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, (p, c) in enumerate(batch):
            seq = p + c
            ids[i, : len(seq)] = torch.tensor(seq)
            labels[i, len(p) : len(seq)] = torch.tensor(c)
            mask[i, : len(seq)] = 1
        out = model(input_ids=ids.to(dev), attention_mask=mask.to(dev), labels=labels.to(dev))
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            log(f"sft step {step} loss {out.loss.item():.4f}")
    model.save_pretrained(model_dir)
    return Path(model_dir)
