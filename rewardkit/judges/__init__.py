"""Judge rewards: an LLM judge behind an OpenAI-compatible endpoint, or a reward model.

Both return typed outcomes (a failed or unreadable judge call is never a 0), bound
their calls (concurrency, rate limits, retries with backoff, per-call timeouts) and,
for judges, cache verdicts. ``httpx`` (the ``[judge]`` extra) is imported on first call.
"""

from ._audit import JudgeAudit, audit_judge
from ._client import Endpoint, JudgeCallError, RateLimiter
from ._judge import DEFAULT_TEMPLATE, JudgeStats, judge
from ._reward_model import reward_model
from ._rubric import Rubric, parse_reply

__all__ = [
    "DEFAULT_TEMPLATE",
    "Endpoint",
    "JudgeAudit",
    "JudgeCallError",
    "JudgeStats",
    "RateLimiter",
    "Rubric",
    "audit_judge",
    "judge",
    "parse_reply",
    "reward_model",
]
