"""MF401 undeclared-source-column, MF402 unused-source-column, MF403 wrong-source-table.

Each output is followed to the catalog columns it reads (lineage.py) and compared with what
its mapping row declares (declared.py). Tolerance, because a false alarm costs a repair round:

- any output may read the target's join keys, lookup keys, filter columns and key columns;
- a free-text row may also read columns its prose names (`net amount`, `net_amount`) and
  whatever the target columns it names declare; one with a blank source column may read any
  column of the target's declared tables;
- a row's source column is required only when it is what the compiler reads (direct, cast,
  default, free text); concat/coalesce/sql rows require their operands' columns, lookups the
  looked-up column (their source column is the key and is read in the join);
- an output whose lineage is partly unknowable (an unknown table, a table function) is never
  reported for what it does not read;
- a target that declares no tables at all is not checked.
"""

from __future__ import annotations

from mapforge.mapping.spec import ColumnMapping
from mapforge.validate.declared import Declared, Row
from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Col, Lineage, Reads
from mapforge.validate.query import Query, unique


def check_lineage(query: Query) -> list[Finding]:
    """MF401/MF402/MF403 for every output that has a mapping row."""
    declared = Declared.of(query.target, query.dialect)
    lineage = Lineage.of(query) if declared.tables else None
    if lineage is None:
        return []
    outputs = lineage.outputs()
    plumbing = declared.plumbing()
    findings: list[Finding] = []
    for col in query.target.columns:
        reads = outputs.get(col.name.lower())
        if reads is None:
            continue  # MF201 reports a missing output
        row = declared.row(col, query.catalog)
        findings += _undeclared(query, declared, col, row, reads, plumbing)
        findings += _unused(query, col, row, reads)
    return unique(findings)


def matches(read: Col, wanted: Col) -> bool:
    """Same column, and the same table unless `wanted` accepts any table."""
    return read.column == wanted.column and wanted.table in (None, read.table)


def _undeclared(
    query: Query,
    declared: Declared,
    col: ColumnMapping,
    row: Row,
    reads: Reads,
    plumbing: frozenset[Col],
) -> list[Finding]:
    findings = []
    equal = declared.inner_join_pairs()
    for read in sorted(reads.columns, key=str):
        if any(matches(read, ok) for ok in row.allowed):
            continue
        # the right name from another table: wrong even when it is a join key, unless an
        # inner join makes the two equal on every row
        meant = _same_name(row, read)
        if meant is not None and frozenset({read, meant}) not in equal:
            findings.append(_wrong_table(query, col, read, meant))
        elif meant is None and not _tolerated(declared, row, read, plumbing):
            findings.append(_undeclared_read(query, col, row, read))
    return findings


def _tolerated(declared: Declared, row: Row, read: Col, plumbing: frozenset[Col]) -> bool:
    if any(matches(read, ok) for ok in plumbing):
        return True
    return row.open and read.table in declared.tables


def _same_name(row: Row, read: Col) -> Col | None:
    named = (d for d in row.allowed | row.required if d.column == read.column and d.table)
    return min(named, key=str, default=None)


def _wrong_table(query: Query, col: ColumnMapping, read: Col, meant: Col) -> Finding:
    message = f"'{col.name}' reads {read}; its mapping row says {meant}"
    hint = f"read {meant} (join {meant.table} if it is not joined yet)"
    return query.finding("MF403", message, column=col.name, hint=hint)


def _undeclared_read(query: Query, col: ColumnMapping, row: Row, read: Col) -> Finding:
    wanted = ", ".join(sorted(map(str, row.allowed))) or "no source column"
    message = f"'{col.name}' reads {read}, which its mapping row does not declare ({wanted})"
    hint = f"build '{col.name}' from {wanted}" if row.allowed else "remove the column read"
    return query.finding("MF401", message, column=col.name, hint=hint)


def _unused(query: Query, col: ColumnMapping, row: Row, reads: Reads) -> list[Finding]:
    if not reads.complete:
        return []  # it may be read where lineage could not follow
    findings = []
    for wanted in sorted(row.required, key=str):
        if any(matches(read, wanted) for read in reads.columns):
            continue
        if any(read.column == wanted.column for read in reads.columns):
            continue  # the right name from another table: MF403 says so
        message = f"'{col.name}' does not read {wanted}, which its mapping row declares"
        hint = f"compute '{col.name}' from {wanted} as the rule says"
        findings.append(query.finding("MF402", message, column=col.name, hint=hint))
    return findings
