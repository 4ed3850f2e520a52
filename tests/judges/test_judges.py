"""Judge rewards against a real local OpenAI-compatible HTTP server (tests/judges/judge_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_server import JudgeServer, biased_judge

pytest.importorskip("httpx")

import rewardkit as rk  # noqa: E402
from rewardkit import Status  # noqa: E402
from rewardkit.judges import judge, parse_reply, reward_model  # noqa: E402

FAST = {"max_retries": 2, "backoff": 0.01, "timeout": 5.0}


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    with JudgeServer() as srv:
        yield srv


def rows(*completions: str, prompt: str = "What is 2+2?") -> list[dict[str, str]]:
    return [{"prompt": prompt, "completion": c} for c in completions]


def test_scores_are_parsed_and_mapped_onto_the_unit_interval(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, **FAST)
    outs = r.score_batch(rows("SCORE=1", "SCORE=10", "SCORE=7"))
    assert [o.status for o in outs] == [Status.OK] * 3
    assert [o.score for o in outs] == pytest.approx([0.0, 1.0, 6 / 9])
    assert outs[2].reason == "fine" and outs[2].extras["judge_score"] == 7
    body = server.bodies[-1]
    assert body["model"] == "m" and body["response_format"] == {"type": "json_object"}


def test_the_template_gets_row_fields_and_a_reference_answer(server: JudgeServer) -> None:
    r = judge("Q: {prompt}\nA: {completion}\nTopic: {topic}", model="m", base_url=server.base_url)
    assert "topic" in r.required_columns
    r.score_batch([{"prompt": "p?", "completion": "SCORE=5", "topic": "maths", "answer": "4"}])
    sent = server.bodies[-1]["messages"][-1]["content"]
    assert "Q: p?" in sent and "Topic: maths" in sent and "[Reference answer]\n4" in sent
    missing = r.score_batch([{"prompt": "p?", "completion": "SCORE=5"}])[0]
    assert missing.status is Status.ERROR and "topic" in missing.reason


def test_429_is_retried_then_a_typed_error_never_a_zero(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, **FAST)
    flaky, always = r.score_batch(rows("FLAKY429 SCORE=10", "RATE429 SCORE=10"))
    assert flaky.status is Status.OK and flaky.score == 1.0  # retried once, then fine
    assert always.status is Status.ERROR and always.score is None
    assert "HTTP 429" in always.reason and "after 2 retries" in always.reason


def test_500_and_malformed_bodies_and_rambling_replies_are_typed(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, **FAST)
    e500, bad, ramble = r.score_batch(rows("ERR500", "BADBODY", "RAMBLE"))
    assert e500.status is Status.ERROR and "HTTP 500" in e500.reason
    assert bad.status is Status.ERROR and "malformed reply" in bad.reason
    assert ramble.status is Status.UNPARSEABLE and ramble.score is None


def test_timeouts_and_unreachable_servers_are_typed() -> None:
    with JudgeServer() as srv:
        slow = judge(model="m", base_url=srv.base_url, timeout=0.5, max_retries=0)
        (out,) = slow.score_batch(rows("SLOW SCORE=3"))
        assert out.status is Status.TIMEOUT and out.score is None
        port = srv.server_address[1]
    gone = judge(model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1, backoff=0.01)
    (out,) = gone.score_batch(rows("SCORE=3"))
    assert out.status is Status.ERROR and "cannot reach" in out.reason


def test_rescoring_hits_the_cache_with_zero_requests(server: JudgeServer, tmp_path: Path) -> None:
    db = str(tmp_path / "verdicts.sqlite")
    batch = rows("SCORE=2", "SCORE=9", "RAMBLE")
    first = judge(model="m", base_url=server.base_url, cache_path=db, **FAST).score_batch(batch)
    n = len(server.times)
    assert n == 3
    # a new reward object (as in a new run) reads the on-disk cache
    again = judge(model="m", base_url=server.base_url, cache_path=db, **FAST)
    second = again.score_batch(batch[:2])
    assert len(server.times) == n  # zero requests
    assert [o.score for o in second] == [o.score for o in first[:2]]
    assert again.fn.stats.cache_hits == 2 and second[0].extras.get("cached") is True
    # unparseable replies are not cached: asked again
    again.score_batch(batch[2:])
    assert len(server.times) == n + 1


def test_group_judging_one_request_per_prompt(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, group=True, **FAST)
    batch = rows("SCORE=3", "SCORE=3", "SCORE=10") + rows("SCORE=1", "SCORE=5", prompt="other")
    outs = r.score_batch(batch)
    assert len(server.times) == 2  # one request per prompt group
    assert [o.score for o in outs] == pytest.approx([2 / 9, 2 / 9, 1.0, 0.0, 4 / 9])  # ties kept
    assert '"scores"' in server.bodies[0]["messages"][-1]["content"]


def test_group_judging_with_a_missing_item(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, group=True, **FAST)
    outs = r.score_batch(rows("SCORE=4 MISSING", "SCORE=6", "SCORE=8"))
    assert [o.status for o in outs] == [Status.OK, Status.OK, Status.UNPARSEABLE]
    assert "scored 2 of 3" in outs[2].reason


def test_criteria_rubric(server: JudgeServer) -> None:
    r = judge(model="m", base_url=server.base_url, criteria={"correct": 2, "concise": 1})
    assert r.range == (0.0, 1.0)
    (out,) = r.score_batch(rows("SCORE=5"))  # the fake judge answers {"score": 5}: no criteria
    assert out.status is Status.UNPARSEABLE and "criterion 'correct' missing" in out.reason


def test_requests_per_minute_is_respected(server: JudgeServer) -> None:
    # 240 requests/minute = 4/s with a bucket of 240: the first 240 go at once, so use a
    # small budget where the refill rate decides: 60/min -> after the burst, 1 per second
    r = judge(model="m", base_url=server.base_url, requests_per_minute=60, **FAST)
    r.fn.limiter._req = 0.0  # start with an empty bucket: every request waits its turn
    r.score_batch(rows("SCORE=1", "SCORE=2", "SCORE=3"))
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(server.times) == 3 and all(g >= 0.9 for g in gaps), gaps


def test_a_server_without_json_mode_is_asked_again_in_plain_text() -> None:
    with JudgeServer(json_mode=False) as srv:
        (out,) = judge(model="m", base_url=srv.base_url, **FAST).score_batch(rows("SCORE=10"))
        assert out.status is Status.OK and out.score == 1.0
        assert "response_format" in srv.bodies[0] and "response_format" not in srv.bodies[1]


def test_llm_judge_builtin_through_the_engine(
    server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    ref = "llm_judge(model=m, max_retries=0)"
    got = rk.score(rows("SCORE=10", "ERR500"), [ref])
    (key,) = got[0].keys()
    assert key.startswith("llm_judge(")
    assert got[0][key].score == 1.0
    assert got[1][key].status is Status.ERROR and got[1][key].score is None


def test_judge_mixes_with_function_rewards_in_a_formula(server: JudgeServer) -> None:
    j = judge(model="m", base_url=server.base_url, name="judge_q", **FAST)
    total = rk.parse_formula("0.5*judge_q + 0.5*xml_format", rewards={"judge_q": j})
    out = total.score({"prompt": "p", "completion": "<answer>SCORE=10</answer>"})
    assert out.status is Status.OK and out.extras["terms"]["judge_q"]["score"] == 1.0


def test_reward_model_over_http_openrlhf_protocol(server: JudgeServer) -> None:
    rm = reward_model(server.root)
    outs = rm.score_batch([{"prompt": "ab", "completion": "cdef"}, {"completion": "x" * 50}])
    assert [o.score for o in outs] == pytest.approx([0.06, 0.5])
    assert server.bodies[-1] == {"query": ["abcdef", "x" * 50]}


def test_reply_parser_is_strict_then_tolerant() -> None:
    assert parse_reply('{"score": 7}') == {"score": 7}
    assert parse_reply('```json\n{"score": 3}\n```') == {"score": 3}
    assert parse_reply('Sure! {"score": 4, "reason": "a {b} c"} hope it helps') == {
        "score": 4,
        "reason": "a {b} c",
    }
    assert parse_reply("Score: 8/10") == {"score": 8.0}
    with pytest.raises(ValueError):
        parse_reply("no number here")


def test_audit_judge_reports_gold_degenerate_order_bias_and_consistency() -> None:
    from rewardkit.judges import audit_judge

    with JudgeServer(policy=biased_judge) as srv:
        j = judge(model="m", base_url=srv.base_url, **FAST)
        rows = [{"prompt": f"What is {i}+{i}?", "answer": str(2 * i + 10)} for i in range(4)]
        report = audit_judge(j, rows, repeats=2)
    assert report.rows == 4 and report.failures == 0
    assert report.gold_mean == pytest.approx(8 / 9)
    assert report.degenerate_mean is not None and report.degenerate_mean < 0.5
    # the shotgun list contains the right number: this judge is fooled by it
    assert report.false_pass_rate is not None and report.false_pass_rate > 0
    # first position gets +2 points on a 1..10 scale: bias = 2/9 of the unit range
    assert report.position_bias == pytest.approx(2 / 9)
    assert report.consistent_rate == 1.0 and report.consistency_spread == 0.0
