"""The reward registry: built-ins and third-party providers behind one pluggy hook.

Discovery is lazy: nothing is imported until the first lookup, so
``import rewardkit`` stays cheap. Providers are the built-in module
``rewardkit.rewards``, every module named under the ``rewardkit`` entry-point
group, and anything passed to :func:`register`. Rewards merely decorated with
``@reward`` in user code are found by name too: decorating only *marks* a reward
(``rewardkit.contract._reward`` keeps the marks) and this registry collects the marks when
it looks a name up (latest definition of a function wins), but a name that two *different* definitions claim is an error that names
both, because names are metric keys.
"""

from __future__ import annotations

import difflib
import threading
import warnings
from collections.abc import Iterable
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from .. import hookspecs
from ..contract._errors import DuplicateRewardError, UnknownRewardError
from ..contract._marks import marked_rewards
from ..contract._reward import Reward, iter_rewards

__all__ = ["available", "get", "register", "registry"]

ENTRY_POINT_GROUP = "rewardkit"
BUILTIN_PLUGIN = "rewardkit.builtins"


class PluginLoadWarning(UserWarning):
    """A third-party reward plugin failed to import; its rewards are unavailable."""


class _ModuleProvider:
    """Adapts a plain module (or list) of Reward objects to the hook."""

    def __init__(self, rewards: list[Reward]) -> None:
        self._rewards = rewards

    @hookspecs.hookimpl
    def rewardkit_rewards(self) -> list[Reward]:
        return list(self._rewards)


class Registry:
    """Name → :class:`Reward` lookup over every provider."""

    def __init__(self, *, user_marks: bool = False) -> None:
        # user_marks: also find rewards merely decorated with @reward (the global registry)
        self._user_marks = user_marks
        self._marks_seen = -1
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._by_name: dict[str, Reward] = {}
        self._user: dict[str, dict[str, Reward]] = {}
        self.load_errors: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        # plugins every process finds by itself (built-ins, entry points): their
        # rewards can be pickled by name; rewards from register() cannot
        self._discoverable: set[str] = {BUILTIN_PLUGIN}
        self._origin: dict[str, str] = {}

    # -- loading -------------------------------------------------------------------
    def _manager(self) -> pluggy.PluginManager:
        with self._lock:
            if self._pm is None:
                pm = pluggy.PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                from .. import rewards as builtin

                pm.register(builtin, name=BUILTIN_PLUGIN)
                self._load_entry_points(pm)
                # collect before publishing pm: a duplicate raises on every lookup,
                # instead of once and then leaving an empty registry behind
                self._collect(pm)
                self._pm = pm
            return self._pm

    def _load_entry_points(self, pm: pluggy.PluginManager) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # one broken plugin must not hide the others
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"rewardkit plugin {ep.name!r} ({ep.value}) failed to import: "
                    f"{type(exc).__name__}: {exc}",
                    PluginLoadWarning,
                    stacklevel=3,
                )
                continue
            pm.register(_as_plugin(plugin), name=ep.name)
            self._discoverable.add(ep.name)
            dist = getattr(ep, "dist", None)
            if dist is not None:
                self._labels[ep.name] = f"{dist.metadata['Name']} {dist.version}"

    def _provider_label(self, plugin_name: str) -> str:
        if plugin_name == BUILTIN_PLUGIN:
            return "rewardkit (built-in)"
        return self._labels.get(plugin_name, plugin_name)

    def _collect(self, pm: pluggy.PluginManager) -> None:
        by_name: dict[str, Reward] = {}
        origin: dict[str, str] = {}
        labels: dict[str, str] = {}
        for impl in pm.hook.rewardkit_rewards.get_hookimpls():
            label = self._provider_label(impl.plugin_name)
            provided: list[Any] = list(impl.function() or [])  # type: ignore[call-overload]
            for rw in provided:
                if not isinstance(rw, Reward):
                    raise TypeError(
                        f"plugin {impl.plugin_name!r} returned {type(rw).__name__} from "
                        "rewardkit_rewards(); expected Reward objects (use @reward)"
                    )
                if rw.name in by_name:
                    if by_name[rw.name].fn is rw.fn:
                        continue  # the same reward re-exported: the first provider keeps it
                    raise DuplicateRewardError(rw.name, labels[rw.name], label)
                by_name[rw.name] = rw
                origin[rw.name] = impl.plugin_name
                labels[rw.name] = label
        for name, rw in by_name.items():
            rw.provider = labels[name]
        self._by_name = by_name
        self._origin = origin

    # -- public --------------------------------------------------------------------
    def register(
        self, obj: ModuleType | Reward | Iterable[Reward] | Any, name: str | None = None
    ) -> None:
        """Register a plugin: a module/object with a hook, a module of rewards, or rewards."""
        pm = self._manager()
        with self._lock:
            if isinstance(obj, Reward):
                plugin: Any = _ModuleProvider([obj])
            elif hasattr(obj, "rewardkit_rewards"):
                plugin = obj
            elif isinstance(obj, ModuleType):
                plugin = _ModuleProvider(iter_rewards(vars(obj)))
            else:
                plugin = _ModuleProvider(iter_rewards(list(obj)))
            if isinstance(obj, Reward):
                default_label = f"{getattr(obj.fn, '__module__', None) or 'user'}:{obj.name}"
            else:
                default_label = getattr(obj, "__name__", None) or f"plugin-{id(obj)}"
            label = name or default_label
            before, origin = dict(self._by_name), dict(self._origin)
            previous = pm.get_plugin(label)
            if previous is not None:  # registering a module again (e.g. after a reload)
                pm.unregister(previous)
            pm.register(plugin, name=label)
            try:
                self._collect(pm)
            except Exception:
                pm.unregister(plugin)
                if previous is not None:
                    pm.register(previous, name=label)
                self._by_name, self._origin = before, origin
                raise

    def portable_by_name(self, rw: Reward) -> bool:
        """Whether a fresh process resolves ``rw.name`` to this very reward by itself."""
        if self._pm is None or rw.provider == "user":
            return False
        with self._lock:
            found = self._by_name.get(rw.name)
            plugin = self._origin.get(rw.name)
        return found is not None and found.fn is rw.fn and plugin in self._discoverable

    def _collect_marks(self) -> None:
        if not self._user_marks:
            return
        with self._lock:
            version, marked = marked_rewards(self._marks_seen)
            for rw in marked:
                self.note_user(rw)
            self._marks_seen = version

    def note_user(self, rw: Reward) -> None:
        ident = f"{getattr(rw.fn, '__module__', '?')}.{getattr(rw.fn, '__qualname__', '?')}"
        with self._lock:
            self._user.setdefault(rw.name, {})[ident] = rw

    def get(self, name: str, **options: Any) -> Reward:
        """Look a reward up by name and apply ``options``.

        Raises:
            UnknownRewardError: with close-name suggestions.
            DuplicateRewardError: when two definitions claim the name.
        """
        self._manager()
        self._collect_marks()
        with self._lock:
            found = self._by_name.get(name)
            users = [
                u
                for u in self._user.get(name, {}).values()
                if not any(u.fn is r.fn for r in self._by_name.values())
            ]
        if found is not None and users:
            raise DuplicateRewardError(name, found.provider, f"user code ({users[-1].defined_at})")
        if found is None and len(users) > 1:
            raise DuplicateRewardError(name, users[0].defined_at, users[1].defined_at)
        if found is None and users:
            found = users[0]
        if found is None:
            names = self.names()
            raise UnknownRewardError(name, suggestions=difflib.get_close_matches(name, names, n=3))
        return found.configure(**options) if options else found

    def names(self) -> list[str]:
        self._manager()
        self._collect_marks()
        with self._lock:
            return sorted(set(self._by_name) | set(self._user))

    def available(self) -> list[Reward]:
        """Every registered reward (plugins, then user-defined), sorted by name."""
        self._manager()
        self._collect_marks()
        out: dict[str, Reward] = dict(self._by_name)
        with self._lock:
            for name, defs in self._user.items():
                for rw in defs.values():
                    if name not in out and not any(rw.fn is r.fn for r in self._by_name.values()):
                        out[name] = rw
        return [out[k] for k in sorted(out)]


def _as_plugin(obj: Any) -> Any:
    if hasattr(obj, "rewardkit_rewards"):
        return obj
    if isinstance(obj, ModuleType):
        wrapped = _ModuleProvider(iter_rewards(vars(obj)))
    else:
        wrapped = _ModuleProvider(iter_rewards(list(obj)))
    return wrapped


registry = Registry(user_marks=True)


def get(name: str, **options: Any) -> Reward:
    """Return the registered reward ``name``, configured with ``options``.

    Example:
        >>> get("xml_format", mode="strict").key
        "xml_format(mode='strict')"
    """
    return registry.get(name, **options)


def available() -> list[Reward]:
    """Every reward known by name, sorted."""
    return registry.available()


def register(obj: Any, name: str | None = None) -> None:
    """Register rewards under their names (a module, a plugin object, or Reward objects)."""
    registry.register(obj, name=name)
