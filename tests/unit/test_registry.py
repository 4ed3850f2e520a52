"""The pluggy registry: lookup, suggestions, duplicates, register(), lazy import."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

import rewardkit as rk
from rewardkit import DuplicateRewardError, Reward, UnknownRewardError, reward
from rewardkit.hookspecs import hookimpl
from rewardkit.registry._registry import Registry

BUILTINS = {
    "cosine_length",
    "exact_match",
    "f1",
    "length_penalty",
    "repetition_penalty",
    "soft_overlong",
    "tag_count",
    "think_format",
    "unique_chars",
    "xml_count",
    "xml_format",
}


def _module(name: str, **rewards: Reward) -> types.ModuleType:
    mod = types.ModuleType(name)
    vars(mod).update(rewards)
    return mod


class TestLookup:
    def test_builtins_available_and_labelled(self) -> None:
        builtin = {r.name: r for r in rk.available() if r.provider == "rewardkit (built-in)"}
        assert BUILTINS <= set(builtin)
        assert all(isinstance(r, Reward) for r in builtin.values())
        names = [r.name for r in rk.available()]
        assert names == sorted(names)

    def test_get_returns_the_registered_object(self) -> None:
        from rewardkit.rewards.format import xml_format

        assert rk.get("xml_format") is xml_format
        assert rk.get("xml_format", mode="strict").options["mode"] == "strict"

    def test_every_builtin_has_a_description_and_example(self) -> None:
        for name in BUILTINS:
            rw = rk.get(name)
            assert rw.description, name
            assert "Example:" in (rw.fn.__doc__ or ""), name

    def test_unknown_name_suggests_close_ones(self) -> None:
        with pytest.raises(UnknownRewardError) as exc:
            rk.get("xml_fromat")
        err = exc.value
        assert err.name == "xml_fromat"
        assert "xml_format" in err.suggestions
        assert "Did you mean 'xml_format'" in str(err)
        assert "rewardkit list" in str(err)
        assert isinstance(err, LookupError)

    def test_unknown_name_without_suggestions(self) -> None:
        with pytest.raises(UnknownRewardError) as exc:
            rk.get("zzzzzzzz")
        assert exc.value.suggestions == []
        assert "Did you mean" not in str(exc.value)

    def test_user_reward_found_by_name(self) -> None:
        @reward
        def rk_reg_user_only(completion: str) -> float:
            return 1.0

        assert rk.get("rk_reg_user_only") is rk_reg_user_only
        assert rk_reg_user_only in rk.available()

    def test_user_reward_shadowing_a_builtin_is_a_duplicate(self) -> None:
        reg = Registry()

        def think_format(completion: str) -> float:  # same name as the built-in
            return 1.0

        # Reward(), not @reward: the decorator would note it in the global registry too
        reg.note_user(Reward(think_format))
        with pytest.raises(DuplicateRewardError) as exc:
            reg.get("think_format")
        first, second = exc.value.providers
        assert first == "rewardkit (built-in)"
        assert second.startswith("user code (") and "test_registry.py" in second


class TestRegister:
    def test_register_module(self) -> None:
        @reward(range=(0, 1))
        def rk_reg_mod_a(completion: str) -> float:
            return 1.0

        reg = Registry()
        reg.register(_module("my_rewards_mod", rk_reg_mod_a=rk_reg_mod_a))
        assert reg.get("rk_reg_mod_a") is rk_reg_mod_a
        assert rk_reg_mod_a.provider == "my_rewards_mod"

    def test_register_plugin_object_with_hook(self) -> None:
        @reward
        def rk_reg_hook(completion: str) -> float:
            return 0.0

        class Plugin:
            @hookimpl
            def rewardkit_rewards(self) -> list[Reward]:
                return [rk_reg_hook]

        reg = Registry()
        reg.register(Plugin(), name="my-plugin")
        assert reg.get("rk_reg_hook").provider == "my-plugin"

    def test_register_reward_objects(self) -> None:
        @reward
        def rk_reg_obj(completion: str) -> float:
            return 0.0

        reg = Registry()
        reg.register([rk_reg_obj], name="listed")
        assert "rk_reg_obj" in reg.names()

    def test_reexported_builtin_keeps_its_provider(self) -> None:
        reg = Registry()
        reg.register(_module("reexports", xml_format=rk.get("xml_format")))
        assert reg.get("xml_format").provider == "rewardkit (built-in)"

    def test_duplicate_names_both_providers_and_rolls_back(self) -> None:
        def count(completion: str) -> float:
            return 1.0

        my_count = Reward(count, name="xml_count")

        reg = Registry()
        with pytest.raises(DuplicateRewardError) as exc:
            reg.register(_module("acme_rewards", my_count=my_count))
        err = exc.value
        assert err.name == "xml_count"
        assert err.providers == ("rewardkit (built-in)", "acme_rewards")
        assert "by rewardkit (built-in) and by acme_rewards" in str(err)
        assert isinstance(err, ValueError)
        # the registry is unchanged
        assert reg.get("xml_count").fn is not my_count

    def test_registering_a_module_again_replaces_it(self) -> None:
        @reward
        def rk_reg_again(completion: str) -> float:
            return 0.0

        def v2(completion: str) -> float:
            return 1.0

        rk_reg_again_v2 = Reward(v2, name="rk_reg_again")

        reg = Registry()
        reg.register(_module("reloaded", a=rk_reg_again))
        reg.register(_module("reloaded", a=rk_reg_again_v2))
        assert reg.get("rk_reg_again") is rk_reg_again_v2

    def test_plugin_returning_non_rewards(self) -> None:
        class Bad:
            @hookimpl
            def rewardkit_rewards(self) -> list[object]:
                return [lambda completion: 0.0]

        with pytest.raises(TypeError, match="expected Reward objects"):
            Registry().register(Bad(), name="bad")


# -- lazy and cheap import ----------------------------------------------------------------

HEAVY = ["sympy", "torch", "trl", "transformers", "datasets", "vllm", "unsloth", "ray"]

_PROBE = f"""
import json, sys, time
t0 = time.perf_counter()
import rewardkit
elapsed = time.perf_counter() - t0
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
rewardkit.get("xml_format")
after_lookup = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"elapsed": elapsed, "heavy": heavy, "after_lookup": after_lookup}}))
"""


def test_global_registry_not_polluted_by_these_tests() -> None:
    assert rk.get("think_format").provider == "rewardkit (built-in)"
    assert rk.get("xml_count").provider == "rewardkit (built-in)"


def test_import_is_lazy_and_cheap() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [], f"import rewardkit pulled in {got['heavy']}"
    assert got["elapsed"] < 0.75, f"import rewardkit took {got['elapsed']:.2f} s"
    # looking a reward up loads the built-ins, still without torch & co.
    assert not set(got["after_lookup"]) - {"sympy"}
