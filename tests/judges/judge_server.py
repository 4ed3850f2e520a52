"""A real OpenAI-compatible HTTP server on 127.0.0.1 for judge tests (a thread, not a mock).

The judge's behaviour is read from the user message it receives:

* ``SCORE=N`` — reply ``{"score": N}`` (in a group request: one score per ``SCORE=``);
* ``RATE429`` — always HTTP 429 (with ``Retry-After: 0``); ``FLAKY429`` — 429 on the
  first request for that message, then a normal reply;
* ``ERR500`` — HTTP 500; ``BADBODY`` — a 200 whose body is not JSON;
* ``RAMBLE`` — a reply with no score; ``SLOW`` — no reply for 3 s;
* ``MISSING`` — in a group request, one score fewer than asked.

``POST /get_reward`` answers as OpenRLHF's ``serve_rm``: ``len(text) / 100`` per query.
Every request's arrival time is kept in ``server.times``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCORE = re.compile(r"SCORE=(-?\d+(?:\.\d+)?)")


class JudgeServer(ThreadingHTTPServer):
    daemon_threads = True
    # a real inference server accepts many connections at once; the stdlib default
    # backlog of 5 refuses clients that open one connection per call
    request_queue_size = 256

    def __init__(
        self,
        latency: float = 0.0,
        json_mode: bool = True,
        policy: Any = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.policy = policy  # optional: user message -> reply content
        self.json_mode = json_mode
        self.times: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> JudgeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: JudgeServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with srv.lock:
            srv.times.append(time.monotonic())
            srv.bodies.append(body)
        if srv.latency:
            time.sleep(srv.latency)
        if self.path.endswith("/get_reward"):
            rewards = [len(q) / 100 for q in body["query"]]
            return self._send(200, json.dumps({"rewards": rewards}).encode())
        if not srv.json_mode and "response_format" in body:
            return self._send(400, b'{"error": "response_format is not supported"}')
        text = body["messages"][-1]["content"]
        if srv.policy is not None:
            content = srv.policy(text)
            reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
            return self._send(200, json.dumps(reply).encode())
        if "SLOW" in text:
            time.sleep(3)
        if "RATE429" in text:
            return self._send(429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        if "FLAKY429" in text:
            with srv.lock:
                first = text not in srv.seen
                srv.seen.add(text)
            if first:
                return self._send(429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        if "ERR500" in text:
            return self._send(500, b'{"error": "boom"}')
        if "BADBODY" in text:
            return self._send(200, b"<html>not json</html>")
        scores = [float(s) for s in SCORE.findall(text)]
        if "RAMBLE" in text or not scores:
            content = "What a lovely answer, I enjoyed reading it."
        elif '"scores"' in text:
            if "MISSING" in text:
                scores = scores[:-1]
            content = json.dumps({"scores": scores, "reason": "compared"})
        else:
            content = json.dumps({"score": scores[0], "reason": "fine"})
        reply = {
            "choices": [{"message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(text) // 4, "completion_tokens": 10},
        }
        self._send(200, json.dumps(reply).encode())


def biased_judge(text: str) -> str:
    """A judge that rewards the right number, and favours whichever answer it reads first."""
    import json as _json
    import re as _re

    gold = _re.search(r"\[Reference answer\]\n(\S+)", text)
    want = gold.group(1) if gold else "4"
    if '"scores"' in text:
        answers = _re.findall(r"\[Answer \d+\]\n(.*?)(?=\n\n\[Answer|\nReply with)", text, _re.S)
        scores = [
            min(10, (8 if want in a and "not" not in a else 2) + (2 if i == 0 else 0))
            for i, a in enumerate(answers)
        ]
        return _json.dumps({"scores": scores})
    answer = text.split("[Answer]\n", 1)[1].split("\n[Reference", 1)[0]
    return _json.dumps({"score": 9 if want in answer and "not" not in answer else 1})
