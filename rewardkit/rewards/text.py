"""Text rewards for extractive/short-answer QA: SQuAD-style exact match and token F1.

Used by the MuSiQue recipe. Gold answers may be a string, a list of aliases,
or a string plus an ``answer_aliases`` column; the best match over all golds
counts.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

from ..contract._completion import Completion
from ..contract._outcome import Outcome
from ..contract._reward import reward
from ..parsers import extract_answer_is, extract_tag

__all__ = ["exact_match", "f1", "normalize_answer"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
MAX_ANSWER_CHARS = 2000


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, drop punctuation and articles, collapse spaces."""
    text = text[:MAX_ANSWER_CHARS].lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _golds(answer: Any, aliases: Any) -> list[str]:
    out: list[str] = []
    for value in (answer, aliases):
        if value is None:
            continue
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, Iterable):
            out.extend(str(v) for v in value if v is not None)
        else:
            out.append(str(value))
    return [g for g in out if g.strip()]


def _prediction(completion: Completion, extract: str) -> tuple[str | None, str]:
    # everything is read from the text outside reasoning blocks: an answer that
    # appears only inside <think> was never given
    text = completion.answer_text
    if extract in ("auto", "answer_tag"):
        tag = extract_tag(text, "answer")
        if tag is not None:
            return tag, "answer_tag"
        if extract == "answer_tag":
            return None, "none"
    if extract == "auto":
        said = extract_answer_is(text)
        if said is not None:
            return said, "answer_is"
    return (text or None), "whole"


def _golds_and_prediction(
    completion: Completion, answer: Any, answer_aliases: Any, extract: str
) -> tuple[list[str], str, str] | Outcome:
    """``(golds, prediction, source)``, or the outcome when there is no gold or no answer."""
    golds = _golds(answer, answer_aliases)
    if not golds:
        return Outcome.not_applicable("no gold answer")
    pred, source = _prediction(completion, extract)
    if pred is None or not normalize_answer(pred):
        return Outcome.unparseable("no answer found", extracted=pred, source=source)
    return golds, pred, source


def _f1(pred: str, gold: str) -> float:
    p, g = normalize_answer(pred).split(), normalize_answer(gold).split()
    if not p or not g:
        return float(p == g)
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


@reward(range=(0, 1), version="1", cheap=True)
def exact_match(
    completion: Completion,
    answer: Any,
    answer_aliases: Any = None,
    *,
    extract: Literal["auto", "answer_tag", "whole"] = "auto",
) -> Outcome:
    """1.0 if the normalised predicted answer equals any normalised gold answer.

    The prediction is the ``<answer>`` block, else the text after "the answer
    is", else the whole answer text (reasoning removed), per ``extract``.

    Example:
        >>> exact_match.score({"completion": "<answer>The Eiffel Tower!</answer>",
        ...                    "answer": "eiffel tower"}).score
        1.0
    """
    found = _golds_and_prediction(completion, answer, answer_aliases, extract)
    if isinstance(found, Outcome):
        return found
    golds, pred, source = found
    norm = normalize_answer(pred)
    hit = next((g for g in golds if normalize_answer(g) == norm), None)
    if hit is not None:
        return Outcome.ok(1.0, f"matched {hit!r}", extracted=pred, source=source)
    return Outcome.ok(
        0.0,
        f"{pred[:80]!r} matches none of {len(golds)} gold answers",
        extracted=pred,
        source=source,
    )


@reward(range=(0, 1), version="1", cheap=True)
def f1(
    completion: Completion,
    answer: Any,
    answer_aliases: Any = None,
    *,
    extract: Literal["auto", "answer_tag", "whole"] = "auto",
) -> Outcome:
    """SQuAD token F1 between the predicted answer and the best-matching gold answer.

    Example:
        >>> round(f1.score({"completion": "<answer>Paris France</answer>", "answer": "Paris"}).score, 3)
        0.667
    """
    found = _golds_and_prediction(completion, answer, answer_aliases, extract)
    if isinstance(found, Outcome):
        return found
    golds, pred, source = found
    best = max(golds, key=lambda g: _f1(pred, g))
    return Outcome.ok(_f1(pred, best), f"best gold {best!r}", extracted=pred, source=source)
