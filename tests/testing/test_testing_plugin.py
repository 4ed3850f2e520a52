"""The pytest11 plugin end to end: options, import cost, and every fixture, via ``pytester``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_option_group_and_ini_keys(rk: Any) -> None:
    result = rk.run("--help")
    result.stdout.fnmatch_lines(
        [
            "rewardkit: reward snapshots, audits and the engine:",
            "  --rewardkit-update*rewrite reward snapshots that changed or are missing*",
        ]
    )
    text = result.stdout.str()
    for key in (
        "rewardkit_snapshot_dir",
        "rewardkit_rows",
        "rewardkit_max_false_pass",
        "rewardkit_max_false_fail",
    ):
        assert key in text


def test_plugin_import_is_light() -> None:
    """pytest imports the plugin in every run of every project that has rewardkit installed."""
    code = textwrap.dedent(
        """
        import sys
        import rewardkit
        before = set(sys.modules)
        import rewardkit.testing._plugin
        added = set(sys.modules) - before
        heavy = ("hypothesis", "sympy", "numpy", "rewardkit.engine", "rewardkit.audit",
                 "rewardkit.testing.strategies", "multiprocessing")
        print(sorted(m for m in added if m.startswith(heavy)))
        """
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_reward_rows_default_samples(rk: Any) -> None:
    rk.pytester.makepyfile(
        """
        def test_rows(reward_rows):
            assert len(reward_rows) >= 10
            assert all({"id", "prompt", "completion", "answer", "correct"} <= set(r)
                       for r in reward_rows)
            assert any(isinstance(r["completion"], list) for r in reward_rows)
            assert {r["correct"] for r in reward_rows} == {True, False}
            reward_rows.clear()  # each test gets fresh copies

        def test_rows_again(reward_rows):
            assert reward_rows
        """
    )
    rk.run("-q").assert_outcomes(passed=2)


def test_reward_rows_from_ini(rk: Any) -> None:
    rk.pytester.makeini("[pytest]\nrewardkit_rows = data/rows.jsonl\n")
    (rk.path / "data").mkdir()
    (rk.path / "data" / "rows.jsonl").write_text(
        '{"completion": "a", "answer": "1"}\n\n{"completion": "b", "answer": "2"}\n'
    )
    rk.pytester.makepyfile(
        """
        def test_rows(reward_rows):
            assert [r["answer"] for r in reward_rows] == ["1", "2"]
        """
    )
    rk.run("-q").assert_outcomes(passed=1)


def test_reward_rows_bad_file_names_the_line(rk: Any) -> None:
    rk.pytester.makeini("[pytest]\nrewardkit_rows = rows.jsonl\n")
    (rk.path / "rows.jsonl").write_text('{"completion": "a"}\n[1, 2]\n')
    rk.pytester.makepyfile("def test_rows(reward_rows):\n    pass\n")
    result = rk.run("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*rows.jsonl:2: expected a JSON object, got list*"])


def test_reward_rows_missing_file_is_a_usage_error(rk: Any) -> None:
    rk.pytester.makeini("[pytest]\nrewardkit_rows = nowhere.jsonl\n")
    rk.pytester.makepyfile("def test_rows(reward_rows):\n    pass\n")
    result = rk.run("-q")
    result.stdout.fnmatch_lines(["*rewardkit_rows = 'nowhere.jsonl': no file at *nowhere.jsonl*"])


def test_rewardkit_scorer_runs_the_engine_and_closes(rk: Any) -> None:
    rk.pytester.makepyfile(
        """
        import pytest

        MADE = []

        def test_score(rewardkit_scorer):
            scorer = rewardkit_scorer(["xml_format", "think_format"], timeout=5.0)
            MADE.append(scorer)
            out = scorer.score([{"completion": "<think>x</think> 4"}])
            assert out[0]["think_format"].score == 1.0
            assert out[0]["xml_format"].score == 0.0

        def test_closed_after_teardown():
            with pytest.raises(Exception):
                MADE[0].score([{"completion": "x"}])
        """
    )
    rk.run("-q").assert_outcomes(passed=2)


def test_rewardkit_audit_passes_and_fails(rk: Any) -> None:
    rk.pytester.makepyfile(
        """
        import rewardkit as rk

        @rk.reward(range=(0, 1), name="inner_audit_contains")
        def contains(completion: str, answer: str) -> float:
            return float(str(answer) in completion)

        ROWS = [{"prompt": "2+2?", "answer": "4"}, {"prompt": "3*3?", "answer": "9"}]

        def test_gold_always_passes(rewardkit_audit):
            report = rewardkit_audit(ROWS, contains, max_false_pass=1.0)
            audit = report.rewards["inner_audit_contains"]
            assert audit.false_fail_rate == 0.0
            assert audit.false_pass_rate > 0

        def test_hackable_reward_fails(rewardkit_audit):
            rewardkit_audit(ROWS, contains)
        """
    )
    result = rk.run("-q")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "rewardkit audit failed (2 rows, 0 skipped without an answer):",
            "  inner_audit_contains: false-pass rate *% > 0.0%",
            "  inner_audit_contains (gold layout: *):",
            "    degenerate completions above the bottom score: *shotgun 2/2*",
            "      row 1 [[]*[]] score=1.0 status=ok: *",
        ]
    )
    result.stdout.fnmatch_lines(["Thresholds: max_false_pass=0.0, max_false_fail=0.0 *"])
    assert "_plugin.py" not in result.stdout.str()


def test_rewardkit_audit_thresholds_from_ini(rk: Any) -> None:
    rk.pytester.makeini("[pytest]\nrewardkit_max_false_pass = 1.0\n")
    rk.pytester.makepyfile(
        """
        def test_audit(rewardkit_audit):
            rewardkit_audit([{"answer": "4"}], "exact_match")
        """
    )
    rk.run("-q").assert_outcomes(passed=1)
    rk.pytester.makeini("[pytest]\nrewardkit_max_false_pass = lots\n")
    result = rk.run("-q")
    result.stdout.fnmatch_lines(["*rewardkit_max_false_pass = 'lots' is not a valid number*"])


ENGINE_FILE = """
import os
import time

import rewardkit as rk
from rewardkit import Outcome
from rewardkit.testing import expect

@rk.reward(name="inner_where")
def where(completion: str) -> Outcome:
    return Outcome.ok(1.0, pid=os.getpid())

@rk.reward(range=(0, 1), name="inner_sleepy")
def sleepy(completion: str) -> float:
    time.sleep(float(completion))
    return 1.0

def test_inline_by_default():
    expect(where).given(completion="x").has_extra("pid", os.getpid())

def test_engine_uses_a_worker_process():
    out = expect(where).via_engine(isolation="process").given(completion="x").outcome
    assert out.extras["pid"] != os.getpid()

def test_engine_enforces_the_timeout():
    expect(sleepy).via_engine(timeout=0.5).given(completion="3").has_status("timeout")
"""


def test_via_engine_runs_in_a_worker(rk: Any) -> None:
    rk.pytester.makepyfile(test_engine=ENGINE_FILE)
    rk.run("-q", "-k", "not timeout").assert_outcomes(passed=2, deselected=1)


def test_via_engine_reports_timeouts(rk: Any) -> None:
    rk.pytester.makepyfile(test_engine=ENGINE_FILE)
    rk.run("-q", "-k", "timeout").assert_outcomes(passed=1, deselected=2)
