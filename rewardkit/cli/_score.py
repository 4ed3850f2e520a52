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
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._compose import Composite, RewardLike, WeightedSum
from .._errors import RewardSpecError
from .._outcome import Outcome, Status
from .._reward import Reward, iter_rewards
from ..io import InputError, RecordSource, ResumableWriter, dumps_row, output_format, parse_maps
from ._engine import make_scorer

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

_WEIGHT_RE = re.compile(r"^(?P<ref>.*[^=\s])\s*=\s*(?P<w>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$")


def split_weight(spec: str) -> tuple[str, float]:
    """Split ``NAME[=WEIGHT]``; an ``=`` inside ``name(opt=v)`` belongs to the options."""
    m = _WEIGHT_RE.match(spec.strip())
    if m and m.group("ref").count("(") == m.group("ref").count(")"):
        return m.group("ref"), float(m.group("w"))
    return spec.strip(), 1.0


def import_rewards(targets: Sequence[str]) -> dict[str, Reward]:
    """Import files or modules named by ``--import`` and return their rewards by name.

    Importing also makes ``@reward`` functions findable by plain name in ``-r``.
    """
    import importlib

    from .._refs import load_file_module

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
        if not rewards:
            raise RewardSpecError(target, "defines no @reward functions")
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
    from .._formula import parse_formula
    from .._refs import resolve_reference

    extra = import_rewards(imports)
    terms: list[tuple[float, Reward]] = []
    for spec in specs:
        ref, weight = split_weight(spec)
        target = ref.split("(", 1)[0]
        if target in extra and ":" not in target:
            rw = extra[target]
            opts = ref[len(target) :]
            if opts:
                from .._refs import parse_reference

                rw = rw.configure(**parse_reference(ref)[1])
        else:
            rw = resolve_reference(ref)
        terms.append((weight, rw))
    total: RewardLike | None = None
    if formula:
        total = parse_formula(formula, rewards=extra or None)
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

    __slots__ = ("scores", "statuses")

    def __init__(self) -> None:
        self.scores: list[float] = []
        self.statuses: Counter[str] = Counter()

    def add(self, score: float | None, status: str) -> None:
        if score is not None:
            self.scores.append(score)
        self.statuses[status] += 1

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
    from .. import __version__

    return {
        "rewardkit": __version__,
        "input": os.path.abspath(opts.input),
        "input_size": st.st_size,
        "input_mtime_ns": st.st_mtime_ns,
        "rewards": plan.keys,
        "total": plan.total.key,
        "maps": sorted(opts.maps),
        "strict": opts.strict,
        "split": opts.split,
        "format": fmt,
    }


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
    try:
        records = iter(source)
        first = next(records, None)
        if first is not None:
            _check_columns(first.row, maps, plan, source.where(first.line), scorer)
            records = itertools.chain([first], records)
        keys = plan.keys
        total = plan.total
        direct = _direct_key(total)
        linear = _linear_terms(total)
        bias = total.bias if isinstance(total, WeightedSum) else 0.0
        while True:
            batch = list(itertools.islice(records, opts.batch_size))
            if not batch:
                break
            rows = [r.row for r in batch]
            srows = rows if not maps else [_mapped(r, maps) for r in rows]
            results = scorer.score(srows)
            parts: list[bytes] = []
            for row, srow, outs in zip(rows, srows, results, strict=True):
                rd: dict[str, Any] = {}
                for k in keys:
                    o = outs[k]
                    status = o.status.value
                    rd[k] = {"score": o.score, "status": status, "reason": o.reason}
                    accs[k].add(o.score, status)
                if direct is not None:
                    tot = outs[direct]
                    tot_score, tot_status = tot.score, tot.status.value
                elif linear is not None:
                    tot_score, tot_status = _linear_total(linear, bias, outs)
                else:
                    assert isinstance(total, Composite)
                    tot = total.combine(srow, lambda leaf, _o=outs: _o[leaf.key])  # type: ignore[misc]
                    tot_score, tot_status = tot.score, tot.status.value
                row["rewards"] = rd
                row["reward"] = tot_score
                total_acc.add(tot_score, "ok" if tot_score is not None else tot_status)
                parts.append(dumps_row(row))
            chunk = b"".join(parts)
            done += len(rows)
            if writer is not None:
                writer.meta["skipped"] = base_skipped + source.skipped
                writer.write(chunk, len(rows), batch[-1].line)
            else:
                out_stream.write(chunk)
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
    if writer is not None:
        writer.meta["skipped"] = base_skipped + source.skipped
        writer.finish()
    else:
        out_stream.flush()
    stats = getattr(scorer, "stats", {})
    reward_summaries = {k: {**accs[k].summary(), **_latency(stats, k)} for k in plan.keys}
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


_BAD = (Status.ERROR, Status.TIMEOUT)


def _linear_total(
    terms: list[tuple[float, str]], bias: float, outs: Mapping[str, Outcome]
) -> tuple[float | None, str]:
    """``WeightedSum.combine`` for plain-reward terms, without building Outcomes and term dicts.

    Same rules and the same float summation order: a timed-out or errored term
    makes the total that status; not-applicable terms are left out; no term at
    all gives not_applicable. Scoring 100,000 rows spends more time in the
    generic combine than in cheap format rewards, hence this path.
    """
    total, used = bias, 0
    for w, key in terms:
        o = outs[key]
        if o.status in _BAD:
            return None, o.status.value
        if o.score is not None:
            total += w * o.score
            used += 1
    return (total, "ok") if used else (None, "not_applicable")


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
