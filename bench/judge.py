"""Judge throughput: 1,000 judge calls against a local OpenAI-compatible server with 50 ms latency.

Side by side in one run: rewardkit's judge (async, concurrency 32) against a naive
sequential loop (one blocking HTTP request after another, as a hand-written reward
function does) and, when a Python with verifiers installed is given, verifiers' own
judge client (``verifiers.v1.Judge.evaluate`` under an asyncio semaphore of the same
concurrency; run in its own venv, see bench/_verifiers_judge.py). The sequential loop
is timed on its first 100 calls (at 50 ms each the full 1,000 would take ~50 s) and its
rate reported as measured. The server is a thread of this process, so rewardkit's
client shares the GIL with it while verifiers' runs in another process: the comparison
leans in verifiers' favour.

    python bench/judge.py [--calls 1000] [--latency 0.05] [--concurrency 32]
                          [--verifiers-python /tmp/vfenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "judges"))
from judge_server import JudgeServer  # noqa: E402

from rewardkit.judges import judge  # noqa: E402


def naive(base_url: str, rows: list[dict[str, str]]) -> list[float]:
    out = []
    for r in rows:
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": f"Q: {r['prompt']}\nA: {r['completion']}"}],
        }
        req = urllib.request.Request(
            base_url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            content = json.loads(resp.read())["choices"][0]["message"]["content"]
        out.append((json.loads(content)["score"] - 1) / 9)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--naive-calls", type=int, default=100)
    ap.add_argument("--verifiers-python", help="a python with verifiers installed")
    args = ap.parse_args()
    rows = [
        {"prompt": f"q{i}", "completion": f"answer {i} SCORE={1 + i % 10}"}
        for i in range(args.calls)
    ]
    with JudgeServer(latency=args.latency) as srv:
        r = judge(model="m", base_url=srv.base_url, concurrency=args.concurrency)
        t = time.perf_counter()
        outs = r.score_batch(rows)
        rk_s = time.perf_counter() - t
        ok = sum(o.is_ok for o in outs)
        t = time.perf_counter()
        again = r.score_batch(rows)
        cached_s = time.perf_counter() - t
        requests_after = len(srv.times)
        t = time.perf_counter()
        naive(srv.base_url, rows[: args.naive_calls])
        naive_s = time.perf_counter() - t
        vf = None
        if args.verifiers_python:
            script = str(Path(__file__).with_name("_verifiers_judge.py"))
            cmd = [args.verifiers_python, script, "--base-url", srv.base_url]
            cmd += ["--calls", str(args.calls), "--concurrency", str(args.concurrency)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            vf = json.loads(done.stdout.strip().splitlines()[-1])
    rk_rate = args.calls / rk_s
    naive_rate = args.naive_calls / naive_s
    print(f"server latency {args.latency * 1000:.0f} ms, {args.calls} judge calls, 2 cpus")
    print(f"{'client':46s} {'calls/s':>10s} {'seconds':>9s}")
    print(
        f"{'rewardkit judge (async, concurrency ' + str(args.concurrency) + ')':46s} {rk_rate:10.1f} {rk_s:9.2f}   ok {ok}/{args.calls}"
    )
    print(
        f"{'rewardkit judge, re-run (cache)':46s} {args.calls / cached_s:10.1f} {cached_s:9.2f}   requests {requests_after - args.calls} new, ok {sum(o.is_ok for o in again)}"
    )
    print(
        f"{'naive sequential loop (' + str(args.naive_calls) + ' calls)':46s} {naive_rate:10.1f} {naive_s:9.2f}"
    )
    if vf is not None:
        vf_rate = args.calls / vf["seconds"]
        name = f"verifiers Judge.evaluate (concurrency {args.concurrency})"
        print(f"{name:46s} {vf_rate:10.1f} {vf['seconds']:9.2f}   ok {vf['ok']}/{args.calls}")
    print(f"speed-up vs the sequential loop: {rk_rate / naive_rate:.1f}x")
    if vf is not None:
        print(f"speed-up vs verifiers' judge client: {rk_rate / vf_rate:.1f}x")


if __name__ == "__main__":
    main()
