"""Result cache: reuse verdicts for identical (reward, inputs) pairs.

In GRPO a group of 8-16 completions for one prompt often holds exact duplicates
("42", "\\boxed{42}"), and audits and re-scoring runs see the same rows again.
A verifier call can cost milliseconds (sympy) to seconds (sandbox, judge), so
the engine scores each distinct input once.

The key covers everything that can change a verdict: the reward's name, options
(``Reward.key``), version, provider and code, plus the values of exactly the
columns it reads (``prompt`` too when it reads ``completion``, since the
completion view depends on it) and the trainer state when it reads it. Rows are
pickled once for the key; the same projected rows are what workers receive.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward

__all__ = ["ResultCache", "fingerprint", "project"]

#: Verdicts worth keeping across calls. Failures (errors, timeouts) are only shared
#: within one call: they may be transient, and their reasons name a row.
CACHEABLE = frozenset({Status.OK, Status.NOT_APPLICABLE, Status.UNPARSEABLE})


def reads(rw: Reward) -> frozenset[str] | None:
    """Columns ``rw`` reads from a row, or ``None`` when it reads the whole row."""
    if rw.takes_all_columns or "row" in rw.inputs:
        return None
    cols = set(rw.columns)
    if "completion" in cols:
        cols.add("prompt")
    return frozenset(cols)


def project(row: Mapping[str, Any], columns: frozenset[str] | None) -> dict[str, Any]:
    """The part of ``row`` a reward reads (what is hashed and sent to a worker)."""
    if columns is None:
        return dict(row)
    return {k: row[k] for k in row if k in columns}


def fingerprint(rw: Reward) -> bytes:
    """Identity of a reward's behaviour: key, version, provider and code."""
    code = getattr(rw.fn, "__code__", None)
    code_id: Any = None
    if code is not None:
        code_id = (code.co_code, repr(code.co_consts), code.co_filename, code.co_firstlineno)
    raw = repr((rw.key, rw.version, rw.provider, rw.defined_at, code_id)).encode()
    return hashlib.blake2b(raw, digest_size=16).digest()


def row_key(fp: bytes, projected: Mapping[str, Any], state: Mapping[str, Any] | None) -> bytes:
    """Cache key of one (reward, row); raises when the values cannot be pickled."""
    data = pickle.dumps(
        (sorted(projected.items(), key=_first), state), protocol=pickle.HIGHEST_PROTOCOL
    )
    return hashlib.blake2b(fp + data, digest_size=16).digest()


def _first(item: tuple[str, Any]) -> str:
    return item[0]


class ResultCache:
    """A thread-safe LRU map from :func:`row_key` to :class:`Outcome`."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = max(0, int(maxsize))
        self._data: OrderedDict[bytes, Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: bytes) -> Outcome | None:
        if not self.maxsize:
            return None
        with self._lock:
            out = self._data.get(key)
            if out is not None:
                self._data.move_to_end(key)
            return out

    def put(self, key: bytes, outcome: Outcome) -> None:
        if not self.maxsize or outcome.status not in CACHEABLE:
            return
        with self._lock:
            self._data[key] = outcome
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
