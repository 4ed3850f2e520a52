"""The ``code_tests`` built-in reward on top of the sandbox."""

from __future__ import annotations

import pytest

from rewardkit.contract._outcome import Status
from rewardkit.rewards.code import code_tests, extract_code
from rewardkit.sandbox import probe

GOOD = "Sure:\n```python\ndef f(x):\n    return 2 * x\n```\nThis doubles x."
TESTS = ["assert f(1) == 2", "assert f(3) == 6"]


@pytest.fixture(autouse=True)
def _needs_sandbox() -> None:
    if not probe().get("tier"):
        pytest.skip("no sandbox tier on this machine")


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("```python\na = 1\n```", "python", "a = 1"),  # tagged block
        ("```\na = 1\n```", "python", "a = 1"),  # untagged block
        ("a = 1", "python", "a = 1"),  # no fence: the whole completion is code
        ("```py\na = 1\n```\n```python\nb = 2\n```", "python", "b = 2"),  # last block wins
        ("```bash\npip install x\n```\n```python\na = 1\n```", "python", "a = 1"),
        ("```js\nx()\n```", "python", None),  # only another language
        ("```python\na = 1", "python", "a = 1"),  # truncated before the closing fence
    ],
)
def test_extract_code(text: str, language: str, code: str | None) -> None:
    assert extract_code(text, language) == code


def test_passing_code_scores_one() -> None:
    out = code_tests.score({"completion": GOOD, "tests": TESTS})
    assert (out.score, out.status) == (1.0, Status.OK)
    assert out.extras["passed"] == 2


def test_reason_names_the_failed_test() -> None:
    out = code_tests.score({"completion": GOOD.replace("2 * x", "x + 1"), "tests": TESTS})
    assert out.score == 0.0 and out.status is Status.OK
    assert "test 1 fail" in out.reason and "f(3) == 6" in out.reason


def test_partial_credit_option() -> None:
    configured = code_tests.configure(partial_credit=True)
    out = configured.score({"completion": GOOD.replace("2 * x", "x + 1"), "tests": TESTS})
    assert out.score == pytest.approx(0.5)


def test_stdio_tests_and_reasoning_block() -> None:
    completion = "<think>print(0)</think>```python\nprint(int(input()) + 1)\n```"
    out = code_tests.score(
        {"completion": completion, "tests": {"inputs": ["1\n"], "outputs": ["2\n"]}}
    )
    assert out.score == 1.0


def test_not_applicable_and_unparseable() -> None:
    assert code_tests.score({"completion": GOOD, "tests": None}).status is Status.NOT_APPLICABLE
    out = code_tests.score({"completion": GOOD, "tests": TESTS, "language": "cobol"})
    assert out.status is Status.NOT_APPLICABLE
    out = code_tests.score({"completion": "```js\nx()\n```", "tests": TESTS})
    assert out.status is Status.UNPARSEABLE and out.score == 0.0
    assert code_tests.score({"completion": GOOD, "tests": {"x": 1}}).status is Status.NOT_APPLICABLE


def test_sandbox_infra_error_is_an_error_not_a_wrong_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rewardkit.sandbox import RunResult, _pool
    from rewardkit.sandbox import Status as SandboxStatus

    class Broken:
        def run_tests(self, *args: object, **kwargs: object) -> RunResult:
            return RunResult(SandboxStatus.INFRA_ERROR, 0, 2, detail="fork server died")

    monkeypatch.setattr(_pool, "default_pool", lambda: Broken())
    monkeypatch.setattr("rewardkit.sandbox.default_pool", lambda: Broken())
    out = code_tests.score({"completion": GOOD, "tests": TESTS})
    assert out.status is Status.ERROR and out.score is None
    assert "fork server died" in out.reason
    # what `rewardkit score --max-infra-error-rate` counts
    assert out.extras["infra_error"] is True
    assert out.reason.startswith("sandbox infrastructure error:")


def test_registered_as_builtin() -> None:
    from rewardkit.rewards import BUILTIN_MODULES

    assert "code" in BUILTIN_MODULES
