"""Ray backend vs local backend on the same workload, on this machine; plus the RPC costs
that the scaling model in ``docs/scaling.md`` is built from.

What it measures (one single-node Ray cluster started here with ``--workers`` CPUs, so both
backends get the same number of worker processes):

1. Scorer throughput, ``backend="local"`` vs ``backend="ray"``, ``isolation="process"``,
   ``cache=False``, on two rewards: ``math_equal`` (sub-millisecond: the worst case for
   Ray, all overhead) and ``busy_5ms`` (5 ms of pure-Python CPU per row, a typical
   verifier). The outputs are also compared byte for byte.
2. Sandbox throughput, ``SandboxPool`` called from threads vs ``RaySandboxPool``
   (``run_tests_many``, batched), on the workload of ``bench/sandbox.py``.
3. Raw actor-call costs: sequential round trip of an empty call, pipelined calls/s from
   one driver thread, and the round trip of a 64-job batch of a no-op payload.

Run: ``python bench/ray.py [--rows 1500] [--jobs 200] [--workers 2] [--repeat 2]`` (under
``flock /tmp/rewardkit-bench.lock`` on shared machines). Never collected by pytest.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# This file is named ray.py: take its own directory off sys.path before anything imports ray.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

from rewardkit import reward  # noqa: E402


@reward(range=(0, 1))
def busy_5ms(completion: str) -> float:
    """Spin for 5 ms of CPU (a stand-in for a typical verifier), then score the length."""
    end = time.thread_time() + 0.005
    while time.thread_time() < end:
        pass
    return min(1.0, len(str(completion)) / 100)


def math_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "prompt": f"What is {i} + {i}?",
            "completion": f"<think>{i}+{i}</think><answer>\\frac{{{4 * i}}}{{2}}</answer>",
            "answer": str(2 * i + (i % 7 == 0)),
        }
        for i in range(n)
    ]


def time_scorer(rewards: list[Any], rows: list[dict[str, Any]], **kw: Any) -> tuple[float, str]:
    """Rows/s of one ``Scorer.score`` call after a warm-up batch, and the output bytes."""
    from rewardkit.engine import Scorer

    with Scorer(rewards, isolation="process", cache=False, **kw) as scorer:
        scorer.score(rows[:32])  # workers up, rewards loaded
        t0 = time.perf_counter()
        out = scorer.score(rows)
        dt = time.perf_counter() - t0
    blob = json.dumps([{k: o.to_dict() for k, o in r.items()} for r in out], sort_keys=True)
    return len(rows) / dt, blob


def sandbox_jobs(n: int) -> list[tuple[str, list[str], bool]]:
    spec = importlib.util.spec_from_file_location(
        "_bench_sandbox", os.path.join(_HERE, "sandbox.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    jobs: list[tuple[str, list[str], bool]] = mod.workload(n)
    return jobs


@reward(range=(0, 1))
def noop(completion: str) -> float:
    """Returns 1.0: prices the Scorer's own per-row work."""
    return 1.0


class _FakeExecutor:
    """Resolves every task at once, so only the caller's side of the Scorer is timed."""

    def submit(self, task: Any) -> Any:
        from concurrent.futures import Future

        from rewardkit import Outcome
        from rewardkit.engine import TaskResult

        fut: Future[TaskResult] = Future()
        fut.set_result(TaskResult([Outcome.ok(1.0)] * len(task.rows), [0.0] * len(task.rows)))
        return fut

    def close(self) -> None:
        return None


def caller_cost_us(n: int = 20000) -> float:
    """Microseconds per row the calling process spends (plan, cache key, combine)."""
    from rewardkit.engine import Scorer

    rows = math_rows(n)
    scorer = Scorer([noop], isolation="inline")
    scorer._isolated["noop"] = True  # route through the (fake) executor, as isolated rewards go
    scorer._executor = _FakeExecutor()
    t0 = time.perf_counter()
    scorer.score(rows)
    return (time.perf_counter() - t0) / n * 1e6


class Echo:
    """An actor that does nothing, to price the RPC itself."""

    def noop(self) -> None:
        return None

    def batch(self, jobs: list[dict[str, Any]]) -> list[int]:
        return [len(j["code"]) for j in jobs]


def rpc_costs(ray: Any) -> dict[str, float]:
    actor = ray.remote(num_cpus=0)(Echo).remote()
    ray.get(actor.noop.remote())
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        ray.get(actor.noop.remote())
    seq_ms = (time.perf_counter() - t0) / n * 1000
    t0 = time.perf_counter()
    ray.get([actor.noop.remote() for _ in range(2000)])
    pipelined = 2000 / (time.perf_counter() - t0)
    payload = [{"code": "x = 1\n" * 40, "tests": ["assert x == 1"] * 30} for _ in range(64)]
    t0 = time.perf_counter()
    for _ in range(50):
        ray.get(actor.batch.remote(payload))
    batch_ms = (time.perf_counter() - t0) / 50 * 1000
    ray.kill(actor)
    return {"rtt_ms": seq_ms, "calls_s": pipelined, "batch64_ms": batch_ms}


def rate(fn: Callable[[], int]) -> float:
    t0 = time.perf_counter()
    count = fn()
    return count / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs, best kept")
    args = parser.parse_args()
    w = args.workers

    import ray

    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=w, include_dashboard=False, log_to_driver=False)
    start_s = time.perf_counter() - t0
    print(f"machine: {os.cpu_count()} cpus (shared), python {sys.version.split()[0]}, "
          f"ray {ray.__version__}; {w} worker processes per backend; ray.init {start_s:.1f} s")  # fmt: skip

    print("\n-- Scorer (isolation=process, cache=False), rows/s after warm-up --")
    print(
        f"{'workload':24} {'rows':>6} {'local':>9} {'ray':>9} {'ray/local':>10} {'same bytes':>11}"
    )
    for name, rewards, n in (
        ("math_equal (<1 ms/row)", ["math_equal"], args.rows),
        ("busy_5ms (5 ms/row)", [busy_5ms], max(200, args.rows // 3)),
    ):
        rows = math_rows(n)
        local = remote = 0.0
        same = True
        for _ in range(args.repeat):  # alternate, keep the best: the machine is shared
            lr, a = time_scorer(rewards, rows, workers=w)
            rr, b = time_scorer(rewards, rows, workers=w, backend="ray")
            local, remote, same = max(local, lr), max(remote, rr), same and a == b
        print(f"{name:24} {n:6d} {local:9.0f} {remote:9.0f} {remote / local:10.2f} "
              f"{str(same):>11}")  # fmt: skip

    print("\n-- sandbox, jobs/s (bench/sandbox.py workload: 20-50 asserts/job) --")
    from rewardkit.sandbox import SandboxPool, Status
    from rewardkit.sandbox.ray_pool import RaySandboxPool

    jobs = sandbox_jobs(args.jobs)
    specs = [{"code": c, "tests": t} for c, t, _ in jobs]
    with SandboxPool(workers=w) as pool:
        for c, t, _ in jobs[:10]:
            pool.run_tests(c, t)
        with ThreadPoolExecutor(w) as ex:

            def run_local() -> int:
                list(ex.map(lambda j: pool.run_tests(j[0], j[1]), jobs))
                return len(jobs)

            local_js = max(rate(run_local) for _ in range(args.repeat))
    with RaySandboxPool(name=None, batch_size=16) as rpool:
        rpool.ready()
        rpool.run_tests_many(specs[:10])
        got: list[Any] = []

        def run_ray() -> int:
            got[:] = rpool.run_tests_many(specs)
            return len(specs)

        ray_js = max(rate(run_ray) for _ in range(args.repeat))
        agree = sum(
            getattr(r, "status", None) is (Status.PASS if ok else Status.FAIL)
            for r, (_, _, ok) in zip(got, jobs, strict=True)
        )
    print(f"{'SandboxPool, ' + str(w) + ' threads':32} {local_js:8.1f}")
    print(f"{'RaySandboxPool, batch 16':32} {ray_js:8.1f}   ({ray_js / local_js:.2f}x local; "
          f"verdicts ok {agree}/{len(jobs)})")  # fmt: skip

    print("\n-- raw Ray actor calls (one driver thread) --")
    costs = rpc_costs(ray)
    print(f"empty call round trip: {costs['rtt_ms']:.2f} ms")
    print(f"pipelined empty calls: {costs['calls_s']:.0f} calls/s")
    print(f"64-job batch round trip (no-op handler): {costs['batch64_ms']:.2f} ms")
    print(f"Scorer caller-side cost (fake executor, cache on): {caller_cost_us():.1f} us/row")
    ray.shutdown()


if __name__ == "__main__":
    main()
