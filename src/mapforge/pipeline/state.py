"""Run state in .mapforge/state.sqlite: one row per run, one per target per run.

It is the run history and what `--resume` reads: a target of the last run whose row is not
success or warn (failed, skipped, still `pending` or `running` when the process died) is
run again. Rows are written as targets start and finish, each in its own transaction, so a
killed run leaves an exact record of how far it got. The file is in WAL mode with
synchronous=NORMAL: a commit appends to the log without an fsync, so a killed process loses
nothing and only a power cut can lose the last commits (of a history, not of data).

`key_proofs` holds, per target, the fingerprint of a table whose key was verified unique and
not null (pipeline/proof.py): what lets an incremental run skip the full-table key check.
`watermarks` holds the high-water mark each incremental table reached in its last apply:
where the next run starts reading it (materialize/watermark.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mapforge.migrations import Database
from mapforge.pipeline.results import RunStatus, TargetResult, now

STATE_FILE = "state.sqlite"
PENDING, RUNNING = "pending", "running"
DONE = frozenset({RunStatus.SUCCESS.value, RunStatus.WARN.value})


def m001_runs(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
            as_of TEXT NOT NULL, args TEXT NOT NULL, pid INTEGER, resumed_from TEXT)"""
    )
    conn.execute(
        """CREATE TABLE target_runs (
            run_id TEXT NOT NULL REFERENCES runs(run_id), target TEXT NOT NULL,
            status TEXT NOT NULL, started_at TEXT, finished_at TEXT, seconds REAL,
            rows INTEGER, message TEXT, PRIMARY KEY (run_id, target))"""
    )


def m002_key_proofs(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE key_proofs (
            target TEXT PRIMARY KEY, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
            run_id TEXT NOT NULL, scanned_run_id TEXT NOT NULL, recorded_at TEXT NOT NULL)"""
    )


def m003_watermarks(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE watermarks (
            target TEXT PRIMARY KEY, dialect TEXT NOT NULL, column_name TEXT NOT NULL,
            column_type TEXT NOT NULL, mark TEXT NOT NULL,
            run_id TEXT NOT NULL, recorded_at TEXT NOT NULL)"""
    )


@dataclass(frozen=True)
class MarkColumn:
    """Where a recorded mark applies: a literal is only comparable with the column it came
    from, in the dialect it is spelled in (another column, or a changed type, would make the
    comparison fail to bind)."""

    dialect: str
    name: str
    type: str


MIGRATIONS = [m001_runs, m002_key_proofs, m003_watermarks]
_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
_ROWS_PER_INSERT = 300  # 3 parameters a row, well under SQLite's 32766 per statement


@dataclass(frozen=True)
class KeyProof:
    """The key of `target` was unique and not null in a table with this key fingerprint.

    `run_id` is the run that left the table so; `scanned_run_id` the run whose full key check
    began the chain of runs that each proved it by construction (the same run when it scanned).
    """

    target: str
    key: tuple[str, ...]
    fingerprint: str
    run_id: str
    scanned_run_id: str


@dataclass(frozen=True)
class PastRun:
    run_id: str
    as_of: datetime
    args: dict[str, Any]
    statuses: dict[str, str] = field(default_factory=dict)  # target -> last status

    @property
    def unfinished(self) -> set[str]:
        """Targets that failed, were skipped, or never finished."""
        return {name for name, status in self.statuses.items() if status not in DONE}


class RunState:
    """The state database of one project."""

    def __init__(self, state_dir: Path) -> None:
        self.db = Database(state_dir / STATE_FILE, MIGRATIONS)
        for pragma in _PRAGMAS:  # outside a transaction: journal_mode cannot change in one
            self.db.execute(pragma)

    def begin(
        self,
        run_id: str,
        targets: set[str],
        as_of: datetime,
        args: dict[str, Any],
        resumed_from: str | None = None,
    ) -> None:
        """Record a run and every target it will build as pending."""
        self.db.execute(
            "INSERT INTO runs (run_id, started_at, as_of, args, pid, resumed_from)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                run_id,
                now(),
                as_of.isoformat(),
                json.dumps(args, sort_keys=True),
                os.getpid(),
                resumed_from,
            ),
        )
        names = sorted(targets)
        for start in range(0, len(names), _ROWS_PER_INSERT):
            chunk = names[start : start + _ROWS_PER_INSERT]
            self.db.execute(
                "INSERT INTO target_runs (run_id, target, status) VALUES "
                + ", ".join("(?, ?, ?)" for _ in chunk),
                [value for target in chunk for value in (run_id, target, PENDING)],
            )

    def started(self, run_id: str, target: str) -> None:
        self.db.execute(
            "UPDATE target_runs SET status = ?, started_at = ? WHERE run_id = ? AND target = ?",
            (RUNNING, now(), run_id, target),
        )

    def finished(self, run_id: str, result: TargetResult) -> None:
        self.db.execute(
            """INSERT INTO target_runs (run_id, target, status, finished_at, seconds, rows, message)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (run_id, target) DO UPDATE SET status = excluded.status,
                 finished_at = excluded.finished_at, seconds = excluded.seconds,
                 rows = excluded.rows, message = excluded.message""",
            (
                run_id,
                result.name,
                str(result.status),
                now(),
                round(result.execution_time, 4),
                result.rows,
                result.message,
            ),
        )

    def end(self, run_id: str) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (now(), run_id))

    def last_run(self) -> PastRun | None:
        """The most recently started run, with the status of each of its targets."""
        rows = self.db.execute(
            "SELECT run_id, as_of, args FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"
        )
        if not rows:
            return None
        run_id, as_of, args = rows[0]
        statuses = self.db.execute(
            "SELECT target, status FROM target_runs WHERE run_id = ?", (run_id,)
        )
        return PastRun(
            run_id, datetime.fromisoformat(as_of), json.loads(args), {r[0]: r[1] for r in statuses}
        )

    def key_proof(self, target: str) -> KeyProof | None:
        """The last recorded proof of `target`'s key, if any."""
        rows = self.db.execute(
            "SELECT key, fingerprint, run_id, scanned_run_id FROM key_proofs WHERE target = ?",
            (target,),
        )
        if not rows:
            return None
        key, fingerprint, run_id, scanned = rows[0]
        return KeyProof(target, tuple(json.loads(key)), fingerprint, run_id, scanned)

    def prove_key(self, proof: KeyProof) -> None:
        """Record that `proof.target`'s key held in the table with `proof.fingerprint`."""
        self.db.execute(
            """INSERT INTO key_proofs
                 (target, key, fingerprint, run_id, scanned_run_id, recorded_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (target) DO UPDATE SET key = excluded.key,
                 fingerprint = excluded.fingerprint, run_id = excluded.run_id,
                 scanned_run_id = excluded.scanned_run_id, recorded_at = excluded.recorded_at""",
            (
                proof.target,
                json.dumps(list(proof.key)),
                proof.fingerprint,
                proof.run_id,
                proof.scanned_run_id,
                now(),
            ),
        )

    def forget_key(self, target: str) -> None:
        """The key failed, or could not be checked: the next run must scan the table again."""
        self.db.execute("DELETE FROM key_proofs WHERE target = ?", (target,))

    def watermark(self, target: str, column: MarkColumn) -> str | None:
        """The high-water mark `target` read in its last apply, a SQL literal for `column`."""
        rows = self.db.execute(
            """SELECT mark FROM watermarks WHERE target = ? AND dialect = ?
                 AND column_name = ? AND column_type = ?""",
            (target, column.dialect, column.name, column.type),
        )
        return str(rows[0][0]) if rows else None

    def record_watermark(self, target: str, column: MarkColumn, mark: str, run_id: str) -> None:
        self.db.execute(
            """INSERT INTO watermarks
                 (target, dialect, column_name, column_type, mark, run_id, recorded_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (target) DO UPDATE SET dialect = excluded.dialect,
                 column_name = excluded.column_name, column_type = excluded.column_type,
                 mark = excluded.mark, run_id = excluded.run_id,
                 recorded_at = excluded.recorded_at""",
            (target, column.dialect, column.name, column.type, mark, run_id, now()),
        )

    def forget_watermark(self, target: str) -> None:
        """The table was rebuilt: its mark is whatever the SELECT gave it now."""
        self.db.execute("DELETE FROM watermarks WHERE target = ?", (target,))

    def history(self, target: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest target runs, newest first, optionally of one target."""
        where, params = ("WHERE t.target = ?", (target,)) if target else ("", ())
        rows = self.db.execute(
            f"""SELECT t.run_id, t.target, t.status, t.started_at, t.finished_at,
                       t.seconds, t.rows, t.message
                FROM target_runs t JOIN runs r USING (run_id) {where}
                ORDER BY r.started_at DESC, t.started_at DESC LIMIT ?""",
            (*params, limit),
        )
        return [dict(row) for row in rows]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
