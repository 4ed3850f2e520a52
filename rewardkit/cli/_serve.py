"""``rewardkit serve``: build the reward plan and scorer, then run the HTTP server.

The plan (``-r``/``--formula``/``--import``) is resolved exactly as ``score``
resolves it, so a served reward and an offline run give the same numbers for
the same rows; the server itself lives in :mod:`rewardkit.serve`.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

__all__ = ["serve_command"]


def serve_command(
    reward: Annotated[
        list[str] | None,
        typer.Option(
            "--reward", "-r", help="NAME[=WEIGHT]; NAME is registered, pkg.mod:fn or path.py:fn"
        ),
    ] = None,
    formula: Annotated[str | None, typer.Option(help="total as a formula")] = None,
    import_: Annotated[
        list[str] | None, typer.Option("--import", help="FILE.py or module with @reward functions")
    ] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN")] = None,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0: any free port)")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="worker processes for isolated rewards")
    ] = None,
    timeout: Annotated[float, typer.Option(help="per-call time limit in seconds")] = 10.0,
    isolation: Annotated[str, typer.Option(help="auto, process or inline")] = "auto",
    backend: Annotated[
        str, typer.Option(help="local, or ray: one server whose workers span a Ray cluster")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--address", "--ray-address", help="Ray cluster address")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="require 'Authorization: Bearer TOKEN' (default: $REWARDKIT_SERVE_TOKEN)"
        ),
    ] = None,
    max_body_mb: Annotated[float, typer.Option(help="largest request body accepted (MiB)")] = 32.0,
    max_rows: Annotated[int, typer.Option(help="most rows per request", min=1)] = 4096,
    failure_score: Annotated[
        float, typer.Option(help="number sent for a failed total in numeric protocols")
    ] = 0.0,
    label_column: Annotated[
        str, typer.Option(help="column that OpenRLHF labels / expected_answer fill")
    ] = "answer",
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
    ray_serve: Annotated[
        bool,
        typer.Option(
            "--ray-serve",
            help="run as a Ray Serve deployment (replicas across the cluster behind one "
            'endpoint; pip install "ray[serve]")',
        ),
    ] = False,
    replicas: Annotated[int, typer.Option(help="Ray Serve replicas", min=1)] = 1,
) -> None:
    """Serve rewards over HTTP: OpenRLHF /get_reward, NeMo-Gym /verify, /score, /metrics."""
    from ..io import InputError

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError(
            "rewardkit serve needs starlette and uvicorn: pip install 'rewardkit[serve]'"
        ) from None
    from ..io import parse_maps
    from ..serve import RewardService
    from ..serve._app import ServeLimits, run_server
    from ._engine import make_scorer
    from ._score import plan_rewards

    if isolation not in ("auto", "process", "inline"):
        raise InputError(
            f"--isolation {isolation!r} is not valid; valid ones are 'auto', 'process', 'inline'"
        )
    if backend not in ("local", "ray"):
        raise InputError(f"--backend {backend!r} is not valid; valid ones are 'local', 'ray'")
    plan = plan_rewards(list(reward or []), formula, list(import_ or []))
    limits = ServeLimits(
        max_body_bytes=int(max_body_mb * (1 << 20)),
        max_rows=max_rows,
        token=token or os.environ.get("REWARDKIT_SERVE_TOKEN") or None,
        failure_score=failure_score,
        label_column=label_column,
    )
    if ray_serve:
        _run_ray_serve(plan, map_ or [], limits, host, port, replicas, ray_address,
                       {"workers": workers, "timeout": timeout, "isolation": isolation})  # fmt: skip
        return
    scorer = make_scorer(
        plan.leaves,
        workers=workers,
        timeout=timeout,
        isolation=isolation,
        backend=backend,
        ray_address=ray_address,
    )
    service = RewardService(scorer, plan.leaves, plan.total, maps=parse_maps(map_ or []))

    def ready(url: str) -> None:
        stamps = ", ".join(f"{k} {v}" for k, v in service.provenance["rewards"].items())
        sys.stderr.write(f"rewardkit serve: listening on {url} ({stamps})\n")
        sys.stderr.flush()

    try:
        run_server(
            service, host=host, port=port, limits=limits, log_level=log_level, on_ready=ready
        )
    finally:
        service.close()


def _run_ray_serve(
    plan: Any,
    maps: list[str],
    limits: Any,
    host: str,
    port: int,
    replicas: int,
    ray_address: str | None,
    scorer_options: dict[str, Any],
) -> None:
    """Deploy on Ray Serve and keep the deployment up until SIGINT/SIGTERM."""
    import signal
    import threading

    from ..io import InputError, parse_maps
    from ..serve._ray_serve import deploy

    try:
        url = deploy(
            plan.leaves,
            plan.total,
            maps=parse_maps(maps),
            scorer_options=scorer_options,
            limits=limits,
            replicas=replicas,
            host=host,
            port=port,
            ray_address=ray_address,
        )
    except ImportError as exc:
        raise InputError(str(exc)) from None
    sys.stderr.write(f"rewardkit serve: Ray Serve deployment with {replicas} replica(s) at {url}\n")
    sys.stderr.flush()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    from ray import serve

    serve.shutdown()  # type: ignore[no-untyped-call]
