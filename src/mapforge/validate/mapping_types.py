"""MF303 mapping-uncastable-type: a direct or cast row whose source type never fits.

Uses the same castability matrix as MF204, with the catalog's dialect reading both names.
"""

from __future__ import annotations

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import ColumnMapping, RuleKind, Target
from mapforge.validate.castability import castable_names
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_origin import mapping_finding
from mapforge.validate.mapping_sources import source_table_of


def check_source_types(target: Target, known: Catalog) -> list[Finding]:
    """MF303 for direct/cast rows whose source column type cannot become the target type."""
    return [
        found
        for col in target.columns
        if col.rule.kind in (RuleKind.DIRECT, RuleKind.CAST)
        and (found := _check(target, col, known)) is not None
    ]


def _check(target: Target, col: ColumnMapping, known: Catalog) -> Finding | None:
    table_name = source_table_of(target, col)
    table = known.table(table_name) if table_name else None
    source = table.column(col.source_column) if table and col.source_column else None
    if table is None or source is None:
        return None  # MF301/MF302 say why
    # a cast rule may name an intermediate type (`cast(varchar)`); each step must be possible
    steps = [source.type, *col.rule.args[:1], col.type]
    for before, after in zip(steps, steps[1:], strict=False):
        if not castable_names(before, after, known.dialect):
            return mapping_finding(
                "MF303",
                target,
                f"{table.name}.{source.name} is {source.type}, which cannot be cast to {after}",
                column=col,
                hint="pick a source column of a compatible type, or write a sql: rule",
            )
    return None
