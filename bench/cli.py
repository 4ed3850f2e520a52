"""`rewardkit score` end to end on 100,000 rows vs the raw JSON read/write floor.

Every configuration reads the same GSM8K-style JSONL file and writes one output
row per input row, so the difference to the floor is what scoring costs:

* floor (json):   ``json.loads`` each line, add a field, ``json.dumps`` it back;
* floor (orjson): the same with orjson, which is what the CLI uses;
* ``rewardkit score`` as a subprocess (interpreter start-up, registry loading,
  reading, scoring, fsynced atomic write, summary) with format-only rewards,
  format + ``number_match`` (cheap, inline), and ``math_equal`` (isolated in
  worker processes, sympy-backed).

Target (issue 4): >= 50,000 rows/s for format-only rewards on 2 cores.

Usage:
    flock /tmp/rewardkit-bench.lock python bench/cli.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from make_samples import gsm8k_rows, write_jsonl  # noqa: E402


def floor_json(src: Path, dst: Path) -> None:
    with src.open("rb") as f, dst.open("w") as g:
        for line in f:
            row = json.loads(line)
            row["reward"] = 1.0
            g.write(json.dumps(row) + "\n")


def floor_orjson(src: Path, dst: Path) -> None:
    with src.open("rb") as f, dst.open("wb") as g:
        for line in f:
            row = orjson.loads(line)
            row["reward"] = 1.0
            g.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))


def run_cli(src: Path, dst: Path, rewards: list[str], extra: list[str]) -> None:
    args = [sys.executable, "-m", "rewardkit.cli", "score", str(src), "-o", str(dst), "-q"]
    for r in rewards:
        args += ["-r", r]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([*args, *extra], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"rewardkit score failed:\n{proc.stderr}")


def best_of(repeat: int, fn: object, *args: object) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    ap.add_argument("--math-rows", type=int, default=20_000, help="rows for math_equal")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        src = Path(tmp) / "in.jsonl"
        write_jsonl(src, gsm8k_rows(args.rows, seed=99))
        small = Path(tmp) / "small.jsonl"
        write_jsonl(small, gsm8k_rows(args.math_rows, seed=99))
        dst = Path(tmp) / "out.jsonl"
        mb = src.stat().st_size / 1e6
        print(f"input: {args.rows:,} GSM8K-style rows, {mb:.1f} MB; cpus={os.cpu_count()}")
        print(f"{'configuration':<58} {'seconds':>8} {'rows/s':>10}")
        results: list[tuple[str, int, float]] = [
            ("floor: json read + write", args.rows, best_of(args.repeat, floor_json, src, dst)),
            ("floor: orjson read + write", args.rows, best_of(args.repeat, floor_orjson, src, dst)),
        ]
        configs: list[tuple[str, Path, int, list[str], list[str]]] = [
            ("score -r xml_format", src, args.rows, ["xml_format"], []),
            ("score -r xml_format -r xml_count", src, args.rows, ["xml_format", "xml_count"], []),
            (
                "score -r xml_format -r xml_count -r number_match",
                src,
                args.rows,
                ["xml_format", "xml_count", "number_match"],
                [],
            ),
            (
                f"score -r xml_format -r math_equal ({args.math_rows:,} rows)",
                small,
                args.math_rows,
                ["xml_format", "math_equal"],
                [],
            ),
        ]
        for name, path, n, rewards, extra in configs:
            results.append((name, n, best_of(args.repeat, run_cli, path, dst, rewards, extra)))
        for name, n, secs in results:
            print(f"{name:<58} {secs:>8.3f} {n / secs:>10,.0f}")


if __name__ == "__main__":
    main()
