"""Provenance stamps: stable for the same code, changed by a code or option change; diff refuses."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

import rewardkit as rk
from rewardkit.cli import app
from rewardkit.cli._diff import diff_files
from rewardkit.cli._provenance_check import ProvenanceMismatch
from rewardkit.cli._score import ScoreOptions, run_score

V1 = """
from rewardkit import reward

@reward(range=(0, 1))
def has_answer(completion: str, answer: str) -> float:
    return float(answer in completion)
"""
# The fix: the answer must be the last thing said.
V2 = V1.replace("float(answer in completion)", "float(completion.strip().endswith(answer))")

ROWS = [
    {"completion": "the answer is 4", "answer": "4"},
    {"completion": "4? no, it is 5", "answer": "4"},
    {"completion": "5", "answer": "5"},
]


def _score(tmp_path: Path, source: str, name: str, opts: str = "") -> Path:
    mod = tmp_path / f"{name}_rewards.py"
    mod.write_text(source)
    data = tmp_path / "rows.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in ROWS))
    out = tmp_path / f"{name}.jsonl"
    run_score(
        ScoreOptions(
            input=str(data),
            rewards=[f"{mod}:has_answer{opts}"],
            output=str(out),
            isolation="inline",
        )
    )
    return out


def _rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_every_scored_row_carries_the_stamps(tmp_path: Path) -> None:
    rows = _rows(_score(tmp_path, V1, "a"))
    stamps = {orjson.dumps(r["_provenance"]) for r in rows}
    assert len(stamps) == 1
    prov = rows[0]["_provenance"]
    assert prov["rewardkit"] == rk.__version__
    assert list(prov["rewards"]) == ["has_answer"]
    assert prov["rewards"]["has_answer"].startswith("1@")
    # existing keys are unchanged
    assert set(rows[0]) == {"completion", "answer", "rewards", "reward", "_provenance"}


def test_same_code_same_stamp_changed_code_new_stamp(tmp_path: Path) -> None:
    for sub in "xyz":
        (tmp_path / sub).mkdir()
    a = _rows(_score(tmp_path / "x", V1, "a"))
    b = _rows(_score(tmp_path / "y", V1, "b"))
    c = _rows(_score(tmp_path / "z", V2, "c"))
    sa, sb, sc = (r[0]["_provenance"]["rewards"]["has_answer"] for r in (a, b, c))
    assert sa == sb  # same code in another file: same stamp
    assert sa != sc  # a fixed verifier: a new stamp


def test_options_and_versions_change_the_stamp() -> None:
    base = rk.get("math_equal")
    assert rk.stamp(base) == rk.stamp(rk.get("math_equal"))
    changed = base.configure(**{next(iter(base.option_defaults)): _other(base)})
    assert rk.stamp(changed) != rk.stamp(base)

    @rk.reward(version="1")
    def r1(completion: str) -> float:
        return 1.0

    @rk.reward(version="2", name="r1")
    def r2(completion: str) -> float:
        return 1.0

    assert rk.stamp(r1) != rk.stamp(r2)
    # composites hash their weights and terms
    xml = rk.get("xml_format")
    assert rk.stamp(xml + base) == rk.stamp(xml + base)
    assert rk.stamp(xml + base) != rk.stamp(0.5 * xml + base)


def _other(rw: rk.Reward) -> Any:
    value = next(iter(rw.option_defaults.values()))
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    return str(value) + "x"


def test_diff_refuses_files_scored_by_different_code(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = _score(tmp_path / "x", V1, "a")
    b = _score(tmp_path / "y", V2, "b")
    with pytest.raises(ProvenanceMismatch, match="different code for 'has_answer'"):
        diff_files(str(a), str(b))
    result = diff_files(str(a), str(b), allow_code_change=True)
    assert result.code_changed == ["has_answer"]
    assert result.per_reward["has_answer"]["changed"] == 1  # row 2: "4? no, it is 5"

    runner = CliRunner()
    refused = runner.invoke(app, ["diff", str(a), str(b)])
    assert refused.exit_code == 2
    assert "different code for 'has_answer'" in refused.output
    allowed = runner.invoke(app, ["diff", str(a), str(b), "--allow-code-change"])
    assert allowed.exit_code == 0, allowed.output
    assert "warning: reward code differs for has_answer" in allowed.output
    assert "DIFFERENT CODE" in allowed.output


def test_diff_of_same_code_prints_the_stamps(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = _score(tmp_path / "x", V1, "a")
    b = _score(tmp_path / "y", V1, "b")
    stamp = _rows(a)[0]["_provenance"]["rewards"]["has_answer"]
    res = CliRunner().invoke(app, ["diff", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert f"provenance has_answer: A {stamp}  B {stamp}  (same)" in res.output


def test_old_files_without_stamps_still_diff(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    a = _score(tmp_path / "x", V1, "a")
    old = tmp_path / "old.jsonl"
    rows = _rows(a)
    for r in rows:
        del r["_provenance"]
    old.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    result = diff_files(str(a), str(old))
    assert result.code_changed == [] and result.stamps_b == {}


def test_score_stdout_rows_are_stamped_like_file_rows(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in ROWS))
    buf = io.BytesIO()
    run_score(ScoreOptions(input=str(data), rewards=["xml_format"]), stdout=buf)
    rows = [orjson.loads(x) for x in buf.getvalue().splitlines()]
    expected = rk.provenance([rk.get("xml_format")], rk.get("xml_format"))
    assert rows[0]["_provenance"]["rewards"] == expected["rewards"]
    assert rows[0]["_provenance"]["rewardkit"] == expected["rewardkit"]
    assert rows[0]["_provenance"]["total"]  # the total (a one-term sum) is stamped too


def test_resume_refuses_when_the_reward_code_changed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from rewardkit.cli._score import _fingerprint, plan_rewards
    from rewardkit.io import ResumableWriter

    mod = tmp_path / "m_rewards.py"
    mod.write_text(V1)
    data = tmp_path / "rows.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in ROWS))
    out = tmp_path / "out.jsonl"
    opts = ScoreOptions(input=str(data), rewards=[f"{mod}:has_answer"], output=str(out))
    # an interrupted run of V1: one committed row, then the process died
    fp = _fingerprint(opts, plan_rewards(opts.rewards), "jsonl")
    writer = ResumableWriter(str(out), fingerprint=fp)
    writer.write(b'{"x": 1}\n', 1, 1)
    writer.close()
    mod.write_text(V2)  # the verifier is fixed before resuming (in a new process)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", "score", str(data), "-r", f"{mod}:has_answer",
         "-o", str(out), "--resume", "-q"],
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "used different reward_code" in proc.stderr
