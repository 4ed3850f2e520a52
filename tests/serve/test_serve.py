"""`rewardkit serve`: the same verdicts as `rewardkit score`, bounded requests, typed failures."""

from __future__ import annotations

import io
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from serve_helpers import GSM8K, SLOW_REWARDS, cli_server, get, post, read_jsonl, thread_server

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from rewardkit.cli._engine import make_scorer  # noqa: E402
from rewardkit.cli._score import ScoreOptions, plan_rewards, run_score  # noqa: E402
from rewardkit.serve import RewardService, ServeLimits  # noqa: E402

SPECS = ["xml_format=0.25", "math_equal"]


def _service(specs: list[str] = SPECS, imports: list[str] | None = None, **kw: Any) -> Any:
    plan = plan_rewards(specs, None, imports or [])
    scorer = make_scorer(plan.leaves, workers=2, timeout=kw.pop("timeout", 10.0))
    return RewardService(scorer, plan.leaves, plan.total, **kw)


def _offline(specs: list[str], path: Path) -> list[dict[str, Any]]:
    out = io.BytesIO()
    run_score(ScoreOptions(input=str(path), rewards=specs, workers=2), stdout=out)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def gsm_rows() -> list[dict[str, Any]]:
    return read_jsonl(GSM8K)[:64]


@pytest.fixture
def server(gsm_rows: list[dict[str, Any]]) -> Iterator[str]:
    with thread_server(_service(), ServeLimits(max_rows=100, max_body_bytes=1 << 20)) as url:
        yield url


def test_score_endpoint_returns_what_score_writes(
    server: str, gsm_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in gsm_rows))
    expected = _offline(SPECS, path)
    status, body = post(f"{server}/score", {"rows": gsm_rows})
    assert status == 200
    assert body["rows"] == expected
    # the file mixes right and wrong answers, so the comparison is not vacuous
    assert {r["reward"] for r in expected} >= {0.0, 1.0}
    assert all(r["_provenance"]["rewards"].keys() == {"xml_format", "math_equal"} for r in expected)


def test_verify_endpoint_nemo_gym_shape(server: str) -> None:
    body = {
        "responses_create_params": {"input": [{"role": "user", "content": "What is 6*7?"}]},
        "response": {
            "output": [
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "<answer>42</answer>"}],
                }
            ]
        },
        "expected_answer": "42",
    }
    status, reply = post(f"{server}/verify", body)
    assert status == 200
    assert reply["rewards"]["math_equal"]["score"] == 1.0
    assert reply["reward"] == pytest.approx(1.0 + 0.25 * reply["rewards"]["xml_format"]["score"])
    assert reply["expected_answer"] == "42" and "_provenance" in reply
    body["expected_answer"] = "41"
    assert post(f"{server}/verify", body)[1]["rewards"]["math_equal"]["score"] == 0.0


@pytest.mark.parametrize(
    ("path", "payload", "code", "words"),
    [
        ("/score", b"{not json", 400, "not valid JSON"),
        ("/score", b'{"rows": 3}', 400, "expects"),
        ("/score", b'{"rows": [1]}', 400, "rows[0]"),
        ("/score", orjson.dumps({"rows": [{"completion": "x"}] * 101}), 413, "at most 100"),
        ("/get_reward", b'{"prompts": ["a"]}', 400, "'query'"),
        ("/get_reward", b'{"query": ["a", "b"], "prompts": ["a"]}', 400, "'prompts' has 1"),
        ("/verify", b'{"response": 1}', 400, "'response'"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    server: str, path: str, payload: bytes, code: int, words: str
) -> None:
    status, body = post(f"{server}{path}", None, raw=payload)
    assert status == code
    assert words in body["error"]
    # and the server keeps serving
    assert get(f"{server}/health")[0] == 200


def _raw_reply(url: str, head: bytes, body: bytes) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    payload = data.split(b"\r\n\r\n", 1)[1]
    if b"transfer-encoding: chunked" in data.split(b"\r\n\r\n", 1)[0].lower():
        payload = payload.split(b"\r\n", 1)[1].rsplit(b"\r\n0", 1)[0]
    return status, orjson.loads(payload.strip())


def test_oversized_bodies_are_refused_before_reading_them(server: str) -> None:
    # a declared length over the limit: refused without waiting for the body
    head = b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"
    status, body = _raw_reply(server, head, b'{"rows": ["')
    assert status == 413 and "--max-body-mb" in body["error"]
    # a chunked body (no length) is counted while it streams in
    chunk = b"x" * (512 << 10)
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(3))
    head = b"POST /score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, body = _raw_reply(server, head, chunks)
    assert status == 413 and "limit" in body["error"]
    assert get(f"{server}/health")[0] == 200


def test_bearer_token(gsm_rows: list[dict[str, Any]]) -> None:
    with thread_server(_service(), ServeLimits(token="s3cret")) as url:
        assert post(f"{url}/score", {"rows": gsm_rows[:2]})[0] == 401
        assert post(f"{url}/score", {"rows": gsm_rows[:2]}, token="wrong")[0] == 401
        status, body = post(f"{url}/score", {"rows": gsm_rows[:2]}, token="s3cret")
        assert status == 200 and len(body["rows"]) == 2
        assert get(f"{url}/health")[0] == 200  # liveness probes need no token
        assert get(f"{url}/metrics")[0] == 401
        assert get(f"{url}/metrics", token="s3cret")[0] == 200


def test_metrics_count_requests_latency_and_statuses(
    server: str, gsm_rows: list[dict[str, Any]]
) -> None:
    post(f"{server}/score", {"rows": gsm_rows[:10] + [{"completion": "no answer column"}]})
    post(f"{server}/score", None, raw=b"[")
    status, text = get(f"{server}/metrics")
    assert status == 200
    lines = text.decode().splitlines()
    assert 'rewardkit_requests_total{endpoint="/score",code="200"} 1' in lines
    assert 'rewardkit_requests_total{endpoint="/score",code="400"} 1' in lines
    assert 'rewardkit_rows_total{endpoint="/score"} 11' in lines
    assert 'rewardkit_outcomes_total{reward="math_equal",status="error"} 1' in lines
    assert 'rewardkit_request_seconds_count{endpoint="/score"} 2' in lines
    assert any(
        line.startswith('rewardkit_request_seconds_bucket{endpoint="/score",le="+Inf"} 2')
        for line in lines
    )


def test_a_hanging_reward_costs_one_row_and_its_timeout(tmp_path: Path) -> None:
    mod = tmp_path / "slow_rewards.py"
    mod.write_text(SLOW_REWARDS)
    service = _service(["hangs_on_hang"], [str(mod)], timeout=2.0)
    rows = [{"completion": "ok"}] * 7 + [{"completion": "hang"}]
    with thread_server(service) as url:
        t0 = time.monotonic()
        status, body = post(f"{url}/score", {"rows": rows}, timeout=90)
        elapsed = time.monotonic() - t0
    assert status == 200
    got = [r["rewards"]["hangs_on_hang"] for r in body["rows"]]
    assert [g["status"] for g in got] == ["ok"] * 7 + ["timeout"]
    assert [g["score"] for g in got[:7]] == [1.0] * 7
    assert body["rows"][-1]["reward"] is None
    assert elapsed < 60  # the timeout plus a worker restart, never the 120 s sleep


def test_client_disconnect_loses_nothing_for_other_clients(tmp_path: Path) -> None:
    mod = tmp_path / "slow_rewards.py"
    mod.write_text(SLOW_REWARDS)
    with thread_server(_service(["slow_ok"], [str(mod)])) as url:
        host, port = url.removeprefix("http://").split(":")
        body = orjson.dumps({"rows": [{"completion": "ok"}] * 2})
        for _ in range(3):  # clients that send a request and hang up at once
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(
                    b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
        status, reply = post(f"{url}/score", {"rows": [{"completion": "ok"}, {"completion": "no"}]})
        assert status == 200
        assert [r["reward"] for r in reply["rows"]] == [1.0, 0.0]


def test_graceful_shutdown_finishes_in_flight_batches(tmp_path: Path) -> None:
    mod = tmp_path / "slow_rewards.py"
    mod.write_text(SLOW_REWARDS)
    result: dict[str, Any] = {}
    with cli_server("-r", "slow_ok", "--import", str(mod), "--workers", "2") as server:
        rows = [{"completion": "ok"}, {"completion": "no"}, {"completion": "ok"}]

        def call() -> None:
            result["reply"] = post(f"{server.url}/score", {"rows": rows}, timeout=90)

        t = threading.Thread(target=call)
        t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the batch is being scored
            text = get(f"{server.url}/metrics")[1].decode()
            if "rewardkit_in_flight_requests 2" in text:  # the batch and this scrape
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the request never got in flight")
        code = server.stop()
        t.join(60)
    # uvicorn re-raises the SIGTERM it caught once shutdown is complete
    assert code in (0, -signal.SIGTERM), "".join(server.log)
    status, body = result["reply"]
    assert status == 200
    assert [r["reward"] for r in body["rows"]] == [1.0, 0.0, 1.0]


def test_serve_command_errors_are_one_line() -> None:
    from typer.testing import CliRunner

    from rewardkit.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["serve"])
    assert res.exit_code == 2 and "name at least one reward" in res.output
    res = runner.invoke(app, ["serve", "-r", "xml_format", "--backend", "nope"])
    assert res.exit_code == 2 and "--backend 'nope' is not valid" in res.output
    res = runner.invoke(app, ["serve", "-r", "no_such_reward"])
    assert res.exit_code == 2 and "no_such_reward" in res.output


def test_user_columns_named_like_internal_fields_survive(server: str) -> None:
    row = {"completion": "<answer>1</answer>", "answer": "1", "_status": "mine", "status": "x"}
    status, body = post(f"{server}/score", {"rows": [row]})
    assert status == 200
    assert body["rows"][0]["_status"] == "mine" and body["rows"][0]["status"] == "x"
