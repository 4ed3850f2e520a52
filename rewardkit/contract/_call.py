"""Calling a reward function: the pieces around the call itself.

:class:`~rewardkit.Reward` injects a row's inputs and calls the function; this
module holds what that needs and what it produces: the shared
:class:`~rewardkit.Completion` views of a batch, turning an exception or a missing
column into an error :class:`~rewardkit.Outcome`, and running an ``async`` reward
from synchronous code.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from ._completion import Completion
from ._outcome import Outcome, Status

if TYPE_CHECKING:
    from ._reward import Reward


#: Completion views shared by the rewards of one batch: ``(id(raw), id(prompt))`` to
#: ``(raw, prompt, view)``; holding ``raw`` and ``prompt`` keeps their ids unique.
CompletionViews: TypeAlias = "dict[tuple[int, int], tuple[Any, Any, Completion]]"


def _completion_of(row: Mapping[str, Any], views: CompletionViews | None) -> Completion:
    """The :class:`Completion` view of ``row`` (shared through ``views`` when given)."""
    raw = row["completion"]
    prompt = row.get("prompt")
    if views is None:
        return Completion.from_raw(raw, prompt=prompt)
    key = (id(raw), id(prompt))
    hit = views.get(key)
    if hit is not None and hit[0] is raw and hit[1] is prompt:
        return hit[2]
    view = Completion.from_raw(raw, prompt=prompt)
    views[key] = (raw, prompt, view)
    return view


#: Return types that cannot be awaitable: skip the (comparatively slow) isawaitable check.
_PLAIN_RETURNS = frozenset({float, int, bool, type(None), Outcome})


def _exception_outcome(rw: Reward, exc: BaseException, index: int | None) -> Outcome:
    where = f" on row {index}" if index is not None else ""
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not take the batch down
        text = "<unprintable exception>"
    lines = text.strip().splitlines()
    msg = lines[0][:300] if lines else ""
    reason = f"reward {rw.key!r} raised {type(exc).__name__}{where}"
    return Outcome(
        None,
        Status.ERROR,
        f"{reason}: {msg}" if msg else reason,
        {"exception": type(exc).__name__},
    )


def _missing_outcome(
    rw: Reward, exc: KeyError, row: Mapping[str, Any], index: int | None
) -> Outcome:
    have = ", ".join(repr(k) for k in sorted(map(str, row))) or "no columns"
    return Outcome.error(
        f"reward {rw.key!r}: row {index if index is not None else '?'} has no column "
        f"{exc.args[0]!r} (it has {have})",
        missing=str(exc.args[0]),
    )


def locate(outcome: Outcome, index: int, where: str) -> Outcome:
    """``outcome`` with the batch position ``row {index}`` in its reason replaced by ``where``.

    Rewards and the engine only know a row's position in its batch; a caller that
    knows where the row came from (``data.jsonl:17``) names it instead, so a failure
    can be found in the file. Only the first mention is replaced: the engine writes
    it before any text of the reward's own, which is left alone. An ``ok`` outcome
    is returned unchanged (its reason is the reward's).
    """
    if outcome.status is Status.OK:
        return outcome
    reason = outcome.reason
    for old, new in ((f"on row {index}", f"at {where}"), (f"row {index}", where)):
        at = reason.find(old)
        if at >= 0 and not reason[at + len(old) : at + len(old) + 1].isdigit():
            reason = reason[:at] + new + reason[at + len(old) :]
            return Outcome(outcome.score, outcome.status, reason, outcome.extras)
    return outcome


def run_coroutine_blocking(coro: Awaitable[Any]) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop.

    With no loop in this thread, ``asyncio.run`` is used. Inside a running loop
    (a notebook, TRL's async path) the coroutine runs on a private loop in a
    short-lived thread, so the caller's loop is never re-entered.
    """

    async def wrap() -> Any:
        return await coro

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrap())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(wrap())
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=target, name="rewardkit-async", daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
