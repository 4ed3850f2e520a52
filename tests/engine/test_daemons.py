"""Nothing a reward starts outlives its call: daemons in their own session included."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import hostile_rewards as hr
import pytest

from rewardkit import Status
from rewardkit.engine import Scorer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode", ["return", "hang"])
def test_a_setsid_daemon_started_by_a_reward_is_killed(tmp_path: Path, mode: str) -> None:
    pidfile = tmp_path / "daemon.pid"
    with Scorer([hr.starts_daemon], workers=1, timeout=3.0) as s:
        (res,) = s.score([{"completion": f"{pidfile}|{mode}"}])
        expected = Status.OK if mode == "return" else Status.TIMEOUT
        assert res["starts_daemon"].status is expected
        pid = int(pidfile.read_text())
        assert pid != os.getpid()
        # killed with the call (return) or with the timed-out worker (hang), while the
        # scorer is still open: not only at shutdown
        assert _wait_dead(pid), f"daemon {pid} outlived the reward call ({mode})"
