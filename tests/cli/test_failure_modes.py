"""Every way a `score` run used to fail silently, reproduced through the real CLI.

Each test runs ``python -m rewardkit.cli score`` as a subprocess (real exit codes,
real signals, real concurrent processes) and checks both the exit status and what is
left on disk.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from cli_helpers import GSM8K, cli_subprocess, read_jsonl, write_jsonl

FAILING = """
from rewardkit import Outcome, Status, reward

@reward
def always_raises(completion: str) -> float:
    raise ValueError("broken reward")

@reward
def fails_one_in_four(completion: str, id: int) -> float:
    if id % 4 == 0:
        raise RuntimeError("flaky")
    return 1.0

@reward
def infra_one_in_ten(completion: str, id: int) -> Outcome:
    if id % 10 == 0:
        return Outcome(None, Status.ERROR, "sandbox infrastructure error: server died",
                       extras={"infra_error": True})
    return Outcome(1.0)
"""

SLOW = """
import time
from rewardkit import reward

@reward
def slow(completion: str) -> float:
    time.sleep(0.01)
    return float(len(completion) % 7)
"""


def run(*args: object, timeout: float = 120) -> tuple[int, str]:
    proc = cli_subprocess(*map(str, args))
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err.decode()


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    rows = [{"id": i, "completion": f"<answer>{i}</answer>", "answer": str(i)} for i in range(40)]
    return write_jsonl(tmp_path / "in.jsonl", rows)


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    path = tmp_path / "failing.py"
    path.write_text(FAILING)
    return path


def test_a_reward_that_errors_on_every_row_fails_the_run(
    tmp_path: Path, rows_file: Path, failing: Path
) -> None:
    out = tmp_path / "out.jsonl"
    code, err = run("score", rows_file, "-r", f"{failing}:always_raises", "-o", out, "-q")
    assert code == 1, err
    assert "'always_raises' failed on every row (40 of 40" in err
    assert len(read_jsonl(out)) == 40  # the rows (with their reasons) are still written


def test_max_error_rate_is_enforced_and_default_tolerates_partial_failure(
    tmp_path: Path, rows_file: Path, failing: Path
) -> None:
    ref = f"{failing}:fails_one_in_four"
    code, err = run("score", rows_file, "-r", ref, "-o", tmp_path / "a.jsonl", "-q")
    assert code == 0, err
    code, err = run(
        "score", rows_file, "-r", ref, "-o", tmp_path / "b.jsonl", "-q", "--max-error-rate", "0.1"
    )
    assert code == 1, err
    assert "failed on 10 of 40 rows (25.0%)" in err and "--max-error-rate 0.1" in err


def test_infrastructure_errors_above_their_share_fail_the_run(
    tmp_path: Path, rows_file: Path, failing: Path
) -> None:
    ref = f"{failing}:infra_one_in_ten"
    summary = tmp_path / "summary.json"
    code, err = run(
        "score", rows_file, "-r", ref, "-o", tmp_path / "o.jsonl", "--summary-json", summary
    )
    assert code == 1, err
    assert "4 of 40 rows (10.0%) hit sandbox infrastructure errors" in err
    data = json.loads(summary.read_text())
    assert data["rewards"]["infra_one_in_ten"]["status"]["infra_error"] == 4
    assert data["problems"]
    code, err = run(
        "score", rows_file, "-r", ref, "-o", tmp_path / "p.jsonl", "-q",
        "--max-infra-error-rate", "0.2",
    )  # fmt: skip
    assert code == 0, err


def test_empty_input_is_an_error_and_publishes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    out = tmp_path / "out.jsonl"
    code, err = run("score", empty, "-r", "xml_format", "-o", out)
    assert code == 2
    assert f"{empty}: the input has no rows" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


def test_output_equal_to_input_is_refused_even_through_a_link(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes(GSM8K.read_bytes())
    link = tmp_path / "link.jsonl"
    link.symlink_to(data)
    for out in (data, link, Path(os.path.relpath(data))):
        code, err = run("score", data, "-r", "xml_format", "-o", out, "-q")
        assert code == 2 and "is the input file" in err, err
    assert data.read_bytes() == GSM8K.read_bytes()


def test_a_utf8_bom_does_not_drop_the_first_row(tmp_path: Path) -> None:
    src = tmp_path / "bom.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + GSM8K.read_bytes())
    out = tmp_path / "out.jsonl"
    code, err = run("score", src, "-r", "xml_format", "-o", out, "-q")
    assert code == 0, err
    assert "skipped" not in err
    assert len(read_jsonl(out)) == len(GSM8K.read_bytes().splitlines())


def test_an_error_before_scoring_leaves_no_partial_files(tmp_path: Path, rows_file: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, err = run("score", rows_file, "-r", "number_match", "--map", "answer=nope", "-o", out)
    assert code == 2 and "no column 'nope'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_two_concurrent_writers_of_one_output_second_gets_a_clear_error(
    tmp_path: Path, rows_file: Path
) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    big = write_jsonl(
        tmp_path / "big.jsonl",
        [{"id": i, "completion": f"{i}" + "x" * (i % 13)} for i in range(400)],
    )
    out = tmp_path / "out.jsonl"
    args = ("score", big, "-r", f"{slow}:slow", "-o", out, "-q", "--workers", "1")
    first = cli_subprocess(*map(str, args))
    lock = tmp_path / "out.jsonl.rewardkit-lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock.exists(), "the first run never took its lock"
    code, err = run(*args)
    assert code == 2
    assert "is being written by another rewardkit run" in err
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1.decode()
    got = read_jsonl(out)
    assert [r["id"] for r in got] == list(range(400))
    assert not lock.exists()


def test_resume_after_a_kill_before_the_first_commit(tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": i, "completion": f"{i}" + "y" * (i % 11)} for i in range(150)],
    )
    ref = tmp_path / "ref.jsonl"
    args = ["-r", f"{slow}:slow", "-q", "--workers", "1", "--batch-size", "16"]
    code, err = run("score", src, "-o", ref, *args)
    assert code == 0, err
    out = tmp_path / "out.jsonl"
    proc = cli_subprocess("score", str(src), "-o", str(out), *args, start_new_session=True)
    partial = tmp_path / "out.jsonl.rewardkit-partial"
    deadline = time.monotonic() + 60
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # before the first (1 s) commit
    proc.communicate(timeout=30)
    assert not (tmp_path / "out.jsonl.rewardkit-partial.json").exists()
    code, err = run("score", src, "-o", out, *args, "--resume")
    assert code == 0, err
    assert out.read_bytes() == ref.read_bytes()


def test_resume_with_nothing_to_resume_scores_from_the_start(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, err = run("score", GSM8K, "-r", "xml_format", "-o", out, "-q", "--resume")
    assert code == 0, err
    assert len(read_jsonl(out)) == len(GSM8K.read_bytes().splitlines())


LOCATED = """
import time
from rewardkit import reward

@reward
def raises_on_seven(completion: str, id: int) -> float:
    if id == 7:
        raise ValueError("no sevens")
    return 1.0

@reward
def hangs_on_three(completion: str, id: int) -> float:
    if id == 3:
        time.sleep(30)
    return 1.0
"""


def test_failure_reasons_name_the_input_file_and_its_1_based_line(tmp_path: Path) -> None:
    """A failed row's reason says FILE:LINE of the input (blank lines counted), never its
    position inside an internal batch, for inline rewards and isolated ones alike."""
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "completion": "x"}) for i in range(10)]
    lines.insert(2, "")  # a blank line shifts every later row by one line
    src.write_text("\n".join(lines) + "\n")
    rewards = tmp_path / "located.py"
    rewards.write_text(LOCATED)
    out = tmp_path / "out.jsonl"
    code, err = run(
        "score", src, "--import", rewards, "-r", "raises_on_seven", "-r", "hangs_on_three",
        "-o", out, "-q", "--timeout", "1", "--batch-size", "4",
    )  # fmt: skip
    assert code == 0, err
    by_id = {row["id"]: row["rewards"] for row in read_jsonl(out)}
    raised = by_id[7]["raises_on_seven"]
    assert raised["status"] == "error"
    assert f"at {src}:9: no sevens" in raised["reason"], raised
    hung = by_id[3]["hangs_on_three"]
    assert hung["status"] == "timeout"
    assert f"{src}:5" in hung["reason"] and "row 3" not in hung["reason"], hung
