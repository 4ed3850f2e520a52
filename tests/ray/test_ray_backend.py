"""The Ray backend on a real two-node Ray cluster (both nodes on this machine).

One cluster serves the whole module (starting Ray is the slow part); each node has
one CPU, so every test stays within two cores. The contract checked here:

* ``backend="ray"`` gives the same bytes as ``backend="local"`` (timeouts and
  crashes included), through the Scorer, the CLI (with ``--resume``) and ``to_trl``;
* a node removed mid-run costs no row: its tasks are re-sent to a live node;
* sandbox actors run jobs in jailed children that cannot reach the cluster.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

import ray_rewards as rr  # noqa: E402

from rewardkit import Outcome  # noqa: E402
from rewardkit.engine import Scorer  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
GSM8K = ROOT / "rewardkit" / "data" / "gsm8k_sample.jsonl"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Head plus one worker node, one CPU each; node deaths are noticed within ~1 s."""
    c = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "include_dashboard": False,
            "_system_config": {
                "health_check_period_ms": 500,
                "health_check_failure_threshold": 2,
                "health_check_initial_delay_ms": 0,
            },
        },
    )
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, log_to_driver=False)
    try:
        yield c
    finally:
        ray.shutdown()
        c.shutdown()


def dump(results: list[dict[str, Outcome]]) -> str:
    return json.dumps([{k: o.to_dict() for k, o in r.items()} for r in results], sort_keys=True)


def gsm8k_rows(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines() if line.strip()][:n]
    return rows + rows[:3]  # duplicates: the caller-side cache must behave the same


def test_ray_output_is_byte_identical_to_local_including_timeouts_and_crashes(
    cluster: Any,
) -> None:
    rows = gsm8k_rows(12)
    hostile = [{"completion": c} for c in ("ok", "sleep", "segfault", "raise", "ok")]
    args: dict[str, Any] = dict(isolation="process", timeout=1.0, workers=2, chunk_size=3)
    with Scorer(["xml_format", "math_equal"], **args) as local:
        want = dump(local.score(rows))
    with Scorer([rr.hostile], **args) as local:
        want_hostile = dump(local.score(hostile))
    with Scorer(["xml_format", "math_equal"], backend="ray", **args) as remote:
        assert sorted(remote._executor.shares.values()) == [1, 1]  # type: ignore[union-attr]
        assert dump(remote.score(rows)) == want
        assert remote.stats["math_equal"].cache_hits == 3
    with Scorer([rr.hostile], backend="ray", **args) as remote:
        got = remote.score(hostile)
    assert dump(got) == want_hostile
    assert [o["hostile"].status.value for o in got] == ["ok", "timeout", "error", "error", "ok"]


def test_node_removed_mid_run_loses_no_rows(cluster: Any, tmp_path: Path) -> None:
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    rows = [{"completion": "x" * i, "ctl": str(ctl)} for i in range(90)]
    with Scorer([rr.gated_length], backend="ray", workers=3, chunk_size=2) as scorer:
        executor: Any = scorer._executor
        assert len(executor.shares) == 3
        (ctl / "open").touch()
        scorer.score(rows[:6])  # every actor is up before the gate closes
        (ctl / "open").unlink()
        for marker in ctl.glob("started-*"):
            marker.unlink()
        box: dict[str, Any] = {}
        runner = threading.Thread(target=lambda: box.update(out=scorer.score(rows)))
        runner.start()
        # Nothing finishes while the gate is closed, so every actor takes work; wait until
        # the number of started calls stops growing, then remove a node under load.
        seen, stable_since = -1, time.monotonic()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            n = len(list(ctl.glob("started-*")))
            if n != seen:
                seen, stable_since = n, time.monotonic()
            elif n >= 3 and time.monotonic() - stable_since > 1.0:
                break
            time.sleep(0.05)
        assert seen >= 3, "the actors never started their chunks"
        cluster.remove_node(doomed)
        (ctl / "open").touch()
        runner.join(timeout=300)
        assert not runner.is_alive()
        assert executor.retried > 0, "no chunk was retried after the node loss"
    results = box["out"]
    assert [r["gated_length"].score for r in results] == [float(i) for i in range(90)]
    assert all(r["gated_length"].is_ok for r in results)


def test_cli_score_on_ray_resumes_after_kill_9_byte_identical(cluster: Any, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "completion": "y" * (i % 40)}) + "\n" for i in range(400))
    )
    reward = f"{ROOT / 'tests' / 'ray' / 'ray_rewards.py'}:slow_length"
    common = ["score", str(src), "-r", reward, "--workers", "2", "--batch-size", "16", "-q"]
    ray_args = ["--backend", "ray", "--ray-address", cluster.address]

    def cli(*args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(
            [sys.executable, "-m", "rewardkit.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    ref, out = tmp_path / "ref.jsonl", tmp_path / "out.jsonl"
    local = cli(*common, "-o", str(ref))
    proc = cli(*common, "-o", str(out), *ray_args)
    state = Path(str(out) + ".rewardkit-partial.json")
    deadline = time.monotonic() + 60
    while not (state.exists() and json.loads(state.read_text() or "{}").get("rows", 0) > 0):
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "the Ray run never committed a row"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert not out.exists()
    assert local.communicate(timeout=60)[0] == b"" and local.returncode == 0

    again = cli(*common, "-o", str(out), *ray_args, "--resume")
    _, err = again.communicate(timeout=90)
    assert again.returncode == 0, err.decode()[-2000:]
    assert out.read_bytes() == ref.read_bytes()


def test_trl_ranks_share_one_ray_pool(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardkit.trainers.trl import to_trl

    monkeypatch.setenv("REWARDKIT_RAY_POOL", "grpo-test")
    opts = {"backend": "ray", "ray_address": cluster.address, "workers": 2, "isolation": "process"}
    prompts = ["Q: 2+2?", "Q: 3+3?"]
    completions = ["<answer>4</answer>", "<answer>7</answer>"]
    ranks = [to_trl(["math_equal"], scorer=opts, asynchronous=False, lint=False) for _ in "ab"]
    try:
        scores = [r[0](prompts=prompts, completions=completions, answer=["4", "6"]) for r in ranks]
        assert scores == [[1.0, 0.0], [1.0, 0.0]]
        handles = [
            sorted(s.handle._actor_id.hex() for s in r[0].scorer._executor._dispatch.slots)
            for r in ranks
        ]
        assert handles[0] == handles[1]  # both "ranks" talk to the same per-node actors
        names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
        assert sum(n.startswith("engine/grpo-test/") for n in names) == 2
    finally:
        for r in ranks:
            r[0].close()
        for a in ray.util.list_named_actors(all_namespaces=True):
            if a["name"].startswith("engine/grpo-test/"):
                ray.kill(ray.get_actor(a["name"], namespace=a["namespace"]))


CANDIDATE = """
import os, socket

def reach(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False

def sees_ray_sockets():
    return os.path.exists("/tmp/ray") or any("RAY" in k for k in os.environ)

def double(x):
    return 2 * x
"""


def test_sandbox_actors_run_jobs_in_jails_that_cannot_reach_the_cluster(cluster: Any) -> None:
    from rewardkit.sandbox import Status, TestFormatError, probe
    from rewardkit.sandbox.ray_pool import RaySandboxPool

    if not probe().get("tier"):
        pytest.skip("no sandbox isolation tier on this machine")
    host, port = cluster.address.split(":")
    with RaySandboxPool(name=None, cores_per_actor=1, batch_size=2) as pool:
        assert len(pool.ready(timeout=60)) == 2  # one actor per node
        jobs: list[dict[str, Any]] = [
            {"code": CANDIDATE, "tests": ["assert double(2) == 4"]},
            {"code": CANDIDATE, "tests": ["assert double(2) == 5"]},
            {"code": CANDIDATE, "tests": [f"assert not reach({host!r}, {port})"]},
            {"code": CANDIDATE, "tests": ["assert not sees_ray_sockets()"]},
            {"code": CANDIDATE, "tests": 42},
        ]
        got = pool.run_tests_many(jobs)
        assert [getattr(r, "status", None) for r in got[:4]] == [
            Status.PASS,
            Status.FAIL,
            Status.PASS,
            Status.PASS,
        ]
        assert isinstance(got[4], TestFormatError)
        assert pool.run_tests("def f(): return 1", ["assert f() == 1"]).status is Status.PASS


def test_code_tests_routes_to_the_ray_sandbox_pool_by_environment(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rewardkit.sandbox import probe, ray_pool

    if not probe().get("tier"):
        pytest.skip("no sandbox isolation tier on this machine")
    monkeypatch.setenv("REWARDKIT_SANDBOX_RAY", cluster.address)
    monkeypatch.setenv("REWARDKIT_SANDBOX_RAY_CORES", "1")
    try:
        assert isinstance(ray_pool.selected_pool(), ray_pool.RaySandboxPool)
        row = {"completion": "```python\ndef f(x):\n    return x + 1\n```", "tests": []}
        good = {**row, "tests": ["assert f(1) == 2"]}
        bad = {**row, "tests": ["assert f(1) == 3"]}
        with Scorer(["code_tests"], isolation="inline") as scorer:
            got = scorer.score([good, bad])
        assert [r["code_tests"].score for r in got] == [1.0, 0.0]
    finally:
        pool = ray_pool._default.get("pool")
        ray_pool.shutdown_default_ray_pool()
        if pool is not None:  # a named pool outlives close(); this test owns it
            for a in pool.actors:
                ray.kill(a.handle)


def test_import_rewardkit_never_imports_ray() -> None:
    code = (
        "import sys, rewardkit, rewardkit.engine, rewardkit.sandbox, rewardkit.rewards.code; "
        "import rewardkit.engine._ray, rewardkit.sandbox.ray_pool; "
        "assert 'ray' not in sys.modules, 'ray was imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
