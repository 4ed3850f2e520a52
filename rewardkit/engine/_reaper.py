"""Kill every process a reward started, including ones that left its process group.

A reward can start a daemon (``setsid``, double fork) that outlives the call, the
worker and the run. Two mechanisms close that gap on Linux:

* each worker is a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): orphaned
  descendants are re-parented to the worker instead of init, so they stay in its
  process tree however they detach;
* :func:`kill_tree` stops, then kills, that whole tree, read from
  ``/proc/PID/task/TID/children``. The worker calls it on its own pid after every
  task; the pool calls it on the worker's pid before killing a worker that timed out.

Elsewhere (no ``/proc``) both are no-ops and the process-group kill is all there is.
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["become_subreaper", "descendants", "kill_tree"]

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants; ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except Exception:
        return False


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                out.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue
    return out


def descendants(pid: int, limit: int = 4096) -> list[int]:
    """Every process below ``pid`` (breadth first), at most ``limit`` of them."""
    seen: list[int] = []
    queue = _children(pid)
    while queue and len(seen) < limit:
        child = queue.pop(0)
        if child in seen:
            continue
        seen.append(child)
        queue.extend(_children(child))
    return seen


def kill_tree(pid: int, *, include_root: bool = False, reap: bool = False, rounds: int = 3) -> int:
    """SIGKILL every descendant of ``pid`` (and ``pid`` itself if ``include_root``).

    The tree is frozen with SIGSTOP first, so a process forking in a loop cannot add
    children faster than they are found; a few rounds catch the ones started in
    between. ``reap`` collects this process's dead children afterwards: only for a
    worker killing its own tree, never in the caller, whose other children are not ours.
    Returns how many processes were signalled.
    """
    signalled: set[int] = set()
    if include_root:
        _signal(pid, signal.SIGSTOP)
    for _ in range(rounds):
        found = [p for p in descendants(pid) if p not in signalled]
        if not found:
            break
        for p in found:
            _signal(p, signal.SIGSTOP)
        for p in found:
            _signal(p, signal.SIGKILL)
        signalled.update(found)
    if include_root:
        _signal(pid, signal.SIGKILL)
    if reap:
        _reap_children()
    return len(signalled)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap_children() -> None:
    """Collect exit statuses of this process's own dead children (no zombies)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
