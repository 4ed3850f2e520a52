"""The reward contract: what a reward is, what it returns, and how that is checked.

* ``_reward``: :class:`Reward` and ``@reward`` (definition, options, identity);
* ``_signature``: reading a reward function's signature into inputs and options;
* ``_inputs``: injecting a row's columns into the call;
* ``_call``: *calling* a reward (the scoring methods of :class:`Reward`): exceptions
  and missing columns become Outcomes, async rewards run from sync code, shared
  Completion views;
* ``_definition``: checking a definition at decoration time (range, option types);
* ``_marks``: ``@reward`` only *marks* a reward; the registry collects the marks;
* ``_outcome``: :class:`Outcome` and the one :class:`Status` enum;
* ``_validate``: *validating* what a reward returned (range, type, NaN) into an Outcome;
* ``_completion``: :class:`Completion`, the normalised text/messages of one sample;
* ``_policy``: :class:`OutcomePolicy`, how an Outcome becomes a trainer's number;
* ``_errors``: the typed errors every layer raises.

The lowest layer of the core: it imports nothing else of rewardkit at module level.
Import from :mod:`rewardkit`, not from here.
"""
