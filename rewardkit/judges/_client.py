"""A small async client for OpenAI-compatible chat endpoints, with every bound a judge needs.

Judge calls go to a server the user runs (vLLM, SGLang, a hosted API). What goes wrong
there is a *failure of the judge*, never a verdict on the completion: a 429 or 5xx is
retried with exponential backoff and jitter (honouring ``Retry-After``), a connection
error or a per-call timeout likewise, and what still fails is raised as
:class:`JudgeCallError` with ``status`` ``"error"`` or ``"timeout"`` so the reward can
return a typed :class:`~rewardkit.Outcome` instead of a fake 0.

Concurrency is bounded per batch (a semaphore) and requests/tokens per minute per
process (:class:`RateLimiter`). ``httpx`` is imported when the first call is made, so
``import rewardkit`` stays light; it ships in the ``[judge]`` extra.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ChatReply", "Endpoint", "JudgeCallError", "RateLimiter", "chat"]

#: HTTP statuses worth retrying: rate limits and transient server errors.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class JudgeCallError(Exception):
    """A judge call that failed after its retries; ``status`` is ``"error"`` or ``"timeout"``."""

    def __init__(self, message: str, status: Literal["error", "timeout"] = "error") -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Endpoint:
    """Where and how to call the judge (OpenAI conventions for the defaults).

    ``base_url`` defaults to ``$OPENAI_BASE_URL`` and ``api_key`` to ``$OPENAI_API_KEY``,
    read when a call is made (in the process that makes it).
    """

    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    max_retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 20.0

    def url(self) -> str:
        base = self.base_url or os.environ.get("OPENAI_BASE_URL") or ""
        if not base:
            raise JudgeCallError(
                "no judge endpoint: pass base_url=... or set OPENAI_BASE_URL "
                "(e.g. http://127.0.0.1:8000/v1 for a local vLLM server)"
            )
        return base.rstrip("/") + "/chat/completions"

    def headers(self) -> dict[str, str]:
        key = self.api_key or os.environ.get("OPENAI_API_KEY")
        return {"Authorization": f"Bearer {key}"} if key else {}


@dataclass
class ChatReply:
    """The judge's text and the tokens it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    cached: bool = False  # read from the judge cache: no request was made


@dataclass
class RateLimiter:
    """Requests-per-minute and tokens-per-minute budgets shared by a process's calls.

    A token bucket per budget, refilled continuously; a call waits (``asyncio.sleep``)
    until both buckets allow it. Tokens are charged after the reply, by its ``usage``.
    """

    rpm: float | None = None
    tpm: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _req: float = field(default=-1.0, repr=False)
    _tok: float = field(default=-1.0, repr=False)
    _t: float = field(default_factory=time.monotonic, repr=False)

    def _refill(self) -> None:
        now = time.monotonic()
        dt, self._t = now - self._t, now
        if self.rpm:
            self._req = self.rpm if self._req < 0 else min(self.rpm, self._req + dt * self.rpm / 60)
        if self.tpm:
            self._tok = self.tpm if self._tok < 0 else min(self.tpm, self._tok + dt * self.tpm / 60)

    async def acquire(self) -> None:
        while True:
            with self._lock:
                self._refill()
                wait = 0.0
                if self.rpm and self._req < 1:
                    wait = (1 - self._req) * 60 / self.rpm
                if self.tpm and self._tok <= 0:
                    wait = max(wait, (1 - self._tok) * 60 / self.tpm)
                if wait == 0.0:
                    if self.rpm:
                        self._req -= 1
                    return
            await asyncio.sleep(min(wait, 5.0))

    def charge(self, tokens: int) -> None:
        if self.tpm and tokens:
            with self._lock:
                self._refill()
                self._tok -= tokens

    def __getstate__(self) -> dict[str, Any]:  # a fresh budget in each process
        return {"rpm": self.rpm, "tpm": self.tpm}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__init__(state["rpm"], state["tpm"])  # type: ignore[misc]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


async def chat(
    client: Any,
    endpoint: Endpoint,
    messages: Sequence[Mapping[str, str]],
    *,
    limiter: RateLimiter | None = None,
    json_mode: bool = True,
    max_tokens: int | None = 512,
    temperature: float = 0.0,
) -> ChatReply:
    """One chat completion with retries; raises :class:`JudgeCallError` when it cannot.

    ``client`` is an ``httpx.AsyncClient``. With ``json_mode`` the request asks for a
    JSON object (``response_format``); a server that rejects that option (HTTP 400
    naming it) is asked again without it.
    """
    import httpx

    url = endpoint.url()
    body: dict[str, Any] = {
        "model": endpoint.model,
        "messages": list(messages),
        "temperature": temperature,
    }
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    attempt = 0
    last = ""
    status: Literal["error", "timeout"] = "error"
    while True:
        if limiter is not None:
            await limiter.acquire()
        wait: float | None = None
        try:
            resp = await client.post(
                url, json=body, headers=endpoint.headers(), timeout=endpoint.timeout
            )
        except httpx.TimeoutException:
            last, status = f"no reply within {endpoint.timeout:g} s", "timeout"
        except httpx.HTTPError as exc:
            last, status = f"cannot reach {url}: {type(exc).__name__}: {exc}", "error"
        else:
            if resp.status_code == 200:
                return _reply(resp, attempt, limiter)
            text = resp.text[:200]
            if resp.status_code == 400 and "response_format" in body and "response_format" in text:
                body.pop("response_format")  # a server without JSON mode: plain text it is
                continue
            last, status = f"HTTP {resp.status_code} from {url}: {text}", "error"
            if resp.status_code not in RETRY_STATUSES:
                raise JudgeCallError(last, status)
            wait = _retry_after(resp.headers)
        if attempt >= endpoint.max_retries:
            raise JudgeCallError(f"{last} (after {attempt} retries)", status)
        delay = min(endpoint.max_backoff, endpoint.backoff * 2**attempt)
        delay = delay * (1 + random.random() / 2)  # jitter: calls retried together spread out
        if wait is not None:
            delay = min(endpoint.max_backoff, max(delay, wait))
        attempt += 1
        await asyncio.sleep(delay)


def _reply(resp: Any, retries: int, limiter: RateLimiter | None) -> ChatReply:
    try:
        data = resp.json()
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise JudgeCallError(
            f"malformed reply from the judge server ({type(exc).__name__}): {resp.text[:200]!r}"
        ) from None
    if not isinstance(text, str):
        raise JudgeCallError(f"the judge's message content is {type(text).__name__}, not text")
    usage = data.get("usage") or {}
    pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    if limiter is not None:
        limiter.charge(pt + ct)
    return ChatReply(text, pt, ct, retries)


def dumps(obj: Any) -> str:
    """Stable JSON for cache keys."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
