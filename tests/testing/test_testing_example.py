"""The copy-me example file must pass as users will run it: a fresh ``pytest`` process, in CI mode."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_file_passes(rk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLES / "test_my_rewards.py", rk.path / "test_my_rewards.py")
    shutil.copytree(EXAMPLES / "__snapshots__", rk.path / "__snapshots__")
    monkeypatch.setenv("CI", "1")  # a missing or stale snapshot fails instead of being written
    result = rk.run_subprocess("-q")
    result.assert_outcomes(passed=10)
    assert "rewardkit snapshots" not in result.stdout.str()  # nothing was (re)written
