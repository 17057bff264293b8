"""Copy DuckDB source tables into PostgreSQL with their keys and comments (tests and bench).

The retail example generates its sources in DuckDB; to run the same project on Postgres the
tables are recreated there from the DuckDB catalog (types transpiled by sqlglot), filled
with COPY, and given the same primary keys, foreign keys and comments.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlglot
from psycopg import sql

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.duckdb import DuckDBEngine


def copy_tables(
    duck: DuckDBEngine, url: str, schema: str, names: list[str] | None = None
) -> list[str]:
    """Recreate `names` (default: every table) of `duck` in `schema` at `url`; return them."""
    catalog = duck.catalog()
    tables = [
        t
        for t in catalog.tables.values()
        if t.kind == "table" and (names is None or t.name in names)
    ]
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for table in tables:
            _create(conn, schema, table)
            _fill(conn, schema, table, duck)
        for table in tables:  # after every table exists, so references resolve
            _foreign_keys(conn, schema, table, catalog)
            _comments(conn, schema, table)
        for table in tables:
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table.name)))
    return [t.name for t in tables]


def _pg_type(duckdb_type: str) -> str:
    return sqlglot.exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="postgres")


def _create(conn: psycopg.Connection[Any], schema: str, table: Table) -> None:
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name),
            sql.SQL(_pg_type(c.type)),
            sql.SQL("" if c.nullable else " not null"),
        )
        for c in table.columns
    ]
    if table.primary_key:
        columns.append(
            sql.SQL("primary key ({})").format(
                sql.SQL(", ").join(map(sql.Identifier, table.primary_key))
            )
        )
    ref = sql.Identifier(schema, table.name)
    conn.execute(sql.SQL("drop table if exists {} cascade").format(ref))
    conn.execute(sql.SQL("create table {} ({})").format(ref, sql.SQL(", ").join(columns)))


def _fill(conn: psycopg.Connection[Any], schema: str, table: Table, duck: DuckDBEngine) -> None:
    names = sql.SQL(", ").join(map(sql.Identifier, table.column_names))
    rows = duck.query(f'select * from "{table.name}"').rows
    copy = sql.SQL("copy {} ({}) from stdin").format(sql.Identifier(schema, table.name), names)
    with conn.cursor() as cursor, cursor.copy(copy) as writer:
        for row in rows:
            writer.write_row(row)


def _foreign_keys(
    conn: psycopg.Connection[Any], schema: str, table: Table, catalog: Catalog
) -> None:
    for fk in table.foreign_keys:
        if catalog.table(fk.ref_table) is None:
            continue
        conn.execute(
            sql.SQL("alter table {} add foreign key ({}) references {} ({})").format(
                sql.Identifier(schema, table.name),
                sql.SQL(", ").join(map(sql.Identifier, fk.columns)),
                sql.Identifier(schema, fk.ref_table),
                sql.SQL(", ").join(map(sql.Identifier, fk.ref_columns)),
            )
        )


def _comments(conn: psycopg.Connection[Any], schema: str, table: Table) -> None:
    ref = sql.Identifier(schema, table.name)
    if table.comment:
        conn.execute(sql.SQL("comment on table {} is {}").format(ref, sql.Literal(table.comment)))
    for column in table.columns:
        if column.comment:
            target = sql.Identifier(schema, table.name, column.name)
            conn.execute(
                sql.SQL("comment on column {} is {}").format(target, sql.Literal(column.comment))
            )
