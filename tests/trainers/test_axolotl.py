"""Axolotl: dotted reward paths, dataset ``type:`` factories and the generated GRPO config.

Axolotl 0.21 needs Python >= 3.12, so CI checks against the resolution rules
documented in anchors-trainers §3.2/§3.3, restated below as two small functions
(``axolotl_*``); the GPU machine runs the same config through Axolotl's own
loaders (bench/gpu/trainers_axolotl_check.py).
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rewardkit as rk
from rewardkit.trainers import axolotl_rewards
from rewardkit.trainers.axolotl import (
    AxolotlResolutionError,
    PromptTransform,
    RewardDependencyError,
    axolotl_config_command,
    check_config,
    for_axolotl,
    resolve_reward_func,
    resolve_transform,
    write_axolotl_config,
)

yaml = pytest.importorskip("yaml")


# -- Axolotl 0.21's two resolution rules, as documented in anchors-trainers §3.2/§3.3 and
# -- stated here in our own words (the GPU run in bench/gpu/ uses Axolotl's own loaders) -------


def axolotl_get_reward_func(path: str) -> Any:
    """§3.2: the text before the last dot is imported as a module and the last part is read
    from it; it must take at least two parameters. A ModuleNotFoundError during that import --
    even one raised inside the module for a missing dependency -- is reported as "Reward
    function ... not found" (a non-empty local directory is taken as a reward model instead).
    """
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if os.path.isdir(path) and os.listdir(path):
            return path
        raise ValueError(f"Reward function {path} not found.") from exc
    fn = getattr(module, attr)
    if len(inspect.signature(fn).parameters) < 2:
        raise ValueError("Reward function must accept at least two arguments")
    return fn


def axolotl_load(type_: str, cfg: Any, **kwargs: Any) -> Any:
    """§3.3: a user dataset ``type:`` works only as ``module.factory``: the second-to-last
    part is imported as a top-level module and the last part is called with ``cfg`` and the
    keyword arguments. Any failure is swallowed and yields ``None`` (the transform is then
    silently skipped), so a deeper path such as ``pkg.sub.factory`` never resolves.
    """
    parts = type_.split(".")
    if len(parts) < 2:
        return None  # a bare name means one of Axolotl's own built-in strategies
    try:
        module = importlib.import_module(parts[-2])
        return getattr(module, parts[-1])(cfg, **kwargs)
    except Exception:
        return None


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path`` on sys.path (Axolotl's launchers put the working directory there)."""
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            mod = sys.modules.get(name)
            if str(tmp_path) in str(getattr(mod, "__file__", "") or ""):
                del sys.modules[name]


# -- rewards by dotted path -------------------------------------------------------------------


def test_every_builtin_resolves_as_a_dotted_path() -> None:
    names = [r.name for r in rk.available() if r.provider == "rewardkit (built-in)"]
    assert "xml_format" in names and "exact_match" in names
    for name in names:
        fqn = f"rewardkit.trainers.axolotl_rewards.{name}"
        fn = axolotl_get_reward_func(fqn)
        assert fn is resolve_reward_func(fqn)
        assert fn.__name__ == name
        assert not inspect.iscoroutinefunction(fn.__call__)  # Axolotl's CP trainer calls sync
    assert set(names) <= set(dir(axolotl_rewards))
    out = axolotl_rewards.xml_format(
        prompts=["q"], completions=["<reasoning>a</reasoning><answer>b</answer>"]
    )
    assert out == [1.0]


def test_unknown_reward_name_suggests() -> None:
    with pytest.raises(AttributeError, match="did you mean 'xml_format'"):
        axolotl_rewards.xml_fromat  # noqa: B018
    with pytest.raises(AxolotlResolutionError, match="xml_fromat"):
        resolve_reward_func("rewardkit.trainers.axolotl_rewards.xml_fromat")


def test_missing_optional_dependency_is_not_reported_as_not_found(on_path: Path) -> None:
    (on_path / "rk_needs_dep.py").write_text(
        "import rk_package_that_does_not_exist\n\ndef reward(prompts, completions, **kw):\n"
        "    return [0.0] * len(completions)\n"
    )
    # Axolotl itself turns this into a misleading "not found"
    with pytest.raises(ValueError, match="not found"):
        axolotl_get_reward_func("rk_needs_dep.reward")
    # rewardkit's checker names the missing package instead
    with pytest.raises(RewardDependencyError, match="rk_package_that_does_not_exist"):
        resolve_reward_func("rk_needs_dep.reward")
    assert not issubclass(RewardDependencyError, ModuleNotFoundError)
    with pytest.raises(AxolotlResolutionError, match="no module"):
        resolve_reward_func("rk_no_such_module.reward")


def test_for_axolotl_names_are_identifiers(on_path: Path) -> None:
    got = for_axolotl(["xml_format(mode=strict)", "0.5*xml_count", "exact_match"])
    assert list(got) == ["xml_format_mode_strict", "r_0_5_xml_count", "exact_match"]
    (on_path / "rk_user_rewards.py").write_text(
        "from rewardkit.trainers.axolotl import for_axolotl\n"
        "globals().update(for_axolotl(['xml_format(mode=strict)', '0.5*xml_count']))\n"
    )
    fn = axolotl_get_reward_func("rk_user_rewards.r_0_5_xml_count")
    assert fn(prompts=["q"], completions=["x"]) == [0.0]


# -- dataset transforms -----------------------------------------------------------------------


def test_transform_only_resolves_as_two_parts(on_path: Path) -> None:
    pkg = on_path / "rk_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from rk_pkg.sub import make\n")
    (pkg / "sub.py").write_text(
        "from rewardkit.trainers.axolotl import PromptTransform\n"
        "make = PromptTransform('question', answer_after='####', keep=('task',))\n"
    )
    cfg: dict[str, Any] = {}
    fn, kwargs = axolotl_load("rk_pkg.make", cfg, dataset_idx=0)
    assert kwargs == {"remove_columns": "__all__"}
    row = fn({"question": "2+2?", "answer": "four #### 4", "task": "math", "x": 1})
    assert row == {
        "prompt": [{"role": "user", "content": "2+2?"}],
        "answer": "4",
        "task": "math",
    }
    assert resolve_transform("rk_pkg.make", cfg)[1] == kwargs
    # a nested path silently fails in Axolotl; rewardkit's checker says why
    assert axolotl_load("rk_pkg.sub.make", cfg, dataset_idx=0) is None
    with pytest.raises(AxolotlResolutionError, match="2 parts"):
        resolve_transform("rk_pkg.sub.make", cfg)


def test_prompt_transform_plain_and_system() -> None:
    fn, _ = PromptTransform("q", answer="", system_prompt="Be brief.", conversational=False)()
    assert fn({"q": "hi"}) == {"prompt": "Be brief.\n\nhi"}
    fn, _ = PromptTransform("q", system_prompt="S", template="Q: {q}")(None)
    assert fn({"q": "hi", "answer": 3})["prompt"][0] == {"role": "system", "content": "S"}
    with pytest.raises(KeyError, match="column 'q'"):
        fn({"question": "hi"})


# -- the config generator ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpus", "expected"),
    [
        (1, ["axolotl train grpo.yaml"]),
        (
            2,
            [
                "CUDA_VISIBLE_DEVICES=0 axolotl vllm-serve grpo.yaml",
                "CUDA_VISIBLE_DEVICES=1 axolotl train grpo.yaml",
            ],
        ),
        (
            8,
            [
                "CUDA_VISIBLE_DEVICES=0,1 axolotl vllm-serve grpo.yaml",
                "CUDA_VISIBLE_DEVICES=2,3,4,5,6,7 axolotl train grpo.yaml --num-processes 6",
            ],
        ),
    ],
)
def test_config_layouts(on_path: Path, gpus: int, expected: list[str]) -> None:
    written = write_axolotl_config(
        on_path / "grpo.yaml",
        base_model="Qwen/Qwen2.5-0.5B-Instruct",
        rewards=["xml_format", "xml_format(mode=strict)", "0.5*xml_count + exact_match"],
        weights=[0.5, 0.5, 1.0],
        dataset="openai/gsm8k",
        dataset_name="main",
        answer_after="####",
        gpus=gpus,
        module=f"rk_grpo_{gpus}",
    )
    assert written.commands == expected
    cfg = yaml.safe_load(written.config_path.read_text())
    assert cfg == written.config  # the hand-written YAML round-trips
    assert cfg["rl"] == "grpo" and cfg["trl"]["use_vllm"] is True
    trl_cfg = cfg["trl"]
    assert trl_cfg["reward_funcs"][0] == "rewardkit_axolotl.xml_format"
    assert trl_cfg["reward_funcs"][1] == f"rk_grpo_{gpus}.xml_format_mode_strict"
    assert trl_cfg["reward_weights"] == [0.5, 0.5, 1.0]
    if gpus == 1:
        assert trl_cfg["vllm_mode"] == "colocate"
    else:
        assert trl_cfg["vllm_mode"] == "server"
        assert cfg["vllm"]["tensor_parallel_size"] == (2 if gpus == 8 else 1)
        assert trl_cfg["vllm_server_port"] == cfg["vllm"]["port"]
    assert cfg["datasets"][0]["type"] == f"rk_grpo_{gpus}.prompt_transform"
    assert check_config(written.config_path) == []
    # and Axolotl's own rules accept every path
    for fqn in trl_cfg["reward_funcs"]:
        fn = axolotl_get_reward_func(fqn)
        assert isinstance(fn([["q"]] and ["q"], ["<answer>4</answer>"], answer=["4"]), list)
    assert axolotl_load(cfg["datasets"][0]["type"], cfg, dataset_idx=0) is not None


def test_config_rejects_bad_batches_and_reports_problems(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="divisible by num_generations"):
        write_axolotl_config(
            tmp_path / "c.yaml",
            base_model="m",
            rewards=["xml_format"],
            dataset="d",
            num_generations=8,
            micro_batch_size=3,
            gradient_accumulation_steps=1,
        )
    problems = check_config(
        {
            "rl": "grpo",
            "trl": {
                "reward_funcs": ["rewardkit_axolotl.xml_format", "nomod.fn"],
                "reward_weights": [1.0],
                "num_generations": 4,
            },
            "micro_batch_size": 3,
            "datasets": [{"path": "x", "type": "a.b.c"}],
        }
    )
    text = "\n".join(problems)
    assert "reward_weights has 1 entries for 2" in text
    assert "no module 'nomod'" in text
    assert "2 parts" in text
    assert "not divisible" in text


def test_cli_command(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(axolotl_config_command)
    out = tmp_path / "g.yaml"
    result = CliRunner().invoke(
        app,
        [
            "--model", "Qwen/Qwen2.5-0.5B-Instruct", "--dataset", "openai/gsm8k",
            "-r", "xml_format", "-r", "exact_match", "-w", "0.2", "-w", "1",
            "--gpus", "2", "--answer-after", "####", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "CUDA_VISIBLE_DEVICES=0 axolotl vllm-serve g.yaml" in result.output
    cfg = yaml.safe_load(out.read_text())
    assert cfg["trl"]["reward_weights"] == [0.2, 1.0]
    assert (tmp_path / "rk_grpo.py").exists()


def test_generated_module_without_rewardkit_is_not_a_module_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = write_axolotl_config(
        tmp_path / "g.yaml", base_model="m", rewards=["xml_format"], dataset="d", module="rk_gen"
    )
    assert written.module_path is not None
    source = written.module_path.read_text()
    monkeypatch.setitem(sys.modules, "rewardkit.trainers.axolotl", None)  # "not installed"
    with pytest.raises(ImportError, match="needs rewardkit") as info:
        exec(compile(source, "rk_gen.py", "exec"), {"__name__": "rk_gen"})
    # Axolotl catches ModuleNotFoundError and misreports it; a plain ImportError surfaces
    assert not isinstance(info.value, ModuleNotFoundError)


def _import_like_axolotl_0_8(fqn: str) -> Any:
    # axolotl 0.8.x, GRPOStrategy.get_reward_func: the second-to-last component only
    module = importlib.import_module(fqn.split(".")[-2])
    return getattr(module, fqn.split(".")[-1])


def _import_like_axolotl_current(fqn: str) -> Any:
    # current axolotl: everything before the last dot
    module = importlib.import_module(".".join(fqn.split(".")[:-1]))
    return getattr(module, fqn.split(".")[-1])


@pytest.mark.parametrize("loader", [_import_like_axolotl_0_8, _import_like_axolotl_current])
def test_builtin_paths_import_under_both_axolotl_rules(loader: Any) -> None:
    from rewardkit.trainers.axolotl import BUILTIN_PATH

    fn = loader(f"{BUILTIN_PATH}.xml_format")
    assert len(inspect.signature(fn).parameters) >= 2  # axolotl's own check
    scores = fn(prompts=["p"], completions=["<reasoning>x</reasoning><answer>4</answer>"])
    assert scores == [1.0]
