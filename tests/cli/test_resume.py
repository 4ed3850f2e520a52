"""Interrupted runs: kill -9 and Ctrl-C, then --resume, give byte-identical output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import pytest
from cli_helpers import cli_subprocess, write_jsonl

N_ROWS = 1500


def _rows() -> list[dict[str, object]]:
    return [
        {"id": i, "completion": f"<answer>{i}</answer>" + "x" * (i % 50), "answer": str(i)}
        for i in range(N_ROWS)
    ]


def _score_args(src: Path, out: Path, user: Path) -> list[str]:
    # slow_len sleeps 2 ms per row in a worker: ~3 s in total, long enough to interrupt.
    return [
        "score", str(src), "-r", f"{user}:slow_len", "-r", "number_match",
        "-o", str(out), "--workers", "1", "--batch-size", "64", "-q",
    ]  # fmt: skip


def _wait_for_commit(state: Path, proc: object, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.exists():
            try:
                rows = int(json.loads(state.read_text())["rows"])
            except (ValueError, KeyError):
                rows = 0
            if rows > 0:
                return rows
        time.sleep(0.05)
    raise AssertionError("the run never committed any rows")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupt_then_resume_is_byte_identical(
    tmp_path: Path, user_rewards: Path, sig: signal.Signals
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", _rows())
    reference = tmp_path / "ref.jsonl"
    ref = cli_subprocess(*_score_args(src, reference, user_rewards))
    _, err = ref.communicate(timeout=120)
    assert ref.returncode == 0, err.decode()

    out = tmp_path / "out.jsonl"
    state = tmp_path / "out.jsonl.rewardkit-partial.json"
    proc = cli_subprocess(*_score_args(src, out, user_rewards), start_new_session=True)
    committed = _wait_for_commit(state, proc)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, "the run finished before it could be interrupted"
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and b"--resume" in err
    else:
        # Engine workers lead their own sessions and die with the caller (PDEATHSIG); an
        # orphaned process group of the CLI itself may or may not still exist.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert not out.exists(), "a partial output must never appear under the final name"
    assert committed < N_ROWS

    again = cli_subprocess(*_score_args(src, out, user_rewards), "--resume")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    assert out.read_bytes() == reference.read_bytes()
    assert not state.exists()
    assert not (tmp_path / "out.jsonl.rewardkit-partial").exists()
