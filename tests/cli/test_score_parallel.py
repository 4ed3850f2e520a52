"""`rewardkit score` across several processes: byte-identical to one process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rewardkit.cli import _parallel, _score
from rewardkit.cli._score import ScoreOptions, run_score

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs 2 CPUs",
)


def _write(path: Path, n: int) -> Path:
    lines = []
    for i in range(n):
        if i % 97 == 5:
            lines.append("{not json")
        elif i % 89 == 7:
            lines.append("[1, 2]")
        elif i % 83 == 3:
            lines.append("")
        else:
            tags = f"<reasoning>\nr\n</reasoning>\n<answer>\n{i}\n</answer>\n"
            lines.append(
                json.dumps({"id": i, "completion": tags if i % 3 else "x", "answer": str(i)})
            )
    path.write_text("\n".join(lines))  # no final newline
    return path


def _run(src: Path, out: Path, workers: int, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, dict]:
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_parallel, "PARALLEL_BLOCK_BYTES", 2048)
    skips: list[str] = []
    opts = ScoreOptions(
        input=str(src), rewards=["xml_format", "xml_count=0.5"], output=str(out), workers=workers
    )
    summary = run_score(opts, on_skip=skips.append).to_dict()
    summary.pop("elapsed_s"), summary.pop("rows_per_s"), summary.pop("output")
    for r in summary["rewards"].values():
        r.pop("latency_ms", None), r.pop("cache_hits", None)  # timing-dependent
    return out.read_bytes(), {**summary, "skips": skips}


def test_parallel_output_and_summary_match_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write(tmp_path / "in.jsonl", 1500)
    one, s1 = _run(src, tmp_path / "one.jsonl", 1, monkeypatch)
    two, s2 = _run(src, tmp_path / "two.jsonl", 2, monkeypatch)
    assert one == two
    assert s1 == s2
    assert s2["skipped"] > 0 and s2["rows"] == one.count(b"\n")


def test_parallel_resume_continues_byte_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write(tmp_path / "in.jsonl", 1500)
    ref, _ = _run(src, tmp_path / "ref.jsonl", 1, monkeypatch)
    out = tmp_path / "out.jsonl"
    writes = 0
    real_write = _score.ResumableWriter.write

    def write_then_stop(self: _score.ResumableWriter, *a: object) -> None:
        nonlocal writes
        real_write(self, *a)  # type: ignore[arg-type]
        self.commit()
        writes += 1
        if writes == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(_score.ResumableWriter, "write", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        _run(src, out, 2, monkeypatch)
    monkeypatch.setattr(_score.ResumableWriter, "write", real_write)
    assert not out.exists()
    opts = ScoreOptions(
        input=str(src), rewards=["xml_format", "xml_count=0.5"], output=str(out), workers=2,
        resume=True,
    )  # fmt: skip
    summary = run_score(opts)
    assert out.read_bytes() == ref
    assert summary.resumed_rows > 0 and summary.rows == ref.count(b"\n")
