"""MF102 unknown-table: every table the query reads exists in the catalog.

sqlglot's qualify passes unknown tables silently (it cannot tell a missing table from one
it has no schema for), so they are checked here. CTE names and derived-table aliases are
scopes, not tables, and so are never looked up. The caller merges the tables of targets this
one may read into the catalog (`mapforge.catalog.compose.planning_catalog`).
"""

from __future__ import annotations

from sqlglot import exp

from mapforge.validate.did_you_mean import hint
from mapforge.validate.findings import Finding
from mapforge.validate.query import Query, unique
from mapforge.validate.sources import is_catalog_table, scopes, selected, table_name


def check_tables(query: Query) -> list[Finding]:
    """MF102 for each table name that is neither in the catalog nor a CTE."""
    findings = [
        _unknown(source, query)
        for scope in scopes(query.tree)
        for source in selected(scope).values()
        if is_catalog_table(source) and not query.catalog.has_table(table_name(source))
    ]
    return unique(findings)


def _unknown(table: exp.Table, query: Query) -> Finding:
    name = table_name(table)
    known = [t.name for t in query.catalog.tables.values()]
    return query.finding(
        "MF102", f"table '{name}' is not in the catalog", hint=hint(table.name, known, "tables")
    )
