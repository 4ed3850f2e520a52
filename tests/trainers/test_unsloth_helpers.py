"""Unsloth helpers without Unsloth: import order, call-time class lookup, model loading calls.

A stand-in ``unsloth`` module records what the helpers call; the real thing runs
on the GPU machine (bench/gpu/trainers_unsloth_step.py).
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

import pytest

from rewardkit.trainers import unsloth as rku


class FakeFast:
    calls: list[tuple[str, dict[str, Any]]] = []

    @classmethod
    def from_pretrained(cls, **kw: Any) -> tuple[str, str]:
        cls.calls.append(("from_pretrained", kw))
        return "model", "tokenizer"

    @classmethod
    def get_peft_model(cls, model: Any, **kw: Any) -> str:
        cls.calls.append(("get_peft_model", kw))
        return "peft-model"


@pytest.fixture
def fake_unsloth(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    mod = types.ModuleType("unsloth")
    mod.FastLanguageModel = FakeFast  # type: ignore[attr-defined]
    trl = types.ModuleType("trl")

    class UnslothGRPOTrainer:  # what unsloth rebinds trl.GRPOTrainer to at import
        pass

    trl.GRPOTrainer = UnslothGRPOTrainer  # type: ignore[attr-defined]
    trl.GRPOConfig = dict  # type: ignore[attr-defined]
    real_import = rku.importlib.import_module

    def fake_import(name: str, *a: Any) -> Any:
        if name == "unsloth":
            monkeypatch.setitem(sys.modules, "unsloth", mod)
            return mod
        if name == "trl":
            return trl
        return real_import(name, *a)

    monkeypatch.setattr(rku.importlib, "import_module", fake_import)
    monkeypatch.delitem(sys.modules, "unsloth", raising=False)
    FakeFast.calls = []
    return mod


def test_warns_when_trl_came_first(
    fake_unsloth: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trl", types.ModuleType("trl"))
    with pytest.warns(rku.UnslothImportOrderWarning, match="before unsloth"):
        assert rku.import_unsloth() is fake_unsloth
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rku.import_unsloth()  # unsloth is imported now: no second warning


def test_no_warning_in_the_right_order(
    fake_unsloth: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in rku.PATCHED_LIBRARIES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rku.import_unsloth()


def test_trainer_class_is_looked_up_at_call_time(fake_unsloth: types.ModuleType) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert rku.grpo_trainer_class().__name__ == "UnslothGRPOTrainer"
        assert rku.grpo_config_class() is dict


def test_load_model_calls_fast_language_model(fake_unsloth: types.ModuleType) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, tok = rku.load_model("/models/tiny", lora_rank=8, max_seq_length=256)
    assert (model, tok) == ("peft-model", "tokenizer")
    (k1, kw1), (k2, kw2) = FakeFast.calls
    assert k1 == "from_pretrained" and kw1["model_name"] == "/models/tiny"
    assert kw1["fast_inference"] is False and "max_lora_rank" not in kw1
    assert k2 == "get_peft_model" and kw2["r"] == 8 and kw2["lora_alpha"] == 8


def test_missing_unsloth_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str, *a: Any) -> Any:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(rku.importlib, "import_module", missing)
    monkeypatch.delitem(sys.modules, "unsloth", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ImportError, match="pip install unsloth"):
            rku.import_unsloth()
