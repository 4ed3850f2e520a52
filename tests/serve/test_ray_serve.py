"""`rewardkit serve --ray-serve`: the same app behind Ray Serve on a real local Ray cluster.

Two replicas; every protocol answers exactly as the in-process service does, for the
same rows; the deployment is shut down by the test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from serve_helpers import GSM8K, get, post

ray = pytest.importorskip("ray")
serve = pytest.importorskip("ray.serve")

from rewardkit.cli._score import plan_rewards  # noqa: E402
from rewardkit.engine._factory import make_scorer  # noqa: E402
from rewardkit.serve import RewardService  # noqa: E402
from rewardkit.serve._ray_serve import deploy  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_serve_url() -> Iterator[tuple[str, Any]]:
    plan = plan_rewards(["number_match", "xml_format=0.5"])
    ray.init(
        address="local",  # a new cluster of its own, never one another test left running
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        url = deploy(
            plan.leaves,
            plan.total,
            scorer_options={"workers": 1, "timeout": 10.0},
            replicas=2,
            port=_free_port(),
        )
        yield url, plan
    finally:
        serve.shutdown()
        ray.shutdown()


def test_score_and_openrlhf_replies_match_the_in_process_service(
    ray_serve_url: tuple[str, Any],
) -> None:
    url, plan = ray_serve_url
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines()[:24]]
    local = RewardService(make_scorer(plan.leaves, workers=1), plan.leaves, plan.total)
    try:
        want = local.score_sync([dict(r) for r in rows], "/score").rows
    finally:
        local.close()
    for _ in range(3):  # several requests: both replicas answer the same
        code, body = post(url + "/score", {"rows": rows})
        assert code == 200, body
        assert body["rows"] == want
    queries = [r["prompt"] + r["completion"] for r in rows[:8]]
    code, body = post(
        url + "/get_reward",
        {"query": queries, "prompts": [r["prompt"] for r in rows[:8]],
         "labels": [r["answer"] for r in rows[:8]]},
    )  # fmt: skip
    assert code == 200, body
    assert body["rewards"] == [w["reward"] for w in want[:8]]


def test_health_metrics_and_bad_input_through_ray_serve(ray_serve_url: tuple[str, Any]) -> None:
    url, _ = ray_serve_url
    code, _ = get(url + "/health")
    assert code == 200
    code, text = get(url + "/metrics")
    assert code == 200 and b"rewardkit_requests_total" in text
    code, body = post(url + "/score", {"nope": 1})
    assert code == 400 and "rows" in json.dumps(body)
