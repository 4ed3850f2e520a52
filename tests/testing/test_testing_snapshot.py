"""Golden-file snapshots: create, compare, diff, update; through the fixture and directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rewardkit as rk
from rewardkit import Outcome
from rewardkit.testing import SnapshotMismatchError, snapshot

ROWS = [
    {"id": "a", "completion": "The answer is \\boxed{4}", "answer": "4"},
    {"id": "b", "completion": "no idea", "answer": "4"},
    {"id": "c", "completion": "<answer>5</answer>", "answer": "4"},
]


def _v1(completion: str, answer: str) -> Outcome:
    return Outcome.ok(float(answer in completion), "found" if answer in completion else "")


def _v2(completion: str, answer: str) -> Outcome:
    # "improved": requires \boxed, so row a still passes and nothing else changes...
    if "\\boxed" not in completion:
        return Outcome.unparseable("no \\boxed{}")
    return Outcome.ok(float(answer in completion), "found")


V1 = rk.Reward(_v1, name="snap_contains")
V2 = rk.Reward(_v2, name="snap_contains", version="2")


class TestSnapshotFunction:
    def test_create_then_unchanged(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        first = snapshot(ROWS, V1, path)
        assert first.action == "created"
        assert [o["snap_contains"].score for o in first.outcomes] == [1.0, 0.0, 0.0]
        doc = json.loads(path.read_text())
        assert doc["format"] == "rewardkit-snapshot/1"
        assert doc["rewards"] == {"snap_contains": {"version": "1"}}
        assert doc["rows"][0]["id"] == "a"
        assert doc["rows"][0]["inputs"] == {"completion": ROWS[0]["completion"], "answer": "4"}
        assert doc["rows"][0]["outcomes"]["snap_contains"] == {
            "score": 1.0,
            "status": "ok",
            "reason": "found",
        }
        again = snapshot(ROWS, V1, path)
        assert again.action == "unchanged"
        assert path.read_text() == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def test_change_is_reported_row_by_row(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        snapshot(ROWS, V1, path)
        with pytest.raises(SnapshotMismatchError) as info:
            snapshot(ROWS, V2, path)
        err = info.value
        assert err.path == path
        assert err.differences == [
            "reward 'snap_contains' version 1 -> 2",
            "row 1 (id='b') completion='no idea': snap_contains: status 'ok' -> 'unparseable'; "
            "reason '' -> 'no \\\\boxed{}'",
            "row 2 (id='c') completion='<answer>5</answer>': snap_contains: status 'ok' -> "
            "'unparseable'; reason '' -> 'no \\\\boxed{}'",
        ]
        text = str(err)
        assert text.startswith(f"reward snapshot {path} differs (3 difference(s)):")
        assert text.endswith("rerun with `pytest --rewardkit-update` and commit the file.")

    def test_update_rewrites(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        snapshot(ROWS, V1, path)
        result = snapshot(ROWS, V2, path, update=True)
        assert result.action == "updated"
        assert len(result.differences) == 3
        assert snapshot(ROWS, V2, path).action == "unchanged"

    def test_dataset_changes(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        snapshot(ROWS, V1, path)
        rows = [
            dict(ROWS[0], completion="The answer is \\boxed{4}!"),
            ROWS[1],
            {"id": "d", **ROWS[2]},
        ]
        rows[2]["id"] = "d"
        with pytest.raises(SnapshotMismatchError) as info:
            snapshot(rows, V1, path)
        assert info.value.differences == [
            "row 0 (id='a') completion='The answer is \\\\boxed{4}!': inputs changed",
            "row 2 (id='d'): new row",
            "row id='c' was removed",
        ]

    def test_score_tolerance(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        a = rk.Reward(lambda completion: 0.5, name="snap_half")
        b = rk.Reward(lambda completion: 0.5 + 1e-12, name="snap_half")
        c = rk.Reward(lambda completion: 0.51, name="snap_half")
        snapshot(ROWS[:1], a, path)
        assert snapshot(ROWS[:1], b, path).action == "unchanged"
        with pytest.raises(SnapshotMismatchError, match="score 0.5 -> 0.51"):
            snapshot(ROWS[:1], c, path)
        assert snapshot(ROWS[:1], c, path, tol=0.1).action == "unchanged"

    def test_extras_only_when_asked(self, tmp_path: Path) -> None:
        def with_extras(completion: str) -> Outcome:
            return Outcome.ok(1.0, "", took_ms=len(completion))

        rw = rk.Reward(with_extras, name="snap_extras")
        path = tmp_path / "snap.json"
        snapshot(ROWS, rw, path)
        assert "took_ms" not in path.read_text()
        snapshot(ROWS, rw, tmp_path / "x.json", compare=("score", "extras"))
        assert '"took_ms": 23' in (tmp_path / "x.json").read_text()

    def test_missing_fail_mode(self, tmp_path: Path) -> None:
        with pytest.raises(SnapshotMismatchError, match="does not exist. Run `pytest --rewardkit"):
            snapshot(ROWS, V1, tmp_path / "none.json", missing="fail")
        assert not (tmp_path / "none.json").exists()

    def test_corrupt_file_is_a_difference(self, tmp_path: Path) -> None:
        path = tmp_path / "snap.json"
        path.write_text("{not json")
        with pytest.raises(SnapshotMismatchError, match="not valid JSON"):
            snapshot(ROWS, V1, path)

    def test_several_rewards_and_rows_without_ids(self, tmp_path: Path) -> None:
        rows: list[dict[str, Any]] = [{k: v for k, v in r.items() if k != "id"} for r in ROWS]
        result = snapshot(rows, ["xml_format", V1], tmp_path / "s.json")
        assert list(result.outcomes[0]) == ["xml_format", "snap_contains"]
        doc = json.loads((tmp_path / "s.json").read_text())
        assert [r["id"] for r in doc["rows"]] == [0, 1, 2]

    def test_bad_arguments(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="'score2' is not a valid compare field"):
            snapshot(ROWS, V1, tmp_path / "s.json", compare=("score2",))
        with pytest.raises(ValueError, match="reward keys must be unique"):
            snapshot(ROWS, [V1, V2], tmp_path / "s.json")


# -- through pytest --------------------------------------------------------------------------

TEST_FILE = """
import rewardkit as rk
from rewardkit import Outcome

ROWS = [
    {{"id": "a", "completion": "The answer is \\\\boxed{{4}}", "answer": "4"}},
    {{"id": "b", "completion": "no idea", "answer": "4"}},
]

def contains(completion: str, answer: str) -> Outcome:
    return Outcome.ok(float(answer in completion) * {factor})

REWARD = rk.Reward(contains, name="inner_contains")

def test_math(reward_snapshot):
    reward_snapshot(ROWS, [REWARD, "xml_format"])
"""


def test_fixture_create_compare_update(rk: Any) -> None:
    rk.pytester.makepyfile(test_snap=TEST_FILE.format(factor=1.0))
    created = rk.run("-q")
    created.assert_outcomes(passed=1)
    snap = rk.path / "__snapshots__" / "test_snap" / "test_math.json"
    assert snap.is_file()
    created.stdout.fnmatch_lines(["*rewardkit snapshots*", f"created: {snap}"])

    rk.run("-q").assert_outcomes(passed=1)  # unchanged: nothing written, nothing reported

    rk.pytester.makepyfile(test_snap=TEST_FILE.format(factor=0.5))
    changed = rk.run("-q")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(
        [
            "*test_math*",
            f"reward snapshot {snap} differs (1 difference(s)):",
            "  row 0 (id='a') completion='The answer is \\\\boxed{4}': inner_contains: "
            "score 1.0 -> 0.5",
            "If the change is intended, rerun with `pytest --rewardkit-update` and commit the file.",
        ]
    )
    # pytrace=False: the diff is the whole report, no traceback through rewardkit
    assert "_plugin.py" not in changed.stdout.str()

    updated = rk.run("-q", "--rewardkit-update")
    updated.assert_outcomes(passed=1)
    updated.stdout.fnmatch_lines([f"updated: {snap}"])
    assert json.loads(snap.read_text())["rows"][0]["outcomes"]["inner_contains"]["score"] == 0.5
    rk.run("-q").assert_outcomes(passed=1)


def test_missing_snapshot_fails_in_ci(rk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rk.pytester.makepyfile(test_snap=TEST_FILE.format(factor=1.0))
    monkeypatch.setenv("CI", "true")
    result = rk.run("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not exist. Run `pytest --rewardkit-update` locally*"])
    assert not (rk.path / "__snapshots__").exists()
    rk.run("-q", "--rewardkit-update").assert_outcomes(passed=1)
    rk.run("-q").assert_outcomes(passed=1)


def test_names_dirs_and_parametrize(rk: Any) -> None:
    rk.pytester.makeini("[pytest]\nrewardkit_snapshot_dir = golden\n")
    rk.pytester.makepyfile(
        test_names="""
        import pytest

        ROWS = [{"completion": "<answer>4</answer>"}]

        @pytest.mark.parametrize("mode", ["lenient", "strict"])
        def test_modes(reward_snapshot, mode):
            reward_snapshot(ROWS, f"xml_format(mode={mode})")

        class TestGroup:
            def test_two(self, reward_snapshot):
                reward_snapshot(ROWS, "xml_format")
                reward_snapshot(ROWS, "think_format")
                reward_snapshot(ROWS, "tag_count", name="tags/v1")
        """
    )
    rk.run("-q").assert_outcomes(passed=3)
    names = sorted(p.name for p in (rk.path / "golden" / "test_names").iterdir())
    assert names == [
        "TestGroup.test_two.2.json",
        "TestGroup.test_two.json",
        "TestGroup.test_two.tags_v1.json",
        "test_modes_lenient.json",
        "test_modes_strict.json",
    ]


def test_same_test_name_in_two_files_gets_two_snapshots(rk: Any) -> None:
    body = """
        def test_format(reward_snapshot):
            reward_snapshot([{"completion": "{completion}"}], "xml_format")
        """
    rk.pytester.makepyfile(
        test_one=body.replace("{completion}", "<answer>4</answer>"),
        test_two=body.replace("{completion}", "no tags at all"),
    )
    rk.run("-q").assert_outcomes(passed=2)
    one = rk.path / "__snapshots__" / "test_one" / "test_format.json"
    two = rk.path / "__snapshots__" / "test_two" / "test_format.json"
    assert one.exists() and two.exists()
    assert one.read_text() != two.read_text()
    rk.run("-q").assert_outcomes(passed=2)  # each file compares with its own snapshot
