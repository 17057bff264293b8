"""Column lineage: each output column of the locked SQL, back to its mapping row and sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage

from mapforge.lock import LockEntry
from mapforge.mapping.spec import Target


@dataclass(frozen=True)
class LineageRow:
    """One output column: where the mapping declares it and what the SQL actually reads."""

    column: str
    origin: str  # "mappings/retail.xlsx, sheet Mapping, row 9", or "" when not in the mapping
    rule: str
    declared: str  # source_table.source_column as the mapping row says
    reads: list[str] = field(default_factory=list)  # table.column, from the locked SQL


def target_lineage(target: Target, entry: LockEntry | None) -> list[LineageRow]:
    """A row per output column of the locked SQL (or per mapping row when there is no SQL)."""
    outputs = _outputs(entry)
    names = outputs or [c.name for c in target.columns]
    return [_row(target, name, entry) for name in names]


def _row(target: Target, name: str, entry: LockEntry | None) -> LineageRow:
    mapped = target.column(name)
    if mapped is None:
        return LineageRow(name, "", "", "", _reads(name, entry))
    declared = (
        ", ".join(f"{mapped.source_table}.{c}" for c in mapped.source_columns)
        if mapped.source_table
        else ""
    )
    rule = mapped.rule.text or str(mapped.rule.kind)
    return LineageRow(name, str(mapped.origin or ""), rule, declared, _reads(name, entry))


def _outputs(entry: LockEntry | None) -> list[str]:
    if entry is None or not entry.sql:
        return []
    try:
        tree = sqlglot.parse_one(entry.sql, dialect=entry.dialect)
    except SqlglotError:
        return []
    return list(tree.named_selects) if isinstance(tree, exp.Query) else []


def _reads(column: str, entry: LockEntry | None) -> list[str]:
    """The source columns the output reads, per sqlglot's lineage of the locked SQL."""
    if entry is None or not entry.sql:
        return []
    try:
        node = lineage(column, entry.sql, {}, dialect=entry.dialect)
    except (SqlglotError, KeyError, ValueError):
        return []  # lineage is best effort: a report must not fail on one odd statement
    found = {
        f"{leaf.source.name}.{leaf.name.rsplit('.', 1)[-1]}"
        for leaf in node.walk()
        if not leaf.downstream and isinstance(leaf.source, exp.Table)
    }
    return sorted(found)
