"""``rewardkit serve`` as a Ray Serve deployment, so many trainer nodes share one endpoint.

Each replica builds its own :class:`~rewardkit.serve.RewardService` (and so its own
engine worker pool, with the same timeouts and isolation) and answers with the very
Starlette app that ``rewardkit serve`` runs under uvicorn: Ray Serve's HTTP proxy
spreads requests over the replicas, the protocols and replies stay identical. Ray is
imported only here (the ``[ray]`` extra plus Ray Serve's own dependencies,
``pip install "ray[serve]"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..compose._compose import Composite
from ..contract._reward import Reward
from ._app import ServeLimits, build_app
from ._service import RewardService

__all__ = ["RewardIngress", "deploy"]


class RewardIngress:
    """One replica: a reward service and its Starlette app, reached through Ray Serve."""

    def __init__(
        self,
        leaves: Sequence[Reward],
        total: Reward | Composite,
        maps: Mapping[str, str],
        scorer_options: Mapping[str, Any],
        limits: ServeLimits,
    ) -> None:
        from ..engine._factory import make_scorer

        scorer = make_scorer(list(leaves), **dict(scorer_options))
        self.service = RewardService(scorer, leaves, total, maps=maps)
        self.app = build_app(self.service, limits)

    async def __call__(self, request: Any) -> Any:
        """Hand Ray Serve's request to the app as plain ASGI and return its response."""
        from starlette.responses import Response

        body = await request.body()
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: Mapping[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body") or b""))

        scope = dict(request.scope)
        scope["root_path"] = ""
        await self.app(scope, receive, send)
        out = Response(b"".join(chunks), status_code=status)
        for key, value in headers:
            if key.lower() not in (b"content-length",):
                out.headers[key.decode("latin-1")] = value.decode("latin-1")
        return out

    def __del__(self) -> None:
        service = getattr(self, "service", None)
        if service is not None:
            service.close()


def deploy(
    leaves: Sequence[Reward],
    total: Reward | Composite,
    *,
    maps: Mapping[str, str] | None = None,
    scorer_options: Mapping[str, Any] | None = None,
    limits: ServeLimits | None = None,
    replicas: int = 1,
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str = "rewardkit",
    ray_address: str | None = None,
) -> str:
    """Start (or join) Ray, deploy ``replicas`` reward replicas and return the base URL.

    The deployment keeps running after this returns (Ray Serve owns it);
    ``ray.serve.shutdown()`` stops it.
    """
    try:
        import ray
        from ray import serve
    except ImportError:
        raise ImportError(
            'rewardkit serve --ray-serve needs Ray Serve: pip install "ray[serve]"'
        ) from None
    if not ray.is_initialized():
        ray.init(address=ray_address, ignore_reinit_error=True, log_to_driver=False)
    serve.start(http_options={"host": host, "port": port})
    deployment: Any = serve.deployment(RewardIngress, name=name, num_replicas=replicas)
    app = deployment.bind(
        list(leaves), total, dict(maps or {}), dict(scorer_options or {}), limits or ServeLimits()
    )
    serve.run(app, name=name, route_prefix="/")
    return f"http://{host}:{port}"
