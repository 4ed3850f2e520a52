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

import importlib
import importlib.util
import os
import sys
from typing import Annotated

import typer

from ._cmd_audit import audit_command
from ._cmd_score import score_command
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_THRESHOLD,
    _fail,
    _stderr,
    _stdout,
    clean_errors,
)

__all__ = ["app", "main"]


app = typer.Typer(
    name="rewardkit",
    help="Score, inspect and audit reward functions for GRPO / RLVR training.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Inspect the code-execution sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


app.command("score")(clean_errors(score_command))


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


app.command("audit")(clean_errors(audit_command))


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
