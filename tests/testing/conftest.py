"""Fixtures for testing rewardkit's pytest plugin with pytest's own ``pytester``.

Inner pytest runs must load *this checkout's* plugin exactly once, whether or
not rewardkit is pip-installed (an installed entry point plus ``-p`` would
register the module twice). So entry-point autoloading is switched off for
inner runs and the plugin is named explicitly with ``-p``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_ARGS = ("-p", "rewardkit.testing._plugin", "-p", "no:cacheprovider")


class Inner:
    """A pytester that loads rewardkit's plugin in every run."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def run(self, *args: str) -> pytest.RunResult:
        """In-process run: fast, no interpreter start-up."""
        return self.pytester.runpytest(*PLUGIN_ARGS, *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        """Fresh interpreter: for import-cost and end-to-end checks."""
        return self.pytester.runpytest_subprocess(*PLUGIN_ARGS, *args)


@pytest.fixture
def rk(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Inner:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return Inner(pytester)
