"""Read a PostgreSQL schema into a Catalog through pg_catalog.

pg_catalog rather than information_schema: information_schema hides objects the current
role does not own or hold privileges on, has no comments, and spells types without their
modifiers ('character varying' instead of 'character varying(2)'). format_type() gives the
type as Postgres itself prints it, modifiers included.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg
from psycopg import sql

from mapforge.catalog.model import Catalog, Column, Table, key_constraints

# Objects mapforge creates for itself (build_table's staging tables) are never user data.
INTERNAL_PREFIX = "__mapforge_"

# Below this estimate the catalog counts rows exactly: count(*) is cheap there, and
# reltuples is -1 on a table never vacuumed or analyzed (e.g. just loaded), 0 on some
# freshly created ones. Above it the planner's estimate is close enough for a prompt.
EXACT_COUNT_BELOW = 100_000

# r = table, p = partitioned table, f = foreign table; v = view, m = materialized view.
_RELKINDS = ("r", "p", "f", "v", "m")

_OBJECTS = """
select c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.reltuples
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = %(schema)s and c.relkind = any(%(kinds)s) and not c.relispartition
"""

_COLUMNS = """
select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull,
       col_description(c.oid, a.attnum)
  from pg_attribute a
  join pg_class c on c.oid = a.attrelid
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = %(schema)s and c.relkind = any(%(kinds)s)
   and a.attnum > 0 and not a.attisdropped
 order by c.relname, a.attnum
"""

# conkey/confkey are arrays of column numbers; unnest ... with ordinality keeps the key's
# column order, which matters for composite keys.
_KEYS = """
select c.relname, con.contype,
       array(select a.attname from unnest(con.conkey) with ordinality k(num, i)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.i),
       rc.relname,
       array(select a.attname from unnest(con.confkey) with ordinality k(num, i)
               join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.i)
  from pg_constraint con
  join pg_class c on c.oid = con.conrelid
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_class rc on rc.oid = con.confrelid
 where n.nspname = %(schema)s and con.contype in ('p', 'f')
 order by c.relname, con.contype desc, con.conname
"""


def read_catalog(conn: psycopg.Connection[Any], schema: str, *, counts: bool = True) -> Catalog:
    """Tables and views of `schema`, sorted by name, with columns, keys, comments, counts."""
    objects = [r for r in _rows(conn, _OBJECTS, schema) if not r[0].startswith(INTERNAL_PREFIX)]
    columns = _columns(conn, schema)
    keys = _keys(conn, schema)
    tables = [
        _table(conn, schema, row, columns.get(row[0], []), keys.get(row[0], []), counts)
        for row in sorted(objects)
    ]
    return Catalog.of(tables, dialect="postgres")


def _rows(conn: psycopg.Connection[Any], query: str, schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(query, {"schema": schema, "kinds": list(_RELKINDS)}).fetchall()


def _columns(conn: psycopg.Connection[Any], schema: str) -> dict[str, list[Column]]:
    by_table: dict[str, list[Column]] = defaultdict(list)
    for table, name, type_, nullable, comment in _rows(conn, _COLUMNS, schema):
        by_table[table].append(Column(name=name, type=type_, nullable=nullable, comment=comment))
    return by_table


def _keys(conn: psycopg.Connection[Any], schema: str) -> dict[str, list[tuple[Any, ...]]]:
    by_table: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for table, *rest in _rows(conn, _KEYS, schema):
        by_table[table].append(tuple(rest))
    return by_table


def _table(
    conn: psycopg.Connection[Any],
    schema: str,
    row: tuple[Any, ...],
    columns: list[Column],
    keys: list[tuple[Any, ...]],
    counts: bool,
) -> Table:
    name, relkind, comment, estimate = row
    kind = "view" if relkind in ("v", "m") else "table"
    primary, foreign = key_constraints(keys, "p", "f")
    return Table(
        name=name,
        schema_name=schema,
        kind=kind,
        columns=columns,
        primary_key=primary,
        foreign_keys=foreign,
        comment=comment,
        # Views get no count: counting one runs its whole query, maybe over huge tables.
        row_count=_count(conn, schema, name, estimate) if kind == "table" and counts else None,
    )


def _count(conn: psycopg.Connection[Any], schema: str, name: str, estimate: float) -> int:
    if estimate >= EXACT_COUNT_BELOW:
        return int(estimate)
    query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0
