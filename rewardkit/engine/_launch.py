"""Start worker processes without re-running the caller's ``__main__`` script.

With spawn and forkserver, multiprocessing re-imports the parent's main script
in every child (as ``__mp_main__``) so that functions defined there can be
unpickled. Rewards never need that (they are rebuilt by reference, and
``__main__`` rewards are loaded from their file under a private name), and for
a training script without an ``if __name__ == "__main__"`` guard it would be a
disaster: every reward worker would start training. So on forkserver we launch
children with the main-module entries removed from the preparation data.

This mirrors ``multiprocessing.popen_forkserver.Popen._launch`` (CPython
3.10-3.13). Elsewhere the stock launcher is used and the usual main-guard rule
of multiprocessing applies.
"""

from __future__ import annotations

import io
import os
import sys
from multiprocessing import context as mp_context
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["new_process"]

_PATCHABLE = sys.version_info < (3, 14) and sys.platform != "win32"

if _PATCHABLE:
    from multiprocessing import forkserver, popen_forkserver, spawn, util

    class _NoMainPopen(popen_forkserver.Popen):
        def _launch(self, process_obj: Any) -> None:
            prep_data = spawn.get_preparation_data(process_obj._name)
            prep_data.pop("init_main_from_path", None)
            prep_data.pop("init_main_from_name", None)
            buf = io.BytesIO()
            mp_context.set_spawning_popen(self)
            try:
                mp_context.reduction.dump(prep_data, buf)  # type: ignore[attr-defined]
                mp_context.reduction.dump(process_obj, buf)  # type: ignore[attr-defined]
            finally:
                mp_context.set_spawning_popen(None)
            self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
            parent_w = os.dup(w)
            close_fds: Any = util.close_fds  # type: ignore[attr-defined]
            self.finalizer = util.Finalize(self, close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    class _WorkerProcess(mp_context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: Any) -> Any:
            return _NoMainPopen(process_obj)


def new_process(ctx: Any, **kwargs: Any) -> BaseProcess:
    """A ``Process`` from ``ctx`` that will not re-import ``__main__`` where avoidable."""
    if _PATCHABLE and ctx.get_start_method() == "forkserver":
        proc: BaseProcess = _WorkerProcess(**kwargs)
        return proc
    made: BaseProcess = ctx.Process(**kwargs)
    return made
