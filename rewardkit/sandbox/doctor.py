"""``rewardkit sandbox doctor``: what isolation works here, which tier was chosen, and a
self-test that runs a few real attacks through the chosen tier.

``report()`` returns plain data (for logs and tests); ``print_report()`` renders it with rich,
imported only there. Run as ``python -m rewardkit.sandbox.doctor`` (exit code 1 when the
sandbox is unavailable or a self-test attack was not contained).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from . import _probe
from ._errors import SandboxUnavailableError
from ._limits import Limits
from ._pool import DEFAULT_PREIMPORT, SandboxPool
from ._result import Status

# name, code, tests, statuses that count as contained
_SELF_TEST: list[tuple[str, str, Any, tuple[Status, ...]]] = [
    ("correct solution passes", "def f(x):\n    return x + 1\n", ["assert f(1) == 2"],
     (Status.PASS,)),
    ("infinite loop -> timeout", "while True:\n    pass\n", ["assert True"], (Status.TIMEOUT,)),
    ("memory bomb -> memory", "x = bytearray(8 << 30)\n", ["assert True"], (Status.MEMORY,)),
    ("stdout flood -> output_limit", "while True:\n    print('x' * 4096)\n", ["assert True"],
     (Status.OUTPUT_LIMIT,)),
    ("fork bomb is contained",
     "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n    except OSError:\n"
     "        break\nelse:\n    raise SystemExit(0)\n",
     ["assert False"], (Status.FAIL, Status.RUNTIME_ERROR, Status.TIMEOUT)),
    ("connect to 127.0.0.1 is blocked",
     "import socket\ns = socket.create_connection(('127.0.0.1', 9), timeout=0.5)\n",
     ["assert True"], (Status.RUNTIME_ERROR,)),
    ("write outside the workdir is blocked", "open('/usr/rewardkit-doctor', 'w')\n",
     ["assert True"], (Status.RUNTIME_ERROR,)),
    ("signalling the host is blocked",
     "import os, signal\nos.kill({host_pid}, signal.SIGUSR2)\n", ["assert True"],
     (Status.RUNTIME_ERROR,)),
    ("sys.exit(0) before the asserts fails", "import sys\nsys.exit(0)\n", ["assert False"],
     (Status.RUNTIME_ERROR, Status.FAIL)),
    ("always-true __eq__ fails",
     "class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return A()\n",
     ["assert f(1) == 2"], (Status.FAIL,)),
]  # fmt: skip


def report(
    *,
    self_test: bool = True,
    allow_unsafe: bool | None = None,
    preimport: Sequence[str] = DEFAULT_PREIMPORT,
) -> dict[str, Any]:
    """Probe results, the chosen tier (or why none) and, optionally, the attack self-test,
    with ``preimport_failed``: each ``preimport`` module that did not import in a fork server
    (and why); any such failure makes the report not OK."""
    probe = _probe.probe(refresh=True)
    out: dict[str, Any] = {"probe": probe, "tier": None, "error": None, "self_test": []}
    try:
        out["tier"] = _probe.choose_tier(probe, allow_unsafe)
    except SandboxUnavailableError as exc:
        out["error"] = str(exc)
        out["ok"] = False
        return out
    if self_test:
        out["self_test"], out["preimport_failed"] = _self_test(allow_unsafe, preimport)
    else:
        out["preimport_failed"] = {}
    out["ok"] = all(row["ok"] for row in out["self_test"]) and not out["preimport_failed"]
    return out


def _self_test(
    allow_unsafe: bool | None, preimport: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = []
    limits = Limits(test_timeout=1.0, total_timeout=5.0, memory_mb=512, output_bytes=1 << 16)
    with SandboxPool(
        workers=1, limits=limits, allow_unsafe=allow_unsafe, preimport=preimport
    ) as pool:
        failed = dict(pool.preimport_failed)
        for name, code, tests, contained in _SELF_TEST:
            start = time.monotonic()
            result = pool.run_tests(code.replace("{host_pid}", str(os.getpid())), tests)
            rows.append(
                {
                    "name": name,
                    "status": result.status.value,
                    "ok": result.status in contained,
                    "reason": result.first_failure.reason if result.first_failure else "",
                    "seconds": round(time.monotonic() - start, 3),
                }
            )
    return rows, failed


def print_report(data: dict[str, Any] | None = None) -> int:
    """Render :func:`report` (run now when not given) for a terminal; return the exit code:
    0 when a tier works and every self-test attack was contained, else 1."""
    from rich.console import Console
    from rich.table import Table

    data = report() if data is None else data
    console = Console()
    probe = data["probe"]
    console.print(
        f"[bold]rewardkit sandbox doctor[/bold]  kernel {probe.get('kernel')}  "
        f"{probe.get('machine')}  python {probe.get('python')}  euid {probe.get('euid')}"
    )
    mechanisms = Table("mechanism", "works", "detail")
    for name, check in sorted(probe.get("checks", {}).items()):
        detail = check.get("error") or (f"ABI {check['abi']}" if "abi" in check else "")
        mechanisms.add_row(name, "[green]yes[/green]" if check.get("ok") else "[red]no[/red]",
                           str(detail)[:90])  # fmt: skip
    console.print(mechanisms)
    if data.get("tier"):
        console.print(f"tier: [bold green]{data['tier']}[/bold green]")
    else:
        console.print(f"[bold red]no isolation tier[/bold red]: {data.get('error')}")
    if data.get("self_test"):
        attacks = Table("self-test", "status", "contained", "seconds")
        for row in data["self_test"]:
            mark = "[green]yes[/green]" if row["ok"] else "[red]NO[/red]"
            attacks.add_row(row["name"], row["status"], mark, str(row["seconds"]))
        console.print(attacks)
    for name, why in (data.get("preimport_failed") or {}).items():
        console.print(f"[bold red]pre-import failed[/bold red]: {name}: {why}")
    console.print("[green]OK[/green]" if data.get("ok") else "[red]NOT OK[/red]")
    return 0 if data.get("ok") else 1


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    return print_report(report())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
