"""MF301 mapping-unknown-source-table and MF302 mapping-unknown-source-column."""

from __future__ import annotations

import re

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import ColumnMapping, RuleKind, Target
from mapforge.validate.did_you_mean import hint
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_origin import mapping_finding

# Rules whose source cell holds exactly one column; other rules' cells may list several
# (`first_name, last_name`) or free text, so only plain names among them are checked.
_ONE_COLUMN = frozenset({RuleKind.DIRECT, RuleKind.CAST, RuleKind.LOOKUP})
_PLAIN_NAME = re.compile(r"^[A-Za-z_][\w$]*$")


def check_source_tables(target: Target, known: Catalog) -> list[Finding]:
    """MF301 once per declared source, join or lookup table that is neither table nor target."""
    tables = [t.name for t in known.tables.values()]
    return [
        mapping_finding(
            "MF301",
            target,
            f"source table '{name}' is neither in the catalog nor a target",
            column=_first_user(target, name),
            hint=hint(name, tables, "tables"),
        )
        for name in target.source_tables
        if not known.has_table(name)
    ]


def check_source_columns(target: Target, known: Catalog) -> list[Finding]:
    """MF302 for each source column its row's table does not have."""
    return [
        found
        for col in target.columns
        for name in _named_columns(col)
        if (found := _check_column(target, col, name, known)) is not None
    ]


def source_table_of(target: Target, col: ColumnMapping) -> str | None:
    """The row's table, else the target's driving table (rows often leave it blank)."""
    return col.source_table or target.driving_table


def _named_columns(col: ColumnMapping) -> list[str]:
    if col.rule.kind in _ONE_COLUMN:
        return [col.source_column] if col.source_column else []
    return [name for name in col.source_columns if _PLAIN_NAME.match(name)]


def _check_column(target: Target, col: ColumnMapping, name: str, known: Catalog) -> Finding | None:
    table_name = source_table_of(target, col)
    table = known.table(table_name) if table_name else None
    if table is None or table.column(name) is not None:
        return None  # an unknown table is MF301's finding, not one per row
    return mapping_finding(
        "MF302",
        target,
        f"source column '{name}' is not a column of {table.name}",
        column=col,
        hint=hint(name, table.column_names, "columns"),
    )


def _first_user(target: Target, table: str) -> ColumnMapping | None:
    lowered = table.lower()
    return next(
        (
            c
            for c in target.columns
            if lowered in {(c.source_table or "").lower(), (c.rule.lookup_table or "").lower()}
        ),
        None,
    )
