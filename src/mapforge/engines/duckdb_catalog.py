"""Read a DuckDB schema into a Catalog through the duckdb_* metadata table functions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from mapforge.catalog.model import Catalog, Column, Table, key_constraints
from mapforge.engines.duckdb_keys import KeyCache, cached_keys

# Objects mapforge creates for itself (build_table's staging tables) are never user data.
INTERNAL_PREFIX = "__mapforge_"

# `database_name = current_database()` skips attached databases and the `temp` catalog
# that holds TEMP tables (whose schema is also called `main`).
# `sql` and `index_count` of a table say whether it can have keys and which (duckdb_keys.py)
_OBJECTS = """
select table_name, 'table' as kind, comment, sql, index_count from duckdb_tables()
 where database_name = current_database() and schema_name = $schema
   and not internal and not temporary
union all
select view_name, 'view', comment, null, 0 from duckdb_views()
 where database_name = current_database() and schema_name = $schema
   and not internal and not temporary
"""

_COLUMNS = """
select table_name, column_name, data_type, is_nullable, comment from duckdb_columns()
 where database_name = current_database() and schema_name = $schema and not internal
 order by table_name, column_index
"""

# duckdb >= 1.1 exposes referenced_table / referenced_column_names, so FOREIGN KEY text
# never has to be parsed.
_KEYS = """
select table_name, constraint_type, constraint_column_names,
       referenced_table, referenced_column_names
  from duckdb_constraints()
 where database_name = current_database() and schema_name = $schema
   and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')
 order by table_name, constraint_index
"""


def read_catalog(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    *,
    counts: bool = True,
    key_cache: KeyCache | None = None,
) -> Catalog:
    """Tables and views of `schema`, sorted by name, with columns, keys, comments, counts.

    Keys come from `key_cache` when it holds every indexed table's definition.
    """
    objects = [r for r in _rows(conn, _OBJECTS, schema) if not r[0].startswith(INTERNAL_PREFIX)]
    columns = _columns(conn, schema)
    indexed = {name: sql for name, kind, _, sql, indexes in objects if kind == "table" and indexes}
    keys = cached_keys(indexed, key_cache, lambda: _keys(conn, schema))
    tables = [
        _table(conn, schema, name, kind, comment, columns.get(name, []), keys.get(name, []), counts)
        for name, kind, comment, _, _ in sorted(objects)
    ]
    return Catalog.of(tables, dialect="duckdb")


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql, {"schema": schema}).fetchall()


def _columns(conn: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[Column]]:
    by_table: dict[str, list[Column]] = defaultdict(list)
    for table, name, type_, nullable, comment in _rows(conn, _COLUMNS, schema):
        by_table[table].append(Column(name=name, type=type_, nullable=nullable, comment=comment))
    return by_table


def _keys(conn: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    by_table: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for table, *rest in _rows(conn, _KEYS, schema):
        by_table[table].append(tuple(rest))
    return by_table


def _table(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    kind: str,
    comment: str | None,
    columns: list[Column],
    keys: list[tuple[Any, ...]],
    counts: bool,
) -> Table:
    primary, foreign = key_constraints(keys, "PRIMARY KEY", "FOREIGN KEY")
    return Table(
        name=name,
        schema_name=schema,
        kind=kind,
        columns=columns,
        primary_key=primary,
        foreign_keys=foreign,
        comment=comment,
        # Views get no count: counting one runs its whole query, maybe over huge tables.
        row_count=_count(conn, schema, name) if kind == "table" and counts else None,
    )


def _count(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    row = conn.execute(f"select count(*) from {quote(schema)}.{quote(name)}").fetchone()
    return int(row[0]) if row else 0


def quote(identifier: str) -> str:
    """A double-quoted DuckDB identifier, with embedded quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'
