"""The Engine protocol: the only code that talks to a database implements it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable

from mapforge.catalog.model import Catalog, Table


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def strip_statement(sql: str) -> str:
    """Drop a trailing semicolon so the statement can be embedded in another."""
    return sql.strip().rstrip(";").rstrip()


class ClosingContext:
    """`with engine:` closes it on the way out; engines inherit this, nothing else."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class Engine(Protocol):
    """A database mapforge can read metadata from and materialize targets in.

    Capabilities are attributes, not subclasses, so callers ask `engine.supports_merge`
    instead of `isinstance(engine, DuckDBEngine)`.
    """

    name: str
    dialect: str
    supports_transactions: bool
    supports_merge: bool
    supports_parallel: bool  # worker() handles may run statements at the same time
    # PRIMARY KEY and NOT NULL in catalog() are enforced on every write, so a run may prove
    # a target's key from them (pipeline/key_proof.py) instead of scanning the table
    enforces_keys: bool
    # while the engine is open no other process can change the database (DuckDB locks its
    # file), so a catalog read at a run's start still describes the tables this run left alone
    # (another connection of the same process could; a run opens none)
    exclusive_writer: bool

    def catalog(self, counts: bool = True) -> Catalog:
        """Introspect tables, views, columns, keys, comments and (unless not `counts`) row counts.

        A run needs no counts (they are prompt metadata), and on Spark each is a job.
        """
        ...

    def query(self, sql: str) -> QueryResult:
        """Run a statement that returns rows."""
        ...

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing."""
        ...

    def explain(self, sql: str, stubs: Sequence[Table] = ()) -> None:
        """Plan a query without running it; raise EngineError when the binder refuses it.

        `stubs` are tables the query may read that do not exist yet (upstream targets); the
        engine makes them visible for the EXPLAIN only, leaving the database unchanged.
        """
        ...

    def build_table(self, name: str, select_sql: str) -> int:
        """Build `name` from `select_sql` under a temporary name, then swap it in atomically.

        Returns the row count. On failure the previous table is left untouched.
        """
        ...

    def build_view(self, name: str, select_sql: str) -> None:
        """Create or replace `name` as a view of `select_sql`, replacing a table of that name."""
        ...

    def table_exists(self, name: str) -> bool:
        """Whether a table or view called `name` exists in the engine's schema."""
        ...

    def row_count(self, name: str) -> int:
        """Exact number of rows in a table or view."""
        ...

    def checksum(self, name: str) -> str:
        """An order-independent checksum of every row, to tell whether two builds agree."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN ... COMMIT, rolled back when the block raises.

        Engines without transactions (Spark without Delta) yield without one and say so
        with `supports_transactions = False`; callers then rely on build-and-swap.
        """
        ...

    def sandbox(self, shadows: Mapping[str, str]) -> AbstractContextManager[None]:
        """Inside the block, each name in `shadows` reads as the result of its SELECT.

        Used for sample runs: `{"orders": "SELECT * FROM orders ORDER BY order_id LIMIT 500"}`
        makes unqualified `orders` mean the sample. Real tables are never modified; whatever
        the block created is gone when it exits (temp tables in a rolled-back transaction,
        or temp views dropped on exit).
        """
        ...

    def worker(self) -> Engine:
        """A handle on the same database for one other thread, for parallel runs.

        It sees the same schema and committed data, has its own transaction state (and its
        own temp tables), and is closed by its thread with `close()`; closing it leaves this
        engine open. DuckDB returns a cursor on the shared connection, a server database a
        new connection. An engine that cannot run statements concurrently sets
        `supports_parallel = False`; the runner then never calls `worker()`.
        """
        ...

    def stage(self, name: str, select_sql: str) -> None:
        """Inside `sandbox()`: evaluate `select_sql` now and keep the result as temp `name`.

        Sample runs read their output several times; staging runs the statement once (so a
        runtime error such as a failing cast surfaces here) and is dropped with the sandbox.
        """
        ...

    def settle(self, name: str) -> None:
        """Finish what an interrupted build of `name` left behind, before building it again.

        A no-op where a build is one transaction (DuckDB, PostgreSQL). Spark swaps tables
        with renames, so a killed build can leave the old table aside or a partitioned
        table's partitions pointing elsewhere; settling restores or drops those leftovers
        (see engines/spark.py) so that a materialization reads the real table.
        """
        ...

    def close(self) -> None: ...


class Partitioned(Protocol):
    """What an engine with `supports_partitions = True` adds (Spark); not part of Engine.

    Callers check `getattr(engine, "supports_partitions", False)` before using it.
    """

    def build_table(self, name: str, select_sql: str, partition_by: str | None = None) -> int:
        """Engine.build_table, the table partitioned by `partition_by` when given."""
        ...

    def partition_columns(self, name: str) -> list[str]:
        """The columns table `name` is partitioned by (empty: not partitioned)."""
        ...

    def overwrite_partitions(self, name: str, select_sql: str, partition_by: str) -> int:
        """Replace only the partitions of `name` that `select_sql`'s rows fall in."""
        ...
