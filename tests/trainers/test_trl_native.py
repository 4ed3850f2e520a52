"""A user's plain TRL reward function gives the same numbers through rewardkit as under TRL.

TRL calls ``f(prompts=..., completions=..., completion_ids=..., **columns)``; here the same
function runs (1) as TRL would call it, (2) through ``to_trl`` called the way TRL calls its
reward functions, and (3) through ``rewardkit score --import`` on a JSONL file, with
conversational completions (``completions[i][0]["content"]``) and a renamed column.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

from rewardkit.trainers.trl import to_trl  # noqa: E402

USER_FILE = """
import re

def correctness(prompts, completions, answer, **kwargs):
    texts = [c[0]["content"] for c in completions]
    got = [t.split("<answer>")[-1].split("</answer>")[0].strip() for t in texts]
    return [2.0 if g == a else 0.0 for g, a in zip(got, answer)]

def soft_format(completions, **kwargs):
    pattern = r"<reasoning>.*?</reasoning>\\s*<answer>.*?</answer>"
    return [0.5 if re.match(pattern, c[0]["content"]) else 0.0 for c in completions]

def maybe(completions, **kwargs):
    return [None if "skip" in c[0]["content"] else 1.0 for c in completions]
"""

COMPLETIONS = [
    "<reasoning>x</reasoning> <answer>4</answer>",
    "<reasoning>\nmulti\nline\n</reasoning>\n<answer>\n15\n</answer>",
    "<answer>5</answer>",
    "skip this one",
    "",
]
SOLUTIONS = ["4", "15", "4", "0", "0"]


def test_same_numbers_as_trl_through_to_trl_and_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "user_rewards_native.py").write_text(USER_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))  # importable, as a user's module is
    import user_rewards_native as user

    conv = [[{"role": "assistant", "content": c}] for c in COMPLETIONS]
    prompts = [[{"role": "user", "content": f"q{i}"}] for i in range(len(conv))]
    ids = [[1, 2, 3]] * len(conv)
    direct = {
        name: getattr(user, name)(
            prompts=prompts, completions=conv, completion_ids=ids, answer=SOLUTIONS
        )
        for name in ("correctness", "soft_format", "maybe")
    }
    # (2) through to_trl, called exactly as TRL calls reward functions; the dataset names
    # the gold column "solution", mapped onto the function's `answer` parameter
    funcs = to_trl(
        [user.correctness, user.soft_format, user.maybe],
        asynchronous=False,
        lint=False,
        columns={"answer": "solution"},
        on_error=None,
    )
    try:
        for f, name in zip(funcs, ("correctness", "soft_format", "maybe"), strict=True):
            got = f(prompts=prompts, completions=conv, completion_ids=ids, solution=SOLUTIONS)
            assert got == direct[name], name
    finally:
        funcs[0].close()
    # (3) through `rewardkit score --import`, with --map answer=solution
    src = tmp_path / "rows.jsonl"
    src.write_text(
        "".join(
            json.dumps({"prompt": p, "completion": c, "solution": s}) + "\n"
            for p, c, s in zip(prompts, conv, SOLUTIONS, strict=True)
        )
    )
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [
            sys.executable, "-m", "rewardkit.cli", "score", str(src),
            "--import", str(tmp_path / "user_rewards_native.py"),
            "-r", "correctness", "-r", "soft_format", "-r", "maybe",
            "--map", "answer=solution", "-o", str(out), "-q",
        ],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for name, want in direct.items():
        assert [r["rewards"][name]["score"] for r in rows] == want, name
    assert rows[3]["rewards"]["maybe"]["status"] == "not_applicable"
