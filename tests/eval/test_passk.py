"""pass@k: the product form equals the binomial definition; the CLI matches a direct computation."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from rewardkit import pass_at_k
from rewardkit._passk import bootstrap_ci, evaluate_groups
from rewardkit.cli import app

REWARDS = """
from rewardkit import reward

@reward(range=(0, 1))
def is_right(completion: str, answer: str) -> float:
    return float(completion.strip() == answer)
"""


def direct(n: int, c: int, k: int) -> float:
    """The definition, with exact integers: 1 - C(n-c, k) / C(n, k)."""
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def test_product_form_equals_the_binomial_definition() -> None:
    for n in range(1, 30):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(direct(n, c, k), abs=1e-12)


def test_large_n_stays_finite_and_in_range() -> None:
    # C(2000, 1000) overflows a float; the product form does not
    v = pass_at_k(2000, 3, 1000)
    assert 0.0 <= v <= 1.0
    assert v == pytest.approx(1 - math.comb(1997, 1000) / math.comb(2000, 1000), rel=1e-9)
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_invalid_arguments_are_named(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="pass_at_k"):
        pass_at_k(n, c, k)


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible() -> None:
    rng = random.Random(1)
    vals = [rng.random() for _ in range(200)]
    lo, hi = bootstrap_ci(vals, resamples=500, seed=3)
    mean = sum(vals) / len(vals)
    assert lo < mean < hi
    assert (lo, hi) == bootstrap_ci(vals, resamples=500, seed=3)
    # a 95% interval of a mean of uniforms is roughly +-1.96*0.289/sqrt(200) wide
    assert 0.05 < hi - lo < 0.12


def _synthetic(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, int, str]]]:
    """Problems with 4..16 samples, a known number right, in two levels."""
    rng = random.Random(7)
    truth: dict[str, tuple[int, int, str]] = {}
    rows: list[dict[str, Any]] = []
    for p in range(40):
        n = rng.randint(8, 16)
        c = rng.randint(0, n)
        level = "easy" if p % 2 else "hard"
        pid = f"p{p}"
        truth[pid] = (n, c, level)
        answers = ["42"] * c + ["41"] * (n - c)
        rng.shuffle(answers)
        for a in answers:
            rows.append(
                {"id": pid, "prompt": f"q{p}", "completion": a, "answer": "42", "level": level}
            )
    rng.shuffle(rows)
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path, truth


def test_cli_eval_matches_direct_computation(tmp_path: Path) -> None:
    path, truth = _synthetic(tmp_path)
    mod = tmp_path / "rw.py"
    mod.write_text(REWARDS)
    out = tmp_path / "report.json"
    plot = tmp_path / "passk.png"
    res = CliRunner().invoke(
        app,
        ["eval", str(path), "--k", "1,4,8", "-r", f"{mod}:is_right", "--by", "level",
         "--json", str(out), "--plot", str(plot), "--resamples", "200"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = orjson.loads(out.read_bytes())
    assert report["problems"] == 40
    assert report["samples"] == sum(n for n, _, _ in truth.values())
    assert report["group_by"] == "id"
    for subset in ("all", "easy", "hard"):
        chosen = [t for t in truth.values() if subset in ("all", t[2])]
        for entry in report["subsets"][subset]:
            k = entry["k"]
            want = sum(direct(n, c, k) for n, c, _ in chosen) / len(chosen)
            assert entry["pass_at_k"] == pytest.approx(want, abs=1e-12)
            assert entry["ci_low"] <= entry["pass_at_k"] <= entry["ci_high"]
    assert report["_provenance"]["rewards"]["is_right"].startswith("1@")
    assert plot.stat().st_size > 1000
    assert "pass@8" in res.output and "easy" in res.output


def test_rows_holding_lists_of_completions(tmp_path: Path) -> None:
    mod = tmp_path / "rw.py"
    mod.write_text(REWARDS)
    rows = [
        {"prompt": "a", "answer": "1", "completions": ["1", "2", "1", "3"]},
        {"prompt": "b", "answer": "1", "completions": ["2", "2", "2", "1"]},
        {"prompt": "c", "answer": "1", "completions": ["2", "2", "2", "2"]},
    ]
    path = tmp_path / "lists.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        app, ["eval", str(path), "--k", "1,2", "-r", f"{mod}:is_right", "--json", str(out)]
    )
    assert res.exit_code == 0, res.output
    report = orjson.loads(out.read_bytes())
    got = {e["k"]: e["pass_at_k"] for e in report["subsets"]["all"]}
    assert got[1] == pytest.approx((direct(4, 2, 1) + direct(4, 1, 1) + 0) / 3)
    assert got[2] == pytest.approx((direct(4, 2, 2) + direct(4, 1, 2) + 0) / 3)


def test_already_scored_file_and_problems_with_too_few_samples(tmp_path: Path) -> None:
    rows = [{"id": "a", "reward": 1.0}, {"id": "a", "reward": 0.0}, {"id": "b", "reward": None}]
    path = tmp_path / "scored.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["eval", str(path), "--k", "1,2", "--json", str(out)])
    assert res.exit_code == 0, res.output
    by_k = {e["k"]: e for e in orjson.loads(out.read_bytes())["subsets"]["all"]}
    assert by_k[1]["pass_at_k"] == pytest.approx((0.5 + 0.0) / 2)  # a failed score never passes
    assert by_k[2]["problems"] == 1 and by_k[2]["skipped_problems"] == 1
    assert by_k[2]["pass_at_k"] == 1.0


def test_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"completion": "1"}\n')
    runner = CliRunner()
    res = runner.invoke(app, ["eval", str(path), "-r", "xml_format"])
    assert res.exit_code == 2 and "--group-by" in res.output
    res = runner.invoke(app, ["eval", str(path), "--k", "0", "--group-by", "completion"])
    assert res.exit_code == 2 and "at least 1" in res.output
    res = runner.invoke(app, ["eval", str(path), "--group-by", "completion"])
    assert res.exit_code == 2 and "no rewards named" in res.output


def test_evaluate_groups_subsets() -> None:
    rep = evaluate_groups({"a": (4, 1), "b": (4, 4)}, [1], subset_of={"a": "x", "b": "y"})
    assert rep.subsets["x"][1].value == 0.25 and rep.subsets["y"][1].value == 1.0
    assert rep.subsets["all"][1].value == pytest.approx(0.625)


def test_by_column_that_varies_within_a_problem_warns(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "reward": 1.0, "level": "1"},
        {"id": "a", "reward": 0.0, "level": "2"},
        {"id": "b", "reward": 0.0, "level": "2"},
    ]
    path = tmp_path / "scored.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    res = CliRunner().invoke(app, ["eval", str(path), "--by", "level"])
    assert res.exit_code == 0, res.output
    assert "1 problems have rows with different 'level' values" in res.output
