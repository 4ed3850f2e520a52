"""The ``rewardkit score`` pipeline, kept apart from the typer layer so tests can call it.

Records stream from a reader through the engine in batches and out through a
:class:`~rewardkit.io.ResumableWriter`; nothing holds the whole file in memory
(except Parquet output, converted once at the end). Only the leaf rewards go to
the engine: a weighted total or formula is combined here from the leaves'
outcomes, so no reward is evaluated twice and every leaf verdict is visible in
the output row.
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._provenance import PROVENANCE_KEY, provenance
from ..compose._combine import weighted_total
from ..compose._compose import Composite, RewardLike, WeightedSum
from ..contract._call import locate
from ..contract._errors import RewardSpecError
from ..contract._native import from_trl, looks_trl_native
from ..contract._outcome import Outcome
from ..contract._reward import Reward, iter_rewards
from ..io import InputError, RecordSource, ResumableWriter, dumps_row, output_format, parse_maps
from ..references._resolve import resolve, split_weight
from ._engine import make_scorer
from ._health import INFRA_STATUS

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


def import_rewards(targets: Sequence[str]) -> dict[str, Reward]:
    """Import files or modules named by ``--import`` and return their rewards by name.

    Importing also makes ``@reward`` functions findable by plain name in ``-r``, and
    so are plain TRL reward functions (``f(prompts, completions, **kwargs)``) defined
    in the file, run exactly as TRL calls them.
    """
    import importlib

    from ..references._refs import load_file_module

    found: dict[str, Reward] = {}
    for target in targets:
        if target.endswith(".py") or os.sep in target or "/" in target:
            module = load_file_module(target)
        else:
            try:
                module = importlib.import_module(target)
            except ImportError as exc:
                raise RewardSpecError(target, f"cannot import module {target!r}: {exc}") from exc
        rewards = iter_rewards(vars(module))
        rewards += [
            from_trl(v)
            for v in vars(module).values()
            if inspect.isfunction(v) and v.__module__ == module.__name__ and looks_trl_native(v)
        ]
        if not rewards:
            raise RewardSpecError(
                target,
                "defines no @reward functions and no TRL reward functions "
                "(functions taking `completions`)",
            )
        for rw in rewards:
            found[rw.name] = rw
    return found


@dataclass
class RewardPlan:
    """What to run: the leaf rewards (reported one by one) and how to total them."""

    leaves: list[Reward]
    total: RewardLike

    @property
    def keys(self) -> list[str]:
        return [leaf.key for leaf in self.leaves]


def plan_rewards(
    specs: Sequence[str], formula: str | None = None, imports: Sequence[str] = ()
) -> RewardPlan:
    """Resolve ``-r`` specs, ``--formula`` and ``--import`` into a :class:`RewardPlan`.

    With a formula, the formula is the total; otherwise the weighted sum of the ``-r``
    rewards is.

    Raises:
        RewardSpecError, UnknownRewardError, FormulaError: naming the bad reference.
    """
    extra = import_rewards(imports)
    terms: list[tuple[float, Reward]] = []
    for spec in specs:
        ref = resolve(spec, rewards=extra, weighted=True)
        if not isinstance(ref.reward, Reward):  # -r names one reward, never a formula
            raise RewardSpecError(spec, "-r takes one reward; give a formula with --formula")
        terms.append((ref.weight, ref.reward))
    total: RewardLike | None = None
    if formula:
        total = resolve(formula, rewards=extra or None).reward
    elif terms:
        total = WeightedSum(terms)
    if total is None:
        raise RewardSpecError("", "name at least one reward with -r NAME or give --formula")
    leaves: dict[str, Reward] = {}
    for _, rw in terms:
        leaves.setdefault(rw.key, rw)
    for leaf in total.leaves():
        leaves.setdefault(leaf.key, leaf)
    return RewardPlan(list(leaves.values()), total)


class StatsAccumulator:
    """Scores and status counts of one reward (or the total) over a run."""

    __slots__ = ("scores", "statuses", "usage")

    def __init__(self) -> None:
        self.scores: list[float] = []
        self.statuses: Counter[str] = Counter()
        # model calls of a judge-like reward: requests, cached, prompt/completion tokens
        self.usage: Counter[str] = Counter()

    def add(self, score: float | None, status: str) -> None:
        if score is not None:
            self.scores.append(score)
        self.statuses[status] += 1

    def extend(
        self,
        scores: Iterable[float],
        statuses: Mapping[str, int],
        usage: Mapping[str, int] | None = None,
    ) -> None:
        """Add many at once: the non-None ``scores``, a count per status, model usage."""
        self.scores.extend(scores)
        self.statuses.update(statuses)
        if usage:
            self.usage.update(usage)

    def add_usage(self, verdict: Mapping[str, Any]) -> None:
        """Count the model usage recorded with one verdict (``usage``, or ``cached``)."""
        _count_usage(self.usage, verdict)

    def summary(self) -> dict[str, Any]:
        """count, mean, std (population), min, max and status counts (JSON-ready)."""
        s = self.scores
        n = len(s)
        mean = math.fsum(s) / n if n else None
        std = (
            math.sqrt(math.fsum((x - mean) ** 2 for x in s) / n) if n and mean is not None else None
        )
        return {
            "count": sum(self.statuses.values()),
            "scored": n,
            "mean": mean,
            "std": std,
            "min": min(s) if s else None,
            "max": max(s) if s else None,
            "status": dict(sorted(self.statuses.items())),
            **({"usage": dict(self.usage)} if self.usage else {}),
        }


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


def _latency(stats: Any, key: str) -> dict[str, Any]:
    st = stats.get(key) if isinstance(stats, Mapping) else None
    if st is None:
        return {}

    def pick(*names: str) -> Any:
        for n in names:
            v = getattr(st, n, None)
            if v is not None:
                return v
        return None

    return {
        "latency_ms": {
            "p50": pick("p50_ms", "latency_p50_ms", "p50"),
            "p99": pick("p99_ms", "latency_p99_ms", "p99"),
        },
        "cache_hits": pick("cache_hits", "hits"),
    }


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


class _Encoded:
    """One scored batch: its JSONL bytes and what the summary needs from it."""

    __slots__ = ("chunk", "rows", "stats", "usage")

    def __init__(
        self,
        chunk: bytes,
        rows: int,
        stats: Sequence[tuple[list[float], Mapping[str, int]]],
        usage: Sequence[Mapping[str, int]] = (),
    ) -> None:
        self.chunk = chunk
        self.rows = rows
        self.stats = stats  # per reward key, then the total: (non-None scores, status counts)
        self.usage = usage  # per reward key: model usage counts (judges), may be empty

    def merge_into(self, accs: Mapping[str, StatsAccumulator], total: StatsAccumulator) -> None:
        for acc, (scores, statuses) in zip([*accs.values(), total], self.stats, strict=True):
            acc.extend(scores, statuses)
        for acc, usage in zip(accs.values(), self.usage, strict=False):
            if usage:
                acc.usage.update(usage)


class _Encoder:
    """Scores a batch of input rows and serialises the scored rows, in one pass."""

    def __init__(self, plan: RewardPlan, maps: Mapping[str, str]) -> None:
        self.plan = plan
        self.maps = maps
        self.keys = plan.keys
        self.total = plan.total
        self.direct = _direct_key(plan.total)
        self.linear = _linear_terms(plan.total)
        self.bias = plan.total.bias if isinstance(plan.total, WeightedSum) else 0.0
        self.provenance = provenance(plan.leaves, plan.total)

    def encode(
        self, scorer: Any, rows: list[dict[str, Any]], where: Sequence[str] | None = None
    ) -> _Encoded:
        """Score and serialise ``rows``; ``where`` names each row's ``FILE:LINE`` in
        failure reasons."""
        maps = self.maps
        srows = rows if not maps else [_mapped(r, maps) for r in rows]
        results = scorer.score(srows)
        keys = self.keys
        direct, linear, bias, total = self.direct, self.linear, self.bias, self.total
        scores: list[list[float | None]] = [[] for _ in keys]
        statuses: list[list[str]] = [[] for _ in keys]
        tot_scores: list[float | None] = []
        tot_statuses: list[str] = []
        usage: list[Counter[str]] = [Counter() for _ in keys]
        parts: list[bytes] = []
        dumps = dumps_row
        for i, (row, srow, outs) in enumerate(zip(rows, srows, results, strict=True)):
            rd: dict[str, Any] = {}
            for j, k in enumerate(keys):
                o = outs[k]
                status = o.status._value_
                if status != "ok" and where is not None:
                    o = outs[k] = locate(o, i, where[i])  # FILE:LINE, not the batch position
                rd[k] = {"score": o.score, "status": status, "reason": o.reason}
                scores[j].append(o.score)
                if o.extras and _count_usage(usage[j], o.extras):
                    # per-row usage stays in the output, so a resumed run's totals are whole
                    ex = o.extras
                    rd[k].update({f: ex[f] for f in ("usage", "cached") if f in ex})
                if status == "error" and o.extras and o.extras.get("infra_error"):
                    statuses[j].append(INFRA_STATUS)  # counted apart in the summary
                else:
                    statuses[j].append(status)
            if direct is not None:
                tot = outs[direct]
                tot_score, tot_status = tot.score, tot.status._value_
            elif linear is not None:
                tot_score, tot_status = _linear_total(linear, bias, outs)
            else:
                assert isinstance(total, Composite)
                tot = total.combine(srow, lambda leaf, _o=outs: _o[leaf.key])  # type: ignore[misc]
                tot_score, tot_status = tot.score, tot.status._value_
            row["rewards"] = rd
            row["reward"] = tot_score
            row[PROVENANCE_KEY] = self.provenance
            tot_scores.append(tot_score)
            tot_statuses.append("ok" if tot_score is not None else tot_status)
            parts.append(dumps(row))
        stats = [
            ([x for x in sc if x is not None], Counter(st))
            for sc, st in zip([*scores, tot_scores], [*statuses, tot_statuses], strict=True)
        ]
        return _Encoded(b"".join(parts), len(rows), stats, usage)


def _price(usage: dict[str, Any] | None, prices: tuple[float, float]) -> None:
    """Add ``cost_usd`` to a reward's usage summary at (prompt, completion) USD per 1M tokens."""
    if usage:
        cost = usage.get("prompt_tokens", 0) * prices[0]
        cost += usage.get("completion_tokens", 0) * prices[1]
        usage["cost_usd"] = round(cost / 1e6, 6)


def _count_usage(counts: Counter[str], extras: Mapping[str, Any]) -> bool:
    """Add an outcome's model usage to ``counts``: a request with its token counts
    (``extras["usage"]``, as judge rewards report it) or a cache hit. True if any."""
    use = extras.get("usage")
    if isinstance(use, Mapping):
        counts["requests"] += 1
        for side in ("prompt", "completion"):
            n = use.get(side)
            if type(n) is int and n > 0:
                counts[f"{side}_tokens"] += n
        return True
    if extras.get("cached") is True:
        counts["cached"] += 1
        return True
    return False


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


def _direct_key(total: RewardLike) -> str | None:
    """The leaf key whose outcome *is* the total (a lone reward of weight 1), else None."""
    if isinstance(total, Reward):
        return total.key
    if isinstance(total, WeightedSum) and len(total.terms) == 1 and not total.bias:
        weight, node = total.terms[0]
        if weight == 1.0 and isinstance(node, Reward):
            return node.key
    return None


def _linear_terms(total: RewardLike) -> list[tuple[float, str]] | None:
    """(weight, leaf key) pairs when ``total`` is a weighted sum of plain rewards."""
    if isinstance(total, WeightedSum) and all(isinstance(n, Reward) for _, n in total.terms):
        return [(w, n.key) for w, n in total.terms]
    return None


def _linear_total(
    terms: list[tuple[float, str]], bias: float, outs: Mapping[str, Outcome]
) -> tuple[float | None, str]:
    """:func:`rewardkit.compose._combine.weighted_total` for plain-reward terms, without term dicts.

    Same rules and the same float summation order: a timed-out or errored term
    makes the total that status; not-applicable terms are left out; no term at
    all gives not_applicable. Scoring 100,000 rows spends more time in the
    generic combine than in cheap format rewards, hence this path.
    """
    total, status, _ = weighted_total([(w, outs[key]) for w, key in terms], bias)
    return total, status.value


def _account(
    row: Mapping[str, Any],
    keys: Iterable[str],
    accs: Mapping[str, StatsAccumulator],
    total_acc: StatsAccumulator,
) -> None:
    rd = row.get("rewards") or {}
    for k in keys:
        v = rd.get(k) or {}
        accs[k].add(v.get("score"), v.get("status", "error"))
        accs[k].add_usage(v)
    score = row.get("reward")
    total_acc.add(score, "ok" if score is not None else _total_status(rd))


def _total_status(rd: Mapping[str, Any]) -> str:
    statuses = [v.get("status") for v in rd.values() if isinstance(v, Mapping)]
    for bad in ("timeout", "error"):
        if bad in statuses:
            return bad
    return "not_applicable"


def _mapped(row: dict[str, Any], maps: Mapping[str, str]) -> dict[str, Any]:
    out = dict(row)
    for fld, col in maps.items():
        if col in row:
            out[fld] = row[col]
    return out


def _check_columns(
    row: Mapping[str, Any], maps: Mapping[str, str], plan: RewardPlan, where: str, scorer: Any
) -> None:
    for fld, col in maps.items():
        if col not in row:
            have = ", ".join(repr(c) for c in row) or "no columns"
            raise InputError(
                f"{where}: --map {fld}={col}: the data has no column {col!r}; it has {have}"
            )
    columns = set(row) | set(maps)
    bind = getattr(scorer, "bind", None)
    if bind is not None:
        bind(columns, where=where)
    plan.total.bind(columns, where=where)
