"""Textual reward references and pickling by reference.

One documented syntax names a reward wherever one is expected (Python,
formulas, the command line)::

    xml_format                       a registered name
    xml_format(mode='strict')        ... with options (bare words are strings)
    my_pkg.rewards:my_reward         an importable module attribute
    path/to/rewards.py:my_reward     a file, loaded without installing anything

Resolving a reference to a reward is :mod:`rewardkit.references._resolve`'s job; this module
only reads the syntax and pickles rewards as references.

Rewards are sent to worker processes *by reference* (registry name or module
attribute plus options) wherever an import reaches them, so a spawned worker rebuilds
exactly the same reward; rewards no import reaches (a script's or notebook's
``__main__``, a function's locals, lambdas) travel *by value* through cloudpickle.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..contract._errors import RewardSpecError

if TYPE_CHECKING:
    from ..contract._reward import Reward

__all__ = ["load_file_module", "parse_reference"]


def parse_reference(text: str) -> tuple[str, dict[str, Any]]:
    """Split ``target(key=value, ...)`` into the target and a dict of literal options.

    Values must be Python literals; a bare word is taken as a string, so
    ``xml_format(mode=strict)`` works unquoted on a shell command line. Nothing
    is evaluated.
    """
    text = text.strip()
    if not text:
        raise RewardSpecError(text, "empty reference")
    if not text.endswith(")"):
        return text, {}
    at = text.find("(")
    if at <= 0:
        raise RewardSpecError(text, "expected name(key=value, ...)")
    target, args = text[:at].strip(), text[at:]
    try:
        node = ast.parse("f" + args, mode="eval").body
    except SyntaxError as exc:
        raise RewardSpecError(text, f"invalid option syntax ({exc.msg})") from None
    if not isinstance(node, ast.Call) or node.args:
        raise RewardSpecError(text, "options must be given as key=value")
    options: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise RewardSpecError(text, "** is not allowed in options")
        options[kw.arg] = _literal(text, kw.value)
    return target, options


def _literal(text: str, node: ast.expr) -> Any:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, (ast.Tuple, ast.List)):  # tags=(think, answer)
        return tuple(_literal(text, e) for e in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise RewardSpecError(
            text, f"option value {ast.unparse(node)!r} is not a literal"
        ) from None


def load_file_module(path: str) -> ModuleType:
    """Import a ``.py`` file under a stable private module name (no install needed)."""
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise RewardSpecError(path, f"file {path!r} does not exist")
    stem = os.path.splitext(os.path.basename(full))[0]
    digest = hashlib.sha1(full.encode()).hexdigest()[:10]
    name = f"_rewardkit_user_{''.join(c if c.isalnum() else '_' for c in stem)}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise RewardSpecError(path, "cannot load this file as a Python module")
    module = importlib.util.module_from_spec(spec)
    module.__rewardkit_source__ = full  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _import_module(module: str, source: str | None) -> ModuleType:
    if module in sys.modules:
        return sys.modules[module]
    if source and (module.startswith("_rewardkit_user_") or module in ("__main__", "__mp_main__")):
        return load_file_module(source)
    return importlib.import_module(module)


# -- pickling by reference -------------------------------------------------------


def reduce_reward(rw: Reward) -> tuple[Any, ...]:
    """Pickle ``rw`` as a reference a fresh process can resolve.

    A reward from a provider that every process discovers on its own (the
    built-ins, ``rewardkit`` entry points) travels by registered name. Any other
    reward travels as ``module:attribute`` plus its metadata, found by walking
    the module for the attribute that holds it. A reward that no import can reach
    (``__main__`` of a script or notebook, a function's locals, a lambda) travels by
    value (:func:`_reduce_by_value`); one that cannot be pickled even so raises
    ``TypeError`` at pickling time, not in the worker.
    """
    from ..registry._registry import registry

    changed = {k: v for k, v in rw.options.items() if rw.option_defaults.get(k) != v}
    if registry.portable_by_name(rw):
        return (_rebuild_registered, (rw.name, changed))
    fn = rw.fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "") or ""
    mod = sys.modules.get(module) if module else None
    meta = {
        "name": rw.name,
        "version": rw.version,
        "range": rw.range,
        "description": rw.description,
        "batched": rw.batched,
        "cheap": rw.cheap,
    }
    importable = (
        mod is not None
        and module not in _SCRIPT_MODULES
        and "<locals>" not in qualname
        and "<lambda>" not in qualname
    )
    path = _find_attribute(mod, rw, qualname) if importable and mod is not None else None
    if path is None:
        return _reduce_by_value(rw, changed, meta)
    source = getattr(mod, "__rewardkit_source__", None) or getattr(mod, "__file__", None)
    return (_rebuild_attribute, (module, path, source, changed, rw.name, meta))


#: Modules a worker cannot (or must not) import: the caller's script or notebook.
_SCRIPT_MODULES = frozenset({"__main__", "__mp_main__"})


def _reduce_by_value(rw: Reward, changed: dict[str, Any], meta: dict[str, Any]) -> tuple[Any, ...]:
    """Pickle ``rw``'s function *by value* (cloudpickle): code, closure and the globals it uses.

    Used for rewards no import can reach: defined in a script's or notebook's
    ``__main__`` (importing a script without a main guard would re-run it), inside a
    function, or as a lambda. The worker then runs exactly the code the caller has, so
    the hard timeout and crash isolation hold however the reward was written. Each
    worker gets its own copy of the globals the function uses: state a reward keeps in
    module globals is per worker, never shared with the caller.
    """
    import pickle

    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - cloudpickle is a core dependency
        raise TypeError(
            f"reward {rw.name!r} ({rw.defined_at}) cannot be imported by a worker process "
            "and cloudpickle is not installed to send it by value"
        ) from None
    # Files loaded by path (``file.py:fn``, ``--import file.py``) live under private
    # module names a worker cannot import: send what comes from them by value too.
    private = [m for n, m in list(sys.modules.items()) if n.startswith("_rewardkit_user_")]
    for m in private:
        cloudpickle.register_pickle_by_value(m)
    try:
        blob = cloudpickle.dumps(rw.fn, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise TypeError(
            f"reward {rw.name!r} ({rw.defined_at}) cannot be sent to a worker process: it is "
            "not importable (defined in a script, notebook or function), and sending it by "
            f"value failed ({type(exc).__name__}: {exc}). Move it to an importable module, or "
            "keep the objects it uses (locks, open files, models) out of its closure and "
            "globals"
        ) from None
    finally:
        for m in private:
            cloudpickle.unregister_pickle_by_value(m)
    return (_rebuild_by_value, (blob, changed, meta))


def _rebuild_by_value(blob: bytes, options: dict[str, Any], meta: dict[str, Any]) -> Reward:
    import pickle

    from ..contract._reward import Reward

    fn = pickle.loads(blob)
    rebuilt = Reward(fn, **meta)
    return rebuilt.configure(**options) if options else rebuilt


def _find_attribute(mod: ModuleType, rw: Reward, qualname: str) -> str | None:
    try:
        return _attribute_path(mod, rw, qualname)
    except TypeError:
        return None


def _attribute_path(mod: ModuleType, rw: Reward, qualname: str) -> str:
    from ..contract._reward import Reward

    obj: Any = mod
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if obj is rw.fn or (isinstance(obj, Reward) and obj.fn is rw.fn and obj.name == rw.name):
        return qualname
    # @reward(name=...) bound under another attribute, or Reward(fn) kept beside fn
    for attr, value in vars(mod).items():
        if isinstance(value, Reward) and value.fn is rw.fn and value.name == rw.name:
            return attr
    raise TypeError(
        f"reward {rw.name!r} ({rw.defined_at}) cannot be found as {mod.__name__}.{qualname}; "
        "bind it to a module-level name so a worker process can import it"
    )


def _rebuild_registered(name: str, options: dict[str, Any]) -> Reward:
    from ..registry._registry import get

    return get(name, **options)


def _rebuild_attribute(
    module: str,
    qualname: str,
    source: str | None,
    options: dict[str, Any],
    name: str,
    meta: dict[str, Any] | None = None,
) -> Reward:
    from ..contract._reward import Reward

    mod = _import_module(module, source)
    obj: Any = mod
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, Reward):
        # the function itself is reachable (e.g. wrapped manually with Reward(fn))
        obj = Reward(obj, **(meta or {"name": name}))
    result: Reward = obj.configure(**options) if options else obj
    return result
