"""One resolver: every reference form, and one error (type and message) per mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import rewardkit as rk
from rewardkit import FormulaError, Reward, RewardSpecError, UnknownRewardError, resolve


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "my_rewards.py"
    path.write_text(
        textwrap.dedent(
            """
            import rewardkit as rk

            @rk.reward(range=(0, 1), version="3")
            def rk_res_says_yes(completion: str, answer: str, *, strict: bool = False) -> float:
                return float("yes" in completion)

            def plain(completion: str) -> float:
                return 1.0

            NOT_A_REWARD = 3
            """
        )
    )
    return path


class TestForms:
    def test_name_with_options(self) -> None:
        got = resolve("xml_format(mode=strict)")
        assert got.kind == "name" and got.weight == 1.0
        assert got.key == "xml_format(mode='strict')"
        assert got.reward is not rk.get("xml_format") and isinstance(got.reward, Reward)
        assert got.range == rk.get("xml_format").range
        assert got.version == rk.get("xml_format").version
        assert "completion" in got.columns

    def test_weighted_only_when_asked(self) -> None:
        got = resolve("xml_format(mode=strict)=0.25", weighted=True)
        assert (got.weight, got.key) == (0.25, "xml_format(mode='strict')")
        with pytest.raises((FormulaError, RewardSpecError)):
            resolve("xml_format=0.25")  # without weighted=, '=' is not a weight

    def test_file_and_module_references(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = _file(tmp_path)
        got = resolve(f"{path}:rk_res_says_yes(strict=True)")
        assert got.kind == "file" and got.version == "3" and got.range == (0.0, 1.0)
        assert got.required_columns == ("completion", "answer")
        wrapped = resolve(f"{path}:plain")
        assert wrapped.kind == "file" and wrapped.reward.name == "plain"
        monkeypatch.syspath_prepend(str(tmp_path))
        mod = resolve("my_rewards:rk_res_says_yes")
        assert mod.kind == "module" and mod.reward.name == "rk_res_says_yes"

    def test_formula_callable_and_objects(self) -> None:
        formula = resolve("0.5*xml_format + number_match")
        assert formula.kind == "formula" and formula.version is None
        assert {leaf.name for leaf in formula.leaves()} == {"xml_format", "number_match"}
        assert resolve("clip(xml_format, 0, 1)").kind == "formula"  # a function, not options

        def rk_res_fn(completion: str) -> float:
            return 1.0

        called = resolve(rk_res_fn)
        assert called.kind == "callable" and called.reward.name == "rk_res_fn"
        rw = rk.get("xml_format")
        assert resolve(rw).reward is rw and resolve(rw).kind == "reward"
        assert resolve(formula.reward).kind == "composite"
        assert resolve(formula) is formula

    def test_name_renames_like_parse_formula(self) -> None:
        a = resolve("xml_format", name="fmt")
        b = rk.parse_formula("xml_format", name="fmt")
        assert a.key == b.key == "fmt"
        assert a.reward.leaves()[0] is b.leaves()[0]

    def test_extra_names_come_first(self) -> None:
        @rk.reward
        def rk_res_extra(completion: str, *, k: int = 1) -> float:
            return float(k)

        got = resolve("rk_res_extra(k=2)", rewards={"rk_res_extra": rk_res_extra})
        assert got.reward.fn is rk_res_extra.fn and got.reward.options == {"k": 2}


class TestErrors:
    def test_unknown_name(self) -> None:
        with pytest.raises(UnknownRewardError, match="Did you mean 'xml_format'"):
            resolve("xml_fromat")

    def test_unknown_name_inside_a_formula(self) -> None:
        with pytest.raises(FormulaError, match="unknown name 'xml_fromat'"):
            resolve("0.5*xml_fromat + number_match")

    def test_bad_option_syntax(self) -> None:
        with pytest.raises(RewardSpecError, match="not a literal"):
            resolve("xml_format(mode=1+x)")

    def test_missing_module(self) -> None:
        with pytest.raises(RewardSpecError, match="cannot import module 'rk_no_such_pkg.mod'"):
            resolve("rk_no_such_pkg.mod:fn")

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(RewardSpecError, match="does not exist"):
            resolve(f"{tmp_path}/nope.py:fn")

    def test_missing_attribute_lists_rewards(self, tmp_path: Path) -> None:
        path = _file(tmp_path)
        with pytest.raises(RewardSpecError, match="rewards there: rk_res_says_yes"):
            resolve(f"{path}:nope")

    def test_not_a_reward(self, tmp_path: Path) -> None:
        path = _file(tmp_path)
        with pytest.raises(RewardSpecError, match="'NOT_A_REWARD' is int, not a reward"):
            resolve(f"{path}:NOT_A_REWARD")

    def test_not_a_reference(self) -> None:
        with pytest.raises(TypeError, match="got int 3"):
            resolve(3)  # type: ignore[arg-type]

    def test_too_long(self) -> None:
        with pytest.raises(RewardSpecError, match="longer than"):
            resolve("x" * 5000 + ":fn")
        with pytest.raises(FormulaError, match="longer than"):
            resolve("x" * 5000)


def test_every_face_resolves_through_the_one_resolver(tmp_path: Path) -> None:
    """The CLI, the TRL adapter, the testing kit and the engine agree on one reference."""
    from rewardkit.cli._score import plan_rewards
    from rewardkit.engine import Scorer
    from rewardkit.testing import expect
    from rewardkit.trainers.trl import resolve as trl_resolve

    ref = "xml_format(mode=strict)"
    key = resolve(ref).key
    (term,) = plan_rewards([ref + "=2"]).total.terms  # type: ignore[attr-defined]
    assert (term[0], term[1].key) == (2.0, key)
    assert trl_resolve(ref).key == key
    with Scorer([ref], isolation="inline") as scorer:
        assert [r.key for r in scorer.rewards] == [key]
    expect(ref).given(completion="no tags at all").scores(0.0)
    with pytest.raises(UnknownRewardError):
        plan_rewards(["xml_fromat"])
    with pytest.raises(UnknownRewardError):
        trl_resolve("xml_fromat")
