"""The embedded default engine: one DuckDB file (or memory), one connection."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.base import ClosingContext, QueryResult, strip_statement
from mapforge.engines.duckdb_catalog import INTERNAL_PREFIX, quote, read_catalog
from mapforge.engines.duckdb_keys import KeyCache
from mapforge.errors import EngineError

# DEBUG records each statement with its seconds: `mapforge.engines.duckdb` is the hook for
# profiling a run statement by statement (bench/pipeline.py --profile reads it).
log = logging.getLogger(__name__)

_LOCK_HINT = (
    "another mapforge or duckdb process holds the database open; DuckDB allows one writer "
    "process at a time, so stop that process or open the file read-only"
)

# A commit whose WAL would pass this size checkpoints instead, which skips the WAL: a build's
# rows are then written once, not to the WAL at commit and again by the checkpoint at close
# (on 100k applied rows: 0.019 s against 0.008 s + 0.019 s). Small commits (views, DDL) still
# go to the WAL: a checkpoint costs about 10 ms of metadata on a 1,000-table file.
CHECKPOINT_THRESHOLD = "1MB"

_KIND = """
select 'table' from duckdb_tables()
 where database_name = current_database() and schema_name = $schema
   and lower(table_name) = lower($name) and not temporary
union all
select 'view' from duckdb_views()
 where database_name = current_database() and schema_name = $schema
   and lower(view_name) = lower($name) and not temporary
"""


class DuckDBEngine(ClosingContext):
    """Engine over one DuckDB database; every duckdb.Error leaves as an EngineError."""

    name = "duckdb"
    dialect = "duckdb"
    supports_transactions = True
    supports_merge = True
    supports_partitions = False  # partition_by is a Spark option (see engines/spark.py)
    enforces_keys = True  # PRIMARY KEY / NOT NULL are checked on every write
    exclusive_writer = True  # one read-write process per file (its lock), see _LOCK_HINT
    # Cursors of one connection run statements in parallel, each in its own transaction.
    supports_parallel = True

    def __init__(
        self,
        path: str | Path = ":memory:",
        read_only: bool = False,
        schema: str = "main",
        _conn: duckdb.DuckDBPyConnection | None = None,
        key_cache: str | Path | None = None,
    ) -> None:
        self.path = str(path)
        self.schema = schema
        # where catalog() keeps the tables' keys between processes (engines/duckdb_keys.py)
        self.key_cache = Path(key_cache) if key_cache is not None else None
        self._conn = _conn if _conn is not None else _open(self.path, read_only)
        if schema != "main":
            if not read_only:
                self._run(f"create schema if not exists {quote(schema)}")
            # Unqualified names in user SQL then resolve in the engine's schema.
            self._run(f"use {quote(schema)}")

    # -- Engine protocol -------------------------------------------------------------------

    def catalog(self, counts: bool = True) -> Catalog:
        """Introspect tables and views of the schema (mapforge's own objects excluded)."""
        try:
            cache = KeyCache.load(self.key_cache) if self.key_cache is not None else None
            return read_catalog(self._conn, self.schema, counts=counts, key_cache=cache)
        except duckdb.Error as err:
            raise _engine_error(err, None) from err

    def query(self, sql: str) -> QueryResult:
        """Run a statement and fetch every row."""
        cursor = self._run(sql)
        if cursor.description is None:
            return QueryResult(columns=[], rows=[])
        return QueryResult(columns=[d[0] for d in cursor.description], rows=cursor.fetchall())

    def execute(self, sql: str) -> None:
        """Run a statement (or several, separated by semicolons) for its effect."""
        self._run(sql)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT; ROLLBACK when the block raises."""
        with self._transaction():
            yield

    @contextmanager
    def sandbox(self, shadows: Mapping[str, str]) -> Iterator[None]:
        """TEMP tables shadow `main` inside a transaction that is always rolled back."""
        with suppress(_Rollback), self._transaction():
            for name, select_sql in sorted(shadows.items()):
                self._run(
                    f"create temp table {quote(name)} as {strip_statement(select_sql)}",
                    shown=select_sql,
                )
            yield
            raise _Rollback

    def stage(self, name: str, select_sql: str) -> None:
        """A TEMP table inside the sandbox's transaction; the rollback drops it."""
        self._run(
            f"create temp table {quote(name)} as {strip_statement(select_sql)}", shown=select_sql
        )

    def explain(self, sql: str, stubs: Sequence[Table] = ()) -> None:
        """Bind and plan `sql` without running it; binder errors become EngineError.

        `stubs` are tables the statement may read that need not exist yet (upstream targets):
        they are created empty as TEMP tables, which shadow `main`, and rolled back after.
        """
        if not stubs:
            self._run(f"explain {strip_statement(sql)}", shown=sql)
            return
        with suppress(_Rollback), self._transaction():
            for table in stubs:
                columns = ", ".join(f"{quote(c.name)} {c.type}" for c in table.columns)
                self._run(f"create temp table {quote(table.name)} ({columns})")
            self._run(f"explain {strip_statement(sql)}", shown=sql)
            raise _Rollback

    def build_table(self, name: str, select_sql: str) -> int:
        """Build into a staging table, then drop-and-rename in one transaction."""
        staging = f"{INTERNAL_PREFIX}tmp_{name}"
        try:
            self._run(f"drop table if exists {self._ref(staging)}")  # a crashed run's leftover
            cursor = self._run(
                f"create table {self._ref(staging)} as {strip_statement(select_sql)}"
            )
            rows = cursor.fetchone()
            with self._transaction():
                self._drop(name)
                self._run(f"alter table {self._ref(staging)} rename to {quote(name)}")
        except EngineError:
            self._discard(staging)
            raise
        return int(rows[0]) if rows else self.row_count(name)

    def build_view(self, name: str, select_sql: str) -> None:
        """Create or replace a view in one transaction; a table of that name is dropped."""
        with self._transaction():
            if self._kind(name) == "table":
                self._drop(name)
            self._run(f"create or replace view {self._ref(name)} as {strip_statement(select_sql)}")

    def table_exists(self, name: str) -> bool:
        """Whether a table or view `name` exists in the schema."""
        return self._kind(name) is not None

    def row_count(self, name: str) -> int:
        """Exact count(*) of a table or view."""
        row = self._run(f"select count(*) from {self._ref(name)}").fetchone()
        return int(row[0]) if row else 0

    def checksum(self, name: str) -> str:
        """Order-independent fingerprint of every row of `name`.

        Each row is hashed with DuckDB's 64-bit hash() of the whole row struct; the hashes
        are summed as HUGEINT (not XORed: XOR would let two identical rows cancel out) and
        combined with the row count. Values are only comparable within one DuckDB version,
        since hash() is not guaranteed stable across releases.
        """
        alias = f"{INTERNAL_PREFIX}row"  # a name no user column will shadow
        sql = (
            f"select count(*), coalesce(sum(hash({alias})::hugeint), 0) "
            f"from {self._ref(name)} as {alias}"
        )
        count, total = self._run(sql).fetchone() or (0, 0)
        return hashlib.sha256(f"{count}:{total}".encode()).hexdigest()[:32]

    def worker(self) -> DuckDBEngine:
        """An engine over a cursor of this connection, for one other thread.

        A DuckDB connection must not be shared by threads, but its cursors may: each is a
        separate client of the same database (own transaction, own temp tables), so the
        `use <schema>` of this engine is repeated on it.
        """
        try:
            cursor = self._conn.cursor()
        except duckdb.Error as err:
            raise _engine_error(err, None) from err
        return DuckDBEngine(self.path, schema=self.schema, _conn=cursor)

    def interrupt(self) -> None:
        """Stop the statement running on this connection, from another thread; idle: no-op.

        Sample runs use it to enforce their time budget (mapforge.validate.dynamic).
        """
        self._conn.interrupt()

    def settle(self, name: str) -> None:
        """Nothing to finish: every build here is one transaction."""

    def close(self) -> None:
        """Close the connection (or a worker's cursor); safe to call twice."""
        self._conn.close()

    # -- internals -------------------------------------------------------------------------

    def _run(
        self, sql: str, params: dict[str, str] | None = None, shown: str | None = None
    ) -> duckdb.DuckDBPyConnection:
        if not log.isEnabledFor(logging.DEBUG):
            return self._execute(sql, params, shown)
        started = time.perf_counter()
        try:
            return self._execute(sql, params, shown)
        finally:
            log.debug("%.3fs %s", time.perf_counter() - started, " ".join(sql.split()))

    def _execute(
        self, sql: str, params: dict[str, str] | None, shown: str | None
    ) -> duckdb.DuckDBPyConnection:
        try:
            return self._conn.execute(sql, params)
        except duckdb.Error as err:
            raise _engine_error(err, shown or sql) from err

    def _ref(self, name: str) -> str:
        return f"{quote(self.schema)}.{quote(name)}"

    def _kind(self, name: str) -> str | None:
        row = self._run(_KIND, {"schema": self.schema, "name": name}).fetchone()
        return row[0] if row else None

    def _drop(self, name: str) -> None:
        kind = self._kind(name)
        if kind is not None:
            self._run(f"drop {kind} {self._ref(name)}")

    def _discard(self, staging: str) -> None:
        # Cleanup must not hide the error that brought us here.
        with suppress(duckdb.Error):
            self._conn.execute(f"drop table if exists {self._ref(staging)}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._run("begin transaction")
        try:
            yield
            self._run("commit")
        except BaseException:
            with suppress(duckdb.Error):  # a failed COMMIT has already rolled back
                self._conn.execute("rollback")
            raise


class _Rollback(Exception):
    """Raised inside a transaction to undo it on purpose."""


def _open(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        conn = duckdb.connect(path, read_only=read_only)
    except duckdb.Error as err:
        raise _engine_error(err, None) from err
    if not read_only and path != ":memory:":
        # SET, not connect(config=...): another connection to the same file in this process
        # would otherwise be refused for a different configuration. Only a cost: no failure.
        with suppress(duckdb.Error):
            conn.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    return conn


def _engine_error(err: duckdb.Error, sql: str | None) -> EngineError:
    """A readable EngineError: DuckDB's message without its caret drawing, plus the SQL."""
    text = str(err).split("\n\nLINE ")[0]
    message = " ".join(line.strip() for line in text.splitlines() if line.strip())
    if sql:
        first = next((line.strip() for line in sql.splitlines() if line.strip()), "")
        message += f" [sql: {first[:120]}{'...' if len(first) > 120 else ''}]"
    hint = _LOCK_HINT if "could not set lock on file" in message.lower() else None
    return EngineError(message, hint=hint)
