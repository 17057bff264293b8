"""PostgreSQL engine over one psycopg 3 connection, confined to one schema.

The connection runs in autocommit mode and opens transactions explicitly with
`conn.transaction()` (nested blocks become savepoints). Unqualified names resolve through
`search_path = <schema>`; TEMP tables live in pg_temp, which Postgres searches first, so
explain stubs and sandbox samples shadow real tables for unqualified names.

Passwords never come from mapforge: write the URL without one and let libpq read
PGPASSWORD or ~/.pgpass. A URL that does carry one is redacted in every error message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
import sqlglot
from psycopg import sql

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.base import ClosingContext, QueryResult, strip_statement
from mapforge.engines.postgres_catalog import INTERNAL_PREFIX, read_catalog
from mapforge.errors import EngineError

_CONNECT_HINT = "check `engine.url` (postgresql://user@host:port/db); the password comes from PGPASSWORD or ~/.pgpass"

_KIND = """
select case when c.relkind in ('v', 'm') then 'view' else 'table' end, c.oid
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = %(schema)s and c.relname = %(name)s and c.relkind in ('r', 'p', 'f', 'v', 'm')
"""

# Views that read `oid`, directly or through other views, deepest last, with their text:
# DROP ... CASCADE removes them, so a swap recreates them from these definitions.
_DEPENDENT_VIEWS = """
with recursive deps(oid, depth) as (
  select r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
   where d.classid = 'pg_rewrite'::regclass and d.refobjid = %(oid)s and r.ev_class <> %(oid)s
  union all
  select r.ev_class, deps.depth + 1 from deps
    join pg_depend d on d.refobjid = deps.oid and d.classid = 'pg_rewrite'::regclass
    join pg_rewrite r on r.oid = d.objid and r.ev_class <> deps.oid
)
select n.nspname, c.relname, pg_get_viewdef(c.oid), max(deps.depth)
  from deps join pg_class c on c.oid = deps.oid join pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'v'
 group by n.nspname, c.relname, c.oid
 order by max(deps.depth), c.relname
"""


class PostgresEngine(ClosingContext):
    """Engine over one PostgreSQL schema; every psycopg.Error leaves as an EngineError."""

    name = "postgres"
    dialect = "postgres"
    supports_transactions = True
    supports_merge = True  # MERGE exists since PostgreSQL 15
    supports_partitions = False  # partition_by is a Spark option (see engines/spark.py)
    enforces_keys = True  # PRIMARY KEY / NOT NULL are checked on every write
    exclusive_writer = False  # other sessions write the same schema
    supports_parallel = True  # worker() opens its own connection: a server session each

    def __init__(self, url: str, schema: str | None = None, connect_timeout: int = 10) -> None:
        self.url = url
        self.schema = schema or "public"
        self._conn = _open(url, connect_timeout)
        self._secret = _password(url)
        if self._kind_of_schema() is None:
            self._run(sql.SQL("create schema {}").format(sql.Identifier(self.schema)))
        self._run(sql.SQL("set search_path to {}").format(sql.Identifier(self.schema)))

    # -- Engine protocol -------------------------------------------------------------------

    def catalog(self, counts: bool = True) -> Catalog:
        """Introspect tables and views of the schema (mapforge's own objects excluded)."""
        try:
            return read_catalog(self._conn, self.schema, counts=counts)
        except psycopg.Error as err:
            raise self._error(err, None) from err

    def query(self, sql_text: str) -> QueryResult:
        """Run a statement and fetch every row."""
        cursor = self._run(sql_text)
        if cursor.description is None:
            return QueryResult(columns=[], rows=[])
        return QueryResult(columns=[d.name for d in cursor.description], rows=cursor.fetchall())

    def execute(self, sql_text: str) -> None:
        """Run a statement (or several: without parameters psycopg uses the simple protocol)."""
        self._run(sql_text)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT; ROLLBACK when the block raises."""
        with self._transaction():
            yield

    @contextmanager
    def sandbox(self, shadows: Mapping[str, str]) -> Iterator[None]:
        """TEMP tables shadow the schema inside a transaction that is always rolled back."""
        with self._transaction():
            for name, select_sql in sorted(shadows.items()):
                ddl = sql.SQL("create temp table {} as ").format(sql.Identifier(name)) + sql.SQL(
                    strip_statement(select_sql)
                )  # type: ignore[arg-type]
                self._run(ddl, shown=select_sql)
            yield
            raise psycopg.Rollback

    def stage(self, name: str, select_sql: str) -> None:
        """A TEMP table inside the sandbox's transaction; the rollback drops it."""
        ddl = sql.SQL("create temp table {} as ").format(sql.Identifier(name)) + sql.SQL(
            strip_statement(select_sql)
        )  # type: ignore[arg-type]
        self._run(ddl, shown=select_sql)

    def explain(self, sql_text: str, stubs: Sequence[Table] = ()) -> None:
        """Bind and plan `sql_text` without running it; binder errors become EngineError.

        `stubs` (upstream targets not built yet) are created empty as TEMP tables inside a
        transaction that is rolled back, so the database is left as it was.
        """
        statement = sql.SQL("explain ") + sql.SQL(strip_statement(sql_text))  # type: ignore[arg-type]
        with self._transaction():
            for table in stubs:
                self._run(_stub_ddl(table))
            self._run(statement, shown=sql_text)
            raise psycopg.Rollback

    def build_table(self, name: str, select_sql: str) -> int:
        """Build into a staging table, then drop-and-rename in one transaction."""
        staging = f"{INTERNAL_PREFIX}tmp_{name}"
        try:
            self._run(
                sql.SQL("drop table if exists {}").format(self._ref(staging))
            )  # a crashed run's leftover
            ddl = sql.SQL("create table {} as ").format(self._ref(staging)) + sql.SQL(
                strip_statement(select_sql)
            )  # type: ignore[arg-type]
            rows = self._run(ddl, shown=select_sql).rowcount
            rename = sql.SQL("alter table {} rename to {}").format(
                self._ref(staging), sql.Identifier(name)
            )
            with self._transaction():
                self._swap(name, lambda: self._run(rename))
        except EngineError:
            self._discard(staging)
            raise
        return rows if rows >= 0 else self.row_count(name)

    def build_view(self, name: str, select_sql: str) -> None:
        """Replace `name` (table or view) with a view, in one transaction.

        Not CREATE OR REPLACE VIEW: Postgres refuses it when the column list changes.
        """
        ddl = sql.SQL("create view {} as ").format(self._ref(name)) + sql.SQL(
            strip_statement(select_sql)
        )  # type: ignore[arg-type]
        with self._transaction():
            self._swap(name, lambda: self._run(ddl, shown=select_sql))

    def table_exists(self, name: str) -> bool:
        """Whether a table or view `name` exists in the schema."""
        return self._kind(name) is not None

    def row_count(self, name: str) -> int:
        """Exact count(*) of a table or view (a TEMP table of the session included)."""
        row = self._run(sql.SQL("select count(*) from {}").format(self._read(name))).fetchone()
        return int(row[0]) if row else 0

    def checksum(self, name: str) -> str:
        """Order-independent fingerprint of every row of `name`.

        Each row's text form is hashed with md5; the first 64 bits are summed as numeric
        (no overflow, and unlike XOR two identical rows do not cancel out) and combined
        with the row count. Comparable between Postgres servers, not with other engines.
        """
        alias = sql.Identifier(f"{INTERNAL_PREFIX}row")
        query = sql.SQL(
            "select count(*), coalesce(sum(('x' || substr(md5({a}::text), 1, 16))::bit(64)::bigint::numeric), 0) from {t} as {a}"
        ).format(a=alias, t=self._read(name))
        count, total = self._run(query).fetchone() or (0, 0)
        return hashlib.sha256(f"{count}:{total}".encode()).hexdigest()[:32]

    def worker(self) -> PostgresEngine:
        """A new connection to the same database and schema, for one other thread."""
        return PostgresEngine(self.url, self.schema)

    def interrupt(self) -> None:
        """Cancel the statement running on this connection, from another thread; idle: no-op.

        The server aborts it with query_canceled, which leaves as an EngineError.
        """
        with suppress(psycopg.Error):
            self._conn.cancel_safe(timeout=5.0)

    def settle(self, name: str) -> None:
        """Nothing to finish: every build here is one transaction."""

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        self._conn.close()

    # -- internals -------------------------------------------------------------------------

    def _run(
        self,
        statement: str | sql.Composable,
        params: dict[str, Any] | None = None,
        shown: str | None = None,
    ) -> psycopg.Cursor[Any]:
        try:
            return self._conn.execute(statement, params)  # type: ignore[arg-type]
        except psycopg.Error as err:
            text = shown or (
                statement if isinstance(statement, str) else statement.as_string(self._conn)
            )
            raise self._error(err, text) from err

    def _ref(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def _read(self, name: str) -> sql.Identifier:
        # Reads use the bare name, as DuckDB's and Spark's do: search_path finds a TEMP table
        # of this session first (a materialization's stage), then the engine's schema.
        return sql.Identifier(name)

    def _kind(self, name: str) -> str | None:
        row = self._run(_KIND, {"schema": self.schema, "name": name}).fetchone()
        return row[0] if row else None

    def _oid(self, name: str) -> int:
        row = self._run(_KIND, {"schema": self.schema, "name": name}).fetchone()
        return int(row[1]) if row else 0

    def _kind_of_schema(self) -> str | None:
        row = self._run(
            "select 'schema' from pg_namespace where nspname = %(s)s", {"s": self.schema}
        ).fetchone()
        return row[0] if row else None

    def _swap(self, name: str, create: Callable[[], object]) -> None:
        """Drop `name` (and the views reading it), create the new one, recreate those views.

        Call inside a transaction: if a dependent view no longer binds against the new
        object, the whole swap rolls back and the old object stays.
        """
        kind = self._kind(name)
        views: list[tuple[Any, ...]] = []
        if kind is not None:
            views = self._dependent_views(name)
            self._run(sql.SQL("drop {} {} cascade").format(sql.SQL(kind), self._ref(name)))
        create()
        for schema, view, definition, _depth in views:
            ddl = sql.SQL("create view {} as ").format(sql.Identifier(schema, view)) + sql.SQL(
                definition
            )
            self._run(ddl)

    def _dependent_views(self, name: str) -> list[tuple[Any, ...]]:
        return self._run(_DEPENDENT_VIEWS, {"oid": self._oid(name)}).fetchall()

    def _discard(self, staging: str) -> None:
        # Cleanup must not hide the error that brought us here.
        with suppress(psycopg.Error):
            self._conn.execute(sql.SQL("drop table if exists {}").format(self._ref(staging)))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # psycopg.Rollback raised inside undoes the block on purpose and is swallowed here
        try:
            with self._conn.transaction():
                yield
        except psycopg.Error as err:  # e.g. a COMMIT refused by a deferred constraint
            raise self._error(err, None) from err

    def _error(self, err: psycopg.Error, statement: str | None) -> EngineError:
        return _engine_error(err, statement, self._secret)


def _open(url: str, timeout: int) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=timeout)
    except psycopg.Error as err:
        error = _engine_error(err, None, _password(url))
        raise EngineError(
            f"cannot connect to {redact(url)}: {error.message}", hint=_CONNECT_HINT
        ) from None


def _stub_ddl(table: Table) -> sql.Composed:
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(_pg_type(c.type)))
        for c in table.columns
    )
    return sql.SQL("create temp table {} ({})").format(sql.Identifier(table.name), columns)


def _pg_type(type_: str) -> str:
    """A mapping's type (written for no engine in particular) as Postgres spells it."""
    if not type_.strip():
        return "text"
    try:
        return sqlglot.exp.DataType.build(type_).sql(dialect="postgres")
    except (sqlglot.errors.ParseError, ValueError):
        return type_  # let Postgres judge it; a bad type surfaces as an EXPLAIN finding


_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@")
_DSN_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact(text: str, secret: str | None = None) -> str:
    """Replace passwords in URLs, key=value DSNs, and a known secret with ***."""
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _DSN_PASSWORD.sub(r"\1***", text)
    return text.replace(secret, "***") if secret else text


def _password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    with suppress(ValueError):
        password = urlsplit(url).password
        return unquote(password) if password else None
    return None


def _engine_error(err: psycopg.Error, statement: str | None, secret: str | None) -> EngineError:
    """A readable EngineError: Postgres' primary message (no LINE/caret drawing), plus the SQL."""
    primary = (
        err.diag.message_primary
        if err.diag and err.diag.message_primary
        else str(err).split("\nLINE ")[0]
    )
    message = " ".join(line.strip() for line in primary.splitlines() if line.strip())
    if statement:
        first = next((line.strip() for line in statement.splitlines() if line.strip()), "")
        message += f" [sql: {first[:120]}{'...' if len(first) > 120 else ''}]"
    hint = err.diag.message_hint if err.diag else None
    return EngineError(redact(message, secret), hint=redact(hint, secret) if hint else None)
