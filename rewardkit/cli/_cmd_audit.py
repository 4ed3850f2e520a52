"""``rewardkit audit``: rewards on gold and degenerate answers; judges for bias and consistency."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from ._common import EXIT_THRESHOLD, _fail, _stderr, _stdout

__all__ = ["audit_command"]


def audit_command(
    input: Annotated[str, typer.Argument(help="rows with prompt and answer (any input format)")],
    reward: Annotated[
        list[str] | None, typer.Option("--reward", "-r", help="reward to audit (repeatable)")
    ] = None,
    import_: Annotated[
        list[str] | None, typer.Option("--import", help="FILE.py or module with @reward functions")
    ] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN")] = None,
    max_false_pass: Annotated[
        float | None, typer.Option(help="exit 1 if any false-pass rate is above this (0-1)")
    ] = None,
    max_false_fail: Annotated[
        float | None, typer.Option(help="exit 1 if any false-fail rate is above this (0-1)")
    ] = None,
    gold_style: Annotated[
        str | None, typer.Option(help="answer_tags, think_answer, boxed or plain (default: best)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="audit only the first N rows")] = None,
    examples: Annotated[int, typer.Option(help="examples shown per reward")] = 2,
    json_out: Annotated[str | None, typer.Option("--json", help="write the report as JSON")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
    timeout: Annotated[float, typer.Option(help="per-call time limit in seconds")] = 10.0,
    judge_model: Annotated[
        str | None, typer.Option(help="model of llm_judge rewards (REWARDKIT_JUDGE_MODEL)")
    ] = None,
    judge_repeats: Annotated[
        int, typer.Option(help="judges: times the gold answers are judged for consistency", min=1)
    ] = 3,
    max_order_flip: Annotated[
        float | None,
        typer.Option(help="judges: exit 1 if the preferred answer flips with order more often"),
    ] = None,
    max_position_bias: Annotated[
        float | None,
        typer.Option(help="judges: exit 1 if |first-minus-second score| is above this (0-1)"),
    ] = None,
) -> None:
    """Check rewards on gold answers (expect top) and degenerate completions (expect bottom).

    Judge rewards (``llm_judge``, ``rewardkit.judges.judge``) are also checked for
    position bias (each gold/degenerate pair judged in both orders) and
    self-consistency (the gold answers judged again with the cache off).
    """
    import itertools

    from ..audit import GOLD_STYLES, audit
    from ..io import RecordSource, parse_maps
    from ._render import audit_tables
    from ._score import plan_rewards

    if not reward:
        raise _fail("name at least one reward to audit with -r NAME")
    if gold_style is not None and gold_style not in GOLD_STYLES:
        raise _fail(f"--gold-style {gold_style!r} is not valid; valid ones are {GOLD_STYLES}")
    if judge_model:
        os.environ["REWARDKIT_JUDGE_MODEL"] = judge_model  # workers inherit it
    plan = plan_rewards(reward, None, import_ or [])
    maps = parse_maps(map_ or [])
    console = _stderr()
    source = RecordSource(input, on_skip=lambda m: console.print(f"skipped {m}"))
    records = itertools.islice(iter(source), limit) if limit else iter(source)
    rows: list[dict[str, Any]] = []
    for rec in records:
        row = rec.row
        for fld, col in maps.items():
            if col in row:
                row[fld] = row[col]
        if not rows:
            present = set(row) | {"completion"}
            for leaf in plan.leaves:
                leaf.bind(present, where=source.where(rec.line))
            if "answer" not in row:
                raise _fail(
                    f"{source.where(rec.line)}: audit needs column 'answer' (the gold answer); "
                    f"the data has {', '.join(map(repr, row))}. Map one with --map answer=<column>"
                )
        rows.append(row)
    report = audit(
        rows,
        plan.leaves,
        gold_style=gold_style,
        max_examples=examples,
        workers=workers,
        timeout=timeout,
    )
    judged = _audit_judges(plan.leaves, rows, judge_repeats)
    if json_out:
        import orjson

        from ..io import atomic_write_bytes

        data = {**report.to_dict(), "judges": {k: v.to_dict() for k, v in judged.items()}}
        atomic_write_bytes(json_out, orjson.dumps(data, option=orjson.OPT_INDENT_2))
    out = _stdout()
    for renderable in audit_tables(report):
        out.print(renderable)
    if judged:
        from ._render import judge_audit_table

        out.print(judge_audit_table(judged))
    failures = report.failures(max_false_pass=max_false_pass, max_false_fail=max_false_fail)
    failures += _judge_failures(judged, max_order_flip, max_position_bias)
    if failures:
        for line in failures:
            sys.stderr.write(f"audit failed: {line}\n")
        raise typer.Exit(EXIT_THRESHOLD)


def _audit_judges(leaves: Any, rows: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """:func:`rewardkit.judges.audit_judge` for each judge reward among ``leaves``."""
    from ..judges import audit_judge
    from ..rewards.judge import judge_fn_for

    out: dict[str, Any] = {}
    for leaf in leaves:
        try:
            is_judge = judge_fn_for(leaf) is not None
        except ValueError as exc:
            raise _fail(str(exc)) from None
        if is_judge:
            out[leaf.key] = audit_judge(leaf, rows, repeats=repeats)
    return out


def _judge_failures(
    judged: dict[str, Any], max_flip: float | None, max_bias: float | None
) -> list[str]:
    out: list[str] = []
    for key, ja in judged.items():
        flip, bias = ja.order_flip_rate, ja.position_bias
        if max_flip is not None and flip is not None and flip > max_flip:
            out.append(f"{key}: order flip rate {flip:.1%} > --max-order-flip {max_flip:.1%}")
        if max_bias is not None and bias is not None and abs(bias) > max_bias:
            out.append(f"{key}: position bias {bias:+.3f} beyond --max-position-bias {max_bias}")
        if ja.failures:
            out.append(f"{key}: {ja.failures} judge calls failed during the audit")
    return out
