"""Generate the bundled sample files in ``rewardkit/data/`` (deterministic, no downloads).

The samples let ``rewardkit score rewardkit/data/gsm8k_sample.jsonl -r number_match
-r xml_format`` run on a fresh install and show every status a reward can return:
right and wrong answers, equivalent forms, malformed layouts and reward hacks
(shotgun lists, several boxes, empty answers).

Usage:
    python bench/make_samples.py            # rewrite rewardkit/data/*.jsonl
    python bench/make_samples.py --check    # exit 1 if the files are out of date
    python bench/make_samples.py --rows 100000 --out big.jsonl   # a large GSM8K-style file
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import orjson

DATA = Path(__file__).resolve().parent.parent / "rewardkit" / "data"
NAMES = ("Ava", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lea")

Problem = tuple[str, list[str], int]  # question, reasoning steps, answer


def _gsm8k_problem(rng: random.Random) -> tuple[str, Problem]:
    name = rng.choice(NAMES)
    kind = rng.randrange(8)
    if kind == 0:
        a, b = rng.randint(10, 90), rng.randint(5, 40)
        c = rng.randint(1, a)
        ans = a + b - c
        q = (
            f"{name} has {a} apples. {name} buys {b} more and gives {c} to a friend. "
            "How many apples does " + name + " have now?"
        )
        steps = [
            f"{name} starts with {a} apples.",
            f"{a} + {b} = {a + b}.",
            f"{a + b} - {c} = {ans}.",
        ]
        return "gsm8k/arithmetic", (q, steps, ans)
    if kind == 1:
        p, n = rng.randint(2, 15), rng.randint(3, 40)
        ans = p * n
        q = f"A store sells notebooks for ${p} each. {name} buys {n} notebooks. How much does {name} spend in dollars?"
        return "gsm8k/arithmetic", (q, [f"{n} notebooks cost {n} * {p} = {ans} dollars."], ans)
    if kind == 2:
        p, d = rng.randint(5, 60), rng.randint(2, 30)
        ans = p * d
        q = f"{name} reads {p} pages a day for {d} days. How many pages does {name} read in total?"
        return "gsm8k/arithmetic", (q, [f"{p} pages * {d} days = {ans} pages."], ans)
    if kind == 3:
        s, h = rng.randint(40, 120), rng.randint(2, 9)
        ans = s * h
        q = f"A train travels at {s} km per hour for {h} hours. How many kilometres does it travel?"
        return "gsm8k/rates", (q, [f"Distance = speed * time = {s} * {h} = {ans} km."], ans)
    if kind == 4:
        m = rng.randint(2, 50) * 20
        f = rng.choice((10, 20, 25, 50))
        ans = m * (100 - f) // 100
        q = f"{name} has ${m} and spends {f}% of it on a book. How many dollars are left?"
        steps = [f"{f}% of {m} is {m * f // 100}.", f"{m} - {m * f // 100} = {ans}."]
        return "gsm8k/percent", (q, steps, ans)
    if kind == 5:
        r, c = rng.randint(3, 25), rng.randint(4, 30)
        t = rng.randint(0, r * c)
        ans = r * c - t
        q = f"A hall has {r} rows of {c} chairs and {t} chairs are taken. How many chairs are free?"
        steps = [f"There are {r} * {c} = {r * c} chairs.", f"{r * c} - {t} = {ans} are free."]
        return "gsm8k/multi_step", (q, steps, ans)
    if kind == 6:
        k, boxes = rng.randint(4, 24), rng.randint(2, 40)
        b = k * boxes
        q = f"{name} bakes {b} cookies and packs them in boxes of {k}. How many boxes does {name} fill?"
        return "gsm8k/arithmetic", (q, [f"{b} / {k} = {boxes} boxes."], boxes)
    w, h, n = rng.randint(8, 40), rng.randint(5, 40), rng.randint(2, 12)
    ans = w * h * n
    q = f"{name} earns ${w} an hour and works {h} hours a week. How much does {name} earn in {n} weeks?"
    steps = [f"Per week: {w} * {h} = {w * h}.", f"Over {n} weeks: {w * h} * {n} = {ans}."]
    return "gsm8k/multi_step", (q, steps, ans)


def _gsm8k_completion(rng: random.Random, steps: list[str], ans: int) -> tuple[str, str]:
    reasoning = "\n".join(steps)
    wrong = ans + rng.choice((-10, -3, -2, -1, 1, 2, 5, 12))
    roll = rng.random()
    if roll < 0.40:
        return "correct", f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n{ans}\n</answer>\n"
    if roll < 0.50:
        return "correct_lenient", f"Sure! <reasoning>{reasoning}</reasoning> <answer>{ans}</answer>"
    if roll < 0.70:
        return "wrong", f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n{wrong}\n</answer>\n"
    if roll < 0.76:
        return "no_tags", f"{reasoning} So the answer is {ans}."
    if roll < 0.80:
        return "gsm8k_hash", f"{reasoning}\n#### {ans}"
    if roll < 0.85:
        return "unclosed", f"<reasoning>\n{reasoning}\n<answer>\n{ans}"
    if roll < 0.89:
        guesses = sorted({ans, wrong, ans + 7, max(0, ans - 4)})
        return (
            "shotgun",
            f"<reasoning>\nNot sure.\n</reasoning>\n<answer>\n{', '.join(map(str, guesses))}\n</answer>\n",
        )
    if roll < 0.93:
        return "empty_answer", f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n\n</answer>\n"
    return (
        "formatted_number",
        f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n${ans:,}\n</answer>\n",
    )


def gsm8k_rows(n: int, seed: int = 8) -> list[dict[str, object]]:
    """GSM8K-style rows: prompt, completion (<reasoning>/<answer>), answer, data_source."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        source, (q, steps, ans) = _gsm8k_problem(rng)
        kind, completion = _gsm8k_completion(rng, steps, ans)
        rows.append(
            {
                "id": f"gsm8k-{i:06d}",
                "prompt": q,
                "completion": completion,
                "answer": str(ans),
                "data_source": source,
                "kind": kind,
            }
        )
    return rows


def _frac(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    sign = "-" if f < 0 else ""
    return f"{sign}\\frac{{{abs(f.numerator)}}}{{{f.denominator}}}"


def _math_problem(rng: random.Random) -> tuple[str, str, str, list[str], list[str]]:
    """(source, question, gold LaTeX, equivalent forms, wrong answers)."""
    kind = rng.randrange(5)
    if kind == 0:
        a, b, c = rng.randint(2, 9), rng.randint(-20, 20), rng.randint(-20, 40)
        x = Fraction(c - b, a)
        q = f"Solve for $x$: ${a}x {'+' if b >= 0 else '-'} {abs(b)} = {c}$."
        eq = [f"{x.numerator}/{x.denominator}" if x.denominator != 1 else f"{x.numerator}.0"]
        if x.denominator != 1:
            eq.append(f"\\dfrac{{{x.numerator}}}{{{x.denominator}}}")
        return "math/algebra", q, _frac(x), eq, [_frac(x + 1), _frac(-x if x else x + 2)]
    if kind == 1:
        r = rng.randint(2, 12)
        q = f"A circle has radius ${r}$. What is its area? Express your answer in terms of $\\pi$."
        return (
            "math/geometry",
            q,
            f"{r * r}\\pi",
            [f"{r * r} \\cdot \\pi", f"\\pi \\cdot {r * r}"],
            [f"{2 * r}\\pi", f"{r * r}"],
        )
    if kind == 2:
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        s = a * a + b * b
        k = math.isqrt(s)
        q = f"A right triangle has legs ${a}$ and ${b}$. How long is its hypotenuse?"
        if k * k == s:
            return "math/geometry", q, str(k), [f"{k}.0"], [str(k + 1), f"\\sqrt{{{s + 1}}}"]
        return (
            "math/geometry",
            q,
            f"\\sqrt{{{s}}}",
            [f"{s}^{{1/2}}"],
            [str(k), f"\\sqrt{{{s + 2}}}"],
        )
    if kind == 3:
        n, m = rng.randint(100, 9999), rng.randint(3, 17)
        q = f"What is the remainder when ${n}$ is divided by ${m}$?"
        ans = n % m
        return "math/number_theory", q, str(ans), [f"{ans}.0"], [str((ans + 1) % m), str(n // m)]
    p, d = rng.randint(1, 7), rng.choice((2, 4, 5, 8))
    f = Fraction(p, d)
    q = f"Write ${p}/{d}$ as a fraction in lowest terms."
    dec = f"{float(f):g}"
    return "math/prealgebra", q, _frac(f), [dec], [_frac(f + Fraction(1, d)), f"{p}{d}"]


def math_rows(n: int, seed: int = 17) -> list[dict[str, object]]:
    """MATH-style rows whose completions end in ``\\boxed{}`` LaTeX (plus malformed ones)."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        source, q, gold, equivalents, wrongs = _math_problem(rng)
        roll = rng.random()
        work = "We set up the problem and simplify carefully."
        if roll < 0.45:
            kind, text = "correct", f"{work}\nThe answer is $\\boxed{{{gold}}}$."
        elif roll < 0.57:
            kind, text = (
                "equivalent",
                f"{work}\nThe answer is $\\boxed{{{rng.choice(equivalents)}}}$.",
            )
        elif roll < 0.75:
            kind, text = "wrong", f"{work}\nThe answer is $\\boxed{{{rng.choice(wrongs)}}}$."
        elif roll < 0.82:
            kind, text = "no_box", f"{work} The answer is ${gold}$."
        elif roll < 0.87:
            boxes = " or ".join(f"$\\boxed{{{a}}}$" for a in (wrongs[0], gold, wrongs[1]))
            kind, text = "multi_boxed", f"{work}\nIt is {boxes}."
        elif roll < 0.91:
            kind, text = "unbalanced", f"{work}\nThe answer is $\\boxed{{{gold}$."
        elif roll < 0.95:
            kind, text = "empty_box", f"{work}\nThe answer is $\\boxed{{}}$."
        else:
            kind, text = "think", f"<think>\n{work}\n</think>\nThe answer is $\\boxed{{{gold}}}$."
        rows.append(
            {
                "id": f"math-{i:06d}",
                "prompt": q,
                "completion": text,
                "answer": gold,
                "data_source": source,
                "kind": kind,
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> bytes:
    data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    path.write_bytes(data)
    return data


SAMPLES: dict[str, Callable[[], list[dict[str, object]]]] = {
    "gsm8k_sample.jsonl": lambda: gsm8k_rows(200),
    "math_sample.jsonl": lambda: math_rows(200),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the bundled files differ")
    ap.add_argument("--rows", type=int, help="write a large GSM8K-style file instead")
    ap.add_argument("--out", type=Path, help="with --rows: the output path")
    args = ap.parse_args(argv)
    if args.rows:
        out = args.out or Path(f"gsm8k_{args.rows}.jsonl")
        write_jsonl(out, gsm8k_rows(args.rows, seed=99))
        print(f"wrote {out} ({args.rows} rows)")
        return 0
    DATA.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, make in SAMPLES.items():
        rows = make()
        data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
        path = DATA / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.write_bytes(data)
        print(f"wrote {path} ({len(rows)} rows)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python bench/make_samples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
