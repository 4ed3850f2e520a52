"""The ``rewardkit score`` pipeline, kept apart from the typer layer so tests can call it.

Records stream from a reader through the engine in batches and out through a
:class:`~rewardkit.io.ResumableWriter`; nothing holds the whole file in memory
(except Parquet output, converted once at the end). Only the leaf rewards go to
the engine: a weighted total or formula is combined here from the leaves'
outcomes, so no reward is evaluated twice and every leaf verdict is visible in
the output row.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._provenance import provenance
from ..io import InputError, RecordSource, ResumableWriter, output_format, parse_maps
from ..references._resolve import split_weight
from ._encode import _Encoder
from ._engine import make_scorer
from ._parallel import _parallel_processes, _run_parallel
from ._plan import RewardPlan, _check_columns, import_rewards, plan_rewards
from ._stats import StatsAccumulator, _account, _latency, _price

__all__ = [
    "RewardPlan",
    "ScoreOptions",
    "ScoreSummary",
    "StatsAccumulator",
    "import_rewards",
    "plan_rewards",
    "run_score",
    "split_weight",
]


@dataclass
class ScoreOptions:
    """Everything ``rewardkit score`` takes, as data."""

    input: str
    rewards: list[str] = field(default_factory=list)
    formula: str | None = None
    imports: list[str] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)
    output: str | None = None
    workers: int | None = None
    timeout: float = 10.0
    resume: bool = False
    strict: bool = False
    backend: str = "local"
    ray_address: str | None = None
    split: str | None = None
    isolation: str = "auto"
    batch_size: int = 1024
    commit_interval: float = 1.0
    #: USD per million prompt and completion tokens, to price judge rewards' usage
    judge_prices: tuple[float, float] | None = None


@dataclass
class ScoreSummary:
    """Result of a run: counts, per-reward statistics and timings."""

    input: str
    output: str | None
    rows: int
    skipped: int
    resumed_rows: int
    elapsed_s: float
    rewards: dict[str, dict[str, Any]]
    total: dict[str, Any]
    total_name: str
    skip_messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "rows": self.rows,
            "skipped": self.skipped,
            "resumed_rows": self.resumed_rows,
            "elapsed_s": round(self.elapsed_s, 4),
            "rows_per_s": round(self.rows / self.elapsed_s, 1) if self.elapsed_s > 0 else None,
            "rewards": self.rewards,
            "reward": {"name": self.total_name, **self.total},
        }


def _fingerprint(opts: ScoreOptions, plan: RewardPlan, fmt: str) -> dict[str, Any]:
    st = os.stat(opts.input)
    from .._version import __version__

    return {
        "rewardkit": __version__,
        "input": os.path.abspath(opts.input),
        "input_size": st.st_size,
        "input_mtime_ns": st.st_mtime_ns,
        "rewards": plan.keys,
        "reward_code": provenance(plan.leaves, plan.total)["rewards"],
        "total": plan.total.key,
        "maps": sorted(opts.maps),
        "strict": opts.strict,
        "split": opts.split,
        "format": fmt,
    }


def _refuse_overwriting_input(input_path: str, output: str) -> None:
    """``-o`` naming the input (also through a link or another relative path) would
    replace the data with its scored copy; refuse before anything is written."""
    if input_path == "-" or not os.path.exists(output):
        return
    try:
        same = os.path.samefile(input_path, output)
    except OSError:
        return
    if same:
        raise InputError(
            f"-o {output} is the input file {input_path}; scoring writes a new file, so name "
            "another output (the input is left untouched)"
        )


def run_score(
    opts: ScoreOptions,
    *,
    on_skip: Callable[[str], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    stdout: Any = None,
) -> ScoreSummary:
    """Score ``opts.input`` and write the scored rows; return the summary.

    Args:
        on_skip: called with ``FILE:LINE: reason`` for each malformed record skipped.
        progress: called with (rows done, total or None) after each batch.
        stdout: binary stream for output when ``opts.output`` is None.

    Raises:
        InputError, ResumeError, MissingColumnError, RewardkitError: before any scoring
        when the inputs, options or rewards are wrong; InputError mid-run under strict.
        KeyboardInterrupt: after committing, so ``--resume`` can continue.
    """
    t0 = time.perf_counter()
    plan = plan_rewards(opts.rewards, opts.formula, opts.imports)
    maps = parse_maps(opts.maps)
    if opts.output in (None, "-") and opts.resume:
        raise InputError("--resume needs an output file (-o OUT)")
    skip_messages: list[str] = []

    def skipped(msg: str) -> None:
        if len(skip_messages) < 1000:
            skip_messages.append(msg)
        if on_skip is not None:
            on_skip(msg)

    source = RecordSource(opts.input, strict=opts.strict, on_skip=skipped, split=opts.split)
    fmt = output_format(opts.output) if opts.output not in (None, "-") else "jsonl"
    writer: ResumableWriter | None = None
    accs = {k: StatsAccumulator() for k in plan.keys}
    total_acc = StatsAccumulator()
    base_skipped = 0
    if opts.output not in (None, "-"):
        assert opts.output is not None
        _refuse_overwriting_input(opts.input, opts.output)
        fingerprint = _fingerprint(opts, plan, fmt) if opts.input != "-" else {"input": "-"}
        if opts.resume and opts.input == "-":
            raise InputError("--resume cannot continue a run that read stdin; pass a file")
        writer = ResumableWriter(
            opts.output,
            fingerprint=fingerprint,
            resume=opts.resume,
            commit_interval=opts.commit_interval,
        )
        if opts.resume:
            base_skipped = int(writer.meta.get("skipped", 0))
            source.skip_until = writer.input_line
            for row in writer.committed_rows():
                _account(row, plan.keys, accs, total_acc)
    out_stream = stdout if stdout is not None else sys.stdout.buffer
    try:
        total_rows = source.count() if progress is not None else None
    except InputError:
        total_rows = None
    done = writer.rows if writer else 0
    leaves = plan.leaves
    scorer = make_scorer(
        leaves,
        workers=opts.workers,
        timeout=opts.timeout,
        backend=opts.backend,
        ray_address=opts.ray_address,
        isolation=opts.isolation,
    )
    encoder = _Encoder(plan, maps)
    try:
        nproc = _parallel_processes(opts, source, scorer)
        if nproc > 1:
            done = _run_parallel(
                nproc, opts, source, scorer, encoder, writer, out_stream, accs, total_acc,
                base_skipped, done, skipped, progress, total_rows,
            )  # fmt: skip
        else:
            records = iter(source)
            first = next(records, None)
            if first is not None:
                _check_columns(first.row, maps, plan, source.where(first.line), scorer)
                records = itertools.chain([first], records)
            while True:
                batch = list(itertools.islice(records, opts.batch_size))
                if not batch:
                    break
                enc = encoder.encode(
                    scorer, [r.row for r in batch], [source.where(r.line) for r in batch]
                )
                enc.merge_into(accs, total_acc)
                done += enc.rows
                if writer is not None:
                    writer.meta["skipped"] = base_skipped + source.skipped
                    writer.write(enc.chunk, enc.rows, batch[-1].line)
                else:
                    out_stream.write(enc.chunk)
                if progress is not None:
                    progress(done, (total_rows if total_rows is not None else source.total))
    except BaseException:
        if writer is not None:
            writer.close()
        raise
    finally:
        close = getattr(scorer, "close", None)
        if close is not None:
            close()
    if done == 0:
        if writer is not None:
            writer.close()  # publishes nothing, leaves no partial behind
        bad = base_skipped + source.skipped
        raise InputError(
            f"{opts.input}: all {bad} records were malformed; nothing was scored"
            if bad
            else f"{opts.input}: the input has no rows; nothing was scored"
        )
    if writer is not None:
        writer.meta["skipped"] = base_skipped + source.skipped
        writer.finish()
    else:
        out_stream.flush()
    stats = getattr(scorer, "stats", {})
    reward_summaries = {k: {**accs[k].summary(), **_latency(stats, k)} for k in plan.keys}
    if opts.judge_prices is not None:
        for s in reward_summaries.values():
            _price(s.get("usage"), opts.judge_prices)
    return ScoreSummary(
        input=opts.input,
        output=opts.output,
        rows=done,
        skipped=base_skipped + source.skipped,
        resumed_rows=writer.resumed_rows if writer else 0,
        elapsed_s=time.perf_counter() - t0,
        rewards=reward_summaries,
        total=total_acc.summary(),
        total_name=plan.total.key,
        skip_messages=skip_messages,
    )
