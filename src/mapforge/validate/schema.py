"""The catalog in the shape sqlglot's optimizer takes, made safe to hand over."""

from __future__ import annotations

from sqlglot.schema import MappingSchema

from mapforge.catalog.model import Catalog
from mapforge.validate.type_names import parse_type


def sqlglot_schema(catalog: Catalog, dialect: str) -> MappingSchema:
    """{table: {column: type}} with unreadable types as UNKNOWN.

    MappingSchema parses every type lazily and raises on one it cannot read, which would
    abort type annotation for the whole query over one exotic column.
    """
    mapping: dict[str, object] = {
        table.name: {
            col.name: col.type if parse_type(col.type, dialect) else "UNKNOWN"
            for col in table.columns
        }
        for table in catalog.tables.values()
    }
    return MappingSchema(mapping, dialect=dialect)
