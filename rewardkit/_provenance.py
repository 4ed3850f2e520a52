"""Provenance stamps: which reward code produced a score.

When a verifier is fixed mid-project, scores from before and after the fix look
alike in a JSONL file and mix silently in a comparison. A *stamp* names a
reward's declared version and a hash of everything that decides its verdicts:

* the reward's name, options (``Reward.key``), declared version and provider;
* the source of its function and of the module file defining it (a fix in a
  helper next to the reward changes the stamp too; the bytecode stands in where
  the source cannot be read);
* the rewardkit version (built-ins lean on parsers elsewhere in the package).

A composite's stamp hashes its own key (weights, formula) and its leaves'
stamps. Stamps are computed once per reward object and cached, so stamping every
row of a run costs a dict lookup. Rows carry them under one key,
``"_provenance"``, so existing output keys stay as they were.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import weakref
from collections.abc import Mapping
from typing import Any

from .compose._compose import Composite
from .contract._reward import Reward

__all__ = ["PROVENANCE_KEY", "code_hash", "provenance", "stamp", "stamps_of"]

#: The key scored rows carry their stamps under.
PROVENANCE_KEY = "_provenance"

_HASHES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_MODULE_SOURCES: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


def _rewardkit_version() -> str:
    from ._version import __version__

    return str(__version__)


def _module_bytes(fn: Any) -> bytes:
    """The bytes of the file defining ``fn`` (empty when there is none to read).

    Read once per module object: a file edited after import is not the code that
    runs, so it must not change the stamp until the module is imported again.
    """
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    path = getattr(module, "__file__", None) if module is not None else None
    if module is None or not path:
        return b""
    cached = _MODULE_SOURCES.get(module)
    if cached is None:
        try:
            with open(path, "rb") as fh:
                cached = fh.read()
        except OSError:
            cached = b""
        _MODULE_SOURCES[module] = cached
    return cached


def _function_code(fn: Any) -> bytes:
    """Source of ``fn`` (or its class, for a callable object); bytecode as a fallback."""
    target = fn if inspect.isroutine(fn) else type(fn)
    try:
        return inspect.getsource(target).encode()
    except (OSError, TypeError):
        pass
    code = getattr(fn, "__code__", None)
    if code is not None:
        return bytes(code.co_code) + repr(code.co_consts).encode()
    return repr(target).encode()


def code_hash(node: Reward | Composite) -> str:
    """Hex digest of a reward's (or composite's) code, options and version (see module doc)."""
    cached = _HASHES.get(node)
    if cached is not None:
        return cached
    h = hashlib.blake2b(digest_size=8)
    if isinstance(node, Reward):
        h.update(repr((node.key, node.version, node.provider, _rewardkit_version())).encode())
        h.update(b"\0" + _function_code(node.fn))
        h.update(b"\0" + _module_bytes(node.fn))
    else:
        h.update(repr((type(node).__qualname__, node.key, node.version)).encode())
        for leaf in sorted(node.leaves(), key=lambda r: r.key):
            h.update(b"\0" + leaf.key.encode() + b"=" + code_hash(leaf).encode())
    digest = h.hexdigest()
    _HASHES[node] = digest
    return digest


def stamp(node: Reward | Composite) -> str:
    """``VERSION@HASH``: the reward's declared version and :func:`code_hash`."""
    return f"{node.version}@{code_hash(node)}"


def provenance(leaves: list[Reward], total: Reward | Composite | None = None) -> dict[str, Any]:
    """The ``_provenance`` value of a scored row: rewardkit version, leaf stamps, total stamp.

    Example:
        >>> import rewardkit as rk
        >>> p = rk.provenance([rk.get("xml_format")])
        >>> sorted(p)
        ['rewardkit', 'rewards', 'total']
    """
    out: dict[str, Any] = {
        "rewardkit": _rewardkit_version(),
        "rewards": {leaf.key: stamp(leaf) for leaf in leaves},
        "total": stamp(total) if total is not None else None,
    }
    return out


def stamps_of(row: Mapping[str, Any]) -> dict[str, str]:
    """Leaf stamps recorded in a scored row (empty for rows scored before provenance)."""
    prov = row.get(PROVENANCE_KEY)
    if not isinstance(prov, Mapping):
        return {}
    rewards = prov.get("rewards")
    if not isinstance(rewards, Mapping):
        return {}
    return {str(k): str(v) for k, v in rewards.items()}
