"""Seed 002's reward functions (``grpo_code.soft_format_reward_func``,
``grpo_code.code_execution_reward_func``) with the behaviour the document relies on.

The document names these functions in its Axolotl config but does not print their code; they
come from the ``grpo_code`` package the guide is written for. What they compute (the facts this
module reproduces, each checked side by side in ``tests/recipes/test_seed002_compat.py``):

* ``soft_format_reward_func``: 0.25 when the first message's content *starts with*
  ``<reasoning>…</reasoning>``, optional whitespace, ``<answer>…</answer>`` (``re.match``,
  ``.`` matches newlines, anything may follow), else 0.0;
* ``code_execution_reward_func``: the text of the first ``<answer>…</answer>`` (non-greedy,
  across newlines, stripped; ``""`` when there is none — and the empty program *runs*) is run as
  a Python program; 0.5 when it runs to the end without an uncaught exception, -0.25 otherwise
  (syntax error, exception, time limit). It ignores the row's tests;
* ``answer_execution_reward_func`` (the package's third reward, not used by the document's
  config): the answer plus each of the row's ``assert`` tests, run one test per program;
  ``2 * accuracy**3``, 0.0 for a row without tests.

What deliberately differs: the package runs the program in a WASM CPython 3.12 with an
instruction budget (``FUEL``) and a 1 s task timeout; here it runs in rewardkit's sandbox
(a jailed CPython, same interpreter as the trainer) with a 1 s limit (``TASK_TIMEOUT``).
Programs that hit one environment's limit and not the other's (instruction budget vs time,
memory, the sandbox's output cap) or import a module only one of them has (numpy is in the
jail, not in the WASM build) can score differently; a *sandbox* fault is an ``ERROR`` outcome
(left out of the mean), never -0.25.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rewardkit import from_trl

__all__ = [
    "answer_execution_reward_func",
    "code_execution_reward_func",
    "extract_xml_answer",
    "soft_format_reward_func",
]

_SOFT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>.*", re.S)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)
#: The package's per-task timeout in seconds, read from the same ``TASK_TIMEOUT`` variable.
TIMEOUT_S = float(os.environ.get("TASK_TIMEOUT", "1"))


def _text(completion: Any) -> str:
    """The package reads ``completion[0]["content"]`` (chat messages, first message)."""
    if isinstance(completion, str):
        return completion
    return str(completion[0]["content"])


def extract_xml_answer(text: str) -> str:
    """The first ``<answer>…</answer>``'s text, stripped; ``""`` when there is none."""
    match = _ANSWER.search(text)
    return match.group(1).strip() if match else ""


def _runs(programs: Sequence[str], timeout: float) -> list[bool]:
    """Whether each program runs to its end (exit 0) in the sandbox, concurrently.

    A sandbox infrastructure fault raises: the wrapper turns it into an ERROR outcome for
    the batch instead of scoring a program the sandbox never ran as a failure.
    """
    from rewardkit.sandbox import SandboxError, Status, default_pool

    pool = default_pool()

    def one(code: str) -> bool:
        result = pool.execute(code, timeout=timeout)
        if result.status is Status.INFRA_ERROR:
            raise SandboxError(f"sandbox infrastructure error: {result.detail}")
        return result.status is Status.PASS

    if len(programs) <= 1:
        return [one(p) for p in programs]
    width = max(1, min(len(programs), int(getattr(pool, "workers", 1) or 1)))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="rk-seed002") as ex:
        return list(ex.map(one, programs))


def _soft_format(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.25 when the text starts with a reasoning block then an answer block."""
    return [0.25 if _SOFT.match(_text(c)) else 0.0 for c in completions]


def _code_execution(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """0.5 when the answer's program runs without an uncaught exception, else -0.25."""
    programs = [extract_xml_answer(_text(c)) for c in completions]
    return [0.5 if ok else -0.25 for ok in _runs(programs, TIMEOUT_S)]


def _answer_execution(
    completions: Sequence[Any], answers: Sequence[Any] | None = None, **kwargs: Any
) -> list[float]:
    """``2 * (fraction of the row's asserts that pass)**3``; 0.0 for a row without tests."""
    programs: list[str] = []
    owner: list[int] = []
    for i, (completion, tests) in enumerate(zip(completions, answers or [], strict=False)):
        code = extract_xml_answer(_text(completion))
        for test in tests or []:
            programs.append(code + "\n" + str(test))
            owner.append(i)
    results = _runs(programs, TIMEOUT_S)
    per_row: dict[int, list[bool]] = {}
    for i, ok in zip(owner, results, strict=True):
        per_row.setdefault(i, []).append(ok)
    out = []
    for i in range(len(completions)):
        got = per_row.get(i)
        out.append(2.0 * (sum(got) / len(got)) ** 3 if got else 0.0)
    return out


# cheap: the format is a regex; the execution rewards run their programs in the sandbox (the
# isolation boundary), so the engine calls them inline instead of starting a sandbox per worker.
soft_format_reward_func = from_trl(
    _soft_format, name="soft_format_reward_func", range=(0.0, 0.25), cheap=True
)
code_execution_reward_func = from_trl(
    _code_execution, name="code_execution_reward_func", range=(-0.25, 0.5), cheap=True, batch=True
)
answer_execution_reward_func = from_trl(
    _answer_execution,
    name="answer_execution_reward_func",
    range=(0.0, 2.0),
    cheap=True,
    batch=True,
)
