"""Per-step reward overhead of the TRL adapter vs the Unsloth GSM8K notebook's plain functions.

Same batches, side by side, called exactly as ``GRPOTrainer._calculate_rewards``
calls reward functions (keyword-only, conversational completions, every dataset
column plus ``trainer_state``/``log_extra``/``log_metric``). Three setups:

* ``plain``: the notebook's five functions (xmlcount, soft format, strict format,
  int, correctness) as plain Python (``bench/_notebook_baseline.py`` restates their
  rules from ``unslothai/notebooks`` ``Llama3.1_(8B)-GRPO``);
* ``adapter(same fns)``: the *same five functions* wrapped as batched rewardkit
  rewards and run through ``to_trl`` + the engine: the adapter's own overhead;
* ``adapter(builtins)``: rewardkit's equivalents (``0.5*xml_count``,
  ``0.5*xml_format``, ``0.5*xml_format(mode=strict)``, ``0.5*int_answer``,
  ``2*number_match``): richer parsing, with typed outcomes.

Sync adapters are timed as TRL times sync functions; async adapters the way
TRL runs them (``asyncio.gather`` on a daemon-thread event loop through
``run_coroutine_threadsafe``). Every step gets a fresh batch (real completions
never repeat, so the engine's cache gets no hits).

Run: ``flock /tmp/rewardkit-bench.lock python bench/adapters.py [--steps 200] [--batch 48]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import threading
import time
from typing import Any

from _notebook_baseline import (  # noqa: E402  (bench/ is the script directory)
    PLAIN,
    nb_correctness,
    nb_int_answer,
    nb_soft_format,
    nb_strict_format,
    nb_tag_count,
)

from rewardkit import Completion, reward
from rewardkit.trainers.trl import AsyncTRLReward, to_trl

# -- the same functions as batched rewardkit rewards ------------------------------------------


def _raw(completions: list[Completion]) -> list[Any]:
    return [getattr(c, "raw", c) for c in completions]


@reward(batched=True, cheap=True)
def nb_xmlcount(completions: list[Completion]) -> list[float]:
    return nb_tag_count(_raw(completions))  # type: ignore[no-any-return]


@reward(batched=True, cheap=True)
def nb_soft(completions: list[Completion]) -> list[float]:
    return nb_soft_format(_raw(completions))  # type: ignore[no-any-return]


@reward(batched=True, cheap=True)
def nb_strict(completions: list[Completion]) -> list[float]:
    return nb_strict_format(_raw(completions))  # type: ignore[no-any-return]


@reward(batched=True, cheap=True)
def nb_int(completions: list[Completion]) -> list[float]:
    return nb_int_answer(_raw(completions))  # type: ignore[no-any-return]


@reward(batched=True, cheap=True)
def nb_correct(prompts: list[Any], completions: list[Completion], answer: list[Any]) -> list[float]:
    return nb_correctness(_raw(completions), answer)  # type: ignore[no-any-return]


SAME = [nb_xmlcount, nb_soft, nb_strict, nb_int, nb_correct]
BUILTINS = [
    "0.5*xml_count",
    "0.5*xml_format",
    "0.5*xml_format(mode=strict)",
    "0.5*int_answer",
    "2*number_match",
]

# -- batches --------------------------------------------------------------------------------

SYSTEM = (
    "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>"
)
WORDS = "first we add the numbers then multiply by two so the total is and we get".split()


def _completion(rng: random.Random, gold: int) -> str:
    steps = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
    value = gold if rng.random() < 0.4 else gold + rng.randint(1, 9)
    kind = rng.random()
    if kind < 0.4:
        return f"<reasoning>\n{steps}\n</reasoning>\n<answer>\n{value}\n</answer>\n"
    if kind < 0.7:
        return f"<reasoning>{steps}</reasoning> <answer>{value}</answer>"
    if kind < 0.9:
        return f"{steps}. The answer is {value}."
    return steps


def make_batch(rng: random.Random, batch: int, generations: int) -> dict[str, Any]:
    prompts: list[Any] = []
    completions: list[Any] = []
    answers: list[str] = []
    ids: list[list[int]] = []
    for _ in range(batch // generations):
        gold = rng.randint(1, 500)
        q = f"Tom has {gold - 3} apples and buys 3 more. How many? ({rng.random():.6f})"
        prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]
        for _ in range(generations):
            text = _completion(rng, gold)
            prompts.append(prompt)
            completions.append([{"role": "assistant", "content": text}])
            answers.append(str(gold))
            ids.append(list(range(len(text) // 4)))
    return {
        "prompts": prompts,
        "completions": completions,
        "completion_ids": ids,
        "answer": answers,
    }


class _State:
    global_step = 1
    max_steps = 100
    epoch = 0.0


def _sinks() -> dict[str, Any]:
    metrics: dict[str, list[float]] = {}
    extra: dict[str, list[Any]] = {}

    def log_metric(name: str, value: float) -> None:
        metrics.setdefault(name, []).append(value)

    def log_extra(column: str, values: list[Any]) -> None:
        extra.setdefault(column, []).extend(values)

    return {"trainer_state": _State(), "log_metric": log_metric, "log_extra": log_extra}


class _Loop:
    """TRL's async reward path: a daemon thread running an event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def gather(self, funcs: list[Any], kwargs: dict[str, Any]) -> list[Any]:
        async def run() -> list[Any]:
            return list(await asyncio.gather(*(f(**kwargs) for f in funcs)))

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def _step(funcs: list[Any], kwargs: dict[str, Any], loop: _Loop | None) -> float:
    t0 = time.perf_counter()
    if loop is not None and funcs and isinstance(funcs[0], AsyncTRLReward):
        loop.gather(funcs, kwargs)
    else:
        for f in funcs:
            out = f(**kwargs)
            assert len(out) == len(kwargs["completions"])
    return time.perf_counter() - t0


def run(steps: int, batch: int, generations: int, seed: int) -> list[tuple[str, list[float]]]:
    rng = random.Random(seed)
    batches = [make_batch(rng, batch, generations) for _ in range(steps + 20)]
    loop = _Loop()
    setups: list[tuple[str, list[Any]]] = [
        ("plain notebook fns", list(PLAIN)),
        ("adapter(same fns) sync", to_trl(SAME, asynchronous=False, lint=False)),
        ("adapter(same fns) async", to_trl(SAME, asynchronous=True, lint=False)),
        ("adapter(builtins) sync", to_trl(BUILTINS, asynchronous=False, lint=False)),
        ("adapter(builtins) async", to_trl(BUILTINS, asynchronous=True, lint=False)),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in setups}
    try:
        for i, b in enumerate(batches):
            order = setups[i % len(setups) :] + setups[: i % len(setups)]  # rotate: no order bias
            for name, funcs in order:
                kwargs = {**b, **_sinks()}
                if name.startswith("adapter"):
                    kwargs["completions"] = list(b["completions"])  # a fresh list, like TRL's
                dt = _step(funcs, kwargs, loop)
                if i >= 20:  # warm-up
                    times[name].append(dt)
    finally:
        loop.close()
        for _, funcs in setups:
            close = getattr(funcs[0], "close", None)
            if callable(close):
                close()
    return [(name, times[name]) for name, _ in setups]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=48, help="completions per step")
    ap.add_argument("--generations", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    results = run(args.steps, args.batch, args.generations, args.seed)
    base = statistics.median(results[0][1])
    print(
        f"reward time per GRPO step: {args.batch} conversational completions "
        f"({args.batch // args.generations} prompts x {args.generations}), 5 rewards, "
        f"{args.steps} steps (fresh batch each), median / p90"
    )
    print(f"{'setup':28} {'median us':>10} {'p90 us':>10} {'vs plain':>10} {'added us':>10}")
    for name, ts in results:
        med = statistics.median(ts)
        p90 = statistics.quantiles(ts, n=10)[-1]
        print(
            f"{name:28} {med * 1e6:10.0f} {p90 * 1e6:10.0f} {med / base:9.2f}x "
            f"{(med - base) * 1e6:10.0f}"
        )


if __name__ == "__main__":
    main()
