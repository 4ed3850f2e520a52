"""Readers and the resumable writer, without the CLI."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from cli_helpers import ROWS, write_jsonl

from rewardkit.io import InputError, RecordSource, ResumableWriter, ResumeError, parse_maps


def test_records_carry_their_line(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text("\n" + json.dumps(ROWS[0]) + "\n\n" + json.dumps(ROWS[1]) + "\n")
    src = RecordSource(str(p))
    assert [r.line for r in src] == [2, 4]
    assert src.where(4) == f"{p}:4"
    assert src.count() == 4


def test_csv_positions_and_width_errors(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text('completion,answer\n"multi\nline",1\nonly-one-field\nx,2\n')
    msgs: list[str] = []
    recs = list(RecordSource(str(p), on_skip=msgs.append))
    assert [(r.line, r.row["answer"]) for r in recs] == [(2, "1"), (5, "2")]
    assert msgs == [f"{p}:4: expected 2 fields, got 1"]


def test_json_array_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "a.json"
    p.write_text('[\n  {"a": 1},\n  {"a": 2,}\n]')
    with pytest.raises(InputError, match=r"a\.json:3: invalid JSON"):
        list(RecordSource(str(p)))
    p.write_text('[{"a": 1}, 3]')
    msgs: list[str] = []
    assert len(list(RecordSource(str(p), on_skip=msgs.append))) == 1
    assert msgs == [f"{p}#2: expected a JSON object, got a number"]


def test_gzip_and_stdin(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    with gzip.open(p, "wb") as f:
        f.write(b"".join(json.dumps(r).encode() + b"\n" for r in ROWS))
    assert len(list(RecordSource(str(p)))) == 3
    data = io.BytesIO(b"\n" + b"".join(json.dumps(r).encode() + b"\n" for r in ROWS))
    assert [r.row for r in RecordSource("-", stdin=data)] == ROWS


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="extension"):
        RecordSource(str(tmp_path / "a.txt"))
    with pytest.raises(InputError, match="no such file"):
        RecordSource(str(tmp_path / "a.jsonl"))


def test_missing_pyarrow_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    p = tmp_path / "a.parquet"
    p.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(InputError, match=r"pip install 'rewardkit\[parquet\]'"):
        list(RecordSource(str(p)))


def test_parse_maps() -> None:
    assert parse_maps(["answer=solution", " prompt = question "]) == {
        "answer": "solution",
        "prompt": "question",
    }
    with pytest.raises(InputError, match="FIELD=COLUMN"):
        parse_maps(["answer"])


def test_writer_truncates_uncommitted_bytes_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    w = ResumableWriter(str(out), fingerprint={"x": 1}, commit_interval=3600)
    w.write(b'{"a":1}\n', 1, 1)
    w.commit()
    w.write(b'{"a":2}\n{"a"', 1, 2)  # never committed: as if killed here
    w._f.flush()
    w._release()  # a killed process's lock dies with it
    w2 = ResumableWriter(str(out), fingerprint={"x": 1}, resume=True)
    assert (w2.rows, w2.input_line) == (1, 1)
    assert list(w2.committed_rows()) == [{"a": 1}]
    w2.write(b'{"a":2}\n', 1, 2)
    w2.finish()
    assert out.read_bytes() == b'{"a":1}\n{"a":2}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]


def test_writer_refuses_a_different_run(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    w = ResumableWriter(str(out), fingerprint={"rewards": ["a"]})
    w.write(b"{}\n", 1, 1)
    w.close()
    with pytest.raises(ResumeError, match="different rewards"):
        ResumableWriter(str(out), fingerprint={"rewards": ["b"]}, resume=True)


def test_hf_split_selection(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    dd = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(ROWS), "test": datasets.Dataset.from_list(ROWS[:1])}
    )
    dd.save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(InputError, match="--split"):
        list(RecordSource(str(tmp_path / "dd")))
    assert len(list(RecordSource(str(tmp_path / "dd"), split="test"))) == 1


def test_skip_until_does_not_recount(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "a.jsonl", ROWS)
    with p.open("a") as f:
        f.write("{bad\n")
    src = RecordSource(str(p))
    src.skip_until = 2
    assert [r.line for r in src] == [3]
    assert src.skipped == 1
