"""The fast path for cheap inline rewards: same verdicts, cheaper bookkeeping."""

from __future__ import annotations

import rewardkit as rk
from rewardkit.engine import Scorer, _plan

ROWS = [
    {"completion": "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>\n", "answer": "4"},
    {"completion": "no tags", "answer": "4"},
    {"completion": "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>\n", "answer": "4"},
] * 50


def test_fast_path_matches_direct_calls_and_counts_stats() -> None:
    with Scorer(["xml_format", "xml_count"]) as s:
        out = s.score(ROWS)
        stats = s.stats
    fmt = rk.resolve_reference("xml_format")
    for row, res in zip(ROWS, out, strict=True):
        assert list(res) == ["xml_format", "xml_count"]
        assert res["xml_format"] == fmt.score(row)
    st = stats["xml_format"]
    assert st.n == len(ROWS) and st.calls == len(ROWS)
    assert st.cache_hits == 0  # cheap enough that keys would cost more than they save
    assert st.latency_p50_ms is not None and st.latency_p99_ms is not None


def test_costly_cheap_reward_goes_back_to_the_cache() -> None:
    calls: list[str] = []

    @rk.reward(cheap=True)
    def counted(completion: str) -> float:
        calls.append(str(completion))
        return float(len(completion))

    _plan.FAST_CALL_S = 0.0  # every measured leaf counts as costly
    try:
        with Scorer([counted]) as s:
            first = s.score(ROWS)
            second = s.score(ROWS)
            assert s.stats["counted"].cache_hits == 2 * len(ROWS) - 2
    finally:
        _plan.FAST_CALL_S = 2e-05
    assert first == second
    assert len(calls) == 2  # two distinct completions, each scored once


def test_scorer_fast_path_with_cache_off_and_composites() -> None:
    fmt, cnt = rk.resolve_reference("xml_format"), rk.resolve_reference("xml_count")
    total = rk.weighted([(fmt, 1.0), (cnt, 0.5)], name="total")
    with Scorer([total, "xml_format"], cache=False) as s:
        out = s.score(ROWS)
    for row, res in zip(ROWS, out, strict=True):
        assert res["total"] == total.score(row)
