"""How sandbox helper processes are started: a fresh ``python -I -S`` that loads this package
by file path under a private name, so neither ``site`` (``.pth`` imports, user site-packages)
nor ``rewardkit/__init__`` and its dependencies are imported into the fork server."""

from __future__ import annotations

import os
import sys

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PRIVATE_NAME = "_rewardkit_sandbox"

_BOOT = (
    "import sys, importlib.util as u\n"
    "d, name, entry = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "s = u.spec_from_file_location(name, d + '/__init__.py', submodule_search_locations=[d])\n"
    "m = u.module_from_spec(s); sys.modules[name] = m; s.loader.exec_module(m)\n"
    "mod, _, fn = entry.partition(':')\n"
    "getattr(__import__(name + '.' + mod, fromlist=[fn]), fn)(sys.argv[4:])\n"
)


def command(entry: str, *args: str) -> list[str]:
    """argv running ``entry`` (``module:function`` of this package) with ``args``."""
    return [sys.executable, "-I", "-S", "-c", _BOOT, PACKAGE_DIR, PRIVATE_NAME, entry, *args]


def environment() -> dict[str, str]:
    """Environment of helper processes: nothing of the caller's (tokens, RAY_*, ...)."""
    env = {"LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}
    if os.environ.get("REWARDKIT_SANDBOX_DEBUG"):
        env["REWARDKIT_SANDBOX_DEBUG"] = "1"
    return env
