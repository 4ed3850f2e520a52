"""``rewardkit score``: the command's options, progress bar, summary and exit status.

The pipeline itself is :func:`~._score.run_score`; this module turns options into
:class:`~._score.ScoreOptions`, shows progress and the summary table, and decides
the exit status from the run's health (:mod:`._health`).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ._common import EXIT_INTERRUPTED, EXIT_THRESHOLD, _fail, _stderr

__all__ = ["score_command"]


def score_command(
    input: Annotated[str, typer.Argument(help="JSONL, JSON array, CSV, Parquet, HF dir, or -")],
    reward: Annotated[
        list[str] | None,
        typer.Option(
            "--reward",
            "-r",
            help="NAME[=WEIGHT]; NAME is registered, pkg.mod:fn or path.py:fn",
        ),
    ] = None,
    formula: Annotated[
        str | None, typer.Option(help="total as a formula, e.g. '0.2*xml_format + number_match'")
    ] = None,
    import_: Annotated[
        list[str] | None,
        typer.Option("--import", help="FILE.py or module whose @reward functions to load"),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN: feed data column COLUMN as field FIELD"),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="OUT.jsonl or OUT.parquet (default stdout)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default: CPUs)")] = None,
    timeout: Annotated[float, typer.Option(help="per-call time limit in seconds")] = 10.0,
    resume: Annotated[bool, typer.Option(help="continue an interrupted run of -o OUT")] = False,
    strict: Annotated[bool, typer.Option(help="fail on the first malformed record")] = False,
    summary_json: Annotated[
        str | None, typer.Option(help="write the summary as JSON to this path (for CI)")
    ] = None,
    backend: Annotated[str, typer.Option(help="local or ray")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--address", "--ray-address", help="Ray cluster address")
    ] = None,
    split: Annotated[str | None, typer.Option(help="split of a saved DatasetDict")] = None,
    isolation: Annotated[
        str, typer.Option(help="auto (cheap rewards inline), process, or inline (debugging)")
    ] = "auto",
    batch_size: Annotated[int, typer.Option(help="rows per engine call", min=1)] = 1024,
    progress: Annotated[
        bool | None, typer.Option(help="progress bar (default: when stderr is a terminal)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no summary table")] = False,
    max_error_rate: Annotated[
        float | None,
        typer.Option(
            help="exit 1 when a reward fails (error/timeout) on more than this share of rows; "
            "default: only when it fails on every row",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    max_infra_error_rate: Annotated[
        float,
        typer.Option(
            help="exit 1 when more than this share of rows hit sandbox infrastructure errors",
            min=0.0,
            max=1.0,
        ),
    ] = 0.05,
    judge_prices: Annotated[
        str | None,
        typer.Option(
            help="IN,OUT: USD per million prompt and completion tokens; the summary then "
            "prices judge rewards' token usage"
        ),
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(help="model of llm_judge rewards (REWARDKIT_JUDGE_MODEL)")
    ] = None,
) -> None:
    """Score a file of completions and write each row with its rewards and weighted total.

    Exits 1 when the run cannot be trusted (a reward failed on every row, error or
    infrastructure-error shares above their limits, no rows at all), after writing the
    output and printing the summary.
    """
    from ._score import ScoreOptions, run_score

    if judge_model:
        os.environ["REWARDKIT_JUDGE_MODEL"] = judge_model  # workers inherit it
    if backend not in ("local", "ray"):
        raise _fail(f"--backend {backend!r} is not valid; valid ones are 'local', 'ray'")
    if isolation not in ("auto", "process", "inline"):
        raise _fail(
            f"--isolation {isolation!r} is not valid; valid ones are 'auto', 'process', 'inline'"
        )
    opts = ScoreOptions(
        input=input,
        rewards=list(reward or []),
        formula=formula,
        imports=list(import_ or []),
        maps=list(map_ or []),
        output=output,
        workers=workers,
        timeout=timeout,
        resume=resume,
        strict=strict,
        backend=backend,
        ray_address=ray_address,
        split=split,
        isolation=isolation,
        batch_size=batch_size,
        judge_prices=_parse_prices(judge_prices) if judge_prices else None,
    )
    console = _stderr()
    shown = [0]

    def on_skip(msg: str) -> None:
        shown[0] += 1
        if shown[0] <= 20:
            console.print(f"[yellow]skipped[/] {msg}", markup=True, highlight=False)
        elif shown[0] == 21:
            console.print("[yellow]skipped[/] ... (further skipped lines are only counted)")

    show_progress = sys.stderr.isatty() if progress is None else progress
    if output and os.path.exists(output + ".rewardkit-partial") and not resume:
        console.print(
            f"note: discarding an interrupted run of {output} (pass --resume to continue it)"
        )
    try:
        if show_progress and not quiet:
            summary = _score_with_progress(opts, on_skip, console)
        else:
            summary = run_score(opts, on_skip=on_skip)
    except KeyboardInterrupt:
        hint = "; continue with the same command plus --resume" if output else ""
        raise _fail(f"interrupted{hint}", EXIT_INTERRUPTED) from None
    from ._health import run_problems

    problems = run_problems(
        summary.rewards,
        summary.rows,
        summary.skipped,
        max_error_rate=max_error_rate,
        max_infra_error_rate=max_infra_error_rate,
        input_name=input,
    )
    if summary_json:
        import orjson

        from ..io import atomic_write_bytes

        atomic_write_bytes(
            summary_json,
            orjson.dumps({**summary.to_dict(), "problems": problems}, option=orjson.OPT_INDENT_2)
            + b"\n",
        )
    if not quiet:
        from ._render import summary_table

        console.print(summary_table(summary))
    if problems:
        for p in problems:
            console.print(f"[red]error:[/] {p}", markup=True, highlight=False)
        raise typer.Exit(EXIT_THRESHOLD)


def _score_with_progress(opts: Any, on_skip: Callable[[str], None], console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ._score import run_score

    columns = (
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("score", total=None, rate="-")

        def update(done: int, total: int | None) -> None:
            speed = bar.tasks[0].speed
            bar.update(task, completed=done, total=total, rate=f"{speed:,.0f}" if speed else "-")

        return run_score(opts, on_skip=on_skip, progress=update)


def _parse_prices(text: str) -> tuple[float, float]:
    """``--judge-prices IN,OUT`` as two non-negative floats (USD per 1M tokens)."""
    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        raise _fail(
            f"--judge-prices {text!r}: give two prices, USD per million prompt and "
            "completion tokens, as IN,OUT (e.g. 0.15,0.60)"
        ) from None
    if min(a, b) < 0 or not all(math.isfinite(x) for x in (a, b)):
        raise _fail(f"--judge-prices {text!r}: prices must be finite and non-negative")
    return a, b
