"""The Catalog: tables, columns, keys and comments of a live database, as plain data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field


class Column(BaseModel):
    name: str
    type: str
    nullable: bool = True
    comment: str | None = None


class ForeignKey(BaseModel):
    columns: list[str]
    ref_table: str
    ref_columns: list[str]


def key_constraints(
    rows: Sequence[tuple[Any, ...]], primary: str, foreign: str
) -> tuple[list[str], list[ForeignKey]]:
    """Primary key and foreign keys from (kind, columns, ref_table, ref_columns) rows.

    Engines read constraints in that shape and differ only in how they spell the kind
    ('PRIMARY KEY' / 'p', 'FOREIGN KEY' / 'f').
    """
    pk = next((list(cols) for kind, cols, *_ in rows if kind == primary), [])
    fks = [
        ForeignKey(columns=list(cols), ref_table=ref_table, ref_columns=list(ref_cols))
        for kind, cols, ref_table, ref_cols in rows
        if kind == foreign
    ]
    return pk, fks


class Table(BaseModel):
    name: str
    schema_name: str | None = None
    kind: str = "table"  # table | view
    columns: list[Column] = Field(default_factory=list)
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    comment: str | None = None
    row_count: int | None = None

    def column(self, name: str) -> Column | None:
        lname = name.lower()
        return next((c for c in self.columns if c.name.lower() == lname), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def fingerprint(self) -> str:
        """Hash of the metadata that shapes SQL (row counts excluded: they drift daily)."""
        payload = self.model_dump(mode="json", exclude={"row_count"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class Catalog(BaseModel):
    """Metadata of one database, keyed by lower-cased table name."""

    dialect: str = "duckdb"
    tables: dict[str, Table] = Field(default_factory=dict)

    @classmethod
    def of(cls, tables: list[Table], dialect: str = "duckdb") -> Catalog:
        return cls(
            dialect=dialect,
            tables={t.name.lower(): t for t in sorted(tables, key=lambda t: t.name.lower())},
        )

    def table(self, name: str) -> Table | None:
        key = name.lower()
        if key in self.tables:
            return self.tables[key]
        # `main.orders` or `db.main.orders`: fall back to the bare name
        return self.tables.get(key.rsplit(".", 1)[-1])

    def has_table(self, name: str) -> bool:
        return self.table(name) is not None

    def slice(self, names: list[str]) -> Catalog:
        """The sub-catalog holding only the named tables that exist."""
        found = [t for n in names if (t := self.table(n)) is not None]
        return Catalog.of(list({t.name.lower(): t for t in found}.values()), self.dialect)

    def fingerprint(self) -> str:
        """Hash of every table's metadata, in name order."""
        joined = ",".join(f"{k}:{t.fingerprint()}" for k, t in sorted(self.tables.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def schema_mapping(self) -> dict[str, dict[str, str]]:
        """{table: {column: type}}, the shape sqlglot's optimizer takes."""
        return {t.name: {c.name: c.type for c in t.columns} for t in self.tables.values()}
