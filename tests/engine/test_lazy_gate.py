"""``gate(condition, value)`` never evaluates ``value`` on rows whose condition fails.

The value reward appends to a marker file named by the row's ``marker`` column,
so a call is visible whichever process made it (worker or caller). The rewards
live at module level so worker processes can rebuild them by reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import rewardkit as rk
from rewardkit import Outcome, Reward, Status, reward
from rewardkit.engine import Scorer, _gather, _scorer


@reward(range=(0, 1))
def fmt(completion: str) -> float:
    """The condition: 1.0 for completions starting with ``<ok>``."""
    return 1.0 if str(completion).startswith("<ok>") else 0.0


@reward(range=(0, 1))
def fmt2(completion: str) -> float:
    """A second condition: 1.0 when the completion also ends with ``!``."""
    return 1.0 if str(completion).endswith("!") else 0.0


@reward(range=(0, 1))
def marked(completion: str, marker: str) -> float:
    """The expensive value: records each call in the marker file, then scores."""
    with open(marker, "a", encoding="utf-8") as f:
        f.write(str(completion) + "\n")
    return 0.5 if "half" in str(completion) else 1.0


@reward(range=(0, 10**6), cheap=True)
def size(completion: str) -> float:
    return float(len(str(completion)))


COMPLETIONS = ["<ok> yes", "nope", "<ok> half!", "bad!", "<ok> yes!", "nope"]


def _rows(tmp_path: Path, tag: str = "") -> list[dict[str, Any]]:
    return [
        {"completion": c, "marker": str(tmp_path / f"{tag}row{i}.txt")}
        for i, c in enumerate(COMPLETIONS)
    ]


def _called(rows: list[dict[str, Any]]) -> list[int]:
    """Indices of rows whose marker file exists (their value reward ran)."""
    return [i for i, r in enumerate(rows) if Path(r["marker"]).exists()]


PASS = [i for i, c in enumerate(COMPLETIONS) if c.startswith("<ok>")]
PASS_BOTH = [i for i in PASS if COMPLETIONS[i].endswith("!")]


def _expected_pass(completion: str) -> Outcome:
    """What a gate gave (and gives) for a row whose condition passes."""
    v = 0.5 if "half" in completion else 1.0
    return Outcome(
        v,
        Status.OK,
        "",
        {"terms": {"fmt": {"score": 1.0, "status": "ok"}, "marked": {"score": v, "status": "ok"}}},
    )


# -- in-process ------------------------------------------------------------------------------


def test_in_process_value_not_called_when_condition_fails(tmp_path: Path) -> None:
    node = rk.gate(fmt, marked)
    rows = _rows(tmp_path)
    outs = [node.score(r) for r in rows]
    assert _called(rows) == PASS
    for i, (row, out) in enumerate(zip(rows, outs, strict=True)):
        if i in PASS:
            assert out == _expected_pass(row["completion"])
        else:
            assert out.score == 0.0 and out.status is Status.OK
            assert "not passed" in out.reason
            assert out.extras["terms"] == {"fmt": {"score": 0.0, "status": "ok"}}


def test_gate_needed_is_staged() -> None:
    node = rk.gate(fmt, marked)
    row = {"completion": "<ok>", "marker": "unused"}
    assert node.needed(row) == [fmt]
    assert node.needed(row, {}) == [fmt]
    assert node.needed(row, {"fmt": Outcome(1.0)}) == [marked]
    assert node.needed(row, {"fmt": Outcome(0.0)}) == []
    assert node.needed(row, {"fmt": Outcome.error("x")}) == []
    assert node.needed(row, {"fmt": Outcome.timeout("x")}) == []
    assert node.needed(row, {"fmt": Outcome(1.0), "marked": Outcome(1.0)}) == []
    # a sum needs its plain terms up front and the gate's value later
    total = rk.weighted([(node, 2.0), (size, 0.5)])
    assert total.needed(row) == [fmt, size]
    assert total.needed(row, {"fmt": Outcome(1.0), "size": Outcome(4.0)}) == [marked]


# -- through the Scorer ---------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_scorer_value_not_called_when_condition_fails(
    tmp_path: Path, isolation: _scorer.Isolation
) -> None:
    node = rk.gate(fmt, marked)
    rows = _rows(tmp_path)
    with Scorer([node], workers=2, isolation=isolation) as s:
        out = s.score(rows)
        stats = s.stats
    assert _called(rows) == PASS
    assert stats["marked"].calls == len(PASS)
    assert stats["fmt"].calls + stats["fmt"].cache_hits == len(rows)  # two rows are alike
    ref_rows = _rows(tmp_path, "ref")
    for i, (row, res) in enumerate(zip(ref_rows, out, strict=True)):
        assert res[node.key] == node.score(row)
        if i in PASS:
            assert res[node.key] == _expected_pass(row["completion"])
        else:
            assert res[node.key].score == 0.0
            assert "marked" not in res[node.key].extras["terms"]


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_nested_gates_inside_a_weighted_sum(tmp_path: Path, isolation: _scorer.Isolation) -> None:
    inner = rk.gate(fmt, rk.gate(fmt2, marked))
    total = rk.weighted([(inner, 2.0), (size, 0.5)], name="total")
    also = rk.route("kind", {"g": rk.gate(fmt2, marked)}, name="routed")
    rows = _rows(tmp_path)
    for r in rows:
        r["kind"] = "none"  # the routed gate applies to no row: never asks for marked
    with Scorer([total, also, fmt], workers=2, isolation=isolation) as s:
        out = s.score(rows)
    assert _called(rows) == PASS_BOTH
    ref_rows = _rows(tmp_path, "ref")
    for r in ref_rows:
        r["kind"] = "none"
    for i, (row, res) in enumerate(zip(ref_rows, out, strict=True)):
        assert list(res) == ["total", "routed", "fmt"]
        assert res["total"] == total.score(row)
        assert res["routed"].status is Status.NOT_APPLICABLE
        n = float(len(row["completion"]))
        value = (0.5 if "half" in row["completion"] else 1.0) if i in PASS_BOTH else 0.0
        assert res["total"].score == pytest.approx(2.0 * value + 0.5 * n)
        terms = res["total"].extras["terms"]
        assert ("marked" in terms) == (i in PASS_BOTH)
        assert ("fmt2" in terms) == (i in PASS)


def test_score_iter_and_cache_keep_the_same_outcomes(tmp_path: Path) -> None:
    node = rk.gate(fmt, marked)
    rows = _rows(tmp_path) * 3  # duplicates: the value runs once per distinct passing row
    with Scorer([node, marked], workers=2, isolation="process") as s:
        streamed = list(s.score_iter(rows[:6], batch_size=4))
        again = s.score(rows)
        stats = s.stats
    assert _called(rows[:6]) == list(range(6))  # marked is also a top-level reward here
    assert streamed == again[:6]
    assert stats["marked"].calls == len(COMPLETIONS)
    for a, b in zip(again, again[6:], strict=False):
        assert a == b


def test_value_also_needed_elsewhere_is_scored_once(tmp_path: Path) -> None:
    # marked is needed up front by the sum and later by the gate: one call per row
    node = rk.gate(fmt, marked) + marked
    rows = _rows(tmp_path)
    with Scorer([node], workers=1, isolation="inline", cache=False) as s:
        s.score(rows)
    for r in rows:
        assert len(Path(r["marker"]).read_text().splitlines()) == 1


class _Legacy(rk.Composite):
    """A composite written before needed() took ``known``."""

    def __init__(self, child: Reward) -> None:
        self.child = child
        self.children = (child,)
        self.name = "legacy"

    def needed(self, row: Mapping[str, Any]) -> list[Reward]:  # type: ignore[override]
        return [self.child]

    def combine(self, row: Mapping[str, Any], lookup: Any) -> Outcome:
        return lookup(self.child)


def test_composite_without_known_parameter_still_works(tmp_path: Path) -> None:
    node = rk.gate(_Legacy(fmt), _Legacy(marked))
    rows = _rows(tmp_path)
    with Scorer([node, _Legacy(size)], isolation="inline") as s:
        out = s.score(rows)
    assert _called(rows) == PASS
    for row, res in zip(_rows(tmp_path, "ref"), out, strict=True):
        assert res[node.key] == node.score(row)
        assert res["legacy"].score == float(len(row["completion"]))


class _Endless(rk.Composite):
    """Asks for a new leaf every time it is asked: the scorer must stop and report."""

    name = "endless"

    def needed(
        self, row: Mapping[str, Any], known: Mapping[str, Outcome] | None = None
    ) -> list[Reward]:
        n = len(known or {})
        return [Reward(lambda completion: 1.0, name=f"step{n}", cheap=True)]

    def combine(self, row: Mapping[str, Any], lookup: Any) -> Outcome:
        return Outcome(1.0)


def test_endless_composite_gets_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_gather, "MAX_PHASES", 3)
    with Scorer([_Endless(), size], isolation="inline") as s:
        out = s.score([{"completion": "x"}])
    assert out[0]["endless"].status is Status.ERROR
    assert "after 3 rounds" in out[0]["endless"].reason
    assert out[0]["size"].score == 1.0
