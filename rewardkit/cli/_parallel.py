"""Score a large JSONL file in forked processes, writing the blocks in input order.

Only for rewards that all run inline (cheap ones), where one process is bound by the
rewards' own CPU time. Each child parses, scores and serialises a block with the
same :class:`~._encode._Encoder` as the one-process path, so the output is
byte-identical.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..io import RecordSource, ResumableWriter
from ._encode import _Encoded, _Encoder
from ._plan import _check_columns
from ._stats import StatsAccumulator

if TYPE_CHECKING:
    from ._score import ScoreOptions


#: Inputs smaller than this are scored in one process: starting workers would cost more.
PARALLEL_MIN_BYTES = 4 << 20


#: Bytes of input per block handed to a scoring process.
PARALLEL_BLOCK_BYTES = 512 << 10


def _parallel_processes(opts: ScoreOptions, source: RecordSource, scorer: Any) -> int:
    """How many processes score the input (1: this one), see :func:`_run_parallel`."""
    import multiprocessing

    if (
        source.format != "jsonl"
        or opts.input == "-"
        or opts.strict
        or not getattr(scorer, "inline_only", False)
        or "fork" not in multiprocessing.get_all_start_methods()
        or sys.platform != "linux"
    ):
        return 1
    try:
        if os.path.getsize(opts.input) < PARALLEL_MIN_BYTES:
            return 1
        cpus = len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return 1
    return max(1, min(int(scorer.workers), cpus))


# The job of a forked scoring process: (scorer, encoder, source), inherited from the parent.
_JOB: tuple[Any, _Encoder, RecordSource] | None = None


def _score_block(
    first_line: int, data: bytes
) -> tuple[_Encoded | None, int, list[tuple[int, str]], Any]:
    assert _JOB is not None
    scorer, encoder, source = _JOB
    records, bad = source.parse_block(first_line, data)
    if not records:
        return None, 0, bad, scorer.drain_stats()
    enc = encoder.encode(scorer, [r.row for r in records], [source.where(r.line) for r in records])
    return enc, records[-1].line, bad, scorer.drain_stats()


def _run_parallel(
    nproc: int,
    opts: ScoreOptions,
    source: RecordSource,
    scorer: Any,
    encoder: _Encoder,
    writer: ResumableWriter | None,
    out_stream: Any,
    accs: Mapping[str, StatsAccumulator],
    total_acc: StatsAccumulator,
    base_skipped: int,
    done: int,
    skipped: Callable[[str], None],
    progress: Callable[[int, int | None], None] | None,
    total_rows: int | None,
) -> int:
    """Score a JSONL file in ``nproc`` forked processes; write in input order.

    Only for rewards that all run inline (cheap ones), where one process is bound by
    the rewards' own CPU time. The parent reads contiguous blocks of lines and
    writes the scored blocks in order; each child parses, scores and serialises a
    block with the same code as the one-process path, so the output is
    byte-identical and deterministic. Progress, skips and resume positions are
    accounted in the parent exactly as the one-process path does.
    """
    from collections import deque

    from ._blockpool import BlockWorkers

    global _JOB
    quiet = RecordSource(opts.input, split=opts.split)
    quiet.skip_until = source.skip_until
    first = next(iter(quiet), None)
    if first is None:
        # Nothing to score; let the one-process path account for skipped lines.
        for _ in source:
            pass
        return done
    _check_columns(first.row, encoder.maps, encoder.plan, source.where(first.line), scorer)
    _JOB = (scorer, encoder, source)
    workers = BlockWorkers(nproc, _score_block)
    pending: deque[int] = deque()
    submitted = 0
    counted = 0  # skipped lines before the last row written (what a resume has seen)
    try:

        def handle(result: tuple[_Encoded | None, int, list[tuple[int, str]], Any]) -> None:
            nonlocal done, counted
            enc, last_line, bad, stats = result
            scorer.merge_stats(stats)
            for line, reason in bad:
                source.report_bad(line, reason)
            if enc is None:
                return
            counted = source.skipped - sum(1 for line, _ in bad if line > last_line)
            enc.merge_into(accs, total_acc)
            done += enc.rows
            if writer is not None:
                writer.meta["skipped"] = base_skipped + counted
                writer.write(enc.chunk, enc.rows, last_line)
            else:
                out_stream.write(enc.chunk)
            if progress is not None:
                progress(done, (total_rows if total_rows is not None else source.total))

        for first_line, data in source.raw_blocks(PARALLEL_BLOCK_BYTES):
            if len(pending) >= workers.size:
                handle(workers.result(pending.popleft()))
            workers.submit(submitted, (first_line, data))
            pending.append(submitted)
            submitted += 1
        while pending:
            handle(workers.result(pending.popleft()))
        workers.close()
    finally:
        _JOB = None
        workers.kill()
    return done
