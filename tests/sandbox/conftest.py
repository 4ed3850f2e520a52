"""Fixtures for the sandbox suite: one shared pool with tight limits, and host-state probes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rewardkit.sandbox import Limits, SandboxPool, probe

TIGHT = Limits(
    test_timeout=1.0,
    total_timeout=4.0,
    memory_mb=512,
    output_bytes=1 << 16,
    disk_mb=8,
    file_size_mb=4,
)


def _require_sandbox() -> None:
    if not probe().get("tier"):
        pytest.skip(f"no sandbox tier on this machine: {probe().get('errors')}")


@pytest.fixture(scope="session")
def pool() -> Iterator[SandboxPool]:
    _require_sandbox()
    with SandboxPool(workers=2, limits=TIGHT) as shared:
        yield shared
