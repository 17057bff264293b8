"""MF407 grain-mismatch: an aggregate query groups by exactly the target's key.

Groupings and key outputs compare by lineage (the catalog columns they read), so
`GROUP BY 1`, `GROUP BY customer_id` and `GROUP BY CAST(t.customer_id AS INT)` are the same
grouping. Only the top-level SELECTs are checked, and only when they aggregate: a CTE may
aggregate at any grain it likes, the result's rows are what the key describes.

Tolerance: an extra grouping is accepted when it cannot split a group —
- it reads only key columns (or nothing: a constant);
- every table it reads has a primary key in the catalog that is grouped in full (the SQL
  standard's functional dependency);
- it is an output of the query reading only tables the key is read from, and the catalog
  knows no primary key for them (an attribute of the keyed row, like a customer's name next
  to customer_id: it has to be grouped for the SQL to be valid, and nothing says it varies).
GROUPING SETS, ROLLUP and CUBE are not checked: their grain is deliberate.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Col, Lineage
from mapforge.validate.outputs import leaf_selects, output_name
from mapforge.validate.query import Query, unique


def check_grain(query: Query) -> list[Finding]:
    """MF407 for each top-level aggregate SELECT whose GROUP BY is not the target's key."""
    key = [name.lower() for name in query.target.key]
    lineage = Lineage.of(query) if key else None
    if lineage is None:
        return []
    findings: list[Finding] = []
    for select in leaf_selects(lineage.tree):
        scope = lineage.by_node.get(id(select))
        if scope is not None and _aggregates(select) and _plain_grouping(select):
            findings += _grain(query, lineage, select, scope, key)
    return unique(findings)


def is_aggregate(node: exp.Expr) -> bool:
    """An aggregate at this query's level: not inside a window or a subquery."""
    home = node.find_ancestor(exp.Select)
    return any(
        agg.find_ancestor(exp.Window, exp.Select) is home for agg in node.find_all(exp.AggFunc)
    )


def _aggregates(select: exp.Select) -> bool:
    return bool(select.args.get("group")) or any(is_aggregate(p) for p in select.selects)


def _plain_grouping(select: exp.Select) -> bool:
    group = select.args.get("group")
    return group is None or not any(group.args.get(k) for k in ("grouping_sets", "rollup", "cube"))


def _items(select: exp.Select) -> list[exp.Expr]:
    group = select.args.get("group")
    if group is None:
        return []
    if group.args.get("all"):  # DuckDB's GROUP BY ALL: every non-aggregate output
        return [p.unalias() for p in select.selects if not is_aggregate(p)]
    return list(group.expressions)


def _grain(
    query: Query, lineage: Lineage, select: exp.Select, scope: Scope, key: list[str]
) -> list[Finding]:
    groups = [lineage.reads(item, scope) for item in _items(select)]
    if not all(g.complete for g in groups):
        return []  # a grouping lineage cannot follow: it may be anything
    grouped = frozenset(c for g in groups for c in g.columns)
    outputs = {(output_name(p, query.dialect) or "").lower(): p for p in select.selects}
    findings: list[Finding] = []
    key_columns: set[Col] = set()
    for name in key:
        projection = outputs.get(name)
        if projection is None:
            continue  # MF201 reports a missing output
        reads = lineage.reads(projection, scope)
        key_columns |= reads.columns
        if is_aggregate(projection) or not reads.columns <= grouped:
            findings.append(_missing(query, name))
    extra = [
        item
        for item, g in zip(_items(select), groups, strict=True)
        if not _harmless(query, lineage, scope, g.columns, frozenset(key_columns), grouped, select)
    ]
    return findings + [_extra(query, item) for item in extra]


def _harmless(
    query: Query,
    lineage: Lineage,
    scope: Scope,
    columns: frozenset[Col],
    key_columns: frozenset[Col],
    grouped: frozenset[Col],
    select: exp.Select,
) -> bool:
    if columns <= key_columns or _determined(query, columns, grouped):
        return True
    key_tables = {c.table for c in key_columns}
    attribute = {c.table for c in columns} <= key_tables and not any(
        _primary_key(query, t) for t in key_tables
    )
    return attribute and any(
        not is_aggregate(p) and lineage.reads(p, scope).columns == columns for p in select.selects
    )


def _determined(query: Query, columns: frozenset[Col], grouped: frozenset[Col]) -> bool:
    """Every table read has a primary key, all of it grouped: one row per group."""
    for table in {c.table for c in columns}:
        key = _primary_key(query, table)
        if not key or not key <= grouped:
            return False
    return True


def _primary_key(query: Query, table: str | None) -> frozenset[Col]:
    known = query.catalog.table(table) if table else None
    if known is None:
        return frozenset()
    return frozenset(Col(table, name.lower()) for name in known.primary_key)


def _missing(query: Query, name: str) -> Finding:
    keys = ", ".join(query.target.key)
    message = f"the query aggregates but does not group by key column '{name}'"
    return query.finding("MF407", message, column=name, hint=f"GROUP BY the key: {keys}")


def _extra(query: Query, item: exp.Expr) -> Finding:
    keys = ", ".join(query.target.key)
    text = item.sql(query.dialect)
    message = f"GROUP BY {text} is not the target's key ({keys}): it splits the grain"
    hint = f"group by exactly {keys}; aggregate {text} or leave it out"
    return query.finding("MF407", message, hint=hint)
