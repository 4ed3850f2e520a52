"""OpenRLHF's own remote-reward client against `rewardkit serve`: same rewards as `score`.

The client is ``SingleTurnAgentExecutor._fetch_rewards_via_http`` from the
``openrlhf`` package (``pip install --no-deps openrlhf``; CI installs it). Its
package ``__init__`` pulls torch, deepspeed and vLLM-era helpers, so the test
loads just the two module files the client needs (``utils/agent.py`` and its
logger) under their real names; the request code that runs is OpenRLHF's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import sys
import types
from pathlib import Path
from typing import Any

import orjson
import pytest
from serve_helpers import GSM8K, SLOW_REWARDS, cli_server, read_jsonl

pytest.importorskip("starlette")
pytest.importorskip("aiohttp")

from rewardkit.cli._score import ScoreOptions, run_score  # noqa: E402


def _load_openrlhf_agent() -> Any:
    spec = importlib.util.find_spec("openrlhf")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("openrlhf is not installed (pip install --no-deps openrlhf)")
    root = Path(next(iter(spec.submodule_search_locations)))
    saved = {k: sys.modules.get(k) for k in ("openrlhf", "openrlhf.utils")}
    try:
        for name, path in (("openrlhf", root), ("openrlhf.utils", root / "utils")):
            pkg = types.ModuleType(name)
            pkg.__path__ = [str(path)]
            sys.modules[name] = pkg
        mods = {}
        for name in ("openrlhf.utils.logging_utils", "openrlhf.utils.agent"):
            file = root / "utils" / (name.rsplit(".", 1)[1] + ".py")
            mspec = importlib.util.spec_from_file_location(name, file)
            assert mspec is not None and mspec.loader is not None
            module = importlib.util.module_from_spec(mspec)
            sys.modules[name] = module
            mspec.loader.exec_module(module)
            mods[name] = module
        return mods["openrlhf.utils.agent"]
    finally:
        for k in ("openrlhf.utils.logging_utils", "openrlhf.utils.agent"):
            sys.modules.pop(k, None)
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def _fetch(agent: Any, url: str, queries: list[str], prompts: list[str], labels: list[str]) -> Any:
    executor = agent.SingleTurnAgentExecutor(remote_rm_url=f"{url}/get_reward")
    replies = asyncio.run(executor._fetch_rewards_via_http(queries, prompts, labels))
    assert len(replies) == 1  # one server: one shard
    return replies[0]


def test_openrlhf_client_gets_the_rewards_score_writes(tmp_path: Path) -> None:
    agent = _load_openrlhf_agent()
    rows = read_jsonl(GSM8K)[:48]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    specs = ["xml_format=0.5", "math_equal"]
    out = io.BytesIO()
    run_score(ScoreOptions(input=str(path), rewards=specs, workers=2), stdout=out)
    offline = [orjson.loads(line) for line in out.getvalue().splitlines()]
    # what OpenRLHF sends: the decoded prompt + response (with the EOS token) and the label
    queries = [r["prompt"] + r["completion"] + "<|im_end|>" for r in rows]
    with cli_server("-r", specs[0], "-r", specs[1], "--workers", "2") as server:
        reply = _fetch(
            agent, server.url, queries, [r["prompt"] for r in rows], [r["answer"] for r in rows]
        )
    expected = [r["reward"] if r["reward"] is not None else 0.0 for r in offline]
    assert reply["rewards"] == pytest.approx(expected, abs=1e-12)
    assert reply["scores"] == reply["rewards"]
    assert reply["extra_logs"]["math_equal"] == [
        r["rewards"]["math_equal"]["score"] or 0.0 for r in offline
    ]
    assert len(set(reply["rewards"])) > 1  # right and wrong answers both present
    assert reply["_provenance"] == offline[0]["_provenance"]


def test_openrlhf_client_a_hanging_reward_costs_one_row(tmp_path: Path) -> None:
    agent = _load_openrlhf_agent()
    mod = tmp_path / "slow_rewards.py"
    mod.write_text(SLOW_REWARDS)
    queries = ["P:ok"] * 5 + ["P:hang"] + ["P:no"] * 2
    with cli_server("-r", "hangs_on_hang", "--import", str(mod), "--timeout", "2") as server:
        reply = _fetch(agent, server.url, queries, ["P:"] * 8, [""] * 8)
    assert reply["rewards"] == [1.0] * 5 + [0.0] + [0.0] * 2
    assert reply["extra_logs"]["rewardkit_failed"] == [0.0] * 5 + [1.0] + [0.0] * 2
    assert reply["statuses"]["hangs_on_hang"][5] == "timeout"
    assert reply["statuses"]["reward"].count("ok") == 7
