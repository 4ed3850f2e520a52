"""Sandbox throughput: the fork-server pool vs a fresh interpreter per job vs in-process exec.

One run, one workload: 300 jobs, each a small solution with a realistic import line and 20-50
asserts (``--asserts N``: exactly N; 10% of the solutions are wrong). The pool and the fresh
interpreter run side by side in interleaved rounds (each round: the same jobs on the pool, then
on fresh interpreters), so a shared machine's changing load hits both alike. Executors:

* ``pool``: ``SandboxPool`` with full isolation (namespaces, slot uid, rlimits, Landlock,
  seccomp), called from as many threads as workers.
* ``fresh python -I``: what most evaluators do, one ``subprocess.run(timeout=)`` per job,
  pass = exit code 0 (no isolation at all).
* ``in-process exec``: the unsafe ceiling, no isolation, no process.

Then the CPU floor: CPU per job (this process + the fork server + its jobs, from
``/proc``) for the bench job, a trivial two-process job (1 assert) and a one-process script
job, run one at a time on one worker; ``cores / CPU per job`` bounds the jobs/s of any
scheduling on this machine.

Run: ``python bench/sandbox.py [--jobs 300] [--workers 2] [--asserts N] [--rounds 5]``. Never
collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rewardkit.sandbox import DEFAULT_PREIMPORT, SandboxPool, Status

IMPORTS = (
    "import collections, heapq, math, re, json, typing, itertools, functools, bisect, string, "
    "decimal, fractions, random, statistics, datetime\n"
)
PROBLEMS: list[tuple[str, str, Callable[[int], object]]] = [
    ("def solve(n):\n    return sum(i * i for i in range(n))\n", "solve", lambda n: sum(i * i for i in range(n))),
    ("def solve(n):\n    return bin(n).count('1')\n", "solve", lambda n: bin(n).count("1")),
    ("def solve(n):\n    return sorted(str(n), reverse=True)\n", "solve", lambda n: sorted(str(n), reverse=True)),
    ("def solve(n):\n    c = collections.Counter(str(n * 7919))\n    return max(c.values())\n", "solve",
     lambda n: max(__import__("collections").Counter(str(n * 7919)).values())),
    ("def solve(n):\n    h = list(range(n, 0, -1))\n    heapq.heapify(h)\n    return [heapq.heappop(h) for _ in range(min(3, n))]\n",
     "solve", lambda n: list(range(1, min(3, n) + 1))),
]  # fmt: skip


def workload(
    jobs: int, seed: int = 0, per_job: int | None = None
) -> list[tuple[str, list[str], bool]]:
    rng = random.Random(seed)
    out = []
    for i in range(jobs):
        body, name, ref = PROBLEMS[i % len(PROBLEMS)]
        wrong = rng.random() < 0.1
        code = IMPORTS + (
            body.replace("return ", "return 1 + ", 1) if wrong and "sum" in body else body
        )
        wrong = wrong and "sum" in body
        asserts = [
            f"assert {name}({n}) == {ref(n)!r}"
            for n in rng.sample(range(1, 200), per_job or rng.randint(20, 50))
        ]
        out.append((code, asserts, not wrong))
    return out


def run_pool(pool: SandboxPool, job: tuple[str, list[str], bool]) -> bool:
    return pool.run_tests(job[0], job[1]).status is Status.PASS


def run_fresh(job: tuple[str, list[str], bool]) -> bool:
    source = job[0] + "\n" + "\n".join(job[1]) + "\n"
    proc = subprocess.run([sys.executable, "-I", "-c", source], capture_output=True, timeout=10)
    return proc.returncode == 0


def run_exec(job: tuple[str, list[str], bool]) -> bool:
    try:
        exec(job[0] + "\n" + "\n".join(job[1]) + "\n", {"__name__": "solution"})
    except Exception:
        return False
    return True


class Meter:
    """Wall time and latencies of one executor, accumulated over rounds."""

    def __init__(self, name: str, fn: Callable[[tuple[str, list[str], bool]], bool]) -> None:
        self.name, self.fn = name, fn
        self.elapsed = 0.0
        self.latencies: list[float] = []
        self.correct = self.jobs = 0

    def run(self, jobs: list[tuple[str, list[str], bool]], threads: int) -> None:
        def timed(job: tuple[str, list[str], bool]) -> bool:
            start = time.perf_counter()
            ok = self.fn(job)
            self.latencies.append(time.perf_counter() - start)
            return ok

        start = time.perf_counter()
        if threads == 1:
            verdicts = [timed(job) for job in jobs]
        else:
            with ThreadPoolExecutor(threads) as ex:
                verdicts = list(ex.map(timed, jobs))
        self.elapsed += time.perf_counter() - start
        self.correct += sum(v == job[2] for v, job in zip(verdicts, jobs, strict=True))
        self.jobs += len(jobs)

    def row(self) -> dict:
        lat = sorted(self.latencies)
        return {
            "name": self.name,
            "jobs_s": self.jobs / self.elapsed,
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "agree": f"{self.correct}/{self.jobs}",
        }


def server_cpu(pid: int) -> float:
    """CPU seconds of a fork server and of every job process it has reaped."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


_BARE_FORK = """
import ctypes, json, os, resource, sys
for name in sys.argv[1:]:
    __import__(name)
fork = ctypes.PyDLL(None, use_errno=True).fork
cpu = 0.0
start = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(300):
    pid = fork()
    if pid == 0:
        os._exit(0)
    usage = os.wait4(pid, 0)[2]
    cpu += usage.ru_utime + usage.ru_stime
end = resource.getrusage(resource.RUSAGE_SELF)
parent = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
print(json.dumps([parent / 300 * 1000, cpu / 300 * 1000]))
"""


def bare_fork_ms() -> tuple[float, float]:
    """CPU ms (parent side, child side) of fork + exit of a ``python -I -S`` that imported
    what a fork server pre-imports, with no jail and no work: the floor of one job process."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _BARE_FORK, *DEFAULT_PREIMPORT],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    parent, child = json.loads(out)
    return float(parent), float(child)


def cpu_per_job(pool: SandboxPool, run: Callable[[], object], jobs: int = 200) -> float:
    """CPU ms per job: this process plus the (single) fork server and its jobs."""
    run()
    pid = pool._all[0].proc.pid
    server, mine = server_cpu(pid), time.process_time()
    for _ in range(jobs):
        run()
    return (server_cpu(pid) - server + time.process_time() - mine) / jobs * 1000


def memory_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--asserts", type=int, default=None, help="asserts per job (20-50)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    jobs = workload(args.jobs, per_job=args.asserts)
    per_job = f"{args.asserts}" if args.asserts else "20-50"
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, {args.jobs} jobs, "
          f"{args.workers} workers, {per_job} asserts/job, 15-module import line, "
          f"{args.rounds} interleaved rounds")  # fmt: skip
    size = -(-len(jobs) // args.rounds)
    rounds = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with SandboxPool(workers=args.workers) as pool:
        print(f"pool tier: {pool.tier}, landlock ABI {pool.report.get('landlock_abi')}, "
              f"seccomp {pool.report.get('seccomp')}")  # fmt: skip
        for job in jobs[:10]:  # warm-up
            run_pool(pool, job)
        meters = [
            Meter("pool (isolated fork servers)", lambda j: run_pool(pool, j)),
            Meter("fresh python -I per job", run_fresh),
        ]
        for part in rounds:
            for meter in meters:
                meter.run(part, args.workers)
        mem = [memory_kb(w.proc.pid) for w in pool._all]
    unsafe = Meter("in-process exec (unsafe)", run_exec)
    unsafe.run(jobs, 1)
    rows = [m.row() for m in [*meters, unsafe]]
    print(f"{'executor':32} {'jobs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'verdicts ok':>12}")
    for row in rows:
        print(f"{row['name']:32} {row['jobs_s']:8.1f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
              f"{row['agree']:>12}")  # fmt: skip
    print(f"pool speed-up vs fresh interpreter: {rows[0]['jobs_s'] / rows[1]['jobs_s']:.1f}x")
    for i, (rss, pss) in enumerate(mem):
        print(f"fork server {i}: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB")
    cores = os.cpu_count() or 1
    print(f"CPU per job, one at a time on 1 worker (parent + fork server + job processes); "
          f"{cores} cores / CPU = bound on jobs/s:")  # fmt: skip
    with SandboxPool(workers=1) as one:
        job = jobs[0]
        floors = [
            (f"bench job ({len(job[1])} asserts, 2 processes)",
             lambda: run_pool(one, job)),
            ("trivial test job (1 assert, 2 processes)",
             lambda: one.run_tests("def f():\n    return 1\n", ["assert f() == 1"])),
            ("script job `pass` (1 process)", lambda: one.execute("pass")),
        ]  # fmt: skip
        for name, run in floors:
            ms = cpu_per_job(one, run)
            print(f"  {name:44} {ms:6.2f} ms  -> {cores * 1000 / ms:6.0f} jobs/s")
    parent, child = bare_fork_ms()
    print(f"  bare fork + exit of a pre-imported interpreter, no jail, no work: {parent:.2f} ms "
          f"(forking side) + {child:.2f} ms (child) per process")  # fmt: skip


if __name__ == "__main__":
    main()
