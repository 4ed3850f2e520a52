"""``rewardkit eval``: pass@k of a file of completions, with intervals and subsets.

Evaluation uses the same verifiers as training: rows are scored through the
engine (or read from a file ``rewardkit score`` already wrote), a row passes
when its total reaches the threshold (by default the top of the reward's
range), and problems are the groups of rows sharing a prompt or id column. A
row may also hold a list of completions (``completions``), one problem per row.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import typer

__all__ = ["eval_command", "load_samples", "passes"]

#: Columns tried, in order, to group rows into problems when --group-by is not given.
GROUP_COLUMNS = ("problem_id", "task_id", "id", "prompt", "question", "problem")


def _parse_ks(spec: str) -> list[int]:
    from ..io import InputError

    try:
        ks = sorted({int(x) for x in spec.split(",") if x.strip()})
    except ValueError:
        raise InputError(f"--k {spec!r}: expected comma-separated integers such as 1,8") from None
    if not ks or ks[0] < 1:
        raise InputError(f"--k {spec!r}: every k must be at least 1")
    return ks


def _group_key(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def load_samples(
    path: str, *, group_by: str | None, completions_column: str
) -> tuple[list[dict[str, Any]], list[Any], str]:
    """Rows (one completion each), their problem ids, and the column grouped by.

    Raises:
        InputError: naming the file, line and missing column.
    """
    from ..io import InputError, RecordSource

    source = RecordSource(path, strict=True)
    rows: list[dict[str, Any]] = []
    groups: list[Any] = []
    column = group_by
    for rec in source:
        row = rec.row
        if column is None:
            listed = isinstance(row.get(completions_column), list)
            column = next((c for c in GROUP_COLUMNS if c in row), None)
            if column is None and not listed:
                raise InputError(
                    f"{source.where(rec.line)}: cannot tell which rows belong to one problem; "
                    f"the data has {', '.join(map(repr, row))}. Name a column with --group-by"
                )
            column = column or "#row"
        items = row.get(completions_column)
        if isinstance(items, list):
            base = {k: v for k, v in row.items() if k != completions_column}
            gid = _group_key(row[column]) if column in row else f"row {rec.line}"
            for item in items:
                rows.append({**base, "completion": item})
                groups.append(gid)
            continue
        if column not in row:
            raise InputError(
                f"{source.where(rec.line)}: no column {column!r} to group problems by "
                f"(--group-by); the data has {', '.join(map(repr, row))}"
            )
        rows.append(row)
        groups.append(_group_key(row[column]))
    return rows, groups, column or "#row"


def passes(score: Any, threshold: float) -> bool:
    """Whether a total score counts as a pass (a failed or missing score never does)."""
    return isinstance(score, (int, float)) and math.isfinite(score) and score >= threshold - 1e-9


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def eval_command(
    input: Annotated[str, typer.Argument(help="completions (JSONL, CSV, Parquet, ...)")],
    k: Annotated[str, typer.Option("--k", help="comma-separated k values, e.g. 1,8")] = "1",
    reward: Annotated[
        list[str] | None,
        typer.Option("--reward", "-r", help="NAME[=WEIGHT] (omit to use a scored file's 'reward')"),
    ] = None,
    formula: Annotated[str | None, typer.Option(help="total as a formula")] = None,
    import_: Annotated[
        list[str] | None, typer.Option("--import", help="FILE.py or module with @reward functions")
    ] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN")] = None,
    group_by: Annotated[
        str | None, typer.Option(help="column naming the problem (default: id, prompt, ...)")
    ] = None,
    completions_column: Annotated[
        str, typer.Option(help="column holding a list of completions per problem")
    ] = "completions",
    by: Annotated[
        str | None, typer.Option(help="also break down by this column (e.g. level, source)")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="a total at least this passes (default: top of range)")
    ] = None,
    resamples: Annotated[int, typer.Option(help="bootstrap resamples", min=0)] = 1000,
    level: Annotated[float, typer.Option(help="confidence level of the intervals")] = 0.95,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    plot: Annotated[str | None, typer.Option(help="write a pass@k plot here (.png, .svg)")] = None,
    json_out: Annotated[str | None, typer.Option("--json", help="write the report as JSON")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
    timeout: Annotated[float, typer.Option(help="per-call time limit in seconds")] = 10.0,
) -> None:
    """pass@k (unbiased estimator) with bootstrap intervals, per subset, for many samples per problem."""
    from .._passk import evaluate_groups
    from ..io import InputError, atomic_write_bytes, parse_maps

    ks = _parse_ks(k)
    if not 0 < level < 1:
        raise InputError(f"--level {level}: must be between 0 and 1")
    rows, groups, column = load_samples(
        input, group_by=group_by, completions_column=completions_column
    )
    if not rows:
        raise InputError(f"{input}: no rows to evaluate")
    prov: Any = None
    if reward or formula:
        from ..serve._service import RewardService
        from ._engine import make_scorer
        from ._score import plan_rewards

        plan = plan_rewards(list(reward or []), formula, list(import_ or []))
        scorer = make_scorer(plan.leaves, workers=workers, timeout=timeout)
        service = RewardService(scorer, plan.leaves, plan.total, maps=parse_maps(map_ or []))
        try:
            present = set(rows[0]) | set(service.maps)
            scorer.bind(present, where=f"{input}: first row")
            totals = [
                r["reward"]
                for b in _batches(rows, 1024)
                for r in service.score_sync(b, "eval").rows
            ]
        finally:
            service.close()
        prov = service.provenance
        top = plan.total.range[1]
        cut = threshold if threshold is not None else (top if top is not None else 1.0)
    else:
        if "reward" not in rows[0]:
            raise InputError(
                f"{input}: no rewards named (-r NAME) and the rows have no 'reward' column "
                "written by `rewardkit score`"
            )
        totals = [r.get("reward") for r in rows]
        cut = threshold if threshold is not None else 1.0
    counts: dict[Any, list[int]] = {}
    subset_of: dict[Any, str] = {}
    mixed: set[Any] = set()
    for row, gid, total in zip(rows, groups, totals, strict=True):
        nc = counts.setdefault(gid, [0, 0])
        nc[0] += 1
        nc[1] += passes(total, cut)
        if by is not None:
            if by not in row:
                raise InputError(f"{input}: --by {by!r}: a row has no column {by!r}")
            if subset_of.setdefault(gid, str(row[by])) != str(row[by]):
                mixed.add(gid)
    if mixed:
        sys.stderr.write(
            f"warning: --by {by}: {len(mixed)} problems have rows with different {by!r} values; "
            "each problem is counted under its first row's value\n"
        )
    report = evaluate_groups(
        {g: (n, c) for g, (n, c) in counts.items()},
        ks,
        subset_of=subset_of if by is not None else None,
        resamples=resamples,
        level=level,
        seed=seed,
    )
    data = {**report.to_dict(), "threshold": cut, "group_by": column, "by": by, "_provenance": prov}
    if json_out:
        import orjson

        atomic_write_bytes(json_out, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    _print_table(report, level, cut, column)
    if plot:
        _plot(report, plot)
        sys.stderr.write(f"wrote {plot}\n")


def _print_table(report: Any, level: float, cut: float, column: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=(
            f"pass@k over {report.problems} problems, {report.samples} samples "
            f"(grouped by {column}; pass: total >= {cut:g}; {level:.0%} bootstrap CI)"
        ),
        title_justify="left",
    )
    table.add_column("subset")
    table.add_column("problems", justify="right")
    for kk in report.ks:
        table.add_column(f"pass@{kk}", justify="right")
    for name, per_k in report.subsets.items():
        cells = []
        for kk in report.ks:
            r = per_k[kk]
            cells.append(
                "-" if math.isnan(r.value) else f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
            )
        n = max(r.problems + r.skipped for r in per_k.values())
        table.add_row(name, str(n), *cells)
    Console(highlight=False, soft_wrap=True).print(table)


def _plot(report: Any, path: str) -> None:
    from ..io import InputError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'rewardkit[plot]'") from None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, per_k in report.subsets.items():
        ks = [kk for kk in report.ks if not math.isnan(per_k[kk].value)]
        vals = [per_k[kk].value for kk in ks]
        lo = [per_k[kk].value - per_k[kk].ci_low for kk in ks]
        hi = [per_k[kk].ci_high - per_k[kk].value for kk in ks]
        ax.errorbar(ks, vals, yerr=[lo, hi], marker="o", capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
