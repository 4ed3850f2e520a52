"""The ASGI stack is an extra: importing rewardkit (or its serve package) must not load it."""

from __future__ import annotations

import subprocess
import sys


def test_starlette_and_uvicorn_load_only_when_a_server_is_built() -> None:
    code = (
        "import sys, rewardkit, rewardkit.serve, rewardkit.cli\n"
        "bad = [m for m in ('starlette', 'uvicorn', 'aiohttp') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "import rewardkit.serve._app\n"
        "assert 'starlette' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
