"""Removal of a job's leftovers: iterative, bounded, and loud when it cannot finish."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from rewardkit.sandbox._cleanup import CleanupError, remove_tree


def _hostile_tree(top: Path, depth: int) -> None:
    fd = os.open(top, os.O_RDONLY)
    try:
        os.mkdir("deep", dir_fd=fd)
        inner = os.open("deep", os.O_RDONLY, dir_fd=fd)
        for _ in range(depth):  # 1200 * 61 bytes: far beyond PATH_MAX and the recursion limit
            os.mkdir("x" * 60, dir_fd=inner)
            nxt = os.open("x" * 60, os.O_RDONLY, dir_fd=inner)
            os.close(inner)
            inner = nxt
        os.mkfifo("fifo", dir_fd=inner)
        os.close(inner)
    finally:
        os.close(fd)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(top / "sock"))
    sock.close()
    locked = top / "locked"
    locked.mkdir()
    (locked / "inner").mkdir()
    (locked / "inner" / "file").write_text("x")
    locked.chmod(0)
    for i in range(300):
        (top / f"f{i}").write_text("x")


def test_removes_deep_locked_and_special_entries(tmp_path: Path) -> None:
    top = tmp_path / "job"
    top.mkdir()
    _hostile_tree(top, 1200)
    remove_tree(str(top), keep_top=True)
    assert list(top.iterdir()) == []
    remove_tree(str(top))
    assert not top.exists()


def test_budget_exceeded_is_an_error_not_a_silent_leftover(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i}").write_text("x")
    with pytest.raises(CleanupError, match="more than 10 entries"):
        remove_tree(str(tmp_path), max_entries=10, keep_top=True)
