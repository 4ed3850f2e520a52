"""Engine benchmarks, side by side in one run (issue 4, bench (a) and (c)).

(a) Isolation overhead: the same reward scored inline in the caller versus through
    the worker pool, per sample, at batch sizes 8/64/512, plus a chunk-size sweep
    (the data behind ``MAX_AUTO_CHUNK``). Target: isolated overhead < 10% of a
    math_equal call at batch 64.
(c) Tail latency with 1% pathological samples (exponent towers): the engine with
    a 2 s timeout versus math-verify called directly in a worker thread, which is
    how TRL runs it when its SIGALRM timeout cannot work. The second runs in a
    child process that is killed at a cap, because a tower holds the GIL and
    freezes the whole process.

Run: ``flock /tmp/rewardkit-bench.lock python bench/engine.py`` (about 2 minutes).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import rewardkit as rk
from rewardkit.engine import Scorer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _engine_rewards  # noqa: E402

TOWER = "\\boxed{9^{9^{9^{9}}}}"


def math_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Distinct, realistic math completions (fractions, roots, decimals, expressions)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rnd.randint(1, 99), rnd.randint(2, 99)
        kind = i % 5
        if kind == 0:
            comp, ans = f"\\frac{{{a}}}{{{b}}}", f"{a}/{b}"
        elif kind == 1:
            comp, ans = f"\\sqrt{{{a * a}}}", str(a)
        elif kind == 2:
            comp, ans = f"{a / b:.6f}", f"{a / b:.6f}"
        elif kind == 3:
            comp, ans = f"{a}x + {b}", f"{b} + {a}x"
        else:
            comp, ans = f"\\frac{{{a}}}{{{b}}} + \\frac{{1}}{{2}}", f"({2 * a + b})/({2 * b})"
        text = f"<think>step {i}</think> The answer is $\\boxed{{{comp}}}$."
        rows.append({"completion": text, "answer": ans, "prompt": f"q{i}"})
    return rows


def best_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_overhead(reward_ref: str) -> None:
    print(f"== (a) isolation overhead, reward {reward_ref!r}, cache off, µs per sample")
    print(f"   cpu count {os.cpu_count()}; best of N runs; overhead = isolated / inline - 1")
    inline = Scorer([reward_ref], isolation="inline", cache=False)
    w1 = Scorer([reward_ref], isolation="process", cache=False, workers=1)
    w2 = Scorer([reward_ref], isolation="process", cache=False, workers=2)
    warm = math_rows(32, seed=99)
    for s in (inline, w1, w2):
        s.score(warm)
    print(
        f"   {'batch':>5} {'inline':>9} {'iso w=1':>9} {'ovh w=1':>8} {'iso w=2':>9} {'ovh w=2':>8}"
    )
    for n, repeats in ((8, 15), (64, 7), (512, 3)):
        rows = math_rows(n, seed=n)
        t_in = best_time(lambda rows=rows: inline.score(rows), repeats) / n * 1e6
        t_1 = best_time(lambda rows=rows: w1.score(rows), repeats) / n * 1e6
        t_2 = best_time(lambda rows=rows: w2.score(rows), repeats) / n * 1e6
        print(
            f"   {n:>5} {t_in:>9.1f} {t_1:>9.1f} {t_1 / t_in - 1:>+8.1%} "
            f"{t_2:>9.1f} {t_2 / t_in - 1:>+8.1%}"
        )
    for s in (inline, w1, w2):
        s.close()
    print("   chunk-size sweep, workers=1 (pure IPC cost) and workers=2, µs per sample")
    for n in (64, 512):
        rows = math_rows(n, seed=n + 1)
        cells = []
        for chunk in (1, 4, 8, 16, 32, 64):
            line = []
            for w in (1, 2):
                with Scorer(
                    [reward_ref], isolation="process", cache=False, workers=w, chunk_size=chunk
                ) as s:
                    s.score(warm)
                    line.append(best_time(lambda s=s, rows=rows: s.score(rows), 3) / n * 1e6)
            cells.append(f"c={chunk}: {line[0]:.0f}/{line[1]:.0f}")
        print(f"   batch {n}: " + "  ".join(cells))


class Heartbeat:
    """Measures how long the calling process goes without running a Python thread."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last)
            last = now

    def __enter__(self) -> Heartbeat:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def pathological_rows(n: int = 200) -> list[dict[str, Any]]:
    rows = math_rows(n, seed=7)
    for i in (n // 3, 2 * n // 3):  # 1%: exponent towers
        rows[i] = {"completion": f"The answer is ${TOWER}$.", "answer": "3", "prompt": f"q{i}"}
    return rows


def bench_engine_tail(reward: Any, label: str, timeout: float) -> None:
    rows = pathological_rows()
    with Scorer([reward], timeout=timeout, workers=2, cache=False) as s:
        s.score(math_rows(8, seed=5))
        s.reset_stats()
        with Heartbeat() as hb:
            t0 = time.perf_counter()
            out = s.score(rows)
            wall = time.perf_counter() - t0
        st = s.stats[reward.key if hasattr(reward, "key") else reward]
    statuses: dict[str, int] = {}
    for r in out:
        o = next(iter(r.values()))
        statuses[o.status.value] = statuses.get(o.status.value, 0) + 1
    print(
        f"   {label:<34} wall {wall:6.2f} s  p50 {st.latency_p50_ms:8.2f} ms  "
        f"p99 {st.latency_p99_ms:8.1f} ms  caller's worst stall {hb.worst * 1000:6.1f} ms  "
        f"{statuses}"
    )


DIRECT_CHILD = r"""
import json, sys, threading, time
sys.path.insert(0, sys.argv[1])
from engine import pathological_rows
from _engine_rewards import mv_equal
rows = pathological_rows()
worst = [0.0]
def beat():
    last = time.perf_counter()
    while True:
        time.sleep(0.005)
        now = time.perf_counter()
        if now - last > worst[0]:
            worst[0] = now - last
            print(json.dumps({"stall": worst[0]}), flush=True)
        last = now
threading.Thread(target=beat, daemon=True).start()
def run():
    for i, row in enumerate(rows):
        t0 = time.perf_counter()
        try:
            mv_equal.fn(completion=row["completion"], answer=row["answer"])
        except Exception:
            pass
        print(json.dumps({"i": i, "s": time.perf_counter() - t0}), flush=True)
t = threading.Thread(target=run)  # TRL runs rewards off the main thread: no SIGALRM there
t.start(); t.join()
print(json.dumps({"done": True}), flush=True)
"""


def bench_direct_thread(cap: float) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DIRECT_CHILD, HERE], stdout=subprocess.PIPE, text=True, env=env
    )
    lat: list[float] = []
    stall = 0.0
    done = False
    t0 = time.perf_counter()
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    reader.join(cap)
    wall = time.perf_counter() - t0
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    reader.join(1)
    for line in lines:
        msg = json.loads(line)
        if "s" in msg:
            lat.append(msg["s"])
        stall = max(stall, msg.get("stall", 0.0))
        done = done or msg.get("done", False)
    n = len(pathological_rows())
    if done:
        lat.sort()
        p99 = f"{lat[int(0.99 * (len(lat) - 1))] * 1000:8.1f} ms"
    else:
        p99 = f">{cap * 1000:7.0f} ms (killed at the cap; {len(lat)}/{n} rows done)"
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    print(
        f"   {'math-verify in a thread (direct)':<34} wall {wall:6.2f} s  p50 {p50:8.2f} ms  "
        f"p99 {p99}  caller's worst stall >= {stall * 1000:6.1f} ms"
    )


def main(argv: Sequence[str]) -> None:
    print(f"python {sys.version.split()[0]}, rewardkit {rk.__version__}, pid {os.getpid()}")
    names = {r.name for r in rk.available()}
    ref = "math_equal" if "math_equal" in names else f"{_engine_rewards.__file__}:mv_equal"
    bench_overhead(ref)
    print("== (c) 200 rows, 2 exponent towers (1%); engine: timeout 2.0 s, 2 workers, cache off")
    if "math_equal" in names:
        bench_engine_tail(rk.get("math_equal"), "engine + rewardkit math_equal", 2.0)
    try:
        import math_verify  # noqa: F401
    except ImportError:
        print("   math-verify not installed: direct comparison skipped")
        return
    bench_engine_tail(_engine_rewards.mv_equal, "engine + math-verify (mv_equal)", 2.0)
    bench_direct_thread(cap=float(argv[0]) if argv else 20.0)


if __name__ == "__main__":
    main(sys.argv[1:])
