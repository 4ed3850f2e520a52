"""verifiers' judge client on the bench workload; run by bench/judge.py in verifiers' own venv.

Prints one JSON line: seconds for ``--calls`` judge calls at ``--concurrency`` (an
asyncio semaphore around ``Judge.evaluate``, since verifiers leaves concurrency to
the caller) and how many verdicts parsed. verifiers pins its own openai/pydantic, so
it is installed apart from rewardkit:

    python3 -m venv /tmp/vfenv && /tmp/vfenv/bin/pip install verifiers
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any


async def run(base_url: str, calls: int, concurrency: int) -> dict[str, Any]:
    import verifiers.v1 as vf
    from verifiers.v1.configs.judge import JudgeConfig

    class ScoreJudge(vf.Judge[float]):
        prompt = "Q: {question}\nA: {response}"

        def parse(self, response: Any) -> float:
            return (float(json.loads(response.text)["score"]) - 1) / 9

    os.environ.setdefault("OPENAI_API_KEY", "bench")
    config = JudgeConfig(base_url=base_url, model="m", api_key_var="OPENAI_API_KEY")
    sem = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    async def one(i: int) -> float | None:
        async with sem:
            try:
                got = await ScoreJudge(config).evaluate(
                    question=f"q{i}", answer="", response=f"answer {i} SCORE={1 + i % 10}"
                )
            except Exception as exc:  # counted as not ok; the first few are shown
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                return None
            return got.parsed

    t = time.perf_counter()
    scores = await asyncio.gather(*(one(i) for i in range(calls)))
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "ok": sum(s is not None for s in scores), "errors": errors[:3]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args.base_url, args.calls, args.concurrency))))


if __name__ == "__main__":
    main()
