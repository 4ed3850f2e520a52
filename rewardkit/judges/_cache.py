"""Judge verdicts kept by (model, template, rubric, rendered inputs), so re-scoring is free.

In memory (bounded, least recently used dropped first) and, with a path, in an SQLite
file shared by runs and processes (WAL mode; a failure to write is not a failure to
judge). Only readable replies are stored: a failed or unparseable call is asked again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["JudgeCache"]


class JudgeCache:
    def __init__(self, path: str | None = None, size: int = 100_000) -> None:
        self.path = path
        self.size = size
        self._mem: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["size"])  # type: ignore[misc]

    def _conn(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None:
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, reply TEXT)")
            self._db = db
        return self._db

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._mem.get(key)
            if hit is not None:
                self._mem.move_to_end(key)
                return hit
            db = self._conn()
            if db is None:
                return None
            row = db.execute("SELECT reply FROM verdicts WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            self._remember(key, row[0])
            return str(row[0])

    def put(self, key: str, reply: str) -> None:
        with self._lock:
            self._remember(key, reply)
            db = self._conn()
            if db is not None:
                try:
                    with db:
                        db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?)", (key, reply))
                except sqlite3.Error:
                    pass

    def _remember(self, key: str, reply: str) -> None:
        self._mem[key] = reply
        self._mem.move_to_end(key)
        while len(self._mem) > self.size:
            self._mem.popitem(last=False)

    def __len__(self) -> int:
        return len(self._mem)
