"""MF304 mapping-lookup-key-missing: a lookup row whose columns or key do not exist.

`lookup(countries.name on code)` needs `countries.name`, and `code` in both the lookup table
and the table the row reads from (its own source table, else the target's driving table).
`on a.x = b.y` conditions are checked column by column against the tables they name.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.catalog.model import Catalog, Table
from mapforge.mapping.spec import ColumnMapping, RuleKind, Target
from mapforge.validate.did_you_mean import hint
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_origin import mapping_finding


def check_lookups(target: Target, known: Catalog) -> list[Finding]:
    """MF304 for each lookup column or key column that its table lacks."""
    return [
        found
        for col in target.columns
        if col.rule.kind is RuleKind.LOOKUP
        for found in _check(target, col, known)
    ]


def _check(target: Target, col: ColumnMapping, known: Catalog) -> list[Finding]:
    rule = col.rule
    lookup = known.table(rule.lookup_table) if rule.lookup_table else None
    if lookup is None:
        return []  # MF301 reports an unknown lookup table
    own = known.table(_own_table(target, col, lookup) or "")
    wanted = [(lookup, rule.lookup_column)] if rule.lookup_column else []
    wanted += _key_columns(rule.lookup_on, lookup, own, target, known)
    return [
        _missing(target, col, table, name) for table, name in wanted if table.column(name) is None
    ]


def _own_table(target: Target, col: ColumnMapping, lookup: Table) -> str | None:
    # the compiler reads a shared key from the row's table unless that is the lookup itself
    if col.source_table and col.source_table.lower() != lookup.name.lower():
        return col.source_table
    return target.driving_table


def _key_columns(
    on: str | None, lookup: Table, own: Table | None, target: Target, known: Catalog
) -> list[tuple[Table, str]]:
    if not on:
        return []
    condition = _parse(on, known.dialect)
    if isinstance(condition, exp.Column) and not condition.table:
        return [(lookup, condition.name)] + ([(own, condition.name)] if own else [])
    if condition is None:
        return []  # not readable as SQL: the compiler reports it with its own error
    tables = _tables_by_reference(target, known, lookup, own)
    return [
        (tables[c.table.lower()], c.name)
        for c in condition.find_all(exp.Column)
        if c.table.lower() in tables
    ]


def _tables_by_reference(
    target: Target, known: Catalog, lookup: Table, own: Table | None
) -> dict[str, Table]:
    refs: dict[str, Table] = {}
    for join in target.joins:
        if (table := known.table(join.table)) is not None:
            refs[(join.alias or join.table).lower()] = table
    for table in (own, lookup):
        if table is not None:
            refs[table.name.lower()] = table
    return refs


def _parse(text: str, dialect: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(text, read=dialect)
    except SqlglotError:
        return None


def _missing(target: Target, col: ColumnMapping, table: Table, name: str) -> Finding:
    return mapping_finding(
        "MF304",
        target,
        f"lookup needs column '{name}' but {table.name} has no such column",
        column=col,
        hint=hint(name, table.column_names, "columns"),
    )
