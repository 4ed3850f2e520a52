"""Judges through the real CLI (subprocesses) against a real local OpenAI-compatible server:
token usage and cost in the ``score`` summary, and ``rewardkit audit``'s judge checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_server import JudgeServer, biased_judge

pytest.importorskip("httpx")

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: object, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": base_url, "COLUMNS": "200"}
    env.pop("REWARDKIT_JUDGE_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    with JudgeServer() as srv:
        yield srv


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_score_summary_counts_judge_requests_tokens_and_cost(
    server: JudgeServer, tmp_path: Path
) -> None:
    rows = [{"prompt": f"q{i}", "completion": f"SCORE={1 + i % 10}"} for i in range(12)]
    rows.append({"prompt": "q", "completion": "ERR500"})  # a failed call uses no tokens
    rows.append({"prompt": "q", "completion": "RAMBLE"})  # an unusable reply still cost tokens
    src = write_rows(tmp_path / "in.jsonl", rows)
    cache = tmp_path / "judge-cache.sqlite"
    ref = f"llm_judge(max_retries=0, cache_path='{cache}')"
    summary = tmp_path / "summary.json"
    args = ("score", src, "-r", ref, "--judge-model", "m", "--judge-prices", "2,8")
    done = cli(
        *args, "-o", tmp_path / "a.jsonl", "--summary-json", summary, base_url=server.base_url
    )
    assert done.returncode == 0, done.stderr
    (stats,) = json.loads(summary.read_text())["rewards"].values()
    asked = [b["messages"][-1]["content"] for b in server.bodies if "ERR500" not in json.dumps(b)]
    prompt_tokens = sum(len(t) // 4 for t in asked)  # what this server reports per request
    assert stats["usage"] == {
        "requests": 13,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": 130,
        "cost_usd": pytest.approx((prompt_tokens * 2 + 130 * 8) / 1e6),
    }
    assert stats["status"] == {"error": 1, "ok": 12, "unparseable": 1}
    assert "13 model requests, 0 from cache" in done.stderr
    scored = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert all("usage" in next(iter(r["rewards"].values())) for r in scored[:12])

    # the same rows again: every verdict from the on-disk cache, no request, no cost
    before = len(server.bodies)
    done = cli(
        *args, "-o", tmp_path / "b.jsonl", "--summary-json", summary, base_url=server.base_url
    )
    assert done.returncode == 0, done.stderr
    (stats,) = json.loads(summary.read_text())["rewards"].values()
    assert len(server.bodies) - before == 2  # only the failed and the unusable are asked again
    ramble = [b for b in server.bodies if "RAMBLE" in json.dumps(b)][-1]
    tokens = len(ramble["messages"][-1]["content"]) // 4
    assert stats["usage"] == {
        "cached": 12,
        "requests": 1,
        "prompt_tokens": tokens,
        "completion_tokens": 10,
        "cost_usd": pytest.approx((tokens * 2 + 10 * 8) / 1e6),
    }


def test_bad_judge_prices_are_refused_with_the_expected_form(
    server: JudgeServer, tmp_path: Path
) -> None:
    src = write_rows(tmp_path / "in.jsonl", [{"prompt": "q", "completion": "SCORE=3"}])
    done = cli("score", src, "-r", "llm_judge", "--judge-prices", "cheap", base_url=server.base_url)
    assert done.returncode != 0 and "IN,OUT" in done.stderr


def test_audit_reports_a_judges_position_bias_and_fails_on_its_threshold(tmp_path: Path) -> None:
    rows = [{"prompt": f"What is {i}+{i}?", "answer": str(2 * i + 10)} for i in range(4)]
    src = write_rows(tmp_path / "gold.jsonl", rows)
    report = tmp_path / "audit.json"
    with JudgeServer(policy=biased_judge) as srv:
        args = ("audit", src, "-r", "llm_judge(max_retries=0)", "--judge-model", "m")
        done = cli(*args, "--json", report, "--judge-repeats", "2", base_url=srv.base_url)
        assert done.returncode == 0, done.stderr
        assert "judge audit" in done.stdout and "position bias" in done.stdout
        (judged,) = json.loads(report.read_text())["judges"].values()
        assert judged["position_bias"] == pytest.approx(2 / 9)  # +2 of 1..10 for going first
        # a degenerate answer that contains the number fools this judge, and then whichever
        # of the two is read first wins: the preference flips with the order
        assert 0 < judged["order_flip_rate"] <= 1 and judged["consistent_rate"] == 1.0
        assert judged["gold_mean"] == pytest.approx(8 / 9) and judged["failures"] == 0
        done = cli(*args, "--max-position-bias", "0.1", base_url=srv.base_url)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "position bias +0.222 beyond --max-position-bias 0.1" in done.stderr


def test_audit_of_llm_judge_without_a_model_says_how_to_name_one(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "gold.jsonl", [{"prompt": "1+1?", "answer": "2"}])
    done = cli("audit", src, "-r", "llm_judge", base_url="http://127.0.0.1:9/v1")
    assert done.returncode != 0 and "REWARDKIT_JUDGE_MODEL" in done.stderr
