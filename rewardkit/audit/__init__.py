"""Audit rewards against gold answers and degenerate completions before training on them.

A reward that is hackable is found by the optimiser within a few hundred steps:
a number matcher that takes *any* number in the answer rewards a list of 100
numbers; one that takes *every* ``\\boxed{}`` rewards boxing five guesses; a
regex on "the answer is 42" rewards "the answer is not 42". A reward that
rejects correct answers in an unexpected format silently flattens the learning
signal. Both are cheap to detect offline, from the dataset alone:

* **gold** completions are built from each row's ``answer`` in the standard
  layouts (``<reasoning>/<answer>`` tags, ``<think>`` + answer tags, ``\\boxed{}``,
  plain). Each reward is judged in the layout it scores best (its family); a
  gold completion that does not get the reward's top score is a *false fail*.
* **degenerate** completions (empty, prompt echo, shotgun lists of numbers,
  several boxes, the answer only inside the reasoning, empty answer tags, tag
  spam, long garbage, a negated answer) are built in that same layout; one that
  scores above the reward's bottom score is a *false pass*.

Top and bottom come from the reward's declared ``range``, or, when a bound is
undeclared, from the best/worst score the reward gave on that row.

The parts: the probes in :mod:`._probes`, the report in :mod:`._report`, and
running the audit in :mod:`._run`; everything is importable from here.

Example:
    >>> from rewardkit import get
    >>> report = audit([{"prompt": "1+1?", "answer": "2"}], [get("xml_format")])
    >>> report.rewards["xml_format"].gold_style
    'answer_tags'
"""

from __future__ import annotations

from ._probes import DEGENERATE_KINDS, GOLD_STYLES, Probe, degenerate_completions, gold_completion
from ._report import AuditExample, AuditReport, RewardAudit
from ._run import ScoreFn as ScoreFn
from ._run import audit

__all__ = [
    "DEGENERATE_KINDS",
    "GOLD_STYLES",
    "AuditExample",
    "AuditReport",
    "Probe",
    "RewardAudit",
    "audit",
    "degenerate_completions",
    "gold_completion",
]
