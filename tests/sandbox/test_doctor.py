"""The doctor reports the probe, the tier and a contained self-test."""

from __future__ import annotations

import pytest

from rewardkit.sandbox import doctor, probe


def test_report_and_print(capsys: pytest.CaptureFixture[str]) -> None:
    if not probe().get("tier"):
        pytest.skip("no sandbox tier on this machine")
    data = doctor.report()
    assert data["tier"] in ("root", "userns")
    assert data["ok"], data["self_test"]
    assert {row["name"] for row in data["self_test"]} >= {"infinite loop -> timeout"}
    assert doctor.print_report(data) == 0
    assert "OK" in capsys.readouterr().out
