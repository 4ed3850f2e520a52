"""`list`, `show`, `audit`, `diff`, `plot`, `sandbox doctor` and the audit function API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import GSM8K, ROWS, read_jsonl, write_jsonl

from rewardkit import get
from rewardkit.audit import DEGENERATE_KINDS, audit, degenerate_completions, gold_completion


def test_list_shows_builtins(invoke: Any) -> None:
    res = invoke("list", "--json")
    assert res.exit_code == 0, res.output
    names = {r["name"]: r for r in json.loads(res.stdout)}
    assert {"xml_format", "number_match", "math_equal"} <= set(names)
    assert set(names["xml_format"]) == {"name", "provider", "version", "description"}
    assert invoke("list").exit_code == 0


def test_show_describes_columns_options_and_example(invoke: Any) -> None:
    res = invoke("show", "xml_format")
    assert res.exit_code == 0, res.output
    for part in ("completion", "mode", "'lenient'", "range: [0, 1]", "Example"):
        assert part in res.stdout
    bad = invoke("show", "xml_formt")
    assert bad.exit_code == 2 and "Did you mean 'xml_format'" in bad.stderr


def test_command_typo_suggestion(invoke: Any) -> None:
    res = invoke("scroe")
    assert res.exit_code == 2
    assert "score" in res.output


def test_audit_function_api() -> None:
    rows = [{"prompt": "2+2?", "answer": "4", "data_source": "toy"}]
    report = audit(rows, [get("number_match"), get("xml_format")])
    nm = report.rewards["number_match"]
    assert nm.counts.gold == 1 and nm.counts.degenerate == len(DEGENERATE_KINDS)
    assert nm.false_fail_rate == 0.0
    assert set(nm.by_kind) == set(DEGENERATE_KINDS)
    # a format reward cannot tell a shotgun answer from a real one: the audit must say so
    assert report.rewards["xml_format"].by_kind["shotgun"] == [1, 1]
    assert report.failures(max_false_pass=0.0)
    assert json.dumps(report.to_dict())


def test_degenerates_are_deterministic_and_embed_the_answer() -> None:
    row = {"prompt": "q", "answer": "42"}
    a = degenerate_completions(row, "boxed", seed=1)
    assert a == degenerate_completions(row, "boxed", seed=1)
    by = {p.kind: p.completion for p in a}
    assert by["multi_boxed"].count("\\boxed{") == 3 and "\\boxed{42}" in by["multi_boxed"]
    assert "not 42" in by["negation"] and "42" in by["shotgun"]
    assert by["empty"] == "" and by["prompt_echo"] == "q"
    assert gold_completion("42", "boxed").endswith("$\\boxed{42}$.")


def test_audit_cli_thresholds_set_exit_code(invoke: Any, tmp_path: Path) -> None:
    report = tmp_path / "audit.json"
    ok = invoke("audit", GSM8K, "-r", "number_match", "--limit", "20", "--json", report)
    assert ok.exit_code == 0, ok.output
    data = json.loads(report.read_text())["rewards"]["number_match"]
    assert data["gold"] == 20 and data["false_fail_rate"] == 0.0
    assert "false-pass" in ok.stdout and "gsm8k/" in ok.stdout
    gated = invoke("audit", GSM8K, "-r", "xml_format", "--limit", "20", "--max-false-pass", "0.05")
    assert gated.exit_code == 1
    assert "audit failed: xml_format: false-pass rate" in gated.stderr
    passes = invoke("audit", GSM8K, "-r", "xml_format", "--limit", "5", "--max-false-fail", "0")
    assert passes.exit_code == 0, passes.output


def test_audit_needs_an_answer_column(invoke: Any, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "q.jsonl", [{"prompt": "q", "solution": "4"}])
    res = invoke("audit", src, "-r", "xml_format")
    assert res.exit_code == 2 and "--map answer=" in res.stderr
    ok = invoke("audit", src, "-r", "number_match", "--map", "answer=solution")
    assert ok.exit_code == 0, ok.output


def test_audit_reads_the_seed_json_format(invoke: Any, tmp_path: Path) -> None:
    seed = [
        {"prompt": "What is 15% of 200?", "answer": "30", "instruction": "", "input": ""},
        {"prompt": "120 apples, sell 3/4. Left?", "answer": "30", "instruction": "", "input": ""},
    ]
    src = tmp_path / "seed.json"
    src.write_text(json.dumps(seed))
    res = invoke("audit", src, "-r", "number_match", "--max-false-fail", "0")
    assert res.exit_code == 0, res.output


def test_diff_reports_changed_rows(invoke: Any, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert invoke("score", src, "-r", "xml_format", "-o", a).exit_code == 0
    assert invoke("score", src, "-r", "xml_format(mode=strict)", "-o", b).exit_code == 0
    # make B comparable: same key, different verdict on row 1
    rows = read_jsonl(a)
    rows[1]["rewards"]["xml_format"] = {"score": 1.0, "status": "ok", "reason": ""}
    rows[2]["rewards"]["xml_format"]["status"] = "error"
    write_jsonl(b, rows)
    changes = tmp_path / "changes.jsonl"
    res = invoke("diff", a, b, "--json", changes, "--fail-on-change")
    assert res.exit_code == 1, res.output
    got = read_jsonl(changes)
    assert [(c["row"], c["reward"]) for c in got] == [("2", "xml_format"), ("3", "xml_format")]
    assert got[0]["a_score"] == 0.0 and got[0]["b_score"] == 1.0
    assert invoke("diff", a, a, "--fail-on-change").exit_code == 0
    unscored = invoke("diff", src, a)
    assert unscored.exit_code == 2 and "no 'rewards' field" in unscored.stderr


def test_diff_by_key(invoke: Any, tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    r = {"score": 1.0, "status": "ok", "reason": ""}
    write_jsonl(a, [{"id": 1, "rewards": {"x": r}}, {"id": 2, "rewards": {"x": r}}])
    write_jsonl(
        b, [{"id": 2, "rewards": {"x": {**r, "score": 0.0}}}, {"id": 1, "rewards": {"x": r}}]
    )
    res = invoke("diff", a, b, "--key", "id", "--json", tmp_path / "c.jsonl")
    assert res.exit_code == 0
    assert [c["row"] for c in read_jsonl(tmp_path / "c.jsonl")] == ["2"]


def test_plot(invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scored = tmp_path / "s.jsonl"
    assert invoke("score", GSM8K, "-r", "xml_format", "-o", scored).exit_code == 0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        res = invoke("plot", scored, "-o", tmp_path / "h.png")
        assert res.exit_code == 2 and "pip install 'rewardkit[plot]'" in res.stderr
        return
    res = invoke("plot", scored, "-o", tmp_path / "h.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "h.png").stat().st_size > 0
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = invoke("plot", scored, "-o", tmp_path / "h2.png")
    assert res.exit_code == 2 and "pip install 'rewardkit[plot]'" in res.stderr


def test_sandbox_doctor_is_wired(invoke: Any) -> None:
    res = invoke("sandbox", "doctor")
    assert "internal error" not in res.output
    assert "Traceback" not in res.output


def test_cli_import_does_not_import_rich() -> None:
    import subprocess

    def rich_loaded(module: str) -> bool:
        code = f"import sys, {module}; print('rich.console' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return out.stdout.strip() == "True"

    for sub in ("rewardkit.recipes_cli", "rewardkit.trainers.axolotl"):
        try:
            if rich_loaded(sub):
                pytest.xfail(f"{sub} (attached as a sub-command) imports rich at import time")
        except subprocess.CalledProcessError:
            pass  # not present in this tree
    assert not rich_loaded("rewardkit.cli")
