"""Read a Spark database (namespace) into a Catalog through the Spark catalog API.

spark.catalog works the same over a local session and over Spark Connect, unlike
DESCRIBE TABLE EXTENDED, whose row layout changes between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.catalog.model import Catalog, Column, Table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Objects mapforge creates for itself (build_table's staging tables) are never user data.
INTERNAL_PREFIX = "__mapforge_"


def read_catalog(spark: SparkSession, database: str, *, counts: bool = True) -> Catalog:
    """Tables and views of `database`, sorted by name, with columns, comments and counts.

    Spark has no primary or foreign keys, so both stay empty. TEMP views are session state,
    not part of the database, and are left out.
    """
    tables = [
        _table(spark, database, t.name, t.tableType, t.description, counts)
        for t in spark.catalog.listTables(database)
        if not t.isTemporary and not t.name.startswith(INTERNAL_PREFIX)
    ]
    return Catalog.of(tables, dialect="spark")


def _table(
    spark: SparkSession,
    database: str,
    name: str,
    table_type: str | None,
    comment: str | None,
    counts: bool,
) -> Table:
    ref = f"{quote(database)}.{quote(name)}"
    kind = "view" if (table_type or "").upper() == "VIEW" else "table"
    columns = [
        Column(
            name=c.name, type=_type(c.dataType), nullable=c.nullable, comment=c.description or None
        )
        for c in spark.catalog.listColumns(ref)
    ]
    return Table(
        name=name,
        schema_name=database,
        kind=kind,
        columns=columns,
        comment=comment or None,
        # Views get no count: counting one runs its whole query, maybe over huge tables.
        row_count=spark.table(ref).count() if kind == "table" and counts else None,
    )


def _type(data_type: str) -> str:
    # Upper-case simple types like the other engines (INT, DECIMAL(10,2)); nested types keep
    # their text, since struct<...> holds field names whose case matters.
    return data_type if "<" in data_type else data_type.upper()


def spark_type(type_text: str) -> str:
    """A mapping type (`VARCHAR`, `DECIMAL(10,2)`, `TEXT`) written as a Spark SQL type.

    Mapping documents use generic SQL type names; Spark rejects some of them (TEXT, and
    VARCHAR without a length), so they go through sqlglot. Unknown names pass unchanged and
    Spark reports them.
    """
    try:
        return exp.DataType.build(type_text, dialect="duckdb").sql(dialect="spark")
    except (SqlglotError, ValueError):
        return type_text


def quote(identifier: str) -> str:
    """A back-quoted Spark identifier, with embedded back-quotes doubled."""
    return "`" + identifier.replace("`", "``") + "`"
