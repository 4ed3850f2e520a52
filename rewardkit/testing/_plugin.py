"""rewardkit's pytest plugin, loaded through the ``pytest11`` entry point.

Installing rewardkit is enough: no conftest, no ``-p``. Because pytest imports
this module in *every* test run of an environment that has rewardkit
installed, it imports nothing heavy at module level: the engine, the audit,
hypothesis and even the snapshot code are imported inside the fixtures that
need them. ``tests/testing/test_plugin.py`` checks this.

What it adds (option group "rewardkit", see ``pytest --help``):

* ``--rewardkit-update``: rewrite reward snapshots that changed or are missing.
* ini ``rewardkit_snapshot_dir``: where snapshots live, relative to each test
  file (default ``__snapshots__``), in a folder named after the test file.
* ini ``rewardkit_rows``: a JSONL file of rows for ``reward_rows``.
* ini ``rewardkit_max_false_pass`` / ``rewardkit_max_false_fail``: default
  thresholds for ``rewardkit_audit``.
* fixtures ``reward_rows``, ``rewardkit_scorer``, ``reward_snapshot``,
  ``rewardkit_audit``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._expect import Scorable
    from ._snapshot import SnapshotResult

__all__ = [
    "AuditFixture",
    "ScorerFactory",
    "SnapshotFixture",
    "pytest_addoption",
    "pytest_configure",
    "pytest_terminal_summary",
    "reward_rows",
    "reward_snapshot",
    "rewardkit_audit",
    "rewardkit_scorer",
]

_WRITTEN = pytest.StashKey[list[tuple[str, Path]]]()
_FALSY = {"", "0", "false", "no", "off"}


# -- hooks ---------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rewardkit", "rewardkit: reward snapshots, audits and the engine")
    group.addoption(
        "--rewardkit-update",
        action="store_true",
        dest="rewardkit_update",
        default=False,
        help="rewrite reward snapshots that changed or are missing instead of failing",
    )
    parser.addini(
        "rewardkit_snapshot_dir",
        "directory for reward snapshots, relative to each test file (default: __snapshots__)",
        default="__snapshots__",
    )
    parser.addini(
        "rewardkit_rows",
        "JSONL file (relative to the rootdir) that the reward_rows fixture returns instead "
        "of rewardkit's built-in sample rows",
        default="",
    )
    parser.addini(
        "rewardkit_max_false_pass",
        "default maximum false-pass rate for the rewardkit_audit fixture (default: 0.0)",
        default="0.0",
    )
    parser.addini(
        "rewardkit_max_false_fail",
        "default maximum false-fail rate for the rewardkit_audit fixture (default: 0.0)",
        default="0.0",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_WRITTEN] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    written = config.stash.get(_WRITTEN, [])
    if not written:
        return
    terminalreporter.section("rewardkit snapshots")
    for action, path in written:
        terminalreporter.write_line(f"{action}: {path}")


# -- helpers -------------------------------------------------------------------------
def _ini_float(config: pytest.Config, name: str) -> float:
    raw = str(config.getini(name)).strip()
    try:
        return float(raw)
    except ValueError:
        raise pytest.UsageError(
            f"ini option {name} = {raw!r} is not a valid number; use a rate such as 0.05"
        ) from None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in _FALSY


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def snapshot_stem(nodeid: str) -> str:
    """File stem for a test's snapshot: class and test name, parametrize id made path-safe."""
    name = nodeid.split("::", 1)[1] if "::" in nodeid else nodeid
    name = name.replace("::", ".")
    return _UNSAFE.sub("_", name).strip("._")[:150] or "snapshot"


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture
def reward_rows(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Sample rows (``id``, ``prompt``, ``completion``, ``answer``, ``correct``).

    rewardkit's own hand-checked samples by default; set the ini key
    ``rewardkit_rows`` to a JSONL file to use yours. Each test gets fresh copies.
    """
    from ._samples import load_rows, sample_rows

    configured = str(request.config.getini("rewardkit_rows")).strip()
    if not configured:
        return sample_rows()
    path = Path(configured)
    if not path.is_absolute():
        path = request.config.rootpath / path
    if not path.is_file():
        raise pytest.UsageError(f"ini option rewardkit_rows = {configured!r}: no file at {path}")
    return load_rows(path)


class ScorerFactory:
    """Builds real :class:`rewardkit.engine.Scorer` objects and closes them at teardown."""

    def __init__(self) -> None:
        self._open: list[Any] = []

    def __call__(self, rewards: Any, /, **options: Any) -> Any:
        """``rewardkit_scorer(["math_equal"], timeout=2.0)``: a Scorer; rewards as for expect."""
        from ..engine import Scorer
        from ._snapshot import _rewards

        scorer = Scorer(_rewards(rewards), **options)  # type: ignore[arg-type]
        self._open.append(scorer)
        return scorer

    def close(self) -> None:
        while self._open:
            self._open.pop().close()


@pytest.fixture
def rewardkit_scorer() -> Generator[ScorerFactory, None, None]:
    """A factory for real engine Scorers (worker processes, timeouts, isolation).

    Call it with the rewards (names, references or Reward objects) and any
    ``Scorer`` options; every Scorer it made is closed when the test ends,
    even when the test fails, so no worker processes leak between tests.
    """
    factory = ScorerFactory()
    try:
        yield factory
    finally:
        factory.close()


class SnapshotFixture:
    """Callable behind ``reward_snapshot``; see :func:`rewardkit.testing.snapshot`."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._calls = 0

    def path_for(self, name: str | None = None) -> Path:
        """Where this test's snapshot lives (``name`` distinguishes several per test)."""
        config = self._request.config
        base = Path(str(config.getini("rewardkit_snapshot_dir")).strip() or "__snapshots__")
        if not base.is_absolute():
            base = self._request.path.parent / base
        stem = snapshot_stem(self._request.node.nodeid)
        if name:
            stem = f"{stem}.{_UNSAFE.sub('_', name)}"
        # one folder per test file: two files with a test of the same name (a common
        # `test_format`) must never share, and overwrite, one snapshot
        return base / _UNSAFE.sub("_", self._request.path.stem) / f"{stem}.json"

    def __call__(
        self,
        rows: Sequence[Mapping[str, Any]],
        rewards: str | Scorable | Sequence[str | Scorable],
        *,
        name: str | None = None,
        **options: Any,
    ) -> SnapshotResult:
        """Score ``rows`` and compare with (or create) this test's snapshot file.

        Fails the test with a per-row diff when any outcome changed. Options
        are those of :func:`rewardkit.testing.snapshot` (``tol``, ``compare``,
        ``id_column``, ``engine``). Call it more than once per test with
        distinct ``name`` values.
        """
        __tracebackhide__ = True
        from ._snapshot import SnapshotMismatchError, snapshot

        self._calls += 1
        if name is None and self._calls > 1:
            name = str(self._calls)
        config = self._request.config
        update = bool(config.getoption("rewardkit_update"))
        options.setdefault("missing", "fail" if _in_ci() else "create")
        path = self.path_for(name)
        try:
            result = snapshot(rows, rewards, path, update=update, **options)
        except SnapshotMismatchError as exc:
            failure = str(exc)  # fail outside the except block: no "during handling" chain
        else:
            failure = ""
        if failure:
            pytest.fail(failure, pytrace=False)
        if result.action != "unchanged":
            config.stash[_WRITTEN].append((result.action, path))
        return result


@pytest.fixture
def reward_snapshot(request: pytest.FixtureRequest) -> SnapshotFixture:
    """Golden-file snapshot of reward outcomes, stored next to the test.

    ``reward_snapshot(rows, ["math_equal", "xml_format"])`` scores every row,
    then compares with ``__snapshots__/<test>.json``: a missing file is created
    (in CI, where ``CI`` is set, it fails instead), a changed outcome fails
    with a readable diff, and ``pytest --rewardkit-update`` rewrites the file.
    """
    return SnapshotFixture(request)


class AuditFixture:
    """Callable behind ``rewardkit_audit``: run the audit, fail above the thresholds."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    def __call__(
        self,
        rows: Sequence[Mapping[str, Any]],
        rewards: str | Scorable | Sequence[str | Scorable],
        *,
        max_false_pass: float | None = None,
        max_false_fail: float | None = None,
        **audit_options: Any,
    ) -> Any:
        """Run ``rewardkit audit``'s gold and degenerate checks; return the report.

        ``max_false_pass`` defaults to the ini key ``rewardkit_max_false_pass``
        (0.0: no degenerate completion may earn the top score), ``max_false_fail``
        to ``rewardkit_max_false_fail`` (0.0: every gold answer must).
        """
        __tracebackhide__ = True
        from ._audit import check_audit

        if max_false_pass is None:
            max_false_pass = _ini_float(self._config, "rewardkit_max_false_pass")
        if max_false_fail is None:
            max_false_fail = _ini_float(self._config, "rewardkit_max_false_fail")
        report, failure = check_audit(
            rows,
            rewards,
            max_false_pass=max_false_pass,
            max_false_fail=max_false_fail,
            **audit_options,
        )
        if failure:
            pytest.fail(failure, pytrace=False)
        return report


@pytest.fixture
def rewardkit_audit(request: pytest.FixtureRequest) -> AuditFixture:
    """Audit rewards inside a test: gold answers must pass, degenerate completions must fail.

    ``rewardkit_audit(rows, ["math_equal"], max_false_pass=0.0)`` runs the same
    checks as ``rewardkit audit`` and fails the test, listing examples, when a
    false-pass or false-fail rate is above its threshold.
    """
    return AuditFixture(request.config)
