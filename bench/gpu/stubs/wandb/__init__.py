"""Import stub for wandb on the offline GPU machine (Axolotl imports it at module level).

The real wheel (20 MB, plus opentelemetry) does not fit beside the others in one
device call; runs use ``report_to: none``, so nothing here is ever called.
"""

from typing import Any

__version__ = "0.0.0-stub"
run = None


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)

    class _Stub:
        def __init__(self, *a: Any, **k: Any) -> None:
            pass

        def __call__(self, *a: Any, **k: Any) -> Any:
            return None

        def __getattr__(self, item: str) -> Any:
            return _Stub()

    return _Stub
