"""Seed 002 (Axolotl + vLLM code GRPO): rewards, module paths and dataset transforms.

* The compat rewards equal the seed's reward functions on generated completions. The
  document names ``grpo_code.soft_format_reward_func`` and ``code_execution_reward_func``
  without printing them; the reference below states what they compute (the regex, the
  first ``<answer>`` block, 0.5 / -0.25, 2·accuracy³) and runs each program with a plain
  ``python -c`` subprocess, side by side with the compat set running it in the sandbox.
* The seed's module paths resolve the way Axolotl 0.8 and current Axolotl import them.

The seed's command lines and files: ``test_seed002_launch.py``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardkit as rk

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "recipes" / "code_axolotl_vllm"
COMPAT = "rewardkit.recipes.code_axolotl_vllm.compat"


# -- the reference: what the seed's functions compute -------------------------------------------


def _ref_answer(text: str) -> str:
    match = re.search(r"<answer>(.*?)</answer>", text, re.S)
    return match.group(1).strip() if match else ""


def _ref_runs(code: str) -> bool:
    # 5 s, not the package's 1 s: only the infinite loop below should time out, even on a
    # loaded machine (python's start-up is in this budget, not in the sandbox's)
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", code], capture_output=True, timeout=5.0, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def ref_soft_format(completions: list[list[dict[str, str]]]) -> list[float]:
    pattern = r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>.*"
    return [0.25 if re.match(pattern, c[0]["content"], re.S) else 0.0 for c in completions]


def ref_code_execution(completions: list[list[dict[str, str]]]) -> list[float]:
    return [0.5 if _ref_runs(_ref_answer(c[0]["content"])) else -0.25 for c in completions]


def ref_answer_execution(
    completions: list[list[dict[str, str]]], answers: list[list[str]]
) -> list[float]:
    out = []
    for c, tests in zip(completions, answers, strict=True):
        code = _ref_answer(c[0]["content"])
        results = [_ref_runs(code + "\n" + t) for t in tests]
        out.append(2.0 * (sum(results) / len(results)) ** 3 if results else 0.0)
    return out


PROGRAMS = [
    "",
    "x = 1",
    "def add(a, b):\n    return a + b",
    "print('hi')",
    "1/0",
    "def f(:\n  pass",
    "import math\nprint(math.sqrt(4))",
    "raise ValueError('no')",
    "import sys\nsys.exit(0)",
    "import sys\nsys.exit(2)",
    "assert 1 == 2",
    "```python\nx = 1\n```",
    "undefined_name",
]
WRAPS = [
    "<reasoning>{r}</reasoning>\n<answer>\n{p}\n</answer>",
    "<reasoning>\n{r}\n</reasoning> <answer>{p}</answer> trailing",
    "Sure. <reasoning>{r}</reasoning><answer>{p}</answer>",
    "<answer>{p}</answer><answer>1/0</answer>",
    "<reasoning>{r}</reasoning>\n{p}",
    "<reasoning>{r}<answer>{p}</answer>",
    "{p}",
    "<answer>{p}",
]


def _rows(texts: list[str], answers: list[list[str]] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": t}]}
        for t in texts
    ]  # fmt: skip
    for row, tests in zip(rows, answers or [], strict=False):
        row["answers"] = tests
    return rows


def _compat(name: str) -> Any:
    return rk.resolve(f"{COMPAT}:{name}").reward


def _compare(texts: list[str]) -> None:
    conv = [[{"role": "assistant", "content": t}] for t in texts]
    rows = _rows(texts)
    got = [o.score for o in _compat("soft_format_reward_func").score_batch(rows)]
    assert got == ref_soft_format(conv), texts
    got = [o.score for o in _compat("code_execution_reward_func").score_batch(rows)]
    assert got == ref_code_execution(conv), texts


def test_hand_written_cases_match_the_reference() -> None:
    texts = [w.format(r="think\nmore", p=p) for w in WRAPS[:2] for p in PROGRAMS]
    texts += [w.format(r="r", p="x = 1") for w in WRAPS]
    texts += ["<reasoning>r</reasoning><answer>while True: pass</answer>"]  # time limit
    _compare(texts)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(WRAPS), st.sampled_from(PROGRAMS)), min_size=1, max_size=4)
)
def test_generated_completions_match_the_reference(pairs: list[tuple[str, str]]) -> None:
    _compare([w.format(r="because", p=p) for w, p in pairs])


def test_answer_execution_matches_the_reference() -> None:
    code = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b"
    texts = [f"<reasoning>r</reasoning><answer>{code}</answer>", "<answer>1/0</answer>", "none"]
    answers = [
        ["assert add(1, 2) == 3", "assert add(5, 7) == 12", "assert add(-1, 5) == 4"],
        ["assert True"],
        [],
    ]
    conv = [[{"role": "assistant", "content": t}] for t in texts]
    got = [
        o.score for o in _compat("answer_execution_reward_func").score_batch(_rows(texts, answers))
    ]
    want = ref_answer_execution(conv, answers)
    assert got == pytest.approx(want, abs=1e-12)
    assert want[0] == pytest.approx(2 * (2 / 3) ** 3)  # the reference is not trivially 0


def test_compat_ranges_are_declared() -> None:
    assert _compat("soft_format_reward_func").range == (0.0, 0.25)
    assert _compat("code_execution_reward_func").range == (-0.25, 0.5)


# -- the seed's module paths, imported as each Axolotl version does --------------------------


def _axolotl_0_8(fqn: str) -> Any:
    return getattr(importlib.import_module(fqn.split(".")[-2]), fqn.split(".")[-1])


def _axolotl_current(fqn: str) -> Any:
    return getattr(importlib.import_module(".".join(fqn.split(".")[:-1])), fqn.split(".")[-1])


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run directory as train.py writes it, first on sys.path (PYTHONPATH=. in the scripts)."""
    from rewardkit.recipes import _runtime as rt
    from rewardkit.recipes.code_axolotl_vllm import train

    cfg = rt.resolve_config(rt.load_spec(FOLDER))
    out = train.write_run_dir(cfg, tmp_path / "run")
    monkeypatch.syspath_prepend(str(out))
    for mod in ("grpo_code", "rk_code_axolotl"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    return out


@pytest.mark.parametrize("loader", [_axolotl_0_8, _axolotl_current])
def test_seed_reward_paths_import_under_both_axolotl_rules(run_dir: Path, loader: Any) -> None:
    good = "<reasoning>r</reasoning>\n<answer>\nprint(1)\n</answer>"
    for fqn, want in (
        ("grpo_code.soft_format_reward_func", [0.25, 0.0]),
        ("grpo_code.code_execution_reward_func", [0.5, -0.25]),
    ):
        fn = loader(fqn)
        assert len(inspect.signature(fn).parameters) >= 2  # Axolotl's own check
        completions = [
            [{"role": "assistant", "content": c}] for c in (good, "<answer>1/0</answer>")
        ]
        assert fn(prompts=["p", "p"], completions=completions) == want


SAMPLES = {
    "instruction_response": {"instruction": "Create a function to sort a list", "response": "def s(l):\n    return sorted(l)"},
    "input_output": {"input": "Write a function to reverse a string", "output": "def r(s):\n    return s[::-1]"},
    "problem_solution": {"problem": "Find the maximum in a list", "solution": "def m(l):\n    return max(l)", "difficulty": "easy"},
    "multi_turn": {"instruction": "Create a BankAccount class", "response": "class BankAccount: ...", "follow_up": "Add a withdraw method", "follow_up_response": "def withdraw(self, amount): ..."},
    "instruction_response_with_tests": {"instruction": "circle area", "response": "import math\ndef a(r):\n    return math.pi*r*r", "test_cases": ["assert a(0) == 0"]},
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_every_dataset_format_transforms(run_dir: Path, fmt: str) -> None:
    from rewardkit.trainers.axolotl import resolve_transform

    grpo_code = importlib.import_module("grpo_code")
    fn, kwargs = getattr(grpo_code, f"{fmt}_transform")(None)
    assert kwargs == {"remove_columns": "__all__"}
    row = SAMPLES[fmt]
    out = fn(dict(row))
    prompt = out["prompt"]
    assert prompt[0]["role"] == "system" and "<answer>" in prompt[0]["content"]
    assert prompt[-1]["role"] == "user"
    if fmt == "multi_turn":  # the first exchange is history, the follow-up is the turn
        assert [m["role"] for m in prompt] == ["system", "user", "assistant", "user"]
        assert prompt[-1]["content"] == row["follow_up"]
        assert out["reference"] == row["follow_up_response"]
    else:
        first = row.get("instruction") or row.get("input") or row.get("problem")
        assert prompt[-1]["content"] == first
    if fmt == "problem_solution":
        assert out["difficulty"] == "easy" and out["reference"] == row["solution"]
    assert out["answers"] == list(row.get("test_cases") or [])
    # current Axolotl's rule for dataset types (exactly module.factory) accepts it
    resolved, _ = resolve_transform(f"grpo_code.{fmt}_transform")
    assert resolved(dict(row)) == out
    rk_mod = importlib.import_module("rk_code_axolotl")
    assert getattr(rk_mod, fmt)(None)[0](dict(row))["prompt"][-1] == prompt[-1]


def test_simple_test_transforms_script(run_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in SAMPLES.values()))
    proc = subprocess.run(
        [sys.executable, "simple_test_transforms.py", str(good)],
        cwd=run_dir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("✓") == 2 * len(SAMPLES)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "x", "response": "def f(:"}\nnot json\n{"foo": 1}\n')
    proc = subprocess.run(
        [sys.executable, "simple_test_transforms.py", str(bad)],
        cwd=run_dir, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "3 problem(s)" in proc.stdout, proc.stdout
