"""What every recipe's ``train.py`` shares: config resolution, checks, data, rewards, metrics.

This module is deliberately self-contained (standard library at import time;
``yaml``, ``transformers``, ``trl``, ``torch`` and ``matplotlib`` only inside the
functions that need them) because it has two lives:

* inside the wheel as ``rewardkit.recipes._runtime``, used by ``rewardkit recipe``
  and by ``python -m rewardkit.recipes.<name>.train``;
* copied next to ``train.py`` by ``rewardkit recipe export``, so an exported folder
  runs as ``python train.py`` (or under ``deepspeed``/``accelerate launch``, which
  take a script path) with rewardkit installed but without its CLI.

Config model: ``recipe.yaml`` holds ``config`` (the defaults, mirroring the seed
system), ``presets`` (named partial overrides, deep-merged), and metadata
(hardware, requirements, launchers). ``--set key=value`` edits the result;
values are parsed as YAML scalars so ``--set max_steps=2`` is an int.

The helpers live in one module per job (``_rt_config``, ``_rt_checks``, ``_rt_launch``,
``_rt_data``, ``_rt_rewards``, ``_rt_grpo``, ``_rt_metrics``, ``_rt_unsloth``); this module
re-exports them so train scripts keep one import.
"""

from __future__ import annotations

if __package__:
    from ._rt_checks import (  # noqa: F401
        check_hardware,
        check_requirements,
        gpu_inventory,
        install_command,
    )
    from ._rt_config import (  # noqa: F401
        RECIPE_FILE,
        REMOVED_GRPO_KEYS,
        SEED_DIFF_FILE,
        ConfigError,
        RecipeSpec,
        _deep_merge,
        apply_override,
        load_seed_diff,
        load_spec,
        load_yaml,
        lookup,
        parse_set,
        parse_value,
        resolve_config,
    )
    from ._rt_data import (  # noqa: F401
        drop_long_prompts,
        is_local_data,
        load_records,
        load_split,
        to_dataset,
    )
    from ._rt_grpo import (  # noqa: F401
        grpo_field_problems,
        grpo_fields,
        grpo_kwargs,
        grpo_with_weights,
        validate_grpo,
    )
    from ._rt_launch import (  # noqa: F401
        launch_command,
        parse_train_args,
        plan_exit,
    )
    from ._rt_metrics import (  # noqa: F401
        MetricsHistory,
        dump_plan,
        finish,
        log,
        metrics_callback,
        peak_gpu_memory,
        plot_rewards,
    )
    from ._rt_rewards import (  # noqa: F401
        RewardClock,
        build_reward_objects,
        build_trl_rewards,
        instrument_reward_time,
    )
    from ._rt_unsloth import (  # noqa: F401
        accuracy,
        generate_texts,
        import_unsloth_first,
        run_unsloth_grpo,
        unsloth_model,
    )
else:  # copied next to train.py by `rewardkit recipe export`
    from _rt_checks import (  # noqa: F401
        check_hardware,
        check_requirements,
        gpu_inventory,
        install_command,
    )
    from _rt_config import (  # noqa: F401
        RECIPE_FILE,
        REMOVED_GRPO_KEYS,
        SEED_DIFF_FILE,
        ConfigError,
        RecipeSpec,
        _deep_merge,
        apply_override,
        load_seed_diff,
        load_spec,
        load_yaml,
        lookup,
        parse_set,
        parse_value,
        resolve_config,
    )
    from _rt_data import (  # noqa: F401
        drop_long_prompts,
        is_local_data,
        load_records,
        load_split,
        to_dataset,
    )
    from _rt_grpo import (  # noqa: F401
        grpo_field_problems,
        grpo_fields,
        grpo_kwargs,
        grpo_with_weights,
        validate_grpo,
    )
    from _rt_launch import (  # noqa: F401
        launch_command,
        parse_train_args,
        plan_exit,
    )
    from _rt_metrics import (  # noqa: F401
        MetricsHistory,
        dump_plan,
        finish,
        log,
        metrics_callback,
        peak_gpu_memory,
        plot_rewards,
    )
    from _rt_rewards import (  # noqa: F401
        RewardClock,
        build_reward_objects,
        build_trl_rewards,
        instrument_reward_time,
    )
    from _rt_unsloth import (  # noqa: F401
        accuracy,
        generate_texts,
        import_unsloth_first,
        run_unsloth_grpo,
        unsloth_model,
    )

__all__ = [
    "ConfigError",
    "MetricsHistory",
    "RecipeSpec",
    "apply_override",
    "build_trl_rewards",
    "check_hardware",
    "check_requirements",
    "accuracy",
    "generate_texts",
    "unsloth_model",
    "grpo_kwargs",
    "install_command",
    "launch_command",
    "load_records",
    "load_spec",
    "metrics_callback",
    "parse_train_args",
    "resolve_config",
]

#: The runtime's modules, copied together by ``rewardkit recipe export``.
MODULES = (
    "_runtime",
    "_rt_config",
    "_rt_checks",
    "_rt_launch",
    "_rt_data",
    "_rt_rewards",
    "_rt_grpo",
    "_rt_metrics",
    "_rt_unsloth",
)
