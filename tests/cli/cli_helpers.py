"""Helpers for CLI tests: paths, small data, JSONL I/O and a subprocess runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
GSM8K = ROOT / "rewardkit" / "data" / "gsm8k_sample.jsonl"
MATH = ROOT / "rewardkit" / "data" / "math_sample.jsonl"

USER_REWARDS = '''
import time
from rewardkit import reward

@reward(range=(0, 1))
def says_answer(completion: str, answer: str) -> float:
    """1.0 if the gold answer appears anywhere (deliberately hackable)."""
    return float(str(answer) in completion)

@reward(range=(0, 1))
def slow_len(completion: str) -> float:
    """Sleeps a little so a run can be interrupted mid-way."""
    time.sleep(0.002)
    return min(1.0, len(completion) / 200)
'''

ROWS = [
    {
        "prompt": "1+1?",
        "completion": "<reasoning>\nx\n</reasoning>\n<answer>\n2\n</answer>\n",
        "answer": "2",
        "data_source": "a",
    },
    {"prompt": "2+2?", "completion": "<answer>5</answer>", "answer": "4", "data_source": "a"},
    {"prompt": "3+3?", "completion": "six", "answer": "6", "data_source": "b"},
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def cli_subprocess(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )
