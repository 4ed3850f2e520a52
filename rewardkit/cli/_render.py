"""Rich renderables for the CLI (imported only by commands, so rich loads only when used)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..contract._reward import Reward

if TYPE_CHECKING:
    from ..audit import AuditReport
    from ..judges import JudgeAudit
    from ._diff import DiffResult
    from ._score import ScoreSummary

__all__ = [
    "audit_tables",
    "diff_tables",
    "judge_audit_table",
    "reward_details",
    "summary_table",
]

_STATUSES = ("ok", "not_applicable", "unparseable", "timeout", "error", "infra_error")


def _num(v: Any, fmt: str = ".3f") -> str:
    return "-" if v is None else format(v, fmt)


def summary_table(summary: ScoreSummary) -> Group:
    """Per-reward mean/std/min/max, status counts and latency, then the run's totals."""
    table = Table(title_justify="left", title="rewards")
    table.add_column("reward", overflow="fold")
    for col in ("mean", "std", "min", "max"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("statuses", overflow="fold")
    table.add_column("p50/p99 ms", justify="right", no_wrap=True)

    def row(name: str, s: dict[str, Any]) -> None:
        st = s.get("status", {})
        lat = s.get("latency_ms") or {}
        statuses = " ".join(f"{k} {st[k]}" for k in _STATUSES if st.get(k))
        latency = f"{_num(lat.get('p50'), '.2f')}/{_num(lat.get('p99'), '.2f')}" if lat else "-"
        table.add_row(
            name,
            _num(s.get("mean")),
            _num(s.get("std")),
            _num(s.get("min"), ".3g"),
            _num(s.get("max"), ".3g"),
            statuses or "-",
            latency,
        )

    for key, s in summary.rewards.items():
        row(key, s)
    if len(summary.rewards) > 1 or summary.total_name not in summary.rewards:
        row(f"total = {summary.total_name}", summary.total)
    lines: list[Table | Text] = [table]
    for key, s in summary.rewards.items():
        use = s.get("usage")
        if use:
            cost = f", ${use['cost_usd']:,.4f}" if "cost_usd" in use else ""
            lines.append(
                Text(
                    f"{key}: {use.get('requests', 0):,} model requests, "
                    f"{use.get('cached', 0):,} from cache, {use.get('prompt_tokens', 0):,} "
                    f"prompt + {use.get('completion_tokens', 0):,} completion tokens{cost}"
                )
            )
    rate = summary.rows / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    resumed = f", {summary.resumed_rows:,} resumed" if summary.resumed_rows else ""
    dest = summary.output or "stdout"
    foot = Text(
        f"{summary.rows:,} rows scored{resumed}, {summary.skipped:,} malformed skipped, "
        f"{summary.elapsed_s:.2f}s ({rate:,.0f} rows/s) -> {dest}"
    )
    return Group(*lines, foot)


def reward_details(rw: Reward) -> Group:
    """Everything a user needs to call a reward: columns, options, range, docstring."""
    head = Text.assemble(
        (rw.name, "bold"),
        f"  v{rw.version}  from {rw.provider}  ({rw.defined_at})",
    )
    parts: list[Any] = [head]
    if rw.description:
        parts.append(Text(rw.description))
    lo, hi = rw.range
    parts.append(Text(f"range: [{_num(lo, 'g')}, {_num(hi, 'g')}]   cheap: {rw.cheap}"))
    cols = Table(title="columns", title_justify="left", show_edge=False)
    cols.add_column("column")
    cols.add_column("required")
    for c in rw.required_columns:
        cols.add_row(c, "yes")
    for c in rw.optional_columns:
        cols.add_row(c, "no")
    if rw.takes_all_columns:
        cols.add_row("**kwargs", "every column")
    parts.append(cols)
    if rw.option_defaults:
        opts = Table(title="options (name(key=value) or reward.configure)", title_justify="left")
        opts.add_column("option")
        opts.add_column("type")
        opts.add_column("default")
        for k, default in rw.option_defaults.items():
            t = rw.option_types.get(k)
            tname = getattr(t, "__name__", None) or str(t).replace("typing.", "")
            opts.add_row(k, tname, repr(default))
        parts.append(opts)
    doc = inspect.getdoc(rw.fn)
    if doc:
        parts.append(Text(doc))
    return Group(*parts)


def judge_audit_table(judged: Mapping[str, JudgeAudit]) -> Table:
    """Per judge: gold vs degenerate means, false passes, position bias, consistency."""
    table = Table(title="judge audit", title_justify="left")
    cols = ("judge", "gold", "degenerate", "false-pass", "position bias", "order flips")
    for col in (*cols, "spread", "consistent", "failed"):
        table.add_column(col, justify="left" if col == "judge" else "right", overflow="fold")
    for key, ja in judged.items():
        table.add_row(
            key,
            _num(ja.gold_mean),
            _num(ja.degenerate_mean),
            _pct(ja.false_pass_rate),
            _num(ja.position_bias, "+.3f"),
            _pct(ja.order_flip_rate),
            _num(ja.consistency_spread),
            _pct(ja.consistent_rate),
            str(ja.failures),
        )
    return table


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def audit_tables(report: AuditReport) -> Iterator[Any]:
    """Rates per reward, per data_source, per degenerate kind, and examples."""
    main = Table(
        title=f"audit: {report.rows} rows ({report.skipped} without an answer skipped)",
        title_justify="left",
    )
    for col in ("reward", "gold layout", "false-fail", "false-pass", "gold", "degenerate"):
        main.add_column(col, justify="left" if col in ("reward", "gold layout") else "right")
    for key, ra in report.rewards.items():
        main.add_row(
            key,
            ra.gold_style,
            f"{ra.false_fail_rate:.1%}",
            f"{ra.false_pass_rate:.1%}",
            str(ra.counts.gold),
            str(ra.counts.degenerate),
        )
    yield main
    sources = Table(title="by data_source", title_justify="left")
    for col in ("reward", "data_source", "false-fail", "false-pass", "rows"):
        sources.add_column(col)
    for key, ra in report.rewards.items():
        for src, c in sorted(ra.by_source.items()):
            sources.add_row(
                key,
                src,
                f"{c.false_fail / c.gold if c.gold else 0:.1%}",
                f"{c.false_pass / c.degenerate if c.degenerate else 0:.1%}",
                str(c.gold),
            )
    yield sources
    kinds = Table(title="false-pass rate by degenerate kind", title_justify="left")
    kinds.add_column("kind")
    for key in report.rewards:
        kinds.add_column(key, justify="right", overflow="fold")
    kind_names = list(dict.fromkeys(k for ra in report.rewards.values() for k in ra.by_kind))
    for k in kind_names:
        cells = []
        for ra in report.rewards.values():
            n, fp = ra.by_kind.get(k, [0, 0])
            cells.append(f"{fp / n:.0%}" if n else "-")
        kinds.add_row(k, *cells)
    yield kinds
    for key, ra in report.rewards.items():
        for label, exs in (("false fail", ra.false_fails), ("false pass", ra.false_passes)):
            for e in exs:
                yield Text(
                    f"{key}: {label} [{e.kind}] row {e.row} ({e.data_source}): "
                    f"score={_num(e.score, 'g')} status={e.status} {e.reason!r}\n"
                    f"    {e.completion!r}"
                )


def diff_tables(result: DiffResult, *, limit: int) -> Iterator[Any]:
    """Per-reward change counts, then the first ``limit`` changed rows."""
    summary = Table(
        title=f"diff: {result.rows} rows compared, {len(result.changes)} changes",
        title_justify="left",
    )
    for col in ("reward", "changed", "up", "down", "status changed", "only in A", "only in B"):
        summary.add_column(col, justify="left" if col == "reward" else "right")
    for key, c in result.per_reward.items():
        summary.add_row(
            key,
            str(c["changed"]),
            str(c["up"]),
            str(c["down"]),
            str(c["status"]),
            str(c["only_a"]),
            str(c["only_b"]),
        )
    yield summary
    if result.unmatched:
        yield Text(f"{result.unmatched} rows present in only one file")
    if not result.changes:
        return
    rows = Table(title=f"first {min(limit, len(result.changes))} changes", title_justify="left")
    for col in ("row", "reward", "A", "B", "reason (B)"):
        rows.add_column(col, overflow="fold")
    for c in result.changes[:limit]:
        rows.add_row(
            str(c["row"]),
            str(c["reward"]),
            f"{_num(c['a_score'], 'g')} {c['a_status']}",
            f"{_num(c['b_score'], 'g')} {c['b_status']}",
            str(c.get("b_reason") or ""),
        )
    yield rows
