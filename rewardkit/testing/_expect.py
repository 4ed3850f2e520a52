"""``expect``: assertions about one reward on one sample, written the way you think them.

A reward that silently returns 0.0 for a correct answer costs a week of GPU
time before anyone notices a flat curve. The check a user has in mind is one
line ("``\\boxed{\\frac12}`` against ``0.5`` scores 1"), so the assertion is one
line too::

    expect("math_equal").given(completion="\\boxed{\\frac12}", answer="0.5").scores(1.0)

When it fails, the message carries everything needed to act without a
debugger: the reward (key, version, where it is defined), the inputs
(truncated), the outcome, its reason and extras. A reward that *raised* is
re-run inline so the original traceback is chained onto the failure, because
"status error" alone hides the bug.

By default the reward is scored in-process with :meth:`Reward.score` (fast,
deterministic, no workers). :meth:`Expectation.via_engine` routes the sample
through the real :mod:`rewardkit.engine` instead, so timeouts, memory limits and
isolation behave exactly as in training.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol, final, runtime_checkable

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ..references._resolve import resolve

__all__ = ["Check", "Expectation", "RewardAssertionError", "expect"]

#: Longest repr of one input shown in a failure message.
MAX_INPUT_CHARS = 240

_UNSET: Any = object()


@runtime_checkable
class Scorable(Protocol):
    """What ``expect`` needs from a reward: a key and a one-row ``score`` (Reward, Composite)."""

    @property
    def key(self) -> str: ...

    def score(
        self,
        row: Mapping[str, Any],
        *,
        state: Mapping[str, Any] | None = ...,
        index: int | None = ...,
    ) -> Outcome: ...


class RewardAssertionError(AssertionError):
    """An ``expect(...)`` check failed.

    The message is written for humans; the facts are also attributes so that
    tooling (and rewardkit's own tests) need not parse text.

    Attributes:
        reward: the reward's key, e.g. ``"xml_format(mode='strict')"``.
        row: the inputs the reward was given.
        outcome: the :class:`~rewardkit.Outcome` it returned.
        check: what was asserted, e.g. ``"scores(1.0, tol=1e-09)"``.
    """

    def __init__(
        self, message: str, *, reward: str, row: Mapping[str, Any], outcome: Outcome, check: str
    ) -> None:
        super().__init__(message)
        self.reward = reward
        self.row = dict(row)
        self.outcome = outcome
        self.check = check


def _as_scorable(target: Any, options: Mapping[str, Any]) -> Scorable:
    """Turn a name, reference, Reward, Composite or plain function into something scorable."""
    if isinstance(target, Reward):
        rw: Any = target
    elif isinstance(target, Scorable):
        if options:
            raise TypeError(
                f"expect({target!r}, ...): options can only be set on a single reward; "
                "configure the leaves before combining them"
            )
        return target
    elif isinstance(target, str) or callable(target):
        # one resolver for every face; a plain function is wrapped, never registered
        rw = resolve(target).reward
        if not isinstance(rw, Reward):  # a formula
            return _as_scorable(rw, options)
    else:
        raise TypeError(
            f"expect() takes a reward name, a reference such as 'xml_format(mode=strict)', a "
            f"Reward or a function; got {type(target).__name__} {reprlib.repr(target)}"
        )
    return rw.configure(**options) if options else rw  # type: ignore[no-any-return]


def expect(reward: str | Reward | Scorable | Callable[..., Any], /, **options: Any) -> Expectation:
    """Start an assertion about ``reward``.

    Args:
        reward: a registered name (``"math_equal"``), a reference with options
            (``"xml_format(mode=strict)"``, ``"my_pkg.rewards:judge"``,
            ``"rewards.py:judge"``), a :class:`~rewardkit.Reward`, a composite, or a
            plain function (wrapped with :class:`~rewardkit.Reward`, not registered).
        **options: reward options, as for :meth:`Reward.configure`.

    Returns:
        An :class:`Expectation`; call :meth:`Expectation.given` with a sample.

    Example:
        >>> expect("xml_format").given(
        ...     completion="<reasoning>2+2</reasoning><answer>4</answer>").scores(1.0)
        <Check xml_format: score=1.0 status=ok>
    """
    __tracebackhide__ = True
    return Expectation(_as_scorable(reward, options))


@final
class Expectation:
    """A reward waiting for a sample; immutable, so one can be reused across checks."""

    __slots__ = ("_engine", "_reward")

    def __init__(self, reward: Scorable, engine: Mapping[str, Any] | None = None) -> None:
        self._reward = reward
        self._engine = dict(engine) if engine is not None else None

    @property
    def reward(self) -> Scorable:
        """The reward (configured) that will be scored."""
        return self._reward

    def via_engine(self, **scorer_options: Any) -> Expectation:
        """Score through the real engine (:class:`rewardkit.engine.Scorer`).

        Use it when the check is *about* the engine's guarantees: a reward that
        loops forever must come back as ``timeout``, one that allocates too much
        as ``error``, with the limits you train with. ``scorer_options`` are passed
        to ``Scorer`` (``timeout=``, ``memory_mb=``, ``isolation=``, ...); the
        cache is off unless you ask for it, so each check really runs.
        """
        return Expectation(self._reward, {"cache": False, **scorer_options})

    def given(self, completion: Any = _UNSET, /, *, state: Any = None, **columns: Any) -> Check:
        """Bind one sample: the completion plus any columns (``answer=``, ``prompt=``, ...).

        ``completion`` may be a string or a list of chat messages, exactly as a
        trainer passes it. ``state`` is the trainer state injected into rewards
        that take a ``state`` parameter.
        """
        row = dict(columns)
        if completion is not _UNSET:
            row["completion"] = completion
        return Check(self, row, state)

    def given_row(self, row: Mapping[str, Any], /, *, state: Any = None) -> Check:
        """Bind a whole dataset row (e.g. one from the ``reward_rows`` fixture)."""
        return Check(self, dict(row), state)

    def __repr__(self) -> str:
        how = " via engine" if self._engine is not None else ""
        return f"<Expectation {self._reward.key}{how}>"


@final
class Check:
    """One reward on one sample; each assertion method returns ``self`` so they chain.

    The outcome is computed once, on first use, and is available as
    :attr:`outcome` for checks that the helpers do not cover.
    """

    __slots__ = ("_expectation", "_outcome", "_row", "_state")

    def __init__(self, expectation: Expectation, row: dict[str, Any], state: Any) -> None:
        self._expectation = expectation
        self._row = row
        self._state = state
        self._outcome: Outcome | None = None

    # -- data --------------------------------------------------------------------
    @property
    def row(self) -> dict[str, Any]:
        """The inputs given to the reward."""
        return dict(self._row)

    @property
    def outcome(self) -> Outcome:
        """The reward's :class:`~rewardkit.Outcome` for this sample (computed once)."""
        if self._outcome is None:
            self._outcome = self._run()
        return self._outcome

    def _run(self) -> Outcome:
        rw = self._expectation.reward
        engine = self._expectation._engine
        if engine is None:
            return rw.score(self._row, state=self._state, index=None)
        from ..engine import Scorer  # heavy: imported only when asked for

        with Scorer([rw], **engine) as scorer:  # type: ignore[list-item]
            result = scorer.score([self._row], state=self._state)
        return _pick(result[0], rw.key)

    # -- assertions --------------------------------------------------------------
    def scores(self, expected: float, *, tol: float = 1e-9) -> Check:
        """Assert the score equals ``expected`` within absolute tolerance ``tol``.

        The status is not checked: an ``unparseable`` outcome scoring 0.0 passes
        ``scores(0.0)``. An outcome with *no* score (error, timeout, not
        applicable) always fails, because a crash is not a wrong answer.
        """
        __tracebackhide__ = True
        out = self.outcome
        what = f"scores({expected!r}, tol={tol!r})"
        if out.score is None:
            self._fail(what, f"expected score {expected!r}, got no score (status {out.status})")
        elif not math.isclose(out.score, expected, rel_tol=0.0, abs_tol=tol):
            diff = out.score - expected
            self._fail(
                what, f"expected score {expected!r} (tol {tol!r}), got {out.score!r} ({diff:+.3g})"
            )
        return self

    def scores_between(self, lo: float, hi: float) -> Check:
        """Assert ``lo <= score <= hi`` (both ends inclusive)."""
        __tracebackhide__ = True
        if lo > hi:
            raise ValueError(f"scores_between({lo!r}, {hi!r}): low end is above the high end")
        out = self.outcome
        what = f"scores_between({lo!r}, {hi!r})"
        if out.score is None:
            self._fail(
                what, f"expected a score in [{lo!r}, {hi!r}], got no score (status {out.status})"
            )
        elif not lo <= out.score <= hi:
            self._fail(what, f"expected a score in [{lo!r}, {hi!r}], got {out.score!r}")
        return self

    def has_status(self, status: str | Status) -> Check:
        """Assert the outcome's status (``"ok"``, ``"unparseable"``, ``Status.TIMEOUT``, ...)."""
        __tracebackhide__ = True
        wanted = _status(status)
        out = self.outcome
        if out.status is not wanted:
            self._fail(
                f"has_status({wanted.value!r})",
                f"expected status {wanted.value!r}, got {out.status.value!r}",
            )
        return self

    def reason_contains(self, text: str, *, case_sensitive: bool = True) -> Check:
        """Assert the outcome's reason contains ``text``: pins *why* a sample scored as it did."""
        __tracebackhide__ = True
        reason = self.outcome.reason
        found = text in reason if case_sensitive else text.lower() in reason.lower()
        if not found:
            self._fail(f"reason_contains({text!r})", f"expected the reason to contain {text!r}")
        return self

    def has_extra(self, key: str, value: Any = _UNSET) -> Check:
        """Assert the outcome's extras have ``key`` (and, if given, that it equals ``value``)."""
        __tracebackhide__ = True
        extras = self.outcome.extras
        what = f"has_extra({key!r})" if value is _UNSET else f"has_extra({key!r}, {value!r})"
        if key not in extras:
            have = ", ".join(map(repr, sorted(extras))) or "none"
            self._fail(what, f"expected extra {key!r}; extras present: {have}")
        elif value is not _UNSET and extras[key] != value:
            self._fail(what, f"expected extra {key!r} == {value!r}, got {extras[key]!r}")
        return self

    # -- reporting ---------------------------------------------------------------
    def _fail(self, check: str, headline: str) -> None:
        __tracebackhide__ = True
        rw = self._expectation.reward
        out = self.outcome
        message = _format_failure(rw, self._row, self._state, out, headline, self._expectation)
        error = RewardAssertionError(
            message, reward=rw.key, row=self._row, outcome=out, check=check
        )
        cause = self._rerun_for_traceback() if out.status is Status.ERROR else None
        if cause is not None:
            raise error from cause
        raise error

    def _rerun_for_traceback(self) -> BaseException | None:
        """Run a failed leaf reward again, unguarded, to recover the exception it raised.

        ``Reward.score`` turns exceptions into ``Status.ERROR`` (one bad sample
        must not kill a training batch); in a test we want the traceback back.
        """
        rw = self._expectation.reward
        if not isinstance(rw, Reward) or rw.batched or rw.is_async:
            return None
        try:
            rw.fn(**rw._kwargs(self._row, self._state))
        except Exception as exc:
            return exc
        return None

    def __repr__(self) -> str:
        key = self._expectation.reward.key
        if self._outcome is None:
            return f"<Check {key}: not run>"
        return f"<Check {key}: score={self._outcome.score!r} status={self._outcome.status}>"


def _pick(result: Mapping[str, Outcome], key: str) -> Outcome:
    if key in result:
        return result[key]
    if len(result) == 1:
        return next(iter(result.values()))
    raise KeyError(f"the engine returned no outcome for {key!r}; keys: {sorted(result)}")


def _status(status: str | Status) -> Status:
    if isinstance(status, Status):
        return status
    try:
        return Status(str(status).lower())
    except ValueError:
        valid = ", ".join(repr(s.value) for s in Status)
        raise ValueError(f"{status!r} is not a valid status; valid ones are {valid}") from None


def truncate(value: Any, limit: int = MAX_INPUT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, keeping the tail (answers live at the end)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    tail = max(limit // 4, 20)
    head = limit - tail - 5
    return f"{text[:head]} ... {text[-tail:]}  ({len(text)} chars)"


def describe_reward(rw: Any) -> str:
    """One line naming a reward: key, version, provider and where it is defined."""
    parts = [rw.key]
    version = getattr(rw, "version", None)
    if version is not None:
        parts.append(f"v{version}")
    provider = getattr(rw, "provider", None)
    if provider:
        parts.append(f"from {provider}")
    defined = getattr(rw, "defined_at", None)
    if defined:
        parts.append(f"defined at {defined}")
    return " ".join(parts)


def _format_failure(
    rw: Scorable,
    row: Mapping[str, Any],
    state: Any,
    out: Outcome,
    headline: str,
    expectation: Expectation,
) -> str:
    lines = [f"expect({rw.key!r}): {headline}"]
    how = "" if expectation._engine is None else f"  (via engine: {expectation._engine})"
    lines.append(f"  reward:  {describe_reward(rw)}{how}")
    lines.append("  inputs:")
    width = max((len(k) for k in row), default=0)
    for key, value in row.items():
        lines.append(f"    {key.ljust(width)} = {truncate(value)}")
    if not row:
        lines.append("    (none)")
    if state is not None:
        lines.append(f"    state = {truncate(state)}")
    lines.append(f"  outcome: score={out.score!r} status={out.status.value}")
    lines.append(f"  reason:  {out.reason!r}" if out.reason else "  reason:  (none given)")
    if out.extras:
        lines.append(f"  extras:  {truncate(dict(out.extras), 400)}")
    return "\n".join(lines)
