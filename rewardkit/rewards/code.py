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

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..contract._completion import Completion
from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..parsers import extract_code_blocks

__all__ = ["code_tests", "extract_code"]

# row language -> fence tag (and sandbox language): C/C++ are compiled inside the sandbox
_LANGUAGES = {
    "python": "python", "py": "python", "python3": "python",
    "c": "c", "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp",
}  # fmt: skip


def extract_code(text: str, language: str = "python") -> str | None:
    """The last fenced block in ``language`` (untagged blocks count as any language); the
    whole text when it has no fence; ``None`` when every block is in another language.

    Linear time on hostile text (many unclosed fences), unlike a lazy ``.*?`` regex.

    Example:
        >>> extract_code("Here:\\n```python\\nprint(1)\\n```\\nDone.")
        'print(1)'
        >>> extract_code("x = 1")
        'x = 1'
        >>> extract_code("```js\\nconsole.log(1)\\n```") is None
        True
    """
    if not extract_code_blocks(text):
        return text.strip() or None
    blocks = extract_code_blocks(text, language)
    return blocks[-1] if blocks else None


def _score_one(
    completion: Completion,
    tests: Any,
    language: str | None,
    partial_credit: bool,
    timeout: float | None,
    max_tests: int | None,
    float_tolerance: float | None,
) -> Outcome:
    from ..sandbox import LanguageUnavailableError, SandboxError, TestFormatError, TestVerdict
    from ..sandbox.ray_pool import selected_pool  # REWARDKIT_SANDBOX_RAY routes to Ray actors

    if tests is None or (isinstance(tests, list | tuple | dict | str) and not tests):
        return Outcome.not_applicable("row has no tests")
    language = (language or "python").lower()
    fence = _LANGUAGES.get(language)
    if fence is None:
        return Outcome.not_applicable(
            f"language {language!r} is not supported; valid: 'python', 'c', 'cpp'"
        )
    code = extract_code(completion.answer_text, fence)
    if code is None:
        return Outcome.unparseable(f"no {language} code block in the completion")
    try:
        result = selected_pool().run_tests(
            code,
            tests,
            language=fence,
            partial_credit=partial_credit,
            max_tests=max_tests,
            timeout=timeout,
            float_tolerance=float_tolerance,
        )
    except TestFormatError as exc:
        return Outcome.not_applicable(f"tests: {exc}")
    except LanguageUnavailableError as exc:  # fail closed: no compiler is not a wrong answer
        return Outcome.not_applicable(str(exc))
    except SandboxError as exc:  # e.g. no fork server could start: the sandbox's fault
        return Outcome.error(f"sandbox infrastructure error: {exc}", infra_error=True)
    extras: dict[str, Any] = {
        "status": result.status.value,
        "passed": result.passed,
        "total": result.total,
        "wall_s": round(result.usage.wall_s, 4),
    }
    if result.status is TestVerdict.INFRA_ERROR:
        extras["infra_error"] = True  # counted by `rewardkit score --max-infra-error-rate`
        return Outcome.error(f"sandbox infrastructure error: {result.detail}", **extras)
    score = result.fraction if partial_credit else float(result.status is TestVerdict.PASS)
    reason = f"passed {result.passed}/{result.total}"
    if result.first_failure is not None:
        failure = result.first_failure
        extras["first_failure"] = failure.index
        reason += f"; test {failure.index} {failure.status.value}: {failure.reason[:160]}"
    return Outcome.ok(score, reason, **extras)


def _pool_width() -> int:
    from ..sandbox.ray_pool import selected_pool

    return max(1, int(getattr(selected_pool(), "workers", 1) or 1))


# ``cheap=True`` tells the engine to call this in the caller's process rather than in one
# of its worker processes: the sandbox is the isolation boundary (it enforces wall time,
# memory and output caps on the candidate), and running it inside engine workers would start
# one fork-server pool per worker. ``batched=True`` lets one call fan a batch out over every
# fork server of the pool at once.
@reward(range=(0, 1), version="2", batched=True, cheap=True)
def code_tests(
    completion: Sequence[Completion],
    tests: Sequence[Any] | None = None,
    language: Sequence[str | None] | None = None,
    *,
    partial_credit: bool = False,
    timeout: float | None = None,
    max_tests: int | None = None,
    float_tolerance: float | None = None,
) -> list[Outcome]:
    """1.0 if the completion's code passes every test of the row (or the fraction passed).

    ``tests`` is a list of assert statements run after the code (seed 002's ``test_cases``:
    map it with ``--map tests=test_cases``), ``{"inputs": [...], "outputs": [...]}`` for
    stdin/stdout, ``{"fn_name": ..., "cases": [[args, expected], ...]}`` for calls, or
    HumanEval's ``{"test": ..., "entry_point": ...}``. Without ``partial_credit`` it stops at
    the first failing test; ``max_tests`` caps the tests run, ``timeout`` is per test. The
    rows of a batch run concurrently, one per fork server. ``language`` (default python) may
    be ``c`` or ``cpp``/``c++``: compiled with gcc/g++ inside the sandbox, stdin/stdout tests
    only; no compiler here → ``NOT_APPLICABLE``.

    Example:
        >>> out = code_tests.score({"completion": "```python\\ndef f(x):\\n    return x + 1\\n```",
        ...                         "tests": ["assert f(1) == 2"]})  # doctest: +SKIP
        >>> out.score  # doctest: +SKIP
        1.0
    """
    n = len(completion)
    test_list = list(tests) if tests is not None else [None] * n
    langs = list(language) if language is not None else ["python"] * n

    def one(i: int) -> Outcome:
        return _score_one(
            completion[i],
            test_list[i],
            langs[i],
            partial_credit,
            timeout,
            max_tests,
            float_tolerance,
        )

    if n <= 1:
        return [one(i) for i in range(n)]
    with ThreadPoolExecutor(max_workers=min(n, _pool_width()), thread_name_prefix="rk-code") as ex:
        return list(ex.map(one, range(n)))
