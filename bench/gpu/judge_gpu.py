"""GPU: a small instruct model as an LLM judge, served over an OpenAI-compatible endpoint.

The lent GPU machine is offline, so no instruct model can be downloaded. This script
makes one: a tiny Qwen2 (``recipes/_tiny.py``) fine-tuned on the GPU to do a judge's
job on rewardkit's own judge prompt (the default ``llm_judge`` template with a
reference answer) — read the answer in a free-form completion, compare it with the
reference, reply ``{"score": 10}`` or ``{"score": 1}``. It is then served by
transformers behind ``/v1/chat/completions`` (a thread with dynamic batching: requests
arriving together are generated in one batch, as vLLM/SGLang servers do), and
rewardkit scores a few hundred held-out completions through it:

1. ``rewardkit.judges.judge`` from Python (async, concurrency 32): agreement with the
   ground truth, statuses, calls/s, then a re-run served from the cache;
2. ``rewardkit score -r llm_judge`` through the real CLI (a subprocess): the summary's
   request/token/cost accounting.

    OUT=/tmp/out python3 bench/gpu/judge_gpu.py [--rows 512] [--sft-steps 1500]

Results go to ``$OUT/judge_gpu.json``; bench/gpu/judge_gpu.sh installs the wheels.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from recipes._tiny import build_tiny_model, sft  # noqa: E402
from rewardkit.judges import judge  # noqa: E402

PHRASES = [
    "The answer is {c}.",
    "{c}",
    "So the sum is {c}",
    "Adding them gives {c}, final answer.",
    "I think it is {c}",
]


def make_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """Addition questions with free-form answers, half right and half near misses."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        right = rng.random() < 0.5
        c = a + b
        if not right:
            c += rng.choice([-1, 1]) * rng.randint(1, 20)
            if c == a + b or c < 0:
                c = a + b + 11
        rows.append(
            {
                "prompt": f"What is {a} + {b}?",
                "completion": rng.choice(PHRASES).format(c=c),
                "answer": str(a + b),
                "correct": c == a + b,
            }
        )
    return rows


def verdict(row: dict[str, Any]) -> str:
    """The reply the judge is trained to give: it first copies the answer it found and the
    reference (a short written comparison), then the score; the copies make the final
    decision a comparison of neighbouring tokens, which a tiny model learns quickly."""
    found = row["completion"].rstrip(".").split()[-1] if row["completion"] else ""
    found = "".join(ch for ch in row["completion"] if ch.isdigit()) or found
    return json.dumps(
        {"found": found, "reference": row["answer"], "score": 10 if row["correct"] else 1}
    )


class Generator:
    """Greedy generation in batches: requests queued together are generated together."""

    def __init__(
        self, model_dir: Path, device: str, max_batch: int = 64, wait_s: float = 0.004
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.tok.padding_side = "left"  # generation continues every row at its own end
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
        self.model = self.model.to(device).eval()
        self.device = device
        self.max_batch, self.wait_s = max_batch, wait_s
        self.q: queue.Queue[tuple[list[dict[str, str]], dict[str, Any], threading.Event]] = (
            queue.Queue()
        )
        self.batches: list[int] = []
        threading.Thread(target=self._loop, daemon=True).start()

    def ask(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        slot: dict[str, Any] = {}
        done = threading.Event()
        self.q.put((messages, slot, done))
        done.wait()
        return slot

    def _loop(self) -> None:
        while True:
            items = [self.q.get()]
            deadline = time.monotonic() + self.wait_s
            while len(items) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    items.append(self.q.get(timeout=left))
                except queue.Empty:
                    break
            self.batches.append(len(items))
            texts = [
                self.tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True)
                for m, _, _ in items
            ]
            enc = self.tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with self.torch.no_grad():
                out = self.model.generate(**enc, max_new_tokens=40, do_sample=False)
            width = enc["input_ids"].shape[1]
            for i, (_, slot, done) in enumerate(items):
                new = out[i, width:].tolist()
                if self.tok.eos_token_id in new:
                    new = new[: new.index(self.tok.eos_token_id) + 1]
                slot["content"] = self.tok.decode(new, skip_special_tokens=True)
                slot["prompt_tokens"] = int(enc["attention_mask"][i].sum())
                slot["completion_tokens"] = len(new)
                done.set()


def serve(gen: Generator) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            got = gen.ask(body["messages"])
            reply = {
                "object": "chat.completion",
                "model": body.get("model", "tiny-judge"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": got["content"]},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": got["prompt_tokens"],
                    "completion_tokens": got["completion_tokens"],
                    "total_tokens": got["prompt_tokens"] + got["completion_tokens"],
                },
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--train-rows", type=int, default=20000)
    ap.add_argument("--sft-steps", type=int, default=1500)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--device", default="cuda", help="cpu: a smoke test of the script")
    args = ap.parse_args()
    out_dir = Path(os.environ.get("OUT", "/tmp/out"))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path("/tmp/judge_gpu")
    work.mkdir(exist_ok=True)
    res: dict[str, Any] = {}

    # the judge's own prompt, exactly as rewardkit renders it, is the training input
    renderer = judge(model="tiny-judge", base_url="http://unused/v1")
    train = make_rows(args.train_rows, seed=1)
    pairs = [(renderer.fn._render(r), verdict(r)) for r in train]  # type: ignore[attr-defined]
    corpus = [m[0]["content"] for m, _ in pairs[:2000]] + [p for _, p in pairs[:50]]
    t = time.perf_counter()
    model_dir = build_tiny_model(
        work / "model", hidden_size=256, layers=4, intermediate_size=1024, heads=4, kv_heads=2,
        corpus=corpus, vocab_size=1024, split_digits=True, max_position_embeddings=512,
    )  # fmt: skip
    sft(model_dir, pairs, steps=args.sft_steps, batch_size=128, lr=1e-3, device=args.device)
    res["sft_s"] = round(time.perf_counter() - t, 1)
    import torch

    res["gpu"] = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"

    rows = make_rows(args.rows, seed=2)  # held out: another seed
    gen = Generator(model_dir, args.device)
    srv = serve(gen)
    base_url = f"http://127.0.0.1:{srv.server_address[1]}/v1"

    # 1. from Python
    j = judge(model="tiny-judge", base_url=base_url, concurrency=args.concurrency)
    t = time.perf_counter()
    outs = j.score_batch(rows)
    secs = time.perf_counter() - t
    statuses: dict[str, int] = {}
    for o in outs:
        statuses[o.status.value] = statuses.get(o.status.value, 0) + 1
    agree = sum(
        o.is_ok and o.score is not None and (o.score >= 0.5) == r["correct"]
        for o, r in zip(outs, rows, strict=True)
    )
    fp = sum(
        o.is_ok and (o.score or 0) >= 0.5 and not r["correct"]
        for o, r in zip(outs, rows, strict=True)
    )
    fn = sum(
        o.is_ok and (o.score or 0) < 0.5 and r["correct"] for o, r in zip(outs, rows, strict=True)
    )
    t = time.perf_counter()
    again = j.score_batch(rows)
    cached_s = time.perf_counter() - t
    stats = j.fn.stats  # type: ignore[attr-defined]
    res["sample"] = [
        {"completion": r["completion"], "answer": r["answer"], "score": o.score, "why": o.reason}
        for o, r in zip(outs[:4], rows, strict=False)
    ]
    res["python"] = {
        "rows": len(rows),
        "seconds": round(secs, 2),
        "calls_per_s": round(len(rows) / secs, 1),
        "statuses": statuses,
        "agreement_with_truth": round(agree / len(rows), 4),
        "false_pass": fp,
        "false_fail": fn,
        "rerun_from_cache_s": round(cached_s, 3),
        "rerun_same_scores": [o.score for o in again] == [o.score for o in outs],
        "requests": stats.requests,
        "cache_hits": stats.cache_hits,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "mean_server_batch": round(sum(gen.batches) / max(len(gen.batches), 1), 1),
    }
    print(json.dumps(res, indent=1), flush=True)

    # 2. through the CLI, as a user runs it
    data = work / "eval.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in make_rows(args.rows, seed=3)))
    summary = work / "summary.json"
    env = {
        **os.environ,
        "OPENAI_BASE_URL": base_url,
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    cmd = [
        sys.executable, "-m", "rewardkit.cli", "score", str(data), "-r", "llm_judge",
        "--judge-model", "tiny-judge", "--judge-prices", "0.10,0.40",
        "-o", str(work / "scored.jsonl"), "--summary-json", str(summary),
    ]  # fmt: skip
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    res["cli"] = {"exit": done.returncode, "seconds": round(time.perf_counter() - t, 2)}
    print(done.stderr[-3000:], flush=True)
    if done.returncode == 0:
        s = json.loads(summary.read_text())
        (rw,) = s["rewards"].values()
        scored = [json.loads(line) for line in (work / "scored.jsonl").read_text().splitlines()]
        agree = sum(
            r["reward"] is not None and (r["reward"] >= 0.5) == r["correct"] for r in scored
        )
        res["cli"].update(
            {
                "status": rw["status"],
                "mean": rw["mean"],
                "usage": rw.get("usage"),
                "agreement_with_truth": round(agree / len(scored), 4),
            }
        )
    srv.shutdown()
    (out_dir / "judge_gpu.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
