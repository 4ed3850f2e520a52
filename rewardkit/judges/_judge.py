"""LLM-as-judge rewards: a rubric, a prompt template and an endpoint, as a typed Reward.

:func:`judge` builds one. Each row's fields fill the template (``{prompt}``,
``{completion}``, ``{answer}``, any column); the judge's reply is read by the rubric.
The outcome is always typed: a score in [0, 1] (``ok``), ``unparseable`` when the reply
cannot be read, ``error``/``timeout`` when the endpoint fails after its retries — never
a 0 that would poison group-relative advantages.

Judges run in the calling process (``cheap=True``): their work is bounded by the
client's own per-call timeout and retry budget rather than by a worker's kill, and a
whole batch — every completion of a GRPO group — reaches one call, so requests run
concurrently and ``group=True`` can judge a group in one request. Results are cached
by (model, template, rubric, rendered inputs), in memory and optionally on disk, so
scoring the same rows again costs no request.
"""

from __future__ import annotations

import asyncio
import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..contract._completion import Completion
from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._cache import JudgeCache
from ._client import ChatReply, Endpoint, JudgeCallError, RateLimiter, chat, dumps
from ._rubric import Rubric, parse_reply

__all__ = ["DEFAULT_TEMPLATE", "JudgeFn", "JudgeStats", "judge"]

DEFAULT_TEMPLATE = (
    "You are a strict grader. Judge the answer to the question below.\n\n"
    "[Question]\n{prompt}\n\n[Answer]\n{completion}\n"
)
_REFERENCE = "\n[Reference answer]\n{answer}\n"
#: Longest completion text sent to the judge; longer ones are cut with a marker.
MAX_COMPLETION_CHARS = 20_000


@dataclass
class JudgeStats:
    """Counters of one process's judge calls (requests, cache hits, failures, tokens)."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    unparseable: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def cost(self, usd_per_m_prompt: float = 0.0, usd_per_m_completion: float = 0.0) -> float:
        """Spend in dollars at the given prices per million tokens."""
        return (
            self.prompt_tokens * usd_per_m_prompt + self.completion_tokens * usd_per_m_completion
        ) / 1e6


class JudgeFn:
    """The batched async function behind a judge reward (a class, so it pickles)."""

    def __init__(
        self,
        endpoint: Endpoint,
        rubric: Rubric,
        template: str,
        *,
        system: str | None,
        group: bool,
        group_by: str,
        concurrency: int,
        limiter: RateLimiter,
        cache: JudgeCache,
        json_mode: bool,
        max_tokens: int | None,
    ) -> None:
        self.endpoint, self.rubric, self.template = endpoint, rubric, template
        self.system, self.group, self.group_by = system, group, group_by
        self.concurrency, self.limiter, self.cache = concurrency, limiter, cache
        self.json_mode, self.max_tokens = json_mode, max_tokens
        self.fields = tuple(
            f for _, f, _, _ in string.Formatter().parse(template) if f and f.isidentifier()
        )
        self.stats = JudgeStats()
        self.__name__ = "judge"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["stats"] = JudgeStats()  # counters are per process
        return state

    # -- rendering ---------------------------------------------------------------------
    def _text(self, row: Mapping[str, Any]) -> str:
        text = Completion.from_raw(row["completion"], prompt=row.get("prompt")).answer_text
        if len(text) > MAX_COMPLETION_CHARS:
            cut = len(text) - MAX_COMPLETION_CHARS
            text = f"{text[:MAX_COMPLETION_CHARS]}\n[... {cut} characters cut]"
        return text

    def _fields(self, row: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for f in self.fields:
            if f == "completion":
                values[f] = self._text(row)
            elif f == "prompt":
                values[f] = _prompt_text(row.get("prompt"))
            else:
                values[f] = row[f]  # KeyError -> a missing-column outcome
        return values

    def _messages(self, user: str) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return [*msgs, {"role": "user", "content": user}]

    def _render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        template = self.template
        if "answer" not in self.fields and row.get("answer") not in (None, ""):
            template += _REFERENCE.replace("{answer}", "{__answer}")
        values = self._fields(row)
        values["__answer"] = row.get("answer")
        user = template.format_map(values) + "\n" + self.rubric.describe()
        return self._messages(user)

    def _key(self, messages: Sequence[Mapping[str, str]]) -> str:
        material = dumps([self.endpoint.model, self.template, repr(self.rubric), messages])
        return hashlib.sha256(material.encode()).hexdigest()

    # -- calling -------------------------------------------------------------------------
    async def __call__(self, row: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        import httpx

        rows = list(row)
        sem = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(limits=limits) as client:
            if self.group:
                groups: dict[str, list[int]] = {}
                for i, r in enumerate(rows):
                    groups.setdefault(dumps(r.get(self.group_by)), []).append(i)
                out: list[Outcome] = [Outcome.error("not judged")] * len(rows)
                parts = await asyncio.gather(
                    *(
                        self._judge_group(client, sem, [rows[i] for i in ix])
                        for ix in groups.values()
                    )
                )
                for ix, outs in zip(groups.values(), parts, strict=True):
                    for i, o in zip(ix, outs, strict=True):
                        out[i] = o
                return out
            return list(await asyncio.gather(*(self._judge_one(client, sem, r) for r in rows)))

    async def _ask(
        self, client: Any, sem: asyncio.Semaphore, messages: list[dict[str, str]]
    ) -> tuple[str, ChatReply | None]:
        key = self._key(messages)
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return key, ChatReply(hit, cached=True)
        async with sem:
            self.stats.requests += 1
            reply = await chat(
                client,
                self.endpoint,
                messages,
                limiter=self.limiter,
                json_mode=self.json_mode,
                max_tokens=self.max_tokens,
            )
        self.stats.retries += reply.retries
        self.stats.prompt_tokens += reply.prompt_tokens
        self.stats.completion_tokens += reply.completion_tokens
        return key, reply

    async def _judge_one(
        self, client: Any, sem: asyncio.Semaphore, row: Mapping[str, Any]
    ) -> Outcome:
        try:
            messages = self._render(row)
        except KeyError as exc:
            return Outcome.error(f"the judge template needs column {exc.args[0]!r}")
        try:
            key, reply = await self._ask(client, sem, messages)
        except JudgeCallError as exc:
            self.stats.failures += 1
            return Outcome(None, Status(exc.status), f"judge call failed: {exc}")
        assert reply is not None
        try:
            obj = parse_reply(reply.text)
            score = self.rubric.score(obj)
        except ValueError as exc:
            self.stats.unparseable += 1
            spent = _extras({}, reply)  # the tokens were spent all the same
            return Outcome(None, Status.UNPARSEABLE, f"judge reply not usable: {exc}", spent)
        self.cache.put(key, reply.text)
        return Outcome(score, Status.OK, _reason(obj), _extras(obj, reply))

    async def _judge_group(
        self, client: Any, sem: asyncio.Semaphore, rows: list[Mapping[str, Any]]
    ) -> list[Outcome]:
        try:
            head = self._fields({**rows[0], "completion": ""})
            answers = "\n\n".join(f"[Answer {i + 1}]\n{self._text(r)}" for i, r in enumerate(rows))
        except KeyError as exc:
            return [Outcome.error(f"the judge template needs column {exc.args[0]!r}")] * len(rows)
        head["completion"] = answers
        user = self.template.format_map(head) + "\n" + self.rubric.describe(len(rows))
        try:
            key, reply = await self._ask(client, sem, self._messages(user))
        except JudgeCallError as exc:
            self.stats.failures += 1
            return [Outcome(None, Status(exc.status), f"judge call failed: {exc}")] * len(rows)
        assert reply is not None
        try:
            obj = parse_reply(reply.text)
            items = obj.get("scores") if isinstance(obj, Mapping) else obj
            if not isinstance(items, list):
                raise ValueError('expected {"scores": [...]}')
        except ValueError as exc:
            self.stats.unparseable += 1
            why = f"judge reply not usable: {exc}"
            first = Outcome(None, Status.UNPARSEABLE, why, _extras({}, reply))
            return [first] + [Outcome(None, Status.UNPARSEABLE, why)] * (len(rows) - 1)
        out: list[Outcome] = []
        for i in range(len(rows)):
            if i >= len(items):
                out.append(
                    Outcome(
                        None, Status.UNPARSEABLE, f"the judge scored {len(items)} of {len(rows)}"
                    )
                )
                continue
            try:
                # the one request's usage goes with the group's first answer only, so
                # summing usage over rows counts each request once
                extras = _extras({}, reply) if i == 0 else {"group_request": True}
                out.append(Outcome(self.rubric.score(items[i]), Status.OK, _reason(obj), extras))
            except ValueError as exc:
                out.append(Outcome(None, Status.UNPARSEABLE, f"answer {i + 1}: {exc}"))
        if all(o.status is Status.OK for o in out):
            self.cache.put(key, reply.text)
        return out


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):  # chat messages: the conversation as plain lines
        return "\n".join(
            f"{m.get('role', '')}: {m.get('content', '')}" for m in prompt if isinstance(m, Mapping)
        )
    return "" if prompt is None else str(prompt)


def _reason(obj: Any) -> str:
    reason = obj.get("reason") if isinstance(obj, Mapping) else None
    return str(reason)[:300] if reason else "judged"


def _extras(obj: Any, reply: ChatReply) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if isinstance(obj, Mapping) and "score" in obj:
        extras["judge_score"] = obj["score"]
    if reply.cached:
        extras["cached"] = True
    else:  # a request (its usage is zero when the server reports none)
        extras["usage"] = {"prompt": reply.prompt_tokens, "completion": reply.completion_tokens}
    return extras


def judge(
    template: str = DEFAULT_TEMPLATE,
    *,
    model: str,
    name: str = "llm_judge",
    scale: Sequence[float] | None = None,
    criteria: Mapping[str, float] | None = None,
    system: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    group: bool = False,
    group_by: str = "prompt",
    concurrency: int = 32,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    timeout: float = 60.0,
    max_retries: int = 4,
    backoff: float = 0.5,
    cache_path: str | None = None,
    json_mode: bool = True,
    max_tokens: int | None = 512,
) -> Reward:
    """An LLM-as-judge reward scoring each completion in [0, 1].

    Args:
        template: the user message; ``{prompt}``, ``{completion}``, ``{answer}`` and any
            column are filled from the row. Without ``{answer}``, a reference answer is
            appended when the row has one.
        model: the judge model's name on the server.
        scale: ``(low, high)`` for a single score (default 1..10), mapped onto 0..1.
        criteria: ``{criterion: weight}``: each judged 0..1 / true-false, weighted.
        base_url / api_key: default ``$OPENAI_BASE_URL`` / ``$OPENAI_API_KEY``.
        group: judge all completions of one prompt (rows sharing ``group_by``) in one
            request, relative to each other (RULER-style).
        concurrency: requests in flight per batch; requests_per_minute /
            tokens_per_minute: per-process budgets.
        timeout / max_retries / backoff: per-call limit and retry budget (429/5xx,
            connection errors and timeouts are retried with exponential backoff).
        cache_path: an SQLite file that keeps verdicts across runs (in-memory otherwise).

    Example:
        >>> r = judge(model="qwen2.5-7b-instruct", criteria={"correct": 2, "concise": 1})
        >>> r.name, r.range
        ('llm_judge', (0.0, 1.0))
    """
    rubric = Rubric.of(scale, criteria)
    fn = JudgeFn(
        Endpoint(model, base_url, api_key, timeout, max_retries, backoff),
        rubric,
        template,
        system=system,
        group=group,
        group_by=group_by,
        concurrency=max(1, int(concurrency)),
        limiter=RateLimiter(requests_per_minute, tokens_per_minute),
        cache=JudgeCache(cache_path),
        json_mode=json_mode,
        max_tokens=max_tokens,
    )
    rw = Reward(
        fn,
        name=name,
        range=(0, 1),
        batched=True,
        cheap=True,
        description=f"LLM judge ({model}): {'criteria ' + ', '.join(k for k, _ in rubric.criteria) if rubric.criteria else f'scale {rubric.scale[0]:g}..{rubric.scale[1]:g}'}",
    )
    needed = [f for f in fn.fields if f not in ("completion", "prompt")]
    rw.required_columns = tuple(dict.fromkeys((*rw.required_columns, *needed)))
    return rw
