"""Fixtures for CLI tests: a CliRunner-backed ``invoke`` and small data files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ROWS, USER_REWARDS, write_jsonl
from typer.testing import CliRunner

from rewardkit.cli import app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., Any]:
    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "rows.jsonl", ROWS)


@pytest.fixture
def user_rewards(tmp_path: Path) -> Path:
    p = tmp_path / "my_rewards.py"
    p.write_text(USER_REWARDS)
    return p
