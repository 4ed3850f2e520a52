"""The @reward contract: signature injection, options, binding, async/batched, validation."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import pickle
import threading
from pathlib import Path
from typing import Any, Literal

import pytest

import rewardkit as rk
from rewardkit import (
    Completion,
    MissingColumnError,
    Outcome,
    Reward,
    RewardDefinitionError,
    Status,
    reward,
)

# -- signature injection ----------------------------------------------------------------


class TestSignatureInjection:
    def test_passes_exactly_the_named_inputs(self) -> None:
        seen: dict[str, Any] = {}

        @reward
        def rk_t_inject(completion: str, answer: str) -> float:
            seen.update(completion=completion, answer=answer)
            return 1.0

        row = {"completion": "c", "answer": "a", "prompt": "p", "extra": 1}
        assert rk_t_inject.score(row).score == 1.0
        assert seen == {"completion": "c", "answer": "a"}
        assert isinstance(seen["completion"], Completion)
        assert rk_t_inject.inputs == ("completion", "answer")
        assert rk_t_inject.required_columns == ("completion", "answer")

    def test_prompt_state_row_and_optional_column(self) -> None:
        seen: dict[str, Any] = {}

        @reward
        def rk_t_special(prompt: str, state: dict, row: dict, hint: str = "none") -> float:
            seen.update(prompt=prompt, state=state, row=row, hint=hint)
            return 0.0

        row = {"prompt": "P", "completion": "x"}
        rk_t_special.score(row, state={"step": 7})
        assert seen == {"prompt": "P", "state": {"step": 7}, "row": row, "hint": "none"}
        assert rk_t_special.required_columns == ("prompt",)
        assert rk_t_special.optional_columns == ("hint",)
        rk_t_special.score({**row, "hint": "h"})
        assert seen["hint"] == "h"
        rk_t_special.score(row)  # no state given: an empty mapping, never None
        assert seen["state"] == {}

    def test_var_keyword_receives_every_column(self) -> None:
        seen: dict[str, Any] = {}

        @reward
        def rk_t_kwargs(**kwargs: Any) -> float:
            seen.update(kwargs)
            return 1.0

        rk_t_kwargs.score({"completion": "c", "answer": "a"})
        assert set(seen) == {"completion", "answer"}
        assert isinstance(seen["completion"], Completion)
        assert rk_t_kwargs.takes_all_columns and rk_t_kwargs.required_columns == ()

    def test_completion_sees_prompt_prefill(self) -> None:
        @reward
        def rk_t_prefill(completion: Completion) -> bool:
            return completion.prefilled_think

        assert rk_t_prefill.score({"completion": "a", "prompt": "Q <think>\n"}).score == 1.0
        assert rk_t_prefill.score({"completion": "a", "prompt": "Q"}).score == 0.0

    def test_call_runs_plain_function_with_options(self) -> None:
        from _contract_rewards import contract_says_four

        assert contract_says_four("2+2=4") is True
        assert contract_says_four.configure(needle="5")("2+2=4") is False
        assert contract_says_four(completion="four", needle="four") is True

    def test_metadata(self) -> None:
        from _contract_rewards import contract_says_four

        assert contract_says_four.name == "contract_says_four"
        assert contract_says_four.version == "3"
        assert contract_says_four.range == (0.0, 1.0)
        assert contract_says_four.description == "contract: says four"
        assert contract_says_four.defined_at.endswith("_contract_rewards.py:10")

    def test_description_defaults_to_docstring_first_line(self) -> None:
        @reward
        def rk_t_doc(completion: str) -> float:
            """First line.

            More.
            """
            return 0.0

        assert rk_t_doc.description == "First line."


class TestDefinitionErrors:
    def test_positional_only(self) -> None:
        def rk_t_posonly(completion: str, /) -> float:
            return 0.0

        with pytest.raises(RewardDefinitionError, match="positional-only") as exc:
            reward(rk_t_posonly)
        assert exc.value.reward == "rk_t_posonly"
        assert isinstance(exc.value, TypeError)

    def test_var_positional(self) -> None:
        with pytest.raises(RewardDefinitionError, match=r"\*args is not supported"):

            @reward
            def rk_t_star(*args: Any) -> float:
                return 0.0

    def test_option_without_default(self) -> None:
        with pytest.raises(RewardDefinitionError, match="option 'mode' needs a default"):

            @reward
            def rk_t_opt(completion: str, *, mode: str) -> float:
                return 0.0

    def test_name_must_be_identifier(self) -> None:
        with pytest.raises(RewardDefinitionError, match="identifier"):
            reward(name="has space")(lambda completion: 0.0)

    @pytest.mark.parametrize(
        ("rng", "match"),
        [((1, 0), "above"), ((0, math.nan), "NaN"), ((0, "x"), "numbers"), ((0,), r"\(lo, hi\)")],
    )
    def test_bad_range(self, rng: Any, match: str) -> None:
        with pytest.raises(RewardDefinitionError, match=match):
            reward(name="rk_t_range", range=rng)(lambda completion: 0.0)

    def test_not_callable(self) -> None:
        with pytest.raises(RewardDefinitionError, match="needs a function"):
            Reward(42)  # type: ignore[arg-type]


# -- options ------------------------------------------------------------------------------


@reward(range=(0, 1))
def rk_t_opts(
    completion: str,
    *,
    mode: Literal["lenient", "strict"] = "lenient",
    k: int = 1,
    tol: float = 0.5,
    tags: tuple[str, ...] = ("a", "b"),
    flag: bool = False,
) -> float:
    return 1.0 if mode == "strict" else 0.0


class TestOptions:
    def test_configure_returns_new_reward(self) -> None:
        strict = rk_t_opts.configure(mode="strict")
        assert strict is not rk_t_opts
        assert strict.options["mode"] == "strict"
        assert rk_t_opts.options["mode"] == "lenient"
        assert strict.score({"completion": "x"}).score == 1.0
        assert rk_t_opts.score({"completion": "x"}).score == 0.0

    def test_key_lists_changed_options_only(self) -> None:
        assert rk_t_opts.key == "rk_t_opts"
        assert rk_t_opts.configure(mode="lenient").key == "rk_t_opts"
        assert rk_t_opts.configure(k=2, mode="strict").key == "rk_t_opts(k=2, mode='strict')"

    def test_unknown_option_lists_valid_ones_and_suggests(self) -> None:
        with pytest.raises(RewardDefinitionError) as exc:
            rk_t_opts.configure(mdoe="strict")
        msg = str(exc.value)
        assert "has no option 'mdoe'" in msg
        assert "valid options: flag, k, mode, tags, tol" in msg
        assert "Did you mean 'mode'?" in msg

    def test_literal_choices(self) -> None:
        with pytest.raises(RewardDefinitionError, match="'loose' is not a valid 'mode'"):
            rk_t_opts.configure(mode="loose")

    @pytest.mark.parametrize(
        ("key", "value"),
        [("k", "2"), ("k", 2.5), ("k", True), ("tol", "x"), ("flag", 1), ("tags", "a")],
    )
    def test_wrong_types(self, key: str, value: Any) -> None:
        with pytest.raises(RewardDefinitionError, match=f"option '{key}' expects"):
            rk_t_opts.configure(**{key: value})

    def test_float_accepts_int_but_not_nan(self) -> None:
        assert rk_t_opts.configure(tol=1).options["tol"] == 1
        with pytest.raises(RewardDefinitionError, match="finite"):
            rk_t_opts.configure(tol=math.nan)

    def test_tuple_option_from_list(self) -> None:
        assert rk_t_opts.configure(tags=["x", "y"]).options["tags"] == ("x", "y")
        with pytest.raises(RewardDefinitionError, match="expects str"):
            rk_t_opts.configure(tags=("x", 1))

    def test_registry_get_with_options(self) -> None:
        assert rk.get("xml_format", mode="strict").options["mode"] == "strict"
        assert rk.resolve_reference("xml_format(mode=strict)").key == "xml_format(mode='strict')"


# -- binding --------------------------------------------------------------------------------


class TestBind:
    def test_missing_column_names_reward_column_and_present(self) -> None:
        @reward
        def rk_t_needs(completion: str, answer: str, hint: str = "") -> float:
            return 0.0

        rk_t_needs.bind(["completion", "answer"])  # optional 'hint' may be absent
        with pytest.raises(MissingColumnError) as exc:
            rk_t_needs.bind(["prompt", "completion", "solution"], where="val.jsonl")
        err = exc.value
        msg = str(err)
        assert msg.startswith("val.jsonl: reward 'rk_t_needs' (")
        assert "needs column 'answer'" in msg
        assert "the data has 'completion', 'prompt', 'solution'" in msg
        assert "test_reward_contract.py:" in msg  # where the reward is defined
        assert (err.reward, err.missing, err.field) == ("rk_t_needs", ["answer"], "answer")
        assert err.present == ["completion", "prompt", "solution"]
        assert isinstance(err, KeyError) and isinstance(err, rk.RewardkitError)

    def test_configured_reward_is_named_by_key(self) -> None:
        with pytest.raises(MissingColumnError, match=r"reward \"exact_match\(extract='whole'\)\""):
            rk.get("exact_match", extract="whole").bind(["completion"])

    def test_missing_at_score_time_is_an_error_outcome(self) -> None:
        @reward
        def rk_t_late(answer: str) -> float:
            return 1.0

        out = rk_t_late.score({"completion": "x"}, index=12)
        assert out.status is Status.ERROR
        assert "row 12 has no column 'answer'" in out.reason
        assert "'completion'" in out.reason


# -- batched and async -----------------------------------------------------------------------


@reward(batched=True, range=(0, 1))
def rk_t_batched(completions: list[Completion], answer: list[str]) -> list[float]:
    return [float(c.strip() == a) for c, a in zip(completions, answer, strict=True)]


@reward(range=(0, 1))
async def rk_t_async(completion: str, answer: str) -> float:
    await asyncio.sleep(0)
    return float(completion == answer)


@reward(batched=True, range=(0, 1))
async def rk_t_async_batched(completions: list[str]) -> list[float]:
    await asyncio.sleep(0)
    return [float("4" in c) for c in completions]


ROWS = [{"completion": "4", "answer": "4"}, {"completion": "5", "answer": "4"}]


class TestBatchedAndAsync:
    def test_batched_plural_names_map_to_columns(self) -> None:
        assert rk_t_batched.required_columns == ("completion", "answer")
        outs = rk_t_batched.score_batch(ROWS)
        assert [o.score for o in outs] == [1.0, 0.0]
        assert rk_t_batched.score(ROWS[0]).score == 1.0

    def test_async_detected(self) -> None:
        assert rk_t_async.is_async and rk_t_async_batched.is_async
        assert not rk_t_batched.is_async

    def test_async_scored_from_sync_code(self) -> None:
        assert [o.score for o in rk_t_async.score_batch(ROWS)] == [1.0, 0.0]
        assert [o.score for o in rk_t_async_batched.score_batch(ROWS)] == [1.0, 0.0]

    def test_async_scored_inside_a_running_event_loop(self) -> None:
        async def main() -> list[float | None]:
            # sync scoring from inside a loop (a notebook, TRL's async path) must not
            # re-enter this loop
            return [rk_t_async.score(r).score for r in ROWS]

        assert asyncio.run(main()) == [1.0, 0.0]

    def test_async_scored_in_a_worker_thread(self) -> None:
        results: list[Any] = []

        def target() -> None:
            try:
                results.extend(o.score for o in rk_t_async.score_batch(ROWS))
            except Exception as exc:  # pragma: no cover - reported below
                results.append(exc)

        t = threading.Thread(target=target)
        t.start()
        t.join()
        assert results == [1.0, 0.0]

    def test_ascore_batch(self) -> None:
        async def main() -> tuple[list[Outcome], ...]:
            return (
                await rk_t_async.ascore_batch(ROWS),
                await rk_t_async_batched.ascore_batch(ROWS),
                await rk_t_batched.ascore_batch(ROWS),  # sync: runs in a thread
            )

        for outs in asyncio.run(main()):
            assert [o.score for o in outs] == [1.0, 0.0]

    def test_async_exception_is_an_error_outcome(self) -> None:
        @reward
        async def rk_t_async_boom(completion: str) -> float:
            raise RuntimeError("remote judge down")

        out = rk_t_async_boom.score({"completion": "x"}, index=3)
        assert out.status is Status.ERROR
        assert "raised RuntimeError on row 3: remote judge down" in out.reason
        (out2,) = asyncio.run(rk_t_async_boom.ascore_batch([{"completion": "x"}]))
        assert out2.status is Status.ERROR

    def test_sync_function_returning_a_coroutine_is_awaited(self) -> None:
        async def later() -> float:
            return 1.0

        rw = Reward(lambda completion: later(), name="rk_t_coro")
        assert rw.score({"completion": "x"}).score == 1.0


# -- output validation --------------------------------------------------------------------


def _returning(value: Any, rng: tuple[float | None, float | None] = (0, 1)) -> Reward:
    return Reward(lambda completion: value, name="rk_t_returns", range=rng)


class TestOutputValidation:
    @pytest.mark.parametrize(
        ("value", "fragment"),
        [
            (math.nan, "non-finite score nan for row 5"),
            (math.inf, "non-finite score inf for row 5"),
            (-math.inf, "non-finite score -inf for row 5"),
            (1.5, "returned 1.5 for row 5, outside its declared range [0.0, 1.0]"),
            (-0.1, "returned -0.1 for row 5, outside its declared range"),
            ("1.0", "returned str '1.0' for row 5; expected a float"),
            ([1.0], "returned list [1.0] for row 5"),
            (object(), "returned object"),
            (Outcome.ok(2.0), "returned 2.0 for row 5, outside"),
            (Outcome(None, Status.OK), "status ok but no score for row 5"),
        ],
    )
    def test_invalid_returns_become_errors(self, value: Any, fragment: str) -> None:
        out = _returning(value).score({"completion": "x"}, index=5)
        assert out.status is Status.ERROR
        assert out.score is None
        assert "reward 'rk_t_returns'" in out.reason
        assert fragment in out.reason

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (True, Outcome(1.0)),
            (False, Outcome(0.0)),
            (1, Outcome(1.0)),
            (0.25, Outcome(0.25)),
            (None, Outcome(None, Status.NOT_APPLICABLE)),
            (Outcome.unparseable("no answer"), Outcome.unparseable("no answer")),
            (Outcome.timeout("slow"), Outcome.timeout("slow")),
        ],
    )
    def test_valid_returns(self, value: Any, expected: Outcome) -> None:
        assert _returning(value).score({"completion": "x"}) == expected

    def test_unbounded_range_accepts_anything_finite(self) -> None:
        assert _returning(1e300, (None, None)).score({"completion": "x"}).score == 1e300

    def test_numpy_scalars_unwrapped(self) -> None:
        np = pytest.importorskip("numpy")
        assert _returning(np.float32(0.5)).score({"completion": "x"}).score == 0.5
        assert _returning(np.bool_(True)).score({"completion": "x"}).score == 1.0
        assert _returning(np.array(0.25)).score({"completion": "x"}).score == 0.25
        bad = _returning(np.float64("nan")).score({"completion": "x"})
        assert bad.status is Status.ERROR

    def test_exception_becomes_error_with_type_and_message(self) -> None:
        @reward
        def rk_t_boom(completion: str) -> float:
            raise ZeroDivisionError("division by zero\nsecond line")

        out = rk_t_boom.score({"completion": "x"}, index=2)
        assert out.status is Status.ERROR and out.score is None
        assert (
            out.reason == "reward 'rk_t_boom' raised ZeroDivisionError on row 2: division by zero"
        )
        assert out.extras == {"exception": "ZeroDivisionError"}

    def test_exception_without_message(self) -> None:
        @reward
        def rk_t_bare(completion: str) -> float:
            raise ValueError

        assert rk_t_bare.score({"completion": "x"}).reason == "reward 'rk_t_bare' raised ValueError"

    def test_one_bad_row_costs_one_sample(self) -> None:
        @reward(range=(0, 1))
        def rk_t_mixed(completion: str) -> float:
            return {"a": 1.0, "b": math.nan}.get(completion, 0.0)

        outs = rk_t_mixed.score_batch([{"completion": c} for c in "abc"], start=10)
        assert [o.status for o in outs] == [Status.OK, Status.ERROR, Status.OK]
        assert "row 11" in outs[1].reason

    @pytest.mark.parametrize(
        ("value", "fragment"),
        [
            ([1.0], "returned 1 scores for 3 rows (rows 4..6)"),
            ([1.0] * 4, "returned 4 scores for 3 rows"),
            (1.0, "returned float; expected a list of 3 scores"),
            ("abc", "returned str; expected a list of 3 scores"),
            (None, "returned NoneType"),
        ],
    )
    def test_batched_wrong_shape(self, value: Any, fragment: str) -> None:
        rw = Reward(lambda completions: value, name="rk_t_batch_shape", batched=True)
        outs = rw.score_batch([{"completion": "x"}] * 3, start=4)
        assert len(outs) == 3
        assert all(o.status is Status.ERROR for o in outs)
        assert "batched reward 'rk_t_batch_shape'" in outs[0].reason
        assert fragment in outs[0].reason

    def test_batched_element_errors_name_their_row(self) -> None:
        rw = Reward(lambda completions: [0.5, math.inf, "x"], name="rk_t_batch_el", batched=True)
        outs = rw.score_batch([{"completion": "x"}] * 3, start=7)
        assert outs[0] == Outcome(0.5)
        assert "row 8" in outs[1].reason and "row 9" in outs[2].reason

    def test_batched_exception(self) -> None:
        def boom(completions: list[str]) -> list[float]:
            raise KeyError("gold")

        outs = Reward(boom, name="rk_t_batch_boom", batched=True).score_batch(
            [{"completion": "x"}] * 2
        )
        assert [o.status for o in outs] == [Status.ERROR] * 2
        assert "raised KeyError: 'gold'" in outs[0].reason


# -- pickling by reference -----------------------------------------------------------------


REWARD_FILE = """
from rewardkit import reward

@reward(range=(0, 1), version="2")
def rk_t_from_file(completion: str, *, word: str = "yes") -> float:
    return float(word in completion)
"""


class TestPickling:
    def test_registered_reward_pickles_by_name(self) -> None:
        rw = rk.get("xml_format", mode="strict")
        data = pickle.dumps(rw)
        assert b"xml_format" in data and b"_layout" not in data  # a reference, not code
        back = pickle.loads(data)
        assert back is not rw and back.key == rw.key

    def test_module_level_reward_pickles_by_attribute(self) -> None:
        from _contract_rewards import _contract_private_fn as contract_renamed
        from _contract_rewards import contract_says_four, contract_wrapped

        back = pickle.loads(pickle.dumps(contract_says_four.configure(needle="x")))
        assert back.key == "contract_says_four(needle='x')"
        assert pickle.loads(pickle.dumps(contract_renamed)) is contract_renamed
        wrapped = pickle.loads(pickle.dumps(contract_wrapped))
        assert (wrapped.name, wrapped.version, wrapped.range) == ("contract_wrapped", "7", (0, 1))

    def test_local_rewards_and_lambdas_travel_by_value(self) -> None:
        offset = 0.25

        @reward(range=(0, 1))
        def rk_t_local(completion: str) -> float:
            return offset + 0.5 * (completion == "yes")

        back = pickle.loads(pickle.dumps(rk_t_local))
        assert (back.name, back.range) == ("rk_t_local", (0.0, 1.0))
        assert back.score({"completion": "yes"}).score == 0.75  # closure came along
        lam = pickle.loads(pickle.dumps(Reward(lambda completion: 0.0, name="rk_t_lambda")))
        assert lam.score({"completion": "x"}).score == 0.0

    def test_a_reward_whose_closure_cannot_be_pickled_refuses_at_pickling_time(self) -> None:
        import threading

        lock = threading.Lock()

        @reward
        def rk_t_locked(completion: str) -> float:
            with lock:
                return 0.0

        with pytest.raises(TypeError, match="cannot be sent to a worker process"):
            pickle.dumps(rk_t_locked)

    def test_completion_pickles_with_its_views(self) -> None:
        c = Completion.from_raw("x" * 200_001, prompt="<think>")
        back = pickle.loads(pickle.dumps(c))
        assert back == c
        assert (back.prefilled_think, back.truncated) == (True, True)

    def test_round_trip_in_a_spawned_process(self, tmp_path: Path) -> None:
        from _contract_rewards import _contract_private_fn as contract_renamed
        from _contract_rewards import (
            contract_says_four,
            contract_wrapped,
            score_in_child,
        )

        path = tmp_path / "my_rewards.py"
        path.write_text(REWARD_FILE)
        from_file = rk.resolve_reference(f"{path}:rk_t_from_file(word=ok)")
        cases = [
            (rk.get("xml_format", mode="strict"), {"completion": "<reasoning>x</reasoning>"}),
            (contract_says_four.configure(needle="7"), {"completion": "6+1=7"}),
            (contract_renamed, {"completion": "long enough"}),
            (contract_wrapped, {"completion": "x"}),
            (from_file, {"completion": "ok then"}),
        ]
        expected = [(rw.name, rw.key, rw.version, rw.score(row)) for rw, row in cases]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            got = pool.starmap(score_in_child, cases)
        assert got == expected
        assert [o.score for *_, o in got] == [0.0, 1.0, 1.0, 0.5, 1.0]
        assert got[4][1] == "rk_t_from_file(word='ok')" and got[4][2] == "2"
