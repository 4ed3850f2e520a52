"""Code rewards: ``code_tests`` runs the completion's code against the row's tests.

The code runs in :mod:`rewardkit.sandbox` (kernel-isolated fork servers; the verdict is
computed outside the sandbox, so ``sys.exit(0)``, rigged ``__eq__`` and frame peeking do not
pay). Statuses: no code in the completion → ``UNPARSEABLE`` (score 0.0); a row without tests,
tests of an unknown shape or an unsupported language → ``NOT_APPLICABLE`` (score ``None``); a
sandbox fault → ``ERROR`` (score ``None``, never a wrong answer). A timeout, crash or memory
blow-up of the candidate is a wrong answer: status ``OK``, score 0.0, the sandbox status in
``extras["status"]``.
"""

from __future__ import annotations

import re
from typing import Any

from .._completion import Completion
from .._outcome import Outcome
from .._reward import reward

__all__ = ["code_tests", "extract_code"]

_FENCE_RE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_ALIASES = {
    "python": frozenset({"python", "py", "python3", "py3"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx"}),
    "c": frozenset({"c"}),
}


def extract_code(text: str, language: str = "python") -> str | None:
    """The last fenced block tagged with ``language`` (else the last untagged block); the
    whole text when it has no fence; ``None`` when every block is in another language.

    Example:
        >>> extract_code("Here:\\n```python\\nprint(1)\\n```\\nDone.")
        'print(1)'
        >>> extract_code("x = 1")
        'x = 1'
        >>> extract_code("```js\\nconsole.log(1)\\n```") is None
        True
    """
    blocks = _FENCE_RE.findall(text)
    if not blocks:
        return text.strip() or None
    names = _ALIASES.get(language.lower(), frozenset({language.lower()}))
    tagged = [body for tag, body in blocks if tag.lower() in names]
    untagged = [body for tag, body in blocks if not tag]
    if tagged or untagged:
        return str((tagged or untagged)[-1])
    return None


@reward(range=(0, 1), version="1")
def code_tests(
    completion: Completion,
    tests: Any = None,
    language: str | None = "python",
    *,
    partial_credit: bool = False,
    timeout: float | None = None,
    max_tests: int | None = None,
    float_tolerance: float | None = None,
) -> Outcome:
    """1.0 if the completion's code passes every test of the row (or the fraction passed).

    ``tests`` is a list of assert statements run after the code (seed 002's ``test_cases``:
    map it with ``--map tests=test_cases``), ``{"inputs": [...], "outputs": [...]}`` for
    stdin/stdout, ``{"fn_name": ..., "cases": [[args, expected], ...]}`` for calls, or
    HumanEval's ``{"test": ..., "entry_point": ...}``. Without ``partial_credit`` it stops at
    the first failing test; ``max_tests`` caps the tests run, ``timeout`` is per test.

    Example:
        >>> out = code_tests.score({"completion": "```python\\ndef f(x):\\n    return x + 1\\n```",
        ...                         "tests": ["assert f(1) == 2"]})  # doctest: +SKIP
        >>> out.score  # doctest: +SKIP
        1.0
    """
    from ..sandbox import SandboxError, Status, TestFormatError
    from ..sandbox.ray_pool import selected_pool  # REWARDKIT_SANDBOX_RAY routes to Ray actors

    if tests is None or (isinstance(tests, list | tuple | dict | str) and not tests):
        return Outcome.not_applicable("row has no tests")
    language = (language or "python").lower()
    if language not in ("python", "py", "python3"):
        return Outcome.not_applicable(f"language {language!r} is not supported; valid: 'python'")
    code = extract_code(completion.answer_text, "python")
    if code is None:
        return Outcome.unparseable(f"no {language} code block in the completion")
    try:
        result = selected_pool().run_tests(
            code,
            tests,
            partial_credit=partial_credit,
            max_tests=max_tests,
            timeout=timeout,
            float_tolerance=float_tolerance,
        )
    except TestFormatError as exc:
        return Outcome.not_applicable(f"tests: {exc}")
    except SandboxError as exc:
        return Outcome.error(f"sandbox: {exc}")
    extras = {
        "status": result.status.value,
        "passed": result.passed,
        "total": result.total,
        "wall_s": round(result.usage.wall_s, 4),
    }
    if result.status is Status.INFRA_ERROR:
        return Outcome.error(f"sandbox infrastructure error: {result.detail}", **extras)
    score = result.fraction if partial_credit else float(result.status is Status.PASS)
    reason = f"passed {result.passed}/{result.total}"
    if result.first_failure is not None:
        failure = result.first_failure
        extras["first_failure"] = failure.index
        reason += f"; test {failure.index} {failure.status.value}: {failure.reason[:160]}"
    return Outcome.ok(score, reason, **extras)
