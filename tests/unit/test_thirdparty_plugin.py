"""End to end: a real third-party distribution, pip-installed, found through entry points.

``rk_thirdparty`` is installed into the running interpreter's environment for the
session and uninstalled afterwards. ``rk_dupe`` claims a built-in name; it goes
into a private ``--target`` directory so that no other process sharing this
environment ever sees a broken registry.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import rewardkit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = str(Path(rewardkit.__file__).resolve().parent.parent)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None,
    reason="--no-build-isolation needs setuptools in this environment",
)


def _pip(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _install_args(src: Path) -> list[str]:
    return ["install", "--no-deps", "--no-build-isolation", "--no-index", str(src)]


def _run(code: str, extra_path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    paths = [p for p in (extra_path, REPO_ROOT, env.get("PYTHONPATH")) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.fixture(scope="session")
def thirdparty_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    src = tmp_path_factory.mktemp("src") / "rk_thirdparty"
    shutil.copytree(FIXTURES / "rk_thirdparty", src)
    if _installed("rk-thirdparty"):  # leftovers of an interrupted run
        _pip("uninstall", "-y", "rk-thirdparty")
    _pip(*_install_args(src))
    try:
        yield "rk-thirdparty"
    finally:
        _pip("uninstall", "-y", "rk-thirdparty")


PROBE = """
import json, rewardkit
rows = {"completion": "PLEASE ANSWER", "prompt": "q"}
found = {r.name: r.provider for r in rewardkit.available() if r.name.startswith("rk_tp_")}
shout = rewardkit.get("rk_tp_shouting")
mentions = rewardkit.get("rk_tp_mentions", word="answer")
formula = rewardkit.parse_formula("0.5*rk_tp_shouting + 0.5*rk_tp_mentions(word=nope)")
print(json.dumps({
    "found": found,
    "shout": shout.score({"completion": "<think>quiet</think>LOUD soft"}).to_dict(),
    "mentions": mentions.score(rows).score,
    "formula": formula.score(rows).score,
    "version": shout.version,
}))
"""


def test_rewards_appear_with_their_distribution(thirdparty_installed: str) -> None:
    proc = _run(PROBE)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["found"] == {
        "rk_tp_mentions": "rk-thirdparty 0.1.0",
        "rk_tp_shouting": "rk-thirdparty 0.1.0",
    }
    assert got["shout"] == {"score": 0.5, "status": "ok", "reason": ""}  # LOUD vs quiet
    assert got["mentions"] == 1.0
    assert got["formula"] == 0.5
    assert got["version"] == "2"


PICKLE_PROBE = """
import pickle, rewardkit
rw = rewardkit.get("rk_tp_mentions", word="x")
data = pickle.dumps(rw)
assert b"rk_tp_mentions" in data
print(pickle.loads(data).key)
"""


def test_entry_point_rewards_pickle_by_name(thirdparty_installed: str) -> None:
    proc = _run(PICKLE_PROBE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "rk_tp_mentions(word='x')"


DUPE_PROBE = """
import rewardkit
try:
    rewardkit.get("xml_count")
except rewardkit.DuplicateRewardError as err:
    print(err.name)
    print(err.providers[0])
    print(err.providers[1])
    print(err)
else:
    print("no error")
"""


def test_duplicate_name_raises_naming_both_providers(tmp_path: Path) -> None:
    src = tmp_path / "rk_dupe"
    shutil.copytree(FIXTURES / "rk_dupe", src)
    site = tmp_path / "site"
    _pip(*_install_args(src), "--target", str(site))
    proc = _run(DUPE_PROBE, extra_path=str(site))
    assert proc.returncode == 0, proc.stderr
    name, first, second, message = proc.stdout.strip().splitlines()[:4]
    assert name == "xml_format"
    assert first == "rewardkit (built-in)"
    assert second == "rk-dupe 0.0.1"
    assert "by rewardkit (built-in) and by rk-dupe 0.0.1" in message
