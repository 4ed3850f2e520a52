"""Calling a reward function with rows, and what the call produces.

:class:`~rewardkit.Reward`'s scoring methods (``score``, ``score_batch``,
``ascore_batch`` and the engine's ``_score_one``/``_score_rows``/``_score_batch``)
are the functions of this module, bound as methods: they take a row's keyword
arguments from :mod:`._inputs`, call the function (running an ``async`` reward
from synchronous code if need be), and hand the return value to
:mod:`._validate`. Anything the reward does wrong ends here as an error
:class:`~rewardkit.Outcome` instead of an exception: a raising reward costs one
sample, never the batch. The :class:`~rewardkit.Completion` views that the
rewards of one batch share are kept here too.

Why functions rather than methods written in :mod:`._reward`: the definition of a
reward (its signature, options and identity) and the act of calling it change
for different reasons, and each stays short enough to read in one sitting.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from ._completion import Completion
from ._outcome import Outcome, Status
from ._validate import validate_batch, validate_one

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


# -- the scoring methods of Reward (bound in contract/_reward.py) ----------------------


def score(
    rw: Reward,
    row: Mapping[str, Any],
    *,
    state: Mapping[str, Any] | None = None,
    index: int | None = None,
) -> Outcome:
    """Score one sample; never raises for anything the reward does.

    Exceptions become ``Status.ERROR`` with the exception type and message;
    invalid return values become ``Status.ERROR`` naming the reward and row.
    """
    if rw.batched:
        return rw.score_batch([row], state=state, start=index or 0)[0]
    return rw._score_one(row, state, index, None)


def score_one(
    rw: Reward,
    row: Mapping[str, Any],
    state: Mapping[str, Any] | None,
    index: int | None,
    views: CompletionViews | None,
) -> Outcome:
    """One row, sharing Completion views through ``views`` (``None``: none)."""
    try:
        kwargs = rw._kwargs(row, state, views)
    except KeyError as exc:
        return _missing_outcome(rw, exc, row, index)
    try:
        raw = rw.fn(**kwargs)
        if type(raw) not in _PLAIN_RETURNS and inspect.isawaitable(raw):
            raw = run_coroutine_blocking(raw)
    except Exception as exc:  # the contract: a raising reward costs one sample
        return _exception_outcome(rw, exc, index)
    return validate_one(raw, rw, index)


def score_rows(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    indices: Sequence[int],
    state: Mapping[str, Any] | None,
    views: CompletionViews | None,
) -> list[Outcome]:
    """:meth:`score_batch` for the engine's inline path: each row's completion view is
    taken from (or added to) ``views``, so the rewards of one batch build it once."""
    if rw.batched:
        return rw._score_batch(rows, state, indices[0] if indices else 0, views)
    one = rw._score_one
    return [one(row, state, index, views) for row, index in zip(rows, indices, strict=True)]


def score_batch(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    *,
    state: Mapping[str, Any] | None = None,
    start: int = 0,
) -> list[Outcome]:
    """Score many samples in order; a batched reward gets one call for all of them."""
    if not rw.batched:
        return [rw.score(r, state=state, index=start + i) for i, r in enumerate(rows)]
    return rw._score_batch(rows, state, start, None)


def score_batch_views(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    state: Mapping[str, Any] | None,
    start: int,
    views: CompletionViews | None,
) -> list[Outcome]:
    """A batched reward's one call over ``rows`` (views shared as in :func:`score_one`)."""
    try:
        kwargs = rw._batch_kwargs(rows, state, views)
    except KeyError as exc:
        return [_missing_outcome(rw, exc, r, start + i) for i, r in enumerate(rows)]
    try:
        raw = rw.fn(**kwargs)
        if inspect.isawaitable(raw):
            raw = run_coroutine_blocking(raw)
    except Exception as exc:
        err = _exception_outcome(rw, exc, None)
        return [err] * len(rows)
    return validate_batch(raw, rw, len(rows), start)


async def ascore_batch(
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    *,
    state: Mapping[str, Any] | None = None,
    start: int = 0,
) -> list[Outcome]:
    """Async variant: awaits async rewards; runs sync ones in a thread."""
    if not rw.is_async:
        return await asyncio.to_thread(rw.score_batch, rows, state=state, start=start)
    if rw.batched:
        try:
            kwargs = rw._batch_kwargs(rows, state)
        except KeyError as exc:
            return [_missing_outcome(rw, exc, r, start + i) for i, r in enumerate(rows)]
        try:
            raw = await rw.fn(**kwargs)
        except Exception as exc:
            return [_exception_outcome(rw, exc, None)] * len(rows)
        return validate_batch(raw, rw, len(rows), start)

    async def one(i: int, row: Mapping[str, Any]) -> Outcome:
        try:
            kwargs = rw._kwargs(row, state)
        except KeyError as exc:
            return _missing_outcome(rw, exc, row, start + i)
        try:
            raw = await rw.fn(**kwargs)
        except Exception as exc:
            return _exception_outcome(rw, exc, start + i)
        return validate_one(raw, rw, start + i)

    return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(rows))))
