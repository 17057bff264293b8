"""Append-only schema migrations for mapforge's SQLite files (after simonw/llm).

Each database module keeps a list of `m001_...` functions; `migrate` applies, in order,
those not yet recorded in `_migrations`. Never edit or reorder a released migration:
add a new one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

Migration = Callable[[sqlite3.Connection], None]


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations not yet applied, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    for step in migrations:
        if step.__name__ in done:
            continue
        with conn:
            step(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (step.__name__, datetime.now(UTC).isoformat()),
            )


class Database:
    """One SQLite connection shared by threads behind a lock, migrated on open."""

    def __init__(self, path: Path | str, migrations: Sequence[Migration]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the gateway's worker threads share it, serialized by _lock.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock:
            migrate(self._conn, migrations)

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Run one statement in its own transaction and return all its rows."""
        with self.lock, self._conn:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection; idempotent."""
        with self.lock:
            self._conn.close()
