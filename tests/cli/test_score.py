"""`rewardkit score`: formats, errors, user rewards, formulas, summaries, determinism."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_helpers import GSM8K, MATH, ROWS, read_jsonl, write_jsonl


def test_score_sample_keeps_fields_and_adds_rewards(invoke: Any, tmp_path: Path) -> None:
    out = tmp_path / "scored.jsonl"
    res = invoke("score", GSM8K, "-r", "number_match", "-r", "xml_format", "-o", out)
    assert res.exit_code == 0, res.output
    rows = read_jsonl(out)
    assert len(rows) == 200
    first = rows[0]
    assert list(first)[:6] == ["id", "prompt", "completion", "answer", "data_source", "kind"]
    assert set(first["rewards"]) == {"number_match", "xml_format"}
    assert set(first["rewards"]["xml_format"]) == {"score", "status", "reason"}
    for r in rows:
        parts = [v["score"] for v in r["rewards"].values()]
        if all(p is not None for p in parts):
            assert r["reward"] == pytest.approx(sum(parts))
    assert "200 rows scored" in res.stderr


def test_weights_and_options_in_reward_specs(invoke: Any, rows_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    res = invoke(
        "score", rows_file, "-r", "xml_format(mode=strict)=0.5", "-r", "number_match=2", "-o", out
    )
    assert res.exit_code == 0, res.output
    row = read_jsonl(out)[0]
    assert set(row["rewards"]) == {"xml_format(mode='strict')", "number_match"}
    assert row["reward"] == pytest.approx(0.5 * 1.0 + 2 * 1.0)


def _write_all_formats(tmp_path: Path) -> dict[str, Path]:
    paths = {"jsonl": write_jsonl(tmp_path / "in.jsonl", ROWS)}
    paths["json"] = tmp_path / "in.json"
    paths["json"].write_text(json.dumps(ROWS, indent=2))
    paths["csv"] = tmp_path / "in.csv"
    with paths["csv"].open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ROWS[0]))
        w.writeheader()
        w.writerows(ROWS)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths["parquet"] = tmp_path / "in.parquet"
        pq.write_table(pa.Table.from_pylist(ROWS), paths["parquet"])
    except ImportError:
        pass
    try:
        import datasets

        datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "hf"))
        paths["hf"] = tmp_path / "hf"
    except ImportError:
        pass
    return paths


def test_every_input_format_gives_the_same_rows(invoke: Any, tmp_path: Path) -> None:
    outputs = {}
    for fmt, path in _write_all_formats(tmp_path).items():
        out = tmp_path / f"out-{fmt}.jsonl"
        res = invoke("score", path, "-r", "number_match", "-r", "xml_format", "-o", out)
        assert res.exit_code == 0, (fmt, res.output)
        outputs[fmt] = out.read_bytes()
    assert len(set(outputs.values())) == 1, sorted(outputs)
    assert len(outputs) >= 3


def test_stdin_jsonl_and_json_array(invoke: Any) -> None:
    text = "".join(json.dumps(r) + "\n" for r in ROWS)
    res = invoke("score", "-", "-r", "xml_format", "-q", input=text)
    assert res.exit_code == 0, res.output
    assert len(res.stdout.splitlines()) == 3
    res2 = invoke("score", "-", "-r", "xml_format", "-q", input="  " + json.dumps(ROWS))
    assert res2.exit_code == 0, res2.output
    assert res2.stdout == res.stdout


def test_parquet_output(invoke: Any, rows_file: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    res = invoke("score", rows_file, "-r", "xml_format", "-o", out)
    assert res.exit_code == 0, res.output
    table = pq.read_table(out).to_pylist()
    assert [r["rewards"]["xml_format"]["score"] for r in table] == [1.0, 0.0, 0.0]
    assert not list(tmp_path.glob("*.rewardkit-partial*"))


def test_malformed_lines_are_reported_and_skipped(invoke: Any, tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    lines = [json.dumps(ROWS[0]), "{not json", "[1, 2]", "", json.dumps(ROWS[1])]
    src.write_text("\n".join(lines) + "\n")
    out, summary = tmp_path / "o.jsonl", tmp_path / "s.json"
    res = invoke("score", src, "-r", "xml_format", "-o", out, "--summary-json", summary)
    assert res.exit_code == 0, res.output
    assert f"{src}:2: invalid JSON" in res.stderr
    assert f"{src}:3: expected a JSON object, got an array" in res.stderr
    assert len(read_jsonl(out)) == 2
    assert json.loads(summary.read_text())["skipped"] == 2


def test_strict_fails_on_first_malformed_line(invoke: Any, tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(ROWS[0]) + "\n{oops\n")
    res = invoke("score", src, "-r", "xml_format", "-o", tmp_path / "o.jsonl", "--strict")
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {src}:2: invalid JSON")
    assert "Traceback" not in res.output
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_column_fails_fast_with_map_hint(invoke: Any, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "4", "solution": "4"}])
    res = invoke("score", src, "-r", "number_match", "-o", tmp_path / "o.jsonl")
    assert res.exit_code == 2
    msg = res.stderr
    assert f"{src}:1" in msg and "'number_match'" in msg and "'answer'" in msg
    assert "'solution'" in msg and "--map answer=" in msg
    assert len(msg.strip().splitlines()) == 1
    ok = invoke("score", src, "-r", "number_match", "--map", "answer=solution", "-q")
    assert ok.exit_code == 0, ok.output
    row = json.loads(ok.stdout)
    assert row["rewards"]["number_match"]["score"] == 1.0
    assert "answer" not in row  # the mapping feeds rewards; output keeps input fields


def test_unknown_reward_suggests_names(invoke: Any, rows_file: Path) -> None:
    res = invoke("score", rows_file, "-r", "xml_fromat")
    assert res.exit_code == 2
    assert "Did you mean 'xml_format'" in res.stderr


def test_user_reward_from_file(invoke: Any, rows_file: Path, user_rewards: Path) -> None:
    res = invoke("score", rows_file, "-r", f"{user_rewards}:says_answer", "-q")
    assert res.exit_code == 0, res.output
    scores = [json.loads(line)["reward"] for line in res.stdout.splitlines()]
    assert scores == [1.0, 0.0, 0.0]


def test_formula_with_import(
    invoke: Any, rows_file: Path, user_rewards: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o.jsonl"
    res = invoke(
        "score",
        rows_file,
        "--import",
        user_rewards,
        "--formula",
        "0.5*xml_format + says_answer",
        "-o",
        out,
    )
    assert res.exit_code == 0, res.output
    rows = read_jsonl(out)
    assert set(rows[0]["rewards"]) == {"xml_format", "says_answer"}
    assert [r["reward"] for r in rows] == [1.5, 0.0, 0.0]


def test_summary_json(invoke: Any, tmp_path: Path) -> None:
    summary = tmp_path / "s.json"
    res = invoke(
        "score", MATH, "-r", "math_equal", "-o", tmp_path / "o.jsonl", "--summary-json", summary
    )
    assert res.exit_code == 0, res.output
    data = json.loads(summary.read_text())
    assert data["rows"] == 200 and data["skipped"] == 0
    me = data["rewards"]["math_equal"]
    assert me["count"] == 200 and sum(me["status"].values()) == 200
    assert 0 < me["mean"] < 1 and me["min"] == 0.0 and me["max"] == 1.0
    assert data["reward"]["name"] == "math_equal"


def test_two_runs_are_byte_identical(invoke: Any, tmp_path: Path) -> None:
    outs = []
    for i in range(2):
        out = tmp_path / f"o{i}.jsonl"
        res = invoke("score", GSM8K, "-r", "number_match", "-r", "xml_count", "-o", out)
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_output_extension_is_checked_before_scoring(invoke: Any, rows_file: Path) -> None:
    res = invoke("score", rows_file, "-r", "xml_format", "-o", "out.txt")
    assert res.exit_code == 2
    assert ".jsonl or .parquet" in res.stderr


def test_resume_without_partial_starts_from_the_first_row(
    invoke: Any, rows_file: Path, tmp_path: Path
) -> None:
    # a run killed before its first commit leaves nothing to resume: start over
    res = invoke("score", rows_file, "-r", "xml_format", "-o", tmp_path / "o.jsonl", "--resume")
    assert res.exit_code == 0, res.stderr
    assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == len(ROWS)


def test_traceback_env_var(invoke: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("REWARDKIT_TRACEBACK", "1")
    res = invoke("score", tmp_path / "missing.jsonl", "-r", "xml_format")
    assert res.exit_code != 0
    assert res.exception is not None and "no such file" in str(res.exception)


def test_non_json_values_are_written(invoke: Any, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import datetime

    import pyarrow as pa

    src = tmp_path / "in.parquet"
    rows = [{"completion": "<answer>1</answer>", "t": datetime.date(2024, 1, 2), "b": b"x"}]
    pq.write_table(pa.Table.from_pylist(rows), src)
    res = invoke("score", src, "-r", "xml_format", "-q")
    assert res.exit_code == 0, res.output
    row: dict[str, Any] = orjson.loads(res.stdout)
    assert row["t"] == "2024-01-02" and row["b"] == "x"
