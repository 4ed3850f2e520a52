"""Choose an :class:`~rewardkit.engine.Executor` for ``backend=``: the pluggable seam.

``"local"`` is the process pool in this package. ``"ray"`` is provided by
``rewardkit/engine/_ray.py`` (``RayExecutor(config)``), imported only when asked
for, so ``ray`` stays an optional extra.
"""

from __future__ import annotations

import importlib
from typing import Literal

from ._executor import Executor, ExecutorConfig
from ._pool import ProcessExecutor

__all__ = ["Backend", "make_executor"]

Backend = Literal["local", "ray"]


def make_executor(backend: str, config: ExecutorConfig) -> Executor:
    """Build the executor for ``backend``.

    Raises:
        ValueError: an unknown backend name.
        NotImplementedError: ``"ray"`` when ``rewardkit.engine._ray`` is not present.
        ImportError: ``"ray"`` when the module is there but ``ray`` is not installed.
    """
    if backend == "local":
        return ProcessExecutor(config)
    if backend == "ray":
        try:
            module = importlib.import_module("rewardkit.engine._ray")
        except ModuleNotFoundError as exc:
            if exc.name != "rewardkit.engine._ray":
                raise ImportError(
                    f"backend='ray' needs the {exc.name!r} package: pip install 'rewardkit[ray]'"
                ) from exc
            raise NotImplementedError(
                "backend='ray' is not available in this version of rewardkit "
                "(rewardkit.engine._ray is missing); use backend='local'"
            ) from None
        executor: Executor = module.RayExecutor(config)
        return executor
    raise ValueError(f"{backend!r} is not a valid backend; valid ones are 'local', 'ray'")
