"""Side-by-side benchmark of rewardkit's built-in rewards against the peers users run today.

One process, one seeded workload, every contender on the same inputs:

* math: ``math_equal`` vs math-verify ``parse`` + ``verify`` vs TRL ``accuracy_reward``
  on 2,000 GSM8K-style and MATH-style completions (~30% wrong): samples/s, p50/p99
  latency and agreement with the workload's labels; then agreement on the peers'
  published cases (tests/unit/test_math_equal.py ``PEER_CASES``) and false passes on
  degenerate completions (``DEGENERATES``).
* format: each pair in :data:`FORMAT_PAIRS` (rewardkit reward vs the bare regex/peer
  it replaces), timed on the same completions. Add a pair by appending to the list.

Run: ``python bench/rewards.py [--n 2000] [--seed 0]``. Never collected by pytest.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _notebook_baseline as _nb  # noqa: E402  (plain-Python Unsloth notebook rewards)

logging.disable(logging.CRITICAL)  # math-verify logs every parse failure


# -- workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    prompt: str
    completion: str
    gold: str
    correct: bool
    style: str


_NAMES = ["Natalia", "Weng", "Betty", "James", "Maria", "Tom", "Julie", "Ken"]
_ITEMS = ["clips", "apples", "pages", "dollars", "marbles", "cookies"]

# MATH-style gold answers with an equivalent rewrite and a wrong variant
_MATH = [
    (r"\frac{3}{4}", r"\dfrac{3}{4}", r"\frac{4}{3}"),
    (r"\frac{3}{4}", "0.75", "0.7"),
    (r"2\sqrt{3}", r"\sqrt{12}", r"3\sqrt{2}"),
    (r"\frac{\pi}{2}", r"\frac{1}{2}\pi", r"\pi"),
    (r"(1, 2)", r"(1,2)", r"(2, 1)"),
    (r"[0, 1)", r"[0,1)", r"(0, 1)"),
    (r"x^2 + 2x + 1", r"(x+1)^2", r"(x-1)^2"),
    (r"\{1, 2\}", r"\{2, 1\}", r"\{1, 3\}"),
    (r"3 + 4i", r"4i + 3", r"3 - 4i"),
    (r"\frac{1 + \sqrt{5}}{2}", r"\frac{1}{2} + \frac{\sqrt{5}}{2}", r"\frac{1 - \sqrt{5}}{2}"),
    (r"90^\circ", "90", "45"),
    (r"10\%", r"10\%", r"20\%"),
    (r"-\frac{7}{2}", "-3.5", "3.5"),
    (
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 4 & 3 \end{pmatrix}",
    ),
    (r"y = 2x + 3", r"y = 3 + 2x", r"y = 2x - 3"),
    (r"5", r"x = 5", "6"),
    (r"\sqrt[3]{2}", r"2^{1/3}", r"\sqrt{2}"),
    (r"12\pi", r"12 \pi", r"6\pi"),
]


def make_workload(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    out: list[Sample] = []
    for i in range(n):
        wrong = rng.random() < 0.3
        if i % 2 == 0:  # GSM8K-style
            a, b = rng.randint(2, 400), rng.randint(2, 60)
            ans = a * b + rng.randint(0, 50)
            name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
            prompt = (
                f"{name} has {b} boxes of {a} {item} plus some extra. How many {item} in total?"
            )
            shown = ans + rng.choice([-10, -1, 1, 2, 7]) if wrong else ans
            text = f"{shown:,}" if rng.random() < 0.2 else str(shown)
            work = f"{name} has {b} * {a} = {a * b} {item}. Adding the extras gives {text}."
            fmt = rng.randrange(4)
            if fmt == 0:
                comp = f"<reasoning>\n{work}\n</reasoning>\n<answer>\n{text}\n</answer>\n"
            elif fmt == 1:
                comp = f"{work}\n#### {text}"
            elif fmt == 2:
                comp = f"<think>\n{work}\n</think>\nThe answer is $\\boxed{{{text}}}$."
            else:
                comp = f"{work} The final answer is {text}."
            out.append(Sample(prompt, comp, str(ans), not wrong, "gsm8k"))
        else:  # MATH-style
            gold, good, bad = rng.choice(_MATH)
            shown = bad if wrong else good
            work = "We simplify step by step, using $a^2 - b^2 = (a-b)(a+b)$ where needed."
            if rng.random() < 0.5:
                comp = f"<think>\n{work}\n</think>\nTherefore the answer is $\\boxed{{{shown}}}$."
            else:
                comp = f"{work}\n\nFinal answer: $\\boxed{{{shown}}}$"
            out.append(Sample("Solve the problem.", comp, gold, not wrong, "math"))
    return out


def load_test_cases() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, str, str | None]]]:
    path = ROOT / "tests" / "unit" / "test_math_equal.py"
    spec = importlib.util.spec_from_file_location("_rk_math_cases", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PEER_CASES, mod.DEGENERATES


# -- contenders ----------------------------------------------------------------------------

Judge = Callable[[str, str, str | None], float | None]


def rk_math_equal() -> Judge:
    from rewardkit.rewards.math import math_equal

    def judge(completion: str, gold: str, prompt: str | None) -> float | None:
        row = {"completion": completion, "answer": gold}
        if prompt is not None:
            row["prompt"] = prompt
        return math_equal.score(row).score

    return judge


def mv_parse_verify() -> Judge | None:
    try:
        from math_verify import parse, verify
    except ImportError:
        return None

    def judge(completion: str, gold: str, prompt: str | None) -> float | None:
        return float(verify(parse(gold), parse(completion)))

    return judge


def trl_accuracy() -> Judge | None:
    try:
        from trl.rewards import accuracy_reward
    except ImportError:
        return None

    def judge(completion: str, gold: str, prompt: str | None) -> float | None:
        return accuracy_reward([[{"role": "assistant", "content": completion}]], [gold])[0]

    return judge


MATH_CONTENDERS: list[tuple[str, Callable[[], Judge | None]]] = [
    ("rewardkit math_equal", rk_math_equal),
    ("math-verify parse+verify", mv_parse_verify),
    ("TRL accuracy_reward", trl_accuracy),
]


# -- format pairs (hooks) ---------------------------------------------------------------------

FormatFn = Callable[[str], float | None]


def _unsloth_strict(c: str) -> float:
    return _nb.strict_points(c)


def _unsloth_soft(c: str) -> float:
    return _nb.soft_points(c)


def _unsloth_count_xml(text: str) -> float:
    return _nb.tag_points(text)


def _rk(name: str, **options: Any) -> FormatFn | None:
    try:
        import rewardkit

        rw = rewardkit.get(name)
    except Exception:
        return None
    if options:
        rw = rw.configure(**options)
    return lambda c: rw.score({"completion": c}).score


def _trl_think() -> FormatFn | None:
    try:
        from trl.rewards import think_format_reward
    except ImportError:
        return None
    return lambda c: think_format_reward([[{"role": "assistant", "content": c}]])[0]


#: (label, rewardkit factory, peer label, peer factory). Append pairs here.
FORMAT_PAIRS: list[
    tuple[str, Callable[[], FormatFn | None], str, Callable[[], FormatFn | None]]
] = [
    ("think_format", lambda: _rk("think_format"), "TRL think_format_reward", _trl_think),
    (
        "xml_format(strict)",
        lambda: _rk("xml_format", mode="strict"),
        "Unsloth strict regex",
        lambda: _unsloth_strict,
    ),
    ("xml_format", lambda: _rk("xml_format"), "Unsloth soft regex", lambda: _unsloth_soft),
    ("xml_count", lambda: _rk("xml_count"), "Unsloth count_xml", lambda: _unsloth_count_xml),
]


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Timing:
    rate: float
    p50_ms: float
    p99_ms: float
    scores: list[float | None]


def time_calls(fn: Callable[[Any], float | None], inputs: Sequence[Any]) -> Timing:
    lat: list[float] = []
    scores: list[float | None] = []
    start = time.perf_counter()
    for x in inputs:
        t = time.perf_counter()
        scores.append(fn(x))
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    lat.sort()
    return Timing(
        len(inputs) / total,
        statistics.median(lat) * 1e3,
        lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        scores,
    )


def _passed(s: float | None) -> bool:
    return s is not None and s >= 0.5


def run_math(n: int, seed: int) -> None:
    work = make_workload(n, seed)
    peer_cases, degenerates = load_test_cases()
    print(f"## math: {n} completions (seed {seed}), {sum(not s.correct for s in work)} wrong")
    print(
        f"{'contender':<28}{'samples/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'workload agree':>16}{'peer cases':>12}{'degenerate pass':>17}"
    )
    base_rate: float | None = None
    for label, factory in MATH_CONTENDERS:
        judge = factory()
        if judge is None:
            print(f"{label:<28} (not installed)")
            continue
        for s in work[:20]:  # warm-up: imports, caches
            judge(s.completion, s.gold, s.prompt)
        t = time_calls(lambda s, j=judge: j(s.completion, s.gold, s.prompt), work)
        agree = sum(_passed(sc) == s.correct for sc, s in zip(t.scores, work, strict=True))
        peer_ok = sum(
            _passed(judge(pred, gold, None)) == bool(exp) for gold, pred, exp in peer_cases
        )
        false_pass = [why for why, c, g, p in degenerates if _passed(judge(c, g, p))]
        if label.startswith("math-verify"):
            base_rate = t.rate
        print(
            f"{label:<28}{t.rate:>10.0f}{t.p50_ms:>9.2f}{t.p99_ms:>9.2f}"
            f"{agree / len(work):>15.1%} {peer_ok:>5}/{len(peer_cases):<5}"
            f"{len(false_pass):>7}/{len(degenerates)}"
        )
        if false_pass:
            print(f"{'':<28}  false passes: {'; '.join(false_pass)}")
        if label.startswith("rewardkit"):
            rk_rate = t.rate
    if base_rate:
        print(f"math_equal / math-verify throughput: {rk_rate / base_rate:.1f}x")


def run_format(n: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    comps: list[str] = []
    for _ in range(n):
        r = rng.random()
        body = "Let me think. " * rng.randint(1, 20)
        if r < 0.4:
            comps.append(
                f"<reasoning>\n{body}\n</reasoning>\n<answer>\n{rng.randint(1, 999)}\n</answer>\n"
            )
        elif r < 0.7:
            comps.append(f"<think>\n{body}\n</think>\nThe answer is {rng.randint(1, 999)}.")
        elif r < 0.85:
            comps.append(
                f"<reasoning>{body}</reasoning> <answer>{rng.randint(1, 9)}</answer> extra"
            )
        else:
            comps.append(body)
    print(f"\n## format: {n} completions")
    print(
        f"{'reward':<22}{'samples/s':>11}{'p50 us':>8}{'p99 us':>8}   "
        f"{'peer':<24}{'samples/s':>11}{'p50 us':>8}{'p99 us':>8}{'ratio':>7}"
    )
    for label, rk_factory, peer_label, peer_factory in FORMAT_PAIRS:
        rk_fn, peer_fn = rk_factory(), peer_factory()
        if rk_fn is None or peer_fn is None:
            print(f"{label:<22} (unavailable: {'rewardkit' if rk_fn is None else peer_label})")
            continue
        a, b = time_calls(rk_fn, comps), time_calls(peer_fn, comps)
        print(
            f"{label:<22}{a.rate:>11.0f}{a.p50_ms * 1e3:>8.1f}{a.p99_ms * 1e3:>8.1f}   "
            f"{peer_label:<24}{b.rate:>11.0f}{b.p50_ms * 1e3:>8.1f}{b.p99_ms * 1e3:>8.1f}"
            f"{b.rate / a.rate:>6.1f}x"
        )


def run_numbers(seed: int, batches: int = 200) -> None:
    """A GRPO step's worth (48 completions) of ``number_match`` / ``int_answer`` through
    ``score_batch``, against the seed notebooks' regex functions on the same batch."""
    from rewardkit.rewards.math import int_answer, number_match

    rng = random.Random(seed + 2)
    texts, golds = [], []
    for _ in range(48):
        a, b = rng.randint(1, 500), rng.randint(1, 500)
        texts.append(
            f"<reasoning>\nShe has {a} apples and buys {b} more: {a} + {b} = {a + b}.\n"
            f"</reasoning>\n<answer>\n{a + b if rng.random() < 0.7 else a}\n</answer>\n"
        )
        golds.append(str(a + b))
    comps = [[{"role": "assistant", "content": t}] for t in texts]
    rows = [{"completion": c, "answer": g} for c, g in zip(comps, golds, strict=True)]
    bare = [{"completion": c} for c in comps]

    def per_batch(fn: Callable[[], Any]) -> float:
        fn()  # warm-up
        lat = []
        for _ in range(batches):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        return statistics.median(lat) * 1e3

    pairs = [
        (
            "number_match",
            lambda: number_match.score_batch(rows),
            "notebook correctness",
            lambda: _nb.nb_correctness(comps, golds),
        ),
        (
            "int_answer",
            lambda: int_answer.score_batch(bare),
            "notebook int_reward",
            lambda: _nb.nb_int_answer(comps),
        ),
    ]
    print("\n## numbers: one 48-completion GSM8K batch, median of", batches, "batches")
    print(f"{'reward':<16}{'ms/batch':>10}   {'peer':<22}{'ms/batch':>10}{'ratio':>8}")
    for label, fn, peer_label, peer in pairs:
        a, b = per_batch(fn), per_batch(peer)
        print(f"{label:<16}{a:>10.3f}   {peer_label:<22}{b:>10.3f}{a / b:>7.0f}x")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["math", "format", "numbers"], default=None)
    args = ap.parse_args(argv)
    import platform

    print(f"python {platform.python_version()}, {platform.machine()}, one process")
    if args.only in (None, "math"):
        run_math(args.n, args.seed)
    if args.only in (None, "format"):
        run_format(args.n, args.seed)
    if args.only in (None, "numbers"):
        run_numbers(args.seed)


if __name__ == "__main__":
    main()
