"""The ``rewardkit`` command line: score, list, show, audit, diff, plot, sandbox doctor.

Design rules (style guide §7 and §9):

* rich is imported inside commands, so ``rewardkit --help`` and scripted runs
  stay fast;
* an expected failure is one line on stderr (``error: FILE:LINE: ...`` naming the
  reward and the field) and exit status 2; ``REWARDKIT_TRACEBACK=1`` re-raises
  for a full traceback instead;
* data goes to stdout or ``-o``; progress, warnings and summaries go to stderr.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="rewardkit",
    help="Score, inspect and audit reward functions for GRPO / RLVR training.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Inspect the code-execution sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")

EXIT_USAGE = 2
EXIT_THRESHOLD = 1
EXIT_INTERRUPTED = 130


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(code)


def clean_errors(fn: F) -> F:
    """Turn exceptions into one ``error: ...`` line (full traceback with REWARDKIT_TRACEBACK=1).

    Errors rewardkit raises on purpose already name file:line, reward and field,
    so a traceback would only bury them; anything else is reported as an internal
    error with its type, since that is a bug worth a report.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..contract._errors import RewardkitError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise _fail("interrupted", EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("REWARDKIT_TRACEBACK"):
                raise
            if isinstance(exc, RewardkitError):
                raise _fail(str(exc)) from None
            if isinstance(exc, OSError) and exc.filename:
                raise _fail(f"{exc.filename}: {exc.strerror}") from None
            raise _fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(set REWARDKIT_TRACEBACK=1 for the traceback)",
                1,
            ) from None

    return wrapper  # type: ignore[return-value]


# -- score -------------------------------------------------------------------------------


@app.command()
@clean_errors
def score(
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


# -- list / show -------------------------------------------------------------------------


@app.command("list")
@clean_errors
def list_(
    json_: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List every registered reward: name, provider, version and description."""
    from .. import available

    rewards = available()
    if json_:
        import orjson

        rows = [
            {
                "name": r.name,
                "provider": r.provider,
                "version": r.version,
                "description": r.description,
            }
            for r in rewards
        ]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from rich.table import Table

    table = Table(title=f"{len(rewards)} rewards", title_justify="left")
    for col in ("name", "provider", "version", "description"):
        table.add_column(col, overflow="fold")
    for r in rewards:
        table.add_row(r.name, r.provider, r.version, r.description)
    _stdout().print(table)


@app.command()
@clean_errors
def show(
    name: Annotated[str, typer.Argument(help="registered name, pkg.mod:fn or path.py:fn")],
) -> None:
    """Show one reward: columns it reads, options with defaults, range and its docstring."""
    from ..references._resolve import resolve_reference
    from ._render import reward_details

    _stdout().print(reward_details(resolve_reference(name)))


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


# -- audit -------------------------------------------------------------------------------


@app.command("audit")
@clean_errors
def audit_cmd(
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


# -- diff --------------------------------------------------------------------------------


@app.command()
@clean_errors
def diff(
    a: Annotated[str, typer.Argument(help="scored file A")],
    b: Annotated[str, typer.Argument(help="scored file B")],
    key: Annotated[
        str | None, typer.Option(help="match rows by this field (default: position)")
    ] = None,
    tolerance: Annotated[float, typer.Option(help="score changes up to this are equal")] = 1e-9,
    limit: Annotated[int, typer.Option(help="changed rows shown")] = 20,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write every change as JSONL here")
    ] = None,
    fail_on_change: Annotated[bool, typer.Option(help="exit 1 when anything changed")] = False,
    allow_code_change: Annotated[
        bool, typer.Option(help="compare even when the reward code differs (warns)")
    ] = False,
) -> None:
    """Rows whose reward scores or statuses changed between two scored files."""
    from ._diff import diff_files
    from ._provenance_check import describe_stamps
    from ._render import diff_tables

    result = diff_files(a, b, key=key, tolerance=tolerance, allow_code_change=allow_code_change)
    err = _stderr()
    for line in describe_stamps(result.stamps_a, result.stamps_b):
        err.print(f"provenance {line}", markup=False)
    if result.code_changed:
        err.print(f"warning: reward code differs for {', '.join(result.code_changed)}")
    if json_out:
        from ..io import atomic_write_bytes, dumps_row

        atomic_write_bytes(json_out, b"".join(dumps_row(c) for c in result.changes))
    out = _stdout()
    for renderable in diff_tables(result, limit=limit):
        out.print(renderable)
    if fail_on_change and result.changes:
        raise typer.Exit(EXIT_THRESHOLD)


# -- serve / eval -----------------------------------------------------------------------

from ._eval import eval_command  # noqa: E402
from ._serve import serve_command  # noqa: E402

app.command("serve")(clean_errors(serve_command))
app.command("eval")(clean_errors(eval_command))


# -- plot --------------------------------------------------------------------------------


@app.command()
@clean_errors
def plot(
    scored: Annotated[str, typer.Argument(help="a file written by `rewardkit score`")],
    output: Annotated[str, typer.Option("--output", "-o", help="image file (.png, .svg)")] = (
        "hist.png"
    ),
    bins: Annotated[int, typer.Option(help="histogram bins")] = 20,
) -> None:
    """Histogram of scores per reward (needs matplotlib: pip install 'rewardkit\\[plot]')."""
    from ._diff import plot_histograms

    n = plot_histograms(scored, output, bins=bins)
    _stderr().print(f"wrote {output} ({n} rewards)")


# -- sandbox -----------------------------------------------------------------------------


@sandbox_app.command()
@clean_errors
def doctor() -> None:
    """Report which sandbox backends and kernel features work on this machine."""
    try:
        module = importlib.import_module("rewardkit.sandbox.doctor")
    except ImportError as exc:
        raise _fail(f"the sandbox doctor is not available in this install ({exc})") from None
    result = module.print_report()
    if isinstance(result, int) and result:
        raise typer.Exit(result)


# -- sub-commands plugged in by other faces --------------------------------------------------

#: Entry-point group through which other faces (trainers, recipes, third parties) add
#: commands: ``name = "module:attr"`` where ``attr`` is a ``typer.Typer`` (mounted as
#: a sub-app) or a function (mounted as one command). The CLI never names them.
COMMAND_GROUP = "rewardkit.cli"


def _attach_plugins() -> None:
    from importlib import metadata

    seen: set[str] = set()
    for ep in metadata.entry_points(group=COMMAND_GROUP):
        if ep.name in seen:  # the same distribution seen twice on sys.path
            continue
        seen.add(ep.name)
        try:
            obj = ep.load()
        except Exception as exc:  # a broken optional face must not break the CLI
            if os.environ.get("REWARDKIT_TRACEBACK"):
                raise
            sys.stderr.write(
                f"warning: command {ep.name!r} ({ep.value}) could not be loaded "
                f"({type(exc).__name__}: {exc})\n"
            )
            continue
        if isinstance(obj, typer.Typer):
            app.add_typer(obj, name=ep.name)
        elif callable(obj):
            app.command(ep.name)(clean_errors(obj))


_attach_plugins()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``rewardkit = "rewardkit.cli:main"``)."""
    try:
        app(args=argv, prog_name="rewardkit")
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
