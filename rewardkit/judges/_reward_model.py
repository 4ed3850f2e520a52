"""A reward model behind HTTP as a reward, mixable with function rewards in formulas.

Two protocols: OpenRLHF's ``serve_rm`` (``POST /get_reward`` with ``{"query": [text,
...]}`` → ``{"rewards": [...]}``) and vLLM's pooling ``/classify`` (``{"model", "input"}``
→ ``{"data": [{"probs": [...]}]}``, the probability of class ``label``). The whole batch
goes in one request; a failed request after retries is a typed error for its rows.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..contract._completion import Completion
from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward

__all__ = ["RewardModelFn", "reward_model"]


class RewardModelFn:
    def __init__(
        self,
        url: str,
        protocol: Literal["openrlhf", "classify"],
        model: str | None,
        label: int,
        timeout: float,
        max_retries: int,
    ) -> None:
        self.url, self.protocol, self.model, self.label = url.rstrip("/"), protocol, model, label
        self.timeout, self.max_retries = timeout, max_retries
        self.__name__ = "reward_model"

    async def __call__(self, row: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        import httpx

        rows = list(row)
        texts = []
        for r in rows:
            prompt = r.get("prompt")
            prompt_text = prompt if isinstance(prompt, str) else ""
            texts.append(
                prompt_text + Completion.from_raw(r["completion"], prompt=prompt).full_text
            )
        body: dict[str, Any]
        if self.protocol == "openrlhf":
            url, body = self.url + "/get_reward", {"query": texts}
        else:
            url, body = self.url + "/classify", {"model": self.model, "input": texts}
        last = ""
        status = Status.ERROR
        async with httpx.AsyncClient() as client:
            for attempt in range(self.max_retries + 1):
                try:
                    resp = await client.post(url, json=body, timeout=self.timeout)
                except httpx.TimeoutException:
                    last, status = f"no reply within {self.timeout:g} s", Status.TIMEOUT
                except httpx.HTTPError as exc:
                    last, status = f"cannot reach {url}: {exc}", Status.ERROR
                else:
                    if resp.status_code == 200:
                        return self._read(resp, len(rows))
                    last, status = f"HTTP {resp.status_code}: {resp.text[:200]}", Status.ERROR
                    if resp.status_code < 500 and resp.status_code != 429:
                        break
                if attempt < self.max_retries:
                    await asyncio.sleep(min(10.0, 0.5 * 2**attempt) * (1 + random.random() / 2))
        return [Outcome(None, status, f"reward model call failed: {last}")] * len(rows)

    def _read(self, resp: Any, n: int) -> list[Outcome]:
        try:
            data = resp.json()
            if self.protocol == "openrlhf":
                values = [float(v) for v in data["rewards"]]
            else:
                values = [float(item["probs"][self.label]) for item in data["data"]]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            bad = Outcome(None, Status.ERROR, f"malformed reward-model reply ({exc!r})")
            return [bad] * n
        if len(values) != n:
            bad = Outcome(None, Status.ERROR, f"reward model returned {len(values)} for {n} rows")
            return [bad] * n
        return [
            Outcome(v) if math.isfinite(v) else Outcome(None, Status.ERROR, f"non-finite {v}")
            for v in values
        ]


def reward_model(
    url: str,
    *,
    protocol: Literal["openrlhf", "classify"] = "openrlhf",
    model: str | None = None,
    label: int = 1,
    name: str = "reward_model",
    range: tuple[float | None, float | None] = (None, None),
    timeout: float = 60.0,
    max_retries: int = 3,
) -> Reward:
    """A reward model served over HTTP (OpenRLHF ``serve_rm`` or vLLM ``/classify``)."""
    if protocol not in ("openrlhf", "classify"):
        raise ValueError(f"protocol must be 'openrlhf' or 'classify', got {protocol!r}")
    fn = RewardModelFn(url, protocol, model, label, timeout, max_retries)
    return Reward(fn, name=name, range=range, batched=True, cheap=True)
