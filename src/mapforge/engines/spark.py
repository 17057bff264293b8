"""The Spark engine: a local SparkSession by default, a cluster or Spark Connect by URL.

pyspark is an optional extra (`pip install "mapforge[spark]"`, Java 17+ for pyspark 4), so
this module is imported only when `connect("spark")` asks for it.

What Spark gives instead of transactions (supports_transactions = False):
- Targets are parquet tables in the session catalog, which has no multi-statement
  transactions and no REPLACE TABLE AS SELECT for parquet (only Delta/Iceberg have it).
- build_table therefore writes a staging table first, which is the slow part and can fail
  without touching the target. The swap is three metastore operations: rename the old
  table aside, rename staging to the target, drop the old one. Between the two renames
  (milliseconds) readers see no table. A failed second rename puts the old table back.
- build_view validates its SELECT as a staging view before a table of the same name is
  dropped, so bad SQL never loses a table; the drop-and-rename window is the same as above.

Partitioned tables and interrupted swaps: renaming a managed table moves its directory but
leaves the catalog's partition locations at the previous path (Spark's in-memory catalog),
so each rename is followed by RECOVER PARTITIONS. Dropping a managed table deletes every
partition location, so a table left between the two (an interrupted swap) must never be
dropped as is: its partitions may point into the directory of the table or staging table
that took the old path, and the drop would delete their data. Before any build of `name`
(build_table, build_view, overwrite_partitions), settle finishes such a swap: each of
`name`, `__mapforge_old_<name>` and `__mapforge_tmp_<name>` that has a partition outside its
own directory is repaired (RECOVER PARTITIONS, then MSCK REPAIR ... SYNC PARTITIONS, which
drops only catalog entries whose directory is gone), and checked again; then a leftover old
table is renamed back when the target is missing (the swap stopped between its renames),
else dropped, and a leftover staging table is dropped. A partition that still lives outside
its table's directory (moved by hand) stops the build with an EngineError that names it. The
engine checks every partitioned managed table the same way before it drops it. The check
reads the partition locations from the session catalog in two py4j calls, whatever the
number of partitions; over Spark Connect, with no JVM at hand, it runs SHOW PARTITIONS and
one DESCRIBE per partition instead, a few times per build. pipeline.materialize calls
settle (part of Engine) before it reads a target, so an incremental or scd2 apply right after
an interrupted swap reads the restored table, history included, not a half-renamed one.

Catalog persistence: without Hive support Spark keeps the catalog in memory, so tables
live as long as the session (their parquet files stay in the warehouse directory). For a
catalog shared across processes, set `spark.sql.catalogImplementation: hive` in
`spark_conf` (Derby metastore in the working directory) or point Spark at a metastore.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.base import ClosingContext, QueryResult, strip_statement
from mapforge.engines.spark_catalog import INTERNAL_PREFIX, quote, read_catalog, spark_type
from mapforge.engines.spark_partitions import (
    Located,
    Stray,
    jvm_catalog,
    jvm_ident,
    jvm_locations,
    sql_locations,
    strays,
)
from mapforge.errors import ConfigError, EngineError

try:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.logger import PySparkLogger
    from pyspark.sql import DataFrame, SparkSession
except ImportError as _missing:  # pragma: no cover - depends on the installed extras
    raise ConfigError(
        "engine type 'spark' needs pyspark, which is not installed",
        hint='pip install "mapforge[spark]" (pyspark 4 also needs Java 17 or newer)',
    ) from _missing

_SPARK_ERRORS = (PySparkException, Py4JJavaError)

# Local-mode settings that keep a small job fast and quiet; user spark_conf wins.
_LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
}

_OVERWRITE_MODE = "spark.sql.sources.partitionOverwriteMode"

_EXPLAIN_FAILED = "Error occurred during query planning"


class SparkEngine(ClosingContext):
    """Engine over one Spark database (namespace); every Spark error leaves as an EngineError."""

    name = "spark"
    dialect = "spark"
    supports_transactions = False
    supports_merge = False  # MERGE INTO needs Delta/Iceberg tables; targets are parquet
    # build_table(partition_by=...) and overwrite_partitions: parquet `PARTITIONED BY` tables
    supports_partitions = True
    enforces_keys = False  # no PRIMARY KEY constraints at all
    exclusive_writer = False  # other jobs write the same warehouse
    # One SparkContext runs jobs from many threads; worker() sessions keep temp views apart.
    supports_parallel = True

    def __init__(
        self,
        master: str = "local[2]",
        warehouse: str | None = None,
        schema: str = "default",
        spark_conf: Mapping[str, str] | None = None,
        session: SparkSession | None = None,
    ) -> None:
        self.schema = schema
        # A session handed in belongs to the caller (a test fixture, a notebook): not stopped.
        self._owns_session = session is None
        self._staged: list[str] = []  # results staged inside the current sandbox
        self._spark = session or _open(master, warehouse, dict(spark_conf or {}))
        _quiet_error_logs()
        self._run(f"create database if not exists {quote(schema)}")
        # Unqualified names in user SQL then resolve in the engine's database.
        self._spark.catalog.setCurrentDatabase(schema)

    @property
    def session(self) -> SparkSession:
        """The SparkSession, for loading data in ways SQL cannot (DataFrames, files)."""
        return self._spark

    # -- Engine protocol -------------------------------------------------------------------

    def catalog(self, counts: bool = True) -> Catalog:
        """Introspect tables and views of the database (mapforge's own objects excluded)."""
        try:
            return read_catalog(self._spark, self.schema, counts=counts)
        except _SPARK_ERRORS as err:
            raise _engine_error(err, None) from err

    def query(self, sql: str) -> QueryResult:
        """Run a statement and collect every row."""
        frame = self._run(strip_statement(sql), shown=sql)
        rows = self._collect(frame, sql)
        return QueryResult(columns=list(frame.columns), rows=[tuple(r) for r in rows])

    def execute(self, sql: str) -> None:
        """Run statements separated by semicolons; spark.sql runs commands eagerly."""
        for statement in split_statements(sql):
            self._run(statement)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Spark has no transactions: yields without one (supports_transactions is False)."""
        yield

    @contextmanager
    def sandbox(self, shadows: Mapping[str, str]) -> Iterator[None]:
        """TEMP views shadow the database's tables inside the block, dropped on exit.

        Spark resolves an unqualified name to a TEMP view before a table of the same name,
        so `orders` means the sample while `default.orders` still means the table.
        """
        with self._temp_views(sorted(shadows.items())):
            try:
                yield
            finally:
                for name in reversed(self._staged):
                    self._run(f"uncache table if exists {quote(name)}")
                    self._spark.catalog.dropTempView(name)
                self._staged.clear()

    def stage(self, name: str, select_sql: str) -> None:
        """CACHE TABLE runs the query now (Spark refuses CREATE TEMP TABLE ... AS)."""
        self._spark.catalog.dropTempView(name)
        self._run(f"cache table {quote(name)} as {strip_statement(select_sql)}", shown=select_sql)
        self._staged.append(name)

    def explain(self, sql: str, stubs: Sequence[Table] = ()) -> None:
        """Plan `sql` with EXPLAIN (nothing runs); analysis errors become EngineError.

        `stubs` become empty TEMP views with the contract's columns and types, which shadow
        tables of the same name for the EXPLAIN only.
        """
        with self._temp_views([(t.name, _stub_select(t)) for t in stubs]):
            rows = self._collect(self._run(f"explain {strip_statement(sql)}", shown=sql), sql)
            plan = str(rows[0][0]) if rows else ""
            if plan.startswith(_EXPLAIN_FAILED):
                self._analysis_error(sql, plan)

    def build_table(self, name: str, select_sql: str, partition_by: str | None = None) -> int:
        """Write a parquet staging table, then rename it over `name` (see the module doc).

        With `partition_by` the table is `PARTITIONED BY` that column, which Spark then lists
        last among the table's columns (see the module doc for renaming partitioned tables).
        """
        staging = f"{INTERNAL_PREFIX}tmp_{name}"
        self.settle(name)  # an interrupted build's leftovers, staging included
        try:
            self._create_parquet(staging, select_sql, partition_by)
            rows = self.row_count(staging)
            self._swap_in(staging, name, "table")
        except EngineError:
            self._discard(staging)
            raise
        return rows

    def partition_columns(self, name: str) -> list[str]:
        """The columns table `name` is partitioned by, in order (empty: not partitioned)."""
        try:
            columns = self._spark.catalog.listColumns(self._ref(name))
        except _SPARK_ERRORS as err:
            raise _engine_error(err, None) from err
        return [c.name for c in columns if c.isPartition]

    def overwrite_partitions(self, name: str, select_sql: str, partition_by: str) -> int:
        """Replace the partitions of `name` that `select_sql`'s rows fall in; returns its rows.

        The rows are written to a parquet staging table first: Spark refuses an INSERT
        OVERWRITE of a table the query reads, and the SELECT usually reads the old partitions.
        `partitionOverwriteMode=dynamic` (for this statement, then restored) makes the INSERT
        OVERWRITE replace only the partitions its rows fall in. Each partition is swapped
        when the job commits; the others' files are not touched.
        """
        staging = f"{INTERNAL_PREFIX}parts_{name}"
        self.settle(name)  # partitions an interrupted swap left elsewhere come home first
        self._drop(staging)
        try:
            self._create_parquet(staging, select_sql, None)
            rows = self.row_count(staging)
            if rows:
                with self._conf(_OVERWRITE_MODE, "dynamic"):
                    self._run(
                        f"insert overwrite table {self._ref(name)} "
                        f"partition ({quote(partition_by)}) select * from {self._ref(staging)}"
                    )
        finally:
            self._discard(staging)
        return rows

    def build_view(self, name: str, select_sql: str) -> None:
        """Create or replace a view; a table of that name is replaced once the SQL is known good."""
        body = strip_statement(select_sql)
        self.settle(name)
        if self._kind(name) != "table":
            self._run(f"create or replace view {self._ref(name)} as {body}", shown=select_sql)
            return
        staging = f"{INTERNAL_PREFIX}tmp_{name}"
        try:
            self._run(f"create view {self._ref(staging)} as {body}", shown=select_sql)
            self._swap_in(staging, name, "view")
        except EngineError:
            self._discard(staging)
            raise

    def table_exists(self, name: str) -> bool:
        """Whether a table or view `name` exists in the database (TEMP views do not count)."""
        return self._kind(name) is not None

    # Reads use the bare name, which resolves to a sandbox's TEMP view first and then to the
    # engine's database (the session's current one), as DuckDB's row_count does.

    def row_count(self, name: str) -> int:
        """Exact count(*) of a table or view."""
        rows = self._collect(self._run(f"select count(*) from {quote(name)}"), None)
        return int(rows[0][0]) if rows else 0

    def checksum(self, name: str) -> str:
        """Order-independent fingerprint of every row of `name`.

        Each row is hashed with Spark's xxhash64 over all columns; the hashes are summed as
        DECIMAL(38,0) (a BIGINT sum overflows, an error under ANSI mode; XOR would let two
        identical rows cancel out) and combined with the row count. Comparable between Spark
        builds only: DuckDB hashes rows differently.
        """
        sql = (
            "select count(*), coalesce(sum(cast(xxhash64(*) as decimal(38, 0))), 0) "
            f"from {quote(name)}"
        )
        rows = self._collect(self._run(sql), None)
        count, total = rows[0] if rows else (0, 0)
        return hashlib.sha256(f"{count}:{total}".encode()).hexdigest()[:32]

    def worker(self) -> SparkEngine:
        """An engine over a new session of the same SparkContext, for one other thread.

        newSession() shares the catalog, the warehouse and the cluster, but has its own
        TEMP views, SQL settings and current database, so a worker's sandbox stays its own.
        Closing the worker leaves the context running.
        """
        return SparkEngine(session=self._spark.newSession(), schema=self.schema)

    def interrupt(self) -> None:
        """Cancel the jobs this engine's session is running, from another thread.

        interruptAll() is scoped to the session (classic Spark 4 and Spark Connect), so a
        worker's interrupt leaves the other workers' jobs running.
        """
        with suppress(*_SPARK_ERRORS):  # nothing running (or already finished): nothing to do
            self._spark.interruptAll()

    def close(self) -> None:
        """Stop the session this engine started; safe to call twice."""
        if self._owns_session:
            self._spark.stop()
            self._owns_session = False

    # -- internals -------------------------------------------------------------------------

    def _run(self, sql: str, shown: str | None = None) -> DataFrame:
        try:
            return self._spark.sql(sql)
        except _SPARK_ERRORS as err:
            raise _engine_error(err, shown or sql) from err

    def _collect(self, frame: DataFrame, shown: str | None) -> list[Any]:
        # Spark runs a query lazily: execution errors (ANSI casts, ...) surface here.
        try:
            return frame.collect()
        except _SPARK_ERRORS as err:
            raise _engine_error(err, shown) from err

    def _ref(self, name: str) -> str:
        return f"{quote(self.schema)}.{quote(name)}"

    def _create_parquet(self, name: str, select_sql: str, partition_by: str | None) -> None:
        partitioned = f" partitioned by ({quote(partition_by)})" if partition_by else ""
        self._run(
            f"create table {self._ref(name)} using parquet{partitioned} "
            f"as {strip_statement(select_sql)}",
            shown=select_sql,
        )

    @contextmanager
    def _conf(self, key: str, value: str) -> Iterator[None]:
        """Set a session SQL setting for the block, then restore (or unset) the old value."""
        conf = self._spark.conf
        previous = conf.get(key, None)
        conf.set(key, value)
        try:
            yield
        finally:
            if previous is None:
                conf.unset(key)
            else:
                conf.set(key, previous)

    def _kind(self, name: str) -> str | None:
        table_type = self._table_type(name)
        if table_type is None:
            return None
        return "view" if table_type == "VIEW" else "table"

    def _table_type(self, name: str) -> str | None:
        """MANAGED, EXTERNAL, VIEW (...), or None when `name` does not exist."""
        ref = self._ref(name)
        try:
            if not self._spark.catalog.tableExists(ref):
                return None
            return (self._spark.catalog.getTable(ref).tableType or "").upper()
        except _SPARK_ERRORS as err:
            raise _engine_error(err, None) from err

    def _drop(self, name: str) -> None:
        table_type = self._table_type(name)
        if table_type is None:
            return
        if table_type == "MANAGED":  # the drop deletes every partition location
            self._localize(name)
        self._run(f"drop {'view' if table_type == 'VIEW' else 'table'} {self._ref(name)}")

    def _discard(self, name: str) -> None:
        # Cleanup must not hide the error that brought us here.
        with suppress(EngineError):
            self._drop(name)

    def _swap_in(self, staging: str, name: str, staging_kind: str) -> None:
        """Rename `staging` to `name`, the old object set aside until the rename succeeded.

        The caller has settled `name` (settle), so no leftover old object is in the way.
        """
        old = f"{INTERNAL_PREFIX}old_{name}"
        kind = self._kind(name)
        self._drop(old)
        if kind is not None:
            self._rename(kind, name, old)
        try:
            self._rename(staging_kind, staging, name)
        except EngineError:
            if kind is not None:
                with suppress(EngineError):
                    self._rename(kind, old, name)
            raise
        if kind is not None:
            self._drop(old)

    def _rename(self, kind: str, source: str, target: str) -> None:
        self._run(f"alter {kind} {self._ref(source)} rename to {self._ref(target)}")
        if kind == "table":  # re-point a partitioned table's partitions at the moved directory
            self._localize(target, renamed=True)

    def settle(self, name: str) -> None:
        """Finish what an interrupted build of `name` left behind (see the module doc).

        First every partitioned table among the target and its leftovers is localized, so
        no rename or drop below can reach another table's directory. Then the old table goes
        back to `name` when the swap stopped between its renames (the target is missing),
        else it is dropped (the new table was in place); a staging table is dropped.
        Without leftovers this costs three catalog lookups and the target's partition list.
        """
        old, staging = f"{INTERNAL_PREFIX}old_{name}", f"{INTERNAL_PREFIX}tmp_{name}"
        kinds = {n: self._kind(n) for n in (name, old, staging)}
        for each, kind in kinds.items():
            if kind == "table":
                self._localize(each)
        if kinds[old] is not None:
            if kinds[name] is None:
                self._rename(kinds[old] or "table", old, name)
            else:
                self._drop(old)
        if kinds[staging] is not None:
            self._drop(staging)

    def _localize(self, name: str, renamed: bool = False) -> None:
        """Bring every partition of managed table `name` inside the table's own directory.

        A renamed table's partitions still point at its previous directory, which another
        table may own by now. RECOVER PARTITIONS re-points each partition whose directory is
        under the table's; MSCK REPAIR ... SYNC PARTITIONS then drops the catalog entries
        whose location no longer exists (the files are not touched). Nothing runs while no
        partition is outside (a table just `renamed` is repaired without asking); one still
        outside after both steps is an EngineError.
        """
        if not self._partitioned_managed(name):
            return
        if not renamed and not self._strays(name):
            return
        ref = self._ref(name)
        for repair in (
            f"alter table {ref} recover partitions",
            f"msck repair table {ref} sync partitions",
        ):
            self._run(repair)
            strays = self._strays(name)
            if not strays:
                return
        directory, values, location = strays[0]
        raise EngineError(
            f"{self.schema}.{name}: {len(strays)} partition(s) stored outside the table's "
            f"directory {directory}, e.g. {values} at {location}. Dropping or renaming the "
            "table would delete or orphan those directories, which may hold another table's "
            "data, so mapforge stops. Once that data is safe, point each such partition inside "
            f"the table's directory (ALTER TABLE {ref} PARTITION (...) SET LOCATION "
            f"'{directory}/...') and run the build again"
        )

    def _partitioned_managed(self, name: str) -> bool:
        """Whether `name` is a managed table with partitions (which a drop deletes)."""
        try:
            jcatalog = self._jvm_catalog()
            if jcatalog is None:
                table_type = self._table_type(name)
                return table_type == "MANAGED" and bool(self.partition_columns(name))
            table = jcatalog.getTableMetadata(jvm_ident(self._spark, self.schema, name))
            return bool(
                table.tableType().name() == "MANAGED" and not table.partitionColumnNames().isEmpty()
            )
        except _SPARK_ERRORS as err:
            raise _engine_error(err, None) from err

    def _strays(self, name: str) -> list[Stray]:
        """(table directory, partition values, location) of each partition outside it."""
        return strays(self._partition_locations(name))

    def _partition_locations(self, name: str) -> Located:
        """The directory of partitioned table `name` and each partition's values and location."""
        try:
            jcatalog = self._jvm_catalog()
            if jcatalog is None:
                return self._sql_partition_locations(name)
            return jvm_locations(self._spark, jcatalog, jvm_ident(self._spark, self.schema, name))
        except _SPARK_ERRORS as err:
            raise _engine_error(err, None) from err

    def _jvm_catalog(self) -> Any | None:
        return jvm_catalog(self._spark)

    def _sql_partition_locations(self, name: str) -> Located:
        return sql_locations(self._ref(name), lambda sql: self._collect(self._run(sql), None))

    @contextmanager
    def _temp_views(self, views: Sequence[tuple[str, str]]) -> Iterator[None]:
        created: list[str] = []
        try:
            for name, select_sql in views:
                # Analysed before the view exists, so `SELECT ... FROM orders` reads the table
                # and is not a recursive reference to the view being created.
                frame = self._run(strip_statement(select_sql), shown=select_sql)
                frame.createOrReplaceTempView(name)
                created.append(name)
            yield
        finally:
            for name in reversed(created):
                self._spark.catalog.dropTempView(name)

    def _analysis_error(self, sql: str, plan: str) -> None:
        """EXPLAIN prints failures without the reason; analysing the query raises it."""
        frame = self._run(strip_statement(sql), shown=sql)
        try:
            frame.schema  # noqa: B018 - forces analysis over Spark Connect, which is lazy
        except _SPARK_ERRORS as err:
            raise _engine_error(err, sql) from err
        raise EngineError(_with_sql(plan.splitlines()[0], sql))


def _open(master: str, warehouse: str | None, conf: dict[str, str]) -> SparkSession:
    """A new (or the process's existing) SparkSession for `master`."""
    builder = SparkSession.builder.appName("mapforge")
    if master.startswith("sc://"):
        builder = builder.remote(master)  # Spark Connect: the server owns static settings
    else:
        builder = builder.master(master)
        conf = {**_LOCAL_DEFAULTS, **conf}
    if warehouse:
        conf["spark.sql.warehouse.dir"] = warehouse
    for key, value in sorted(conf.items()):
        builder = builder.config(key, str(value))
    try:
        session = builder.getOrCreate()
    except _SPARK_ERRORS as err:
        raise _engine_error(err, None) from err
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")  # JVM warnings would drown the CLI output
    return session


def _quiet_error_logs() -> None:
    """pyspark 4 logs every SQL error as JSON on stderr; the EngineError says it once."""
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _stub_select(table: Table) -> str:
    columns = ", ".join(
        f"cast(null as {spark_type(c.type)}) as {quote(c.name)}" for c in table.columns
    )
    return f"select {columns} limit 0"


def split_statements(sql: str) -> list[str]:
    """The statements of `sql`, cut at semicolons outside strings and comments.

    spark.sql runs one statement per call, unlike DuckDB's execute. The text of each
    statement is sliced from the input, not regenerated by sqlglot, so it runs as written.
    """
    try:
        tokens = sqlglot.tokenize(sql, read="spark")
    except SqlglotError:
        return [strip_statement(sql)] if strip_statement(sql) else []
    statements: list[str] = []
    current: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and token.token_type is not TokenType.SEMICOLON:
            current.append(token)
        elif current:
            statements.append(sql[current[0].start : current[-1].end + 1])
            current = []
    return statements


def _engine_error(err: BaseException, sql: str | None) -> EngineError:
    """A readable EngineError: Spark's first message line, without the plan, plus the SQL."""
    if isinstance(err, Py4JJavaError):
        # "An error occurred while calling o34.sql.\n: org.apache...Exception: message"
        lines = [ln.strip().lstrip(": ") for ln in str(err).splitlines()[1:2]]
    else:
        # ParseException text starts with a blank line, then the message, then the SQL drawn
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()][:1]
    message = lines[0] if lines else type(err).__name__
    return EngineError(_with_sql(message.rstrip(";"), sql))


def _with_sql(message: str, sql: str | None) -> str:
    if not sql:
        return message
    first = next((line.strip() for line in sql.splitlines() if line.strip()), "")
    return f"{message} [sql: {first[:120]}{'...' if len(first) > 120 else ''}]"
