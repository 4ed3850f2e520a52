"""`rewardkit serve` under load: rows/s and latency through HTTP vs in-process `score`.

32 concurrent clients (one asyncio process, aiohttp, keep-alive) post OpenRLHF
``/get_reward`` batches of GSM8K-style rows (query = prompt + completion + EOS,
label = answer) to a `rewardkit serve` subprocess, until every row is sent. A few
extra clients post a batch and hang up at once, to show a disconnect loses
nothing for the others. Reported per reward:

* HTTP rows/s, request latency p50/p99 (ms), rows returned vs sent, replies that
  differ from the in-process totals (must be 0);
* in-process ``rewardkit score`` (``run_score``, same rows, same rewards) rows/s,
  and the ratio HTTP / in-process.

Targets (issue 18), on 2 cores: >= 2,000 xml_format rows/s and >= 200 math_equal
rows/s through HTTP with 32 concurrent clients.

Two request sizes: 64 rows (a trainer posting a micro-batch) and 1 row (OpenRLHF
0.11's ``SingleTurnAgentExecutor`` posts one sample per request).

Usage (one command; raw output also goes to bench/results/serve.txt):
    flock /tmp/rewardkit-bench.lock python bench/serve.py [--clients 32] [--batches 64,1]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from make_samples import gsm8k_rows, write_jsonl  # noqa: E402

OUT = ROOT / "bench" / "results" / "serve.txt"


def start_server(reward: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "rewardkit.cli", "serve", "-r", reward, "--port", "0"]
    args += ["--workers", str(workers), "--max-rows", "8192"]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, m.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"server for {reward} did not start")


async def load(
    url: str, rows: list[dict[str, Any]], clients: int, batch: int, rude: int
) -> tuple[float, list[float], dict[int, list[float]]]:
    import aiohttp

    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(batches)):
        queue.put_nowait(i)
    latencies: list[float] = []
    replies: dict[int, list[float]] = {}

    def payload(b: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "query": [r["prompt"] + r["completion"] + "<|im_end|>" for r in b],
            "prompts": [r["prompt"] for r in b],
            "labels": [r["answer"] for r in b],
        }

    async def client(session: aiohttp.ClientSession) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            async with session.post(f"{url}/get_reward", json=payload(batches[i])) as resp:
                resp.raise_for_status()
                body = await resp.json()
            latencies.append(time.perf_counter() - t0)
            replies[i] = body["rewards"]

    async def rude_client() -> None:
        # post a batch and hang up before the reply
        timeout = aiohttp.ClientTimeout(total=0.05)
        async with aiohttp.ClientSession(timeout=timeout) as s:
            try:
                await s.post(f"{url}/get_reward", json=payload(batches[0]))
            except (asyncio.TimeoutError, aiohttp.ClientError):
                pass

    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=600)) as s:
        t0 = time.perf_counter()
        await asyncio.gather(
            *(client(s) for _ in range(clients)), *(rude_client() for _ in range(rude))
        )
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, replies


def in_process(rows_file: Path, reward: str, workers: int) -> tuple[float, list[float]]:
    from rewardkit.cli._score import ScoreOptions, run_score

    out = io.BytesIO()
    t0 = time.perf_counter()
    run_score(ScoreOptions(input=str(rows_file), rewards=[reward], workers=workers), stdout=out)
    elapsed = time.perf_counter() - t0
    totals = [orjson.loads(x)["reward"] for x in out.getvalue().splitlines()]
    return elapsed, [t if t is not None else 0.0 for t in totals]


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument(
        "--batches", default="64,1", help="rows per request to try (OpenRLHF 0.11 sends 1)"
    )
    ap.add_argument("--xml-rows", type=int, default=40_000, help="xml_format rows at batch 64")
    ap.add_argument("--math-rows", type=int, default=4_000, help="math_equal rows at batch 64")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rude", type=int, default=8, help="clients that hang up mid-request")
    args = ap.parse_args()
    lines: list[str] = []

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    say(
        f"rewardkit serve load: {args.clients} clients, OpenRLHF "
        f"/get_reward, {args.rude} clients hanging up mid-request; cpus={os.cpu_count()}; "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    say(
        f"{'reward':<12} {'batch':>5} {'rows':>7} {'HTTP rows/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'returned':>9} {'mismatch':>9} {'score rows/s':>13} {'HTTP/score':>11}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        batches = [int(b) for b in args.batches.split(",")]
        configs = [
            (reward, batch, max(n * batch // 64, n // 8) if batch < 64 else n)
            for batch in batches
            for reward, n in (("xml_format", args.xml_rows), ("math_equal", args.math_rows))
        ]
        for reward, batch, n in configs:
            rows = gsm8k_rows(n, seed=5)
            src = Path(tmp) / f"{reward}.jsonl"
            write_jsonl(src, rows)
            score_s, expected = in_process(src, reward, args.workers)
            proc, url = start_server(reward, args.workers)
            try:
                elapsed, lat, replies = asyncio.run(load(url, rows, args.clients, batch, args.rude))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            got = [x for i in sorted(replies) for x in replies[i]]
            mismatch = sum(1 for a, b in zip(got, expected, strict=False) if abs(a - b) > 1e-12)
            http_rate, score_rate = n / elapsed, n / score_s
            say(
                f"{reward:<12} {batch:>5} {n:>7} {http_rate:>12,.0f} {pct(lat, 0.5):>8.1f} "
                f"{pct(lat, 0.99):>8.1f} {len(got):>9} {mismatch:>9} {score_rate:>13,.0f} "
                f"{http_rate / score_rate:>11.2f}"
            )
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
