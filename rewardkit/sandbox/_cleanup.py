"""Removing what a job left behind, in bounded time, without recursion.

A job may leave a 100,000-deep directory chain (deeper than PATH_MAX), mode-000 directories,
fifos, sockets or its whole inode quota of files. ``shutil.rmtree`` recurses (``RecursionError``
on deep trees) and ``ignore_errors`` hides what it could not remove. Here every directory is
emptied from the top level only: its subdirectories are renamed up to the top (so depth never
grows and no path is long), its other entries unlinked, all through directory fds, with a
budget of entries. Replacing the tmpfs instead would be O(1) but would detach it from the
Landlock rules that grant jobs write access to it.

Anything that cannot be cleaned raises :class:`CleanupError`; the fork server then reports the
job and exits, so the pool replaces it rather than serving later jobs from a dirty workdir.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

MAX_ENTRIES = 200_000


class CleanupError(Exception):
    """A job's leftovers could not be removed."""


def remove_tree(path: str, max_entries: int = MAX_ENTRIES, keep_top: bool = False) -> None:
    """Delete everything below ``path`` (and ``path`` unless ``keep_top``); raise
    :class:`CleanupError` after ``max_entries`` entries or on anything that resists."""
    try:
        top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CleanupError(f"cannot open {path}: {exc}") from exc
    seen = 0
    try:
        while True:
            names = os.listdir(top)
            if not names:
                break
            for name in names:
                seen += 1
                if seen > max_entries:
                    raise CleanupError(f"more than {max_entries} entries under {path}")
                seen += _remove_entry(top, name, seen)
    except OSError as exc:
        raise CleanupError(f"cannot clean {path}: {exc}") from exc
    finally:
        os.close(top)
    if not keep_top:
        _remove(os.rmdir, path)


def _remove_entry(top: int, name: str, serial: int) -> int:
    """Remove one top-level entry, moving its subdirectories up; the entries it held."""
    if not stat.S_ISDIR(os.stat(name, dir_fd=top, follow_symlinks=False).st_mode):
        _quiet(lambda: os.unlink(name, dir_fd=top))
        return 0
    try:
        os.rmdir(name, dir_fd=top)
        return 0
    except OSError:
        pass
    _quiet(lambda: os.chmod(name, 0o700, dir_fd=top))
    inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
    try:
        children = os.listdir(inner)
        for index, child in enumerate(children):
            mode = os.stat(child, dir_fd=inner, follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                os.rename(child, f".rk-{serial}-{index}", src_dir_fd=inner, dst_dir_fd=top)
            else:
                os.unlink(child, dir_fd=inner)
    finally:
        os.close(inner)
    os.rmdir(name, dir_fd=top)
    return len(children)


def _quiet(action: Callable[[], None]) -> None:
    try:
        action()
    except FileNotFoundError:
        pass


def _remove(function: Callable[[str], None], path: str) -> None:
    try:
        function(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CleanupError(f"cannot remove {path}: {exc}") from exc
