"""Two sandbox versions side by side: this checkout's pool vs another checkout's, and a fresh
``python -I`` per job, in interleaved rounds of the ``bench/sandbox.py`` workload.

Each version is loaded from its own directory under a private module name (the sandbox
package imports nothing else of rewardkit, and its fork servers boot from that directory), so
one process drives both and a shared machine's changing load hits all three alike.

Run: ``git worktree add /tmp/base <commit>`` then
``python bench/sandbox_ab.py /tmp/base [--asserts N] [--rounds 5] [--workers 2]``.
Never collected by pytest.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from types import ModuleType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox as bench  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rewardkit")


def load(name: str, checkout_package: str) -> ModuleType:
    """``<checkout>/rewardkit/sandbox`` imported as module ``name``."""
    directory = os.path.join(checkout_package, "sandbox")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="another checkout of rewardkit (its root directory)")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--asserts", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = load("rk_base_sandbox", os.path.join(os.path.abspath(args.base), "rewardkit"))
    here = load("rk_here_sandbox", HERE)
    jobs = bench.workload(args.jobs, per_job=args.asserts)
    size = -(-len(jobs) // args.rounds)
    with (
        base.SandboxPool(workers=args.workers) as old,
        here.SandboxPool(workers=args.workers) as new,
    ):
        for job in jobs[:10]:
            old.run_tests(job[0], job[1])
            new.run_tests(job[0], job[1])
        meters = [
            bench.Meter(f"base ({args.base})", lambda j: old.run_tests(j[0], j[1]).passed
                        == len(j[1])),
            bench.Meter("this checkout", lambda j: new.run_tests(j[0], j[1]).passed
                        == len(j[1])),
            bench.Meter("fresh python -I per job", bench.run_fresh),
        ]  # fmt: skip
        for start in range(0, len(jobs), size):
            for meter in meters:
                meter.run(jobs[start : start + size], args.workers)
    rows = [m.row() for m in meters]
    per_job = args.asserts or "20-50"
    print(f"{args.jobs} jobs, {per_job} asserts/job, {args.workers} workers, "
          f"{args.rounds} interleaved rounds")  # fmt: skip
    for row in rows:
        print(f"{row['name']:40} {row['jobs_s']:8.1f} jobs/s  p50 {row['p50_ms']:6.2f} ms  "
              f"{row['agree']}")  # fmt: skip
    old_s, new_s, fresh_s = (row["jobs_s"] for row in rows)
    print(f"base/fresh {old_s / fresh_s:.2f}x  this/fresh {new_s / fresh_s:.2f}x  "
          f"this/base {new_s / old_s:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
