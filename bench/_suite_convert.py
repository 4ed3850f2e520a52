"""Convert public math-equivalence test suites into ``bench/data/math_suites.json``.

Run once by hand (it reads the test files from local git mirrors of the peer
repositories; the bench itself only reads the JSON). Every parametrized row of
every listed test function is kept, in file order: no selection. Rows that are
not a (gold, prediction, label) triple (API tests on sympy objects, string
extraction configs) are kept too, marked ``scored: false`` with the reason.

    python bench/_suite_convert.py MIRROR_ROOT

The test files are trusted source, parsed with :mod:`ast`; the parametrize
lists are evaluated with stand-ins for the few non-literal names they use
(``Language.FRENCH`` → ``"fr"``, ``StringExtractionConfig(...)`` → a dict).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SOURCES = [
    ("math-verify", "huggingface/Math-Verify", "tests/test_all.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_boxed.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_numina_cases.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_open_thoughts.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_strict.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_yujianll.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_string_extraction.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_configs.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_timeout.py"),
    ("math-verify", "huggingface/Math-Verify", "tests/test_raise_on_error.py"),
    ("lighteval", "huggingface/lighteval", "tests/unit/metrics/test_extractive_match.py"),
]

DEFAULTS: dict[str, Any] = {
    "match_types": ["latex", "expr"],
    "precision": 6,
    "strict": True,
    "allow_set_relation_comp": False,
    "language": "en",
}


class _Lang:
    def __getattr__(self, name: str) -> str:
        return name.lower()[:2] if name != "ENGLISH" else "en"


class _Sympy:
    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: {"sympy": name, "args": [repr(x) for x in a]}


def _cfg(*a: Any, **k: Any) -> dict[str, Any]:
    return {"config": {key: repr(v) for key, v in k.items()}}


class _Pytest:
    @staticmethod
    def param(*values: Any, **k: Any) -> tuple[Any, ...]:
        return tuple(values)


NS = {
    "Language": _Lang(),
    "sympy": _Sympy(),
    "StringExtractionConfig": _cfg,
    "pytest": _Pytest(),
    "math": __import__("math"),
}


def _call_kwargs(fn: ast.FunctionDef) -> dict[str, Any]:
    """The keyword arguments the test body passes to its comparison helper."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "compare_strings":
                out: dict[str, Any] = {}
                for kw in node.keywords:
                    if kw.arg is None:
                        continue
                    out[kw.arg] = ast.unparse(kw.value)
                # positional language / match_types (lighteval helper)
                if len(node.args) > 2:
                    out["language"] = ast.unparse(node.args[2])
                if len(node.args) > 3:
                    out["match_types"] = ast.unparse(node.args[3])
                return out
            if node.func.id == "verify":
                return {"call": "verify(parse(gold), parse(pred))"}
    return {}


def _rows(path: str, text: str) -> list[dict[str, Any]]:
    tree = ast.parse(text)
    out: list[dict[str, Any]] = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test"):
            continue
        params = [
            d
            for d in fn.decorator_list
            if isinstance(d, ast.Call) and "parametrize" in ast.unparse(d.func)
        ]
        call = _call_kwargs(fn)
        if not params:
            out.append(
                {
                    "test": fn.name,
                    "line": fn.lineno,
                    "scored": False,
                    "why": "API test without a (gold, prediction) row",
                }
            )
            continue
        dec = params[0]
        names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(",")]
        values = eval(compile(ast.Expression(dec.args[1]), path, "eval"), dict(NS))  # noqa: S307
        elts = dec.args[1].elts if isinstance(dec.args[1], ast.List | ast.Tuple) else []
        for k, v in enumerate(values):
            row = dict(zip(names, v if isinstance(v, tuple) else (v,), strict=True))
            line = elts[k].lineno if k < len(elts) else dec.lineno
            rec: dict[str, Any] = {"test": fn.name, "line": line}
            if "gold" not in row or "pred" not in row:
                rec.update(scored=False, why="string-extraction config test", row=repr(row))
                out.append(rec)
                continue
            cfg = dict(DEFAULTS)
            for key, src in call.items():
                if key in row:
                    continue
                if key in ("gold", "pred", "expected"):
                    continue
                try:
                    cfg[key] = ast.literal_eval(src)
                except ValueError:
                    name = src.strip()
                    if name in row:
                        cfg[key] = row[name]
            for key in ("precision", "strict", "allow_set_relation_comp", "language", "match_type"):
                if key in row:
                    cfg["match_types" if key == "match_type" else key] = row[key]
            if isinstance(cfg["match_types"], str):
                cfg["match_types"] = [cfg["match_types"]]
            expected = row.get("expected", row.get("result"))
            rec.update(
                scored=True,
                gold=row["gold"],
                pred=row["pred"],
                expected=int(expected),
                config=cfg,
            )
            out.append(rec)
    return out


# TRL / open-r1 accuracy-reward tests are unittest methods with inline lists: transcribed
# row by row (test method, line of the completion). ``expected`` None: the reward must
# return None (unparseable gold). ``reasoning``: scored as reasoning_accuracy_reward
# (the answer must follow a closed ``</think>``).
HAND: list[tuple[str, str, str, int, str, str, int | None, bool]] = [
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_correct_answer",
        184,
        r"\frac{63}{400}",
        r"\boxed{\frac{63}{400}}",
        1,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_correct_answer",
        184,
        "63/400",
        r"\boxed{\frac{63}{400}}",
        1,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_wrong_answer",
        193,
        r"\frac{63}{400}",
        r"\boxed{\frac{64}{400}}",
        0,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_wrong_answer_no_latex",
        201,
        "6",
        r"\boxed{3}",
        0,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_unparsable_gold",
        209,
        "Answer is forty two.",
        "Answer is forty two.",
        None,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_unparsable_gold",
        210,
        "Answer is forty three.",
        r"Some other content. \boxed{43}.",
        None,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_accuracy_reward_in_worker_thread",
        222,
        r"\frac{1}{3}",
        r"\boxed{\frac{1}{3}}",
        1,
        False,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_correct_answer_yields_unit_reward",
        247,
        r"\frac{63}{400}",
        r"<think> Reasoning content </think> \boxed{\frac{63}{400}}",
        1,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_correct_answer_yields_unit_reward",
        248,
        r"\frac{63}{400}",
        r"Reasoning content </think> \boxed{\frac{63}{400}}",
        1,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_incorrect_answer_yields_zero_reward",
        268,
        r"\frac{63}{400}",
        r"<think> Reasoning content </think> \boxed{\frac{64}{400}}",
        0,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_correct_answer_in_reasoning_yields_zero_reward",
        276,
        r"\boxed{42}",
        r"<think> My answer is \boxed{42} </think> Some other text.",
        0,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_correct_answer_in_reasoning_yields_zero_reward",
        277,
        r"\boxed{42}",
        r"<think> The answer is \boxed{42} </think> Here's a wrong answer: \boxed{43}.",
        0,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_incomplete_reasoning_yields_zero_reward",
        287,
        r"\frac{63}{400}",
        r"<think> Incomplete reasoning without closing tag",
        0,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_incomplete_reasoning_yields_zero_reward",
        288,
        r"\frac{63}{400}",
        r"Correct answer \frac{63}{400} but completely missing reasoning content",
        0,
        True,
    ),
    (
        "trl",
        "huggingface/trl",
        "test_unparsable_gold_solution_yields_none_reward",
        298,
        "forty two",
        r"<think> Reasoning content </think> \boxed{42}",
        None,
        True,
    ),
    (
        "open-r1",
        "huggingface/open-r1",
        "test_accuracy_reward_correct_answer",
        81,
        r"\frac{63}{400}",
        r"\boxed{\frac{63}{400}}",
        1,
        False,
    ),
    (
        "open-r1",
        "huggingface/open-r1",
        "test_accuracy_reward_wrong_answer",
        88,
        r"\frac{63}{400}",
        r"\boxed{\frac{64}{400}}",
        0,
        False,
    ),
    (
        "open-r1",
        "huggingface/open-r1",
        "test_accuracy_reward_wrong_answer_no_latex",
        95,
        "6",
        r"\boxed{3}",
        0,
        False,
    ),
    (
        "open-r1",
        "huggingface/open-r1",
        "test_multiple_completions",
        143,
        r"\frac{63}{400}",
        r"\boxed{\frac{63}{400}}",
        1,
        False,
    ),
    (
        "open-r1",
        "huggingface/open-r1",
        "test_multiple_completions",
        144,
        r"\frac{63}{400}",
        r"\boxed{\frac{64}{400}}",
        0,
        False,
    ),
]


def main(mirror_root: str) -> None:
    root = Path(mirror_root)
    data: dict[str, Any] = {"sources": [], "rows": []}
    for suite, repo, path in SOURCES:
        git = root / repo.replace("/", "+") / "repo"
        commit = subprocess.check_output(["git", "-C", str(git), "rev-parse", "HEAD"], text=True)
        text = subprocess.check_output(["git", "-C", str(git), "show", f"HEAD:{path}"], text=True)
        data["sources"].append(
            {"suite": suite, "repo": repo, "path": path, "commit": commit.strip()}
        )
        for rec in _rows(path, text):
            rec.update(suite=suite, repo=repo, path=path)
            data["rows"].append(rec)
    for suite, repo, test, line, gold, pred, expected, reasoning in HAND:
        git = root / repo.replace("/", "+") / "repo"
        commit = subprocess.check_output(["git", "-C", str(git), "rev-parse", "HEAD"], text=True)
        src = {
            "suite": suite,
            "repo": repo,
            "path": "tests/test_rewards.py",
            "commit": commit.strip(),
        }
        if src not in data["sources"]:
            data["sources"].append(src)
        cfg = dict(DEFAULTS, reasoning=reasoning)
        data["rows"].append(
            {
                "test": test,
                "line": line,
                "scored": True,
                "gold": gold,
                "pred": pred,
                "expected": expected,
                "config": cfg,
                "suite": suite,
                "repo": repo,
                "path": "tests/test_rewards.py",
            }
        )
    out = Path(__file__).parent / "data" / "math_suites.json"
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    scored = sum(r["scored"] for r in data["rows"])
    print(f"{len(data['rows'])} rows ({scored} scored) -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror")
