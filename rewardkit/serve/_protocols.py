"""Request and reply shapes of the three scoring endpoints.

* ``/score``: ``{"rows": [ROW, ...]}`` (or a bare list); the reply's ``rows`` are
  what ``rewardkit score`` writes for the same rows.
* ``/get_reward``: OpenRLHF's remote reward model. Its client posts
  ``{"query": [...], "prompts": [...], "labels": [...]}`` where each query is the
  decoded prompt *plus* response, and reads ``rewards``, ``scores`` and
  ``extra_logs`` (numeric lists, logged per sample). The completion is the query
  with the prompt prefix and trailing end-of-sequence tokens removed; a label
  that is a JSON object is spread into columns, otherwise it is the
  ``label_column`` (``answer`` by default).
* ``/verify``: NeMo-Gym-style resource-server verification: the body holds
  ``responses_create_params`` (the prompt, ``input``), ``response`` (an OpenAI
  Responses object whose ``output`` messages hold the completion) and task
  fields such as ``expected_answer``; the reply is the body plus ``reward``.

Rewards that fail come back typed in ``statuses`` and ``rewards[*].status``;
numeric protocols must carry a float, so a failed total is sent as
``failure_score`` and flagged in ``extra_logs["rewardkit_failed"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = [
    "BadRequest",
    "END_TOKENS",
    "openrlhf_reply",
    "openrlhf_rows",
    "score_rows",
    "verify_reply",
    "verify_row",
]

#: End-of-sequence markers a decoded query can end with (stripped from the completion).
END_TOKENS = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "</s>",
    "<eos>",
    "<end_of_turn>",
)


class BadRequest(ValueError):
    """A request the server cannot score; the message says which field and why (HTTP 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _rows_limit(n: int, max_rows: int) -> None:
    if n > max_rows:
        raise BadRequest(
            f"the request holds {n} rows; this server takes at most {max_rows} per request "
            "(split the batch or start it with a larger --max-rows)",
            413,
        )


def score_rows(body: Any, max_rows: int) -> list[dict[str, Any]]:
    """Rows of a ``/score`` request."""
    rows = body.get("rows") if isinstance(body, Mapping) else body
    if not isinstance(rows, list):
        raise BadRequest('/score expects {"rows": [{...}, ...]} or a JSON array of rows')
    _rows_limit(len(rows), max_rows)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BadRequest(f"rows[{i}] is {type(row).__name__}, expected a JSON object")
    return rows


def _strings(body: Mapping[str, Any], name: str, n: int | None) -> list[Any] | None:
    v = body.get(name)
    if v is None:
        return None
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise BadRequest(f"field {name!r} must be a list, got {type(v).__name__}")
    if n is not None and len(v) != n:
        raise BadRequest(f"field {name!r} has {len(v)} items but 'query' has {n}")
    return v


def _strip_end(text: str) -> str:
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip()
        for tok in END_TOKENS:
            if stripped.endswith(tok):
                text = stripped[: -len(tok)]
                changed = True
    return text


def _completion_of(query: str, prompt: str | None) -> str:
    if prompt:
        if query.startswith(prompt):
            query = query[len(prompt) :]
        else:
            at = query.rfind(prompt)
            if at >= 0:
                query = query[at + len(prompt) :]
    return _strip_end(query)


def openrlhf_rows(body: Any, max_rows: int, label_column: str) -> list[dict[str, Any]]:
    """Rows of an OpenRLHF ``/get_reward`` request."""
    if not isinstance(body, Mapping):
        raise BadRequest('/get_reward expects {"query": [...], "prompts": [...], "labels": [...]}')
    queries = _strings(body, "query", None)
    if queries is None:
        raise BadRequest("/get_reward: missing field 'query' (the decoded prompt + response)")
    _rows_limit(len(queries), max_rows)
    prompts = _strings(body, "prompts", len(queries))
    labels = _strings(body, "labels", len(queries))
    rows: list[dict[str, Any]] = []
    for i, q in enumerate(queries):
        if not isinstance(q, str):
            raise BadRequest(f"query[{i}] is {type(q).__name__}, expected a string")
        prompt = prompts[i] if prompts is not None else None
        if prompt is not None and not isinstance(prompt, str):
            raise BadRequest(f"prompts[{i}] is {type(prompt).__name__}, expected a string")
        row: dict[str, Any] = {"completion": _completion_of(q, prompt)}
        if prompt is not None:
            row["prompt"] = prompt
        if labels is not None:
            label = labels[i]
            spread = _json_object(label)
            if spread is not None:
                row.update(spread)
            else:
                row[label_column] = label
        rows.append(row)
    return rows


def _json_object(label: Any) -> dict[str, Any] | None:
    if isinstance(label, dict):
        return label
    if isinstance(label, str) and label.startswith("{"):
        try:
            value = orjson.loads(label)
        except orjson.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


def openrlhf_reply(
    scored: Sequence[dict[str, Any]],
    totals: Sequence[str],
    keys: Sequence[str],
    failure_score: float,
    prov: Any,
) -> dict[str, Any]:
    """``{rewards, scores, extra_logs}`` plus typed ``statuses`` and ``_provenance``."""
    rewards = [r["reward"] if r["reward"] is not None else failure_score for r in scored]
    logs: dict[str, list[float]] = {}
    for k in keys:
        logs[k] = [
            float(s) if (s := r["rewards"][k]["score"]) is not None else failure_score
            for r in scored
        ]
    logs["rewardkit_failed"] = [0.0 if r["reward"] is not None else 1.0 for r in scored]
    return {
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": logs,
        "statuses": {
            "reward": list(totals),
            **{k: [r["rewards"][k]["status"] for r in scored] for k in keys},
        },
        "reasons": [
            {k: v["reason"] for k, v in r["rewards"].items() if v["status"] != "ok"} for r in scored
        ],
        "_provenance": prov,
    }


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for c in content:
            if isinstance(c, Mapping) and isinstance(c.get("text"), str):
                parts.append(c["text"])
            elif isinstance(c, str):
                parts.append(c)
        return "".join(parts)
    return ""


def verify_row(body: Any, label_column: str) -> dict[str, Any]:
    """One row of a NeMo-Gym-style ``/verify`` request."""
    if not isinstance(body, Mapping):
        raise BadRequest("/verify expects a JSON object with 'response' and task fields")
    response = body.get("response")
    if not isinstance(response, Mapping) or not isinstance(response.get("output"), list):
        raise BadRequest("/verify: field 'response' must be an object with an 'output' list")
    texts = []
    for item in response["output"]:
        if not isinstance(item, Mapping):
            continue
        if (
            item.get("type", "message") == "message"
            and item.get("role", "assistant") == "assistant"
        ):
            texts.append(_text_of(item.get("content")))
    row: dict[str, Any] = {
        k: v for k, v in body.items() if k not in ("response", "responses_create_params")
    }
    row["completion"] = "".join(texts)
    params = body.get("responses_create_params")
    if isinstance(params, Mapping):
        prompt = params.get("input")
        if isinstance(prompt, list):
            users = [m for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
            prompt = _text_of(users[-1].get("content")) if users else ""
        if isinstance(prompt, str):
            row.setdefault("prompt", prompt)
    if label_column not in row and "expected_answer" in row:
        row[label_column] = row["expected_answer"]
    return row


def verify_reply(
    body: Mapping[str, Any], scored: dict[str, Any], status: str, failure_score: float
) -> Any:
    """The request body plus ``reward`` (float) and the typed per-reward verdicts."""
    reply = dict(body)
    reply["reward"] = scored["reward"] if scored["reward"] is not None else failure_score
    reply["rewards"] = scored["rewards"]
    reply["status"] = status
    reply["_provenance"] = scored["_provenance"]
    return reply
