"""The ASGI application of ``rewardkit serve`` (Starlette) and the uvicorn runner.

Starlette and uvicorn are the ``[serve]`` extra and are imported only here, so
``import rewardkit`` never loads them. Every failure a client can cause is a 4xx
with a one-line JSON ``{"error": ...}`` naming the field; a reward that fails is
never an HTTP error but a typed status in the reply, so one bad row costs that
row, not the batch.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ._protocols import (
    BadRequest,
    openrlhf_reply,
    openrlhf_rows,
    score_rows,
    verify_reply,
    verify_row,
)
from ._service import RewardService

__all__ = ["ServeLimits", "build_app", "run_server"]


class ServeLimits:
    """Request bounds and protocol knobs (plain attributes; see ``rewardkit serve --help``)."""

    def __init__(
        self,
        *,
        max_body_bytes: int = 32 << 20,
        max_rows: int = 4096,
        token: str | None = None,
        failure_score: float = 0.0,
        label_column: str = "answer",
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_rows = max_rows
        self.token = token
        self.failure_score = failure_score
        self.label_column = label_column


def build_app(service: RewardService, limits: ServeLimits | None = None) -> Any:
    """A Starlette app serving ``service``; closing the app (lifespan end) closes the scorer."""
    import contextlib

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    lim = limits or ServeLimits()
    metrics = service.metrics
    expected = f"Bearer {lim.token}".encode() if lim.token else None

    def json_response(data: Any, status: int = 200) -> Response:
        return Response(
            orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY),
            status_code=status,
            media_type="application/json",
        )

    async def read_json(request: Request) -> Any:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > lim.max_body_bytes:
            raise BadRequest(
                f"request body of {int(length)} bytes is over this server's limit of "
                f"{lim.max_body_bytes} (--max-body-mb)",
                413,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > lim.max_body_bytes:
                raise BadRequest(
                    f"request body is over this server's limit of {lim.max_body_bytes} bytes "
                    "(--max-body-mb)",
                    413,
                )
            chunks.append(chunk)
        try:
            return orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None

    def endpoint(
        name: str, handler: Callable[[Request], Awaitable[Response]], *, public: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            t0 = time.perf_counter()
            metrics.in_flight += 1
            response: Response | None = None
            try:
                if expected is not None and not public:
                    got = request.headers.get("authorization", "").encode()
                    if not hmac.compare_digest(got, expected):
                        response = json_response(
                            {"error": "missing or wrong bearer token (Authorization header)"}, 401
                        )
                        return response
                try:
                    response = await handler(request)
                except BadRequest as exc:
                    response = json_response({"error": str(exc)}, exc.status)
                return response
            finally:
                metrics.in_flight -= 1
                code = response.status_code if response is not None else 500
                metrics.observe(name, code, time.perf_counter() - t0)

        return wrapped

    async def score(request: Request) -> Response:
        rows = score_rows(await read_json(request), lim.max_rows)
        scored = await service.score(rows, "/score")
        return json_response({"rows": scored.rows})

    async def get_reward(request: Request) -> Response:
        rows = openrlhf_rows(await read_json(request), lim.max_rows, lim.label_column)
        scored = await service.score(rows, "/get_reward")
        reply = openrlhf_reply(
            scored.rows, scored.statuses, service.keys, lim.failure_score, service.provenance
        )
        return json_response(reply)

    async def verify(request: Request) -> Response:
        body = await read_json(request)
        row = verify_row(body, lim.label_column)
        scored = await service.score([row], "/verify")
        reply = verify_reply(body, scored.rows[0], scored.statuses[0], lim.failure_score)
        return json_response(reply)

    async def health(request: Request) -> Response:
        return json_response(
            {"status": "ok", "rewards": service.keys, "_provenance": service.provenance}
        )

    async def prometheus(request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        try:
            yield
        finally:
            service.close()

    routes = [
        Route("/score", endpoint("/score", score), methods=["POST"]),
        Route("/get_reward", endpoint("/get_reward", get_reward), methods=["POST"]),
        Route("/verify", endpoint("/verify", verify), methods=["POST"]),
        Route("/health", endpoint("/health", health, public=True), methods=["GET"]),
        Route("/metrics", endpoint("/metrics", prometheus), methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def run_server(
    service: RewardService,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServeLimits | None = None,
    log_level: str = "warning",
    graceful_timeout: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; in-flight batches finish before the scorer closes."""
    import uvicorn

    app = build_app(service, limits)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=graceful_timeout,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    if on_ready is not None:
        original = server.startup

        async def startup(sockets: Any = None) -> None:
            await original(sockets=sockets)
            if server.started:
                bound = server.servers[0].sockets[0].getsockname() if server.servers else None
                on_ready(f"http://{host}:{bound[1] if bound else port}")

        server.startup = startup  # type: ignore[method-assign]
    server.run()
