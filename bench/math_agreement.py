"""Agreement of ``math_equal`` with the labels of whole public math-equivalence suites.

    python bench/math_agreement.py          # writes bench/results/math_agreement.txt
                                            # and bench/results/math_disagreements.md

Rows: every parametrized row of math-verify's ``tests/`` and lighteval's
``test_extractive_match.py``, plus the TRL and open-r1 accuracy-reward tests
(``bench/data/math_suites.json``, built by ``bench/_suite_convert.py``, which
records repository, path and commit). Nothing is selected: rows that are not a
(gold, prediction, label) triple are counted and listed as not scored.

A row is *label-independent* when its label is a statement about mathematics,
not about one library's configuration: default settings (LaTeX extraction on,
6-digit precision, strict symbols, no set/relation mixing, English, no
multiple-choice letters, no reasoning-tag requirement, a parseable gold).
"All rows" adds the configuration-specific ones, scored by ``math_equal`` with
its defaults all the same.

math-verify 0.9.0 (bench-only dependency) is run in the same process on the
same rows, called as each suite's own test helper calls it (its extraction
targets, precision, strictness), so its column is its best case.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rewardkit.rewards.math import math_equal

HERE = Path(__file__).parent
DATA = HERE / "data" / "math_suites.json"
OUT = HERE / "results" / "math_agreement.txt"
DISAGREE = HERE / "results" / "math_disagreements.md"
NOTES = HERE / "data" / "math_disagreement_notes.json"

logging.disable(logging.CRITICAL)  # math-verify logs every parse failure


def label_independent(row: dict[str, Any]) -> bool:
    cfg = row["config"]
    return (
        cfg["match_types"] in (["latex", "expr"], ["latex"])
        and cfg["precision"] == 6
        and cfg["strict"]
        and not cfg["allow_set_relation_comp"]
        and cfg["language"] == "en"
        and not cfg.get("reasoning", False)
        and row["expected"] is not None
    )


def rk_judge(row: dict[str, Any]) -> tuple[int | None, str]:
    out = math_equal.score({"completion": row["pred"], "answer": row["gold"]})
    if out.score is None:
        return None, out.reason
    return int(out.score == 1.0), f"{out.reason} [{out.extras.get('source')}]"


def mv_judge() -> Callable[[dict[str, Any]], int | None] | None:
    try:
        from math_verify import (
            ExprExtractionConfig,
            LatexExtractionConfig,
            StringExtractionConfig,
            parse,
            verify,
        )
    except ImportError:
        return None

    def judge(row: dict[str, Any]) -> int | None:
        cfg = row["config"]
        targets: list[Any] = []
        for kind in cfg["match_types"]:
            if kind == "latex":
                targets.append(LatexExtractionConfig(boxed_match_priority=0))
            elif kind == "expr":
                targets.append(ExprExtractionConfig())
            else:
                targets.append(StringExtractionConfig())
        pred = row["pred"]
        if cfg.get("reasoning"):
            if "</think>" not in pred:
                return 0
            pred = pred.split("</think>")[-1]
        try:
            gold = parse(row["gold"], targets)
            if not gold and row["expected"] is None:
                return None
            got = parse(pred, targets)
            return int(
                verify(
                    gold,
                    got,
                    float_rounding=cfg["precision"],
                    strict=cfg["strict"],
                    allow_set_relation_comp=cfg["allow_set_relation_comp"],
                )
            )
        except Exception:  # math-verify may raise on odd input; a crash is a miss
            return 0

    return judge


def main() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    notes: dict[str, str] = json.loads(NOTES.read_text(encoding="utf-8")) if NOTES.exists() else {}
    rows = data["rows"]
    scored = [r for r in rows if r["scored"]]
    mv = mv_judge()
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s)
        lines.append(s)

    say(f"python {platform.python_version()}, {platform.machine()}, one process")
    for src in data["sources"]:
        say(f"source {src['suite']}: {src['repo']} {src['path']} @ {src['commit'][:12]}")
    say(f"{len(rows)} rows, {len(scored)} scored, {len(rows) - len(scored)} not scored:")
    for r in rows:
        if not r["scored"]:
            say(f"  not scored: {r['path']}::{r['test']} line {r['line']}: {r['why']}")

    t0 = time.perf_counter()
    rk = [rk_judge(r) for r in scored]
    rk_s = time.perf_counter() - t0
    mv_res: list[int | None] = []
    mv_s = 0.0
    if mv is not None:
        t0 = time.perf_counter()
        mv_res = [mv(r) for r in scored]
        mv_s = time.perf_counter() - t0

    say()
    say(f"{'suite':<14}{'rows':<22}{'n':>5}{'rewardkit':>11}{'math-verify':>13}")
    suites = sorted(
        {r["suite"] for r in scored}, key=lambda s: [r["suite"] for r in scored].index(s)
    )
    for suite in [*suites, "ALL"]:
        for kind in ("label-independent", "all rows"):
            idx = [
                i
                for i, r in enumerate(scored)
                if (suite == "ALL" or r["suite"] == suite)
                and (kind == "all rows" or label_independent(r))
            ]
            if not idx:
                continue
            a = sum(rk[i][0] == scored[i]["expected"] for i in idx) / len(idx)
            b = (
                f"{100 * sum(mv_res[i] == scored[i]['expected'] for i in idx) / len(idx):12.1f}%"
                if mv_res
                else "           -"
            )
            say(f"{suite:<14}{kind:<22}{len(idx):>5}{100 * a:10.1f}%{b}")
    say()
    say(
        f"throughput on these rows: rewardkit {len(scored) / rk_s:.0f} rows/s"
        + (f", math-verify {len(scored) / mv_s:.0f} rows/s ({mv_s / rk_s:.1f}x)" if mv_res else "")
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")

    md = [
        "# math_equal disagreements with suite labels",
        "",
        "Generated by `python bench/math_agreement.py`; the note column is hand-written",
        f"(`{NOTES.relative_to(HERE.parent)}`), the rewardkit reason is the reward's own.",
        "",
        "| suite | test:line | LI | gold | prediction | label | rk | mv | why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(scored):
        got, reason = rk[i]
        if got == r["expected"]:
            continue
        key = f"{r['path']}:{r['line']}:{r['gold']}|{r['pred']}"
        why = notes.get(key, "UNEXPLAINED") + f" (rewardkit: {reason})"
        cells = [
            r["suite"],
            f"{r['test']}:{r['line']}",
            "yes" if label_independent(r) else "no",
            _cell(r["gold"]),
            _cell(r["pred"]),
            str(r["expected"]),
            str(got),
            str(mv_res[i]) if mv_res else "-",
            _cell(why, 300),
        ]
        md.append("| " + " | ".join(cells) + " |")
    DISAGREE.write_text("\n".join(md) + "\n", encoding="utf-8")
    print(f"{len(md) - 7} disagreements -> {DISAGREE}", file=sys.stderr)


def _cell(s: Any, n: int = 70) -> str:
    s = str(s).replace("\n", "\\n").replace("|", "\\|")
    return s if len(s) <= n else s[: n - 3] + "..."


if __name__ == "__main__":
    main()
